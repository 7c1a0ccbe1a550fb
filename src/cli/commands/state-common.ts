import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { changesBetween, renderState, resourceChanges, withReferences, type ResourceChange, type TranslateSettings } from '../../app/resource-changes.ts';
import type { Resource } from '../../resource/resource.ts';
import { unifiedDiff } from '../../render/diff.ts';
import type { Warning } from '../../diagnostics/tool-error.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { render, renderYamlDocument, type OutputFormat } from '../../render/render.ts';
import { writeDirectory } from '../../sinks/directory-sink.ts';
import { readState, resolveStateDir, STATE_DIR_ENV, statePaths, updateState, type Scope, type UpdateResult } from '../../state/index.ts';
import type { Settings, State } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import type { KubeConfig } from '../../kube/kubeconfig.ts';
import { clusterConfig, targetOf, type ClusterFlags } from './cluster.ts';
import { applyToCluster } from '../delivery.ts';
import { targetFor } from '../../app/targets.ts';
import type { EmittedKind } from '../../target/target.ts';

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

/**
 * A command that only reads the local state, on a directory that holds none, says so instead of
 * silently showing nothing. A state directory given explicitly (--state or CFMESH_HOME) that does not
 * exist is most likely mistyped: a warning that -q does not hide, naming the directory and the flag.
 * It stays a warning, not an error (kubectl's --kubeconfig would fail): reading before the first push
 * (a script, or after a push that was refused before it got to the state) is an empty platform.
 */
export async function requireLocalState(ctx: CommandContext, flags: StateFlags): Promise<void> {
  const dir = stateDirFor(ctx, flags);
  if (existsSync(statePaths(dir).state)) return;
  const explicit = (flags.state ?? '') !== '' ? '--state' : (ctx.io.env[STATE_DIR_ENV] ?? '') !== '' ? STATE_DIR_ENV : undefined;
  if (explicit !== undefined && !existsSync(dir)) {
    ctx.required(`there is no cfmesh state in ${dir}: the directory does not exist`, `check ${explicit}; cfmesh push -f manifest.yml creates a state there`);
    return;
  }
  ctx.info(`No cfmesh state in ${dir} yet (cfmesh push -f manifest.yml creates it).`);
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
  if (cluster) return runOnCluster(ctx, flags, transform, cluster);
  const format = parseFormat(flags.output ?? 'yaml');
  const dir = stateDirFor(ctx, flags);
  let change: Change | undefined;
  let settings: TranslateSettings | undefined;
  const fn = (state: State): State => {
    if (targetOf(flags, state.settings) === 'kubernetes') throw new NeedsCluster(state.settings);
    settings = translateSettings(flags, state.settings);
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
  if (outputDir !== undefined) {
    if (partial) after = await readState(dir);
    const rendered = renderState(after, used);
    if (flags.dryRun) printDiff(ctx, format, resourceChanges(before, after, used).changes, used);
    const report = await writeDirectory(outputDir, rendered.resources, format, { dryRun: Boolean(flags.dryRun) });
    ctx.info(`${flags.dryRun ? 'would write to ' : ''}${outputDir}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`);
  } else {
    const { changes, warnings, context } = partial ? changesBetween(partial.before, partial.after, partial.seeds, used) : resourceChanges(before, after, used);
    if (!flags.dryRun) ctx.warn(warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || before !== after));
    if (flags.dryRun) printDiff(ctx, format, changes, used);
    else printChanges(ctx, format, changes, context, before !== after, used, renderArgs(flags));
  }
  if (flags.dryRun) ctx.info('Dry run: nothing was written.');
  ctx.info(ctx.c.green('OK'));
}

/**
 * The cluster as the target (docs/adr/0012-cluster-delivery.md): deliver first, then commit. Under the
 * state lock the transform runs, the state's whole configuration is server-side applied (pruning its
 * own ApplySet), and only when the cluster took all of it is the new state written. A delivery that
 * fails, or Ctrl-C, leaves the local state as it was and says so; running the command again delivers it.
 */
