import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { changesBetween, renderState, resourceChanges, withReferences, type ResourceChange, type TranslateSettings } from '../../app/resource-changes.ts';
import type { Resource } from '../../render/resource.ts';
import { unifiedDiff } from '../../render/diff.ts';
import type { Warning } from '../../diagnostics/tool-error.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { render, renderYamlDocument, type OutputFormat } from '../../render/render.ts';
import { writeDirectory } from '../../sinks/directory-sink.ts';
import { readState, resolveStateDir, updateState, type Scope, type UpdateResult } from '../../state/index.ts';
import type { Settings, State } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import type { KubeConfig } from '../../kube/kubeconfig.ts';
import { clusterConfig, targetOf, type ClusterFlags } from './cluster.ts';
import { applyToCluster } from '../delivery.ts';

/** The ApplySet of what the state commands deliver (convert --apply uses `cfmesh`), so neither prunes the other's objects. */
export const STATE_APPLYSET = 'cfmesh-state';
import { istioOptions, parseFormat, routingOptions, type TranslateFlags } from '../options.ts';

export interface StateFlags {
  readonly state?: string | undefined;
}

export interface DeliveryFlags extends StateFlags, TranslateFlags, ClusterFlags {
  readonly output?: string | undefined;
  readonly outputDir?: string | undefined;
  readonly dryRun?: string | boolean | undefined;
}

/** Thrown from inside a state transform when the stored target turns out to be the cluster. */
class NeedsCluster {
  readonly settings: Settings;
  constructor(settings: Settings) {
    this.settings = settings;
  }
}

export interface StateChangeOptions {
  /** With the cluster as the target, do this instead of changing the local state (update-route --weight). */
  readonly live?: ((settings: Settings) => Promise<void>) | undefined;
  /**
   * The routes and apps the transform reads (a command on one route): the state file is then read
   * by line, not whole, when only the changed resources are wanted.
   */
  readonly scope?: Scope | undefined;
}

/** `--state DIR`, else CFMESH_HOME, else ~/.cfmesh (docs/adr/0004-state-location.md). */
export function stateDirFor(ctx: CommandContext, flags: StateFlags): string {
  return resolveStateDir({ flag: flags.state, env: ctx.io.env, homeDir: ctx.io.env['HOME'] ?? homedir(), cwd: ctx.io.cwd });
}

/** Flags over stored settings over defaults. */
export function translateSettings(flags: TranslateFlags, stored: Settings): TranslateSettings {
  return {
    routing: routingOptions(flags, { defaultDomain: stored.defaultDomain, internalDomains: stored.internalDomains }),
    istio: istioOptions(flags, {
      namespace: stored.namespace,
      gateway: stored.gateway,
      apiVersion: stored.istioApiVersion as TranslateSettings['istio']['apiVersion'] | undefined,
      serviceHostTemplate: stored.serviceHostTemplate,
    }),
  };
}

/** What a state transform gives back to the runner. */
export interface Change {
  readonly state: State;
  readonly notices?: readonly string[] | undefined;
  readonly warnings?: readonly Warning[] | undefined;
}

/**
 * The one delivery path of every state-changing command: transform the state under the lock (or, with
 * --dry-run, without writing anything), then deliver what changed: the created and changed Istio
 * resources on stdout (so `... | kubectl apply -f -` works), deleted ones listed on stderr; or, with
 * --output-dir (flag or stored setting), the directory kept in sync with the whole state.
 */
export async function runStateChange(
  ctx: CommandContext,
  flags: DeliveryFlags,
  transform: (state: State, settings: TranslateSettings) => Change,
  options: StateChangeOptions = {},
  cluster?: KubeConfig,
): Promise<void> {
  if (flags.target === 'kubernetes' && !cluster) {
    const stored = (await readState(stateDirFor(ctx, flags))).settings;
    if (options.live) return options.live(stored);
    return runStateChange(ctx, flags, transform, options, await clusterConfig(ctx, flags, stored));
  }
  try {
    return await runStateChangeOn(ctx, flags, transform, cluster, cluster || flags.outputDir !== undefined ? undefined : options.scope);
  } catch (error) {
    if (!(error instanceof NeedsCluster)) throw error;
    if (options.live) return options.live(error.settings);
    return runStateChange(ctx, { ...flags, target: 'kubernetes' }, transform, options, await clusterConfig(ctx, flags, error.settings));
  }
}