async function runOnCluster(ctx: CommandContext, flags: DeliveryFlags, transform: (state: State, settings: TranslateSettings) => Change, cluster: KubeConfig): Promise<void> {
  const format = parseFormat(flags.output ?? 'yaml');
  const dir = stateDirFor(ctx, flags);
  // Resources go to the kubeconfig context's namespace unless -n (or the stored namespace) says otherwise.
  const settingsOf = (state: State): TranslateSettings =>
    translateSettings({ ...flags, namespace: flags.namespace ?? state.settings.namespace ?? cluster.namespace }, { ...state.settings, namespace: undefined });
  const applyFlags = { ...flags, applyset: flags.applyset ?? STATE_APPLYSET, namespace: undefined };
  const step = async (state: State, dryRun: 'server' | undefined): Promise<State> => {
    const used = settingsOf(state);
    const change = transform(state, used);
    ctx.warn(change.warnings ?? []);
    for (const notice of change.notices ?? []) ctx.info(notice);
    const whole = renderState(change.state, used);
    ctx.warn(whole.warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || change.state !== state));
    const target = { ...cluster, namespace: used.istio.namespace };
    await applyToCluster(ctx, target, whole.resources, { ...applyFlags, dryRun: dryRun ?? false }, { prune: true, target: targetFor(used) });
    return change.state;
  };
  if (flags.dryRun === true || flags.dryRun === 'client') {
    const before = await readState(dir);
    const used = settingsOf(before);
    const change = transform(before, used);
    ctx.warn(change.warnings ?? []);
    for (const notice of change.notices ?? []) ctx.info(notice);
    printDiff(ctx, format, resourceChanges(before, change.state, used).changes, used);
    ctx.info('Dry run: nothing was written.');
    ctx.info(ctx.c.green('OK'));
    return;
  }
  if (flags.dryRun === 'server') {
    await step(await readState(dir), 'server');
    ctx.info('Dry run: the local state was not changed.');
    ctx.info(ctx.c.green('OK'));
    return;
  }
  let delivered = false;
  try {
    await updateState(dir, async (state) => {
      try {
        const next = await step(state, undefined);
        delivered = true;
        return next;
      } catch (error) {
        if (error instanceof ToolError && (error.code.startsWith('API_') || error.code === 'CRD_MISSING' || error.code === 'INTERRUPTED')) {
          ctx.required(
            `the local state (${dir}) was not changed: the cluster did not take the whole configuration, and may hold part of this change until the next delivery`,
            'run the same command again to deliver it; any state command that succeeds delivers the whole state (cfmesh render shows it)',
          );
        }
        throw error;
      }
    });
  } catch (error) {
    if (delivered && error instanceof ToolError && (error.code === 'FILE_WRITE' || error.code === 'STATE_LOCKED')) {
      throw new ToolError(error.code, `the cluster has the change, but the local state could not be written: ${error.message}`, {
        hint: 'run the same command again once the state can be written: it applies the same configuration again and records it',
        cause: error,
      });
    }
    throw error;
  }
  ctx.info(ctx.c.green('OK'));
}

function printChanges(ctx: CommandContext, format: OutputFormat, changes: readonly ResourceChange[], context: readonly Resource[], stateChanged: boolean, used: TranslateSettings, args: string): void {
  const changed = withReferences(
    changes.filter((c) => c.after !== undefined).map((c) => c.after as NonNullable<ResourceChange['after']>),
    context,
    used,
  );
  const deleted = changes.filter((c) => c.after === undefined && c.before !== undefined);
  if (changed.length > 0) ctx.io.stdout.write(render(changed, format));
  // A deletion is the one change stdout cannot carry, so it is said even under -q (ADR 0012).
  for (const c of deleted) {
    const r = c.before as NonNullable<ResourceChange['before']>;
    ctx.required(`Deleted ${c.id}: remove it with kubectl delete ${kubectlResource(r.apiVersion, r.kind)} ${r.metadata.name}${r.metadata.namespace ? ` -n ${r.metadata.namespace}` : ''}`);
  }
  if (deleted.length > 0) {
    ctx.info(`(stdout carries only created and changed resources; to apply deletions too, keep a directory in sync with --output-dir DIR, or apply the whole state: ${pruneCommand(targetFor(used).kinds, args)})`);
  }
  if (changes.length === 0 && stateChanged) ctx.info(`No ${targetFor(used).label} resource changed.`);
}

function printDiff(ctx: CommandContext, format: OutputFormat, changes: readonly ResourceChange[], used: TranslateSettings): void {
  const text = (r: ResourceChange['before']) => (r === undefined ? '' : format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderYamlDocument(r));
  let out = '';
  for (const c of changes) {
    out += unifiedDiff(text(c.before), text(c.after), c.before ? `a/${c.id}` : '/dev/null', c.after ? `b/${c.id}` : '/dev/null');
  }
  if (out !== '') ctx.io.stdout.write(out);
  else ctx.info(`No ${targetFor(used).label} resource would change.`);
}

/**
 * `destinationrule.networking.istio.io`: the resource as kubectl names it, fully qualified so that it means
 * the Istio kind whatever else the cluster serves under the same short name.
 */
export function kubectlResource(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
}

/**
 * The whole state applied with kubectl, deletions included. Without `--prune-allowlist` kubectl prunes only
 * its default list of core kinds (kubectl v0.32.4 pkg/util/prune/prune.go defaultNamespacedPruneResources),
 * so none of the target's kinds would ever be deleted; each kind is given at the API version cfmesh emits.
 */
export function pruneCommand(kinds: readonly EmittedKind[], renderFlags = ''): string {
  const allow = kinds.map((k) => `--prune-allowlist=${k.apiVersion}/${k.kind}`).join(' ');
  return `cfmesh render${renderFlags} | kubectl apply --prune -l app.kubernetes.io/managed-by=cfmesh ${allow} -f -`;
}

/** The flags of this command that `render` needs to give the same configuration (--state and the shaping flags). */
function renderArgs(flags: DeliveryFlags): string {
  const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);
  const pairs: [string, string | undefined][] = [
    ['--state', flags.state],
    ['--default-domain', flags.defaultDomain],
    ['--gateway', flags.gateway],
    ['-n', flags.namespace],
    ['--service-host-template', flags.serviceHostTemplate],
    ['--istio-api', flags.istioApi],
    ['--mtls', flags.mtls],
    ['--gateway-namespace', flags.gatewayNamespace],
    ['--tcp-port-range', flags.tcpPortRange],
    ...(flags.internalDomain ?? []).map((d): [string, string] => ['--internal-domain', d]),
  ];
  return pairs.filter((p): p is [string, string] => p[1] !== undefined).map(([f, v]) => ` ${f} ${quote(v)}`).join('');
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