async function runStateChangeOn(
  ctx: CommandContext,
  flags: DeliveryFlags,
  transform: (state: State, settings: TranslateSettings) => Change,
  cluster: KubeConfig | undefined,
  scope: Scope | undefined,
): Promise<void> {
  const format = parseFormat(flags.output ?? 'yaml');
  const dir = stateDirFor(ctx, flags);
  let change: Change | undefined;
  let settings: TranslateSettings | undefined;
  const fn = (state: State): State => {
    if (!cluster && targetOf(flags, state.settings) === 'kubernetes') throw new NeedsCluster(state.settings);
    // With the cluster as the target, resources go to the kubeconfig context's namespace unless -n says otherwise.
    settings = translateSettings(cluster ? { ...flags, namespace: flags.namespace ?? cluster.namespace } : flags, cluster ? { ...state.settings, namespace: undefined } : state.settings);
    change = transform(state, settings);
    // Under --strict a warning fails the command before anything is written.
    ctx.warn(change.warnings ?? []);
    return change.state;
  };
  let result: UpdateResult;
  if (flags.dryRun) {
    const before = await readState(dir);
    result = { before, after: fn(before), changed: false };
  } else {
    result = await updateState(dir, fn, { scope });
  }
  const { before, partial } = result;
  // After a scoped update `after` holds only the scope; what needs the whole state reads it again.
  let after = result.after;
  const done = change as Change;
  const used = settings as TranslateSettings;
  for (const notice of done.notices ?? []) ctx.info(notice);

  const outputDir = flags.outputDir !== undefined ? resolve(ctx.io.cwd, flags.outputDir) : after.settings.output;
  if (cluster) {
    // The whole configuration of the state, pruned within its own ApplySet: a delivery that failed
    // (or a change made while the cluster was away) is made good by the next command, and running
    // the same command again converges.
    if (flags.dryRun === true || flags.dryRun === 'client') printDiff(ctx, format, resourceChanges(before, after, used).changes);
    else {
      const whole = renderState(after, used);
      ctx.warn(whole.warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || before !== after));
      await applyToCluster(ctx, cluster, whole.resources, { ...flags, applyset: flags.applyset ?? STATE_APPLYSET }, { prune: true });
    }
  } else if (outputDir !== undefined) {
    if (partial) after = await readState(dir);
    const rendered = renderState(after, used);
    if (flags.dryRun) printDiff(ctx, format, resourceChanges(before, after, used).changes);
    const report = await writeDirectory(outputDir, rendered.resources, format, { dryRun: Boolean(flags.dryRun) });
    ctx.info(`${flags.dryRun ? 'would write to ' : ''}${outputDir}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`);
  } else {
    const { changes, warnings, context } = partial ? changesBetween(partial.before, partial.after, partial.seeds, used) : resourceChanges(before, after, used);
    if (!flags.dryRun) ctx.warn(warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || before !== after));
    if (flags.dryRun) printDiff(ctx, format, changes);
    else printChanges(ctx, format, changes, context, before !== after);
  }
  if (flags.dryRun) ctx.info('Dry run: nothing was written.');
  ctx.info(ctx.c.green('OK'));
}

function printChanges(ctx: CommandContext, format: OutputFormat, changes: readonly ResourceChange[], context: readonly Resource[], stateChanged: boolean): void {
  const changed = withReferences(
    changes.filter((c) => c.after !== undefined).map((c) => c.after as NonNullable<ResourceChange['after']>),
    context,
  );
  const deleted = changes.filter((c) => c.after === undefined && c.before !== undefined);
  if (changed.length > 0) ctx.io.stdout.write(render(changed, format));
  for (const c of deleted) {
    const r = c.before as NonNullable<ResourceChange['before']>;
    ctx.info(`Deleted ${c.id}: remove it with kubectl delete ${r.kind.toLowerCase()} ${r.metadata.name}${r.metadata.namespace ? ` -n ${r.metadata.namespace}` : ''}`);
  }
  if (deleted.length > 0) {
    ctx.info('(stdout carries only created and changed resources; to apply deletions too, keep a directory in sync with --output-dir DIR, or apply the whole state: cfmesh render | kubectl apply --prune -l app.kubernetes.io/managed-by=cfmesh -f -)');
  }
  if (changes.length === 0 && stateChanged) ctx.info('No Istio resource changed.');
}

function printDiff(ctx: CommandContext, format: OutputFormat, changes: readonly ResourceChange[]): void {
  const text = (r: ResourceChange['before']) => (r === undefined ? '' : format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderYamlDocument(r));
  let out = '';
  for (const c of changes) {
    out += unifiedDiff(text(c.before), text(c.after), c.before ? `a/${c.id}` : '/dev/null', c.after ? `b/${c.id}` : '/dev/null');
  }
  if (out !== '') ctx.io.stdout.write(out);
  else ctx.info('No Istio resource would change.');
}

/** delete-route / delete: ask on a terminal, insist on -f otherwise (a script must not hang on a prompt). */
export async function confirm(ctx: CommandContext, question: string, force: boolean | undefined, command: string): Promise<boolean> {
  if (force) return true;
  if (!ctx.io.stdinIsTTY || !ctx.io.prompt) {
    throw new ToolError('USAGE', `${command} needs -f when stdin is not a terminal (it would ask: ${question})`, { hint: `add -f to ${command} to confirm without a prompt` });
  }
  const answer = (await ctx.io.prompt(`${question} [yN]: `)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}
