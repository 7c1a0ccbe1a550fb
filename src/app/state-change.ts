/**
 * The one delivery path of every state-changing command (push, map-route, update-route, ...):
 * transform the state under the lock (or, with a dry run, without writing anything), then deliver what
 * changed: the created and changed resources (so `... | kubectl apply -f -` works), deleted ones told
 * on stderr; or, with an output directory (flag or stored setting), the directory kept in sync with the
 * whole state; or, with the cluster as the target, deliver first and then commit (ADR 0012).
 */
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { unifiedDiff } from '../render/diff.ts';
import { render, renderYamlDocument, type OutputFormat } from '../render/render.ts';
import type { Resource } from '../resource/resource.ts';
import { writeDirectory } from '../sinks/directory-sink.ts';
import { readState, statePaths, updateState, type Scope, type UpdateResult } from '../state/index.ts';
import type { Settings, State } from '../state/types.ts';
import type { ApplyReport } from '../kube/apply.ts';
import { appChanges, emptyReport, resourcesApplied, resourcesOf, routeChanges, seedsBetween, viewOf, type ChangeReport, type Delivery, type Notice } from './change-report.ts';
import type { EmittedKind, Target } from '../target/target.ts';
import { changesBetween, renderState, resourceChanges, withReferences, type ResourceChange, type TranslateSettings } from './resource-changes.ts';
import { notFoundHint } from './route-ops.ts';
import { targetFor } from './targets.ts';

/** Where a use case tells the user what happened (the CLI's streams: `out` is stdout, the rest stderr). */
export interface Reporter {
  /** The product (resources, diffs). */
  out(text: string): void;
  /** Progress and notices, which --quiet silences. */
  info(line: string): void;
  /** Warnings; under --strict this throws STRICT, so in a transform nothing is written. */
  warn(warnings: readonly Warning[]): void;
  /** What the user must do or know even under --quiet. */
  required(message: string, hint?: string): void;
}

/** What a state transform gives back. */
export interface Change {
  readonly state: State;
  readonly notices?: readonly string[] | undefined;
  readonly warnings?: readonly Warning[] | undefined;
}

export type Transform = (state: State, settings: TranslateSettings) => Change;

/** The cluster as the target, opened for the stored settings: its namespace, and the apply (with its report). */
export interface Cluster {
  readonly namespace: string;
  /** The API server's URL, as the report names it. */
  readonly server: string;
  /** Applies and reports per resource (not on stdout when the request asks for a report); `required` is where its notices go. */
  deliver(
    resources: readonly Resource[],
    options: { readonly namespace: string; readonly dryRun: 'server' | false; readonly target: Target; readonly required: Reporter['required'] },
  ): Promise<ApplyReport>;
}

export interface StateChangeRequest {
  /** The command's name, as the report gives it. */
  readonly command: string;
  readonly stateDir: string;
  /**
   * `--json`: stdout carries no resources or diffs; changeState returns the report of what changed
   * (app/change-report.ts) for the caller to print. Progress and warnings stay on stderr.
   */
  readonly report?: boolean | undefined;
  readonly format: OutputFormat;
  /** `--output-dir`, resolved; undefined: the stored one, if any. */
  readonly outputDir?: string | undefined;
  /** `client` shows what would change; `server` also asks the cluster. Nothing is written. */
  readonly dryRun?: 'client' | 'server' | undefined;
  /** `--target` when given (else the stored one decides). */
  readonly target?: string | undefined;
  /** The target in effect: the flag, else the stored one (a stored value that is none is refused). */
  targetOf(stored: Settings): 'local' | 'kubernetes' | 'http';
  /** The routes and apps the transform reads (a command on one route): the state file is then read by line. */
  readonly scope?: Scope | undefined;
  /** The flags of the command that `render` needs to give the same configuration (for the whole-state command). */
  readonly renderFlags: string;
  /** Flags over stored settings; with the cluster's namespace when the cluster is the target. */
  settingsFor(stored: Settings, clusterNamespace?: string): TranslateSettings;
  /** Opens the cluster with the flags over the stored settings. */
  cluster(stored: Settings): Promise<Cluster>;
  /** With the cluster as the target, do this instead of changing the local state (update-route --weight); it gives its own report. */
  readonly live?: ((stored: Settings) => Promise<ChangeReport | undefined>) | undefined;
}

export interface StateChangeResult {
  /** `state` when this path ran the change (the caller then says OK), `live` when request.live did. */
  readonly via: 'state' | 'live';
  /** With `request.report`: what changed. */
  readonly report?: ChangeReport | undefined;
}

/** Runs a state change to its end. */
export async function changeState(request: StateChangeRequest, transform: Transform, reporter: Reporter): Promise<StateChangeResult> {
  const recorder = recording(request, reporter);
  let stored: Settings | undefined;
  if (request.target === 'kubernetes') stored = (await readState(request.stateDir)).settings;
  // Otherwise the stored target is read under the lock; when it is the cluster, nothing was written.
  else stored = await changeLocally(request, transform, recorder, request.outputDir !== undefined ? undefined : request.scope);
  if (stored === undefined) return { via: 'state', report: recorder.report() };
  if (request.live) return { via: 'live', report: await request.live(stored) };
  await changeOnCluster(request, transform, recorder, await request.cluster(stored));
  return { via: 'state', report: recorder.report() };
}

/** The reporter the paths below use: the caller's, noting what goes into the report when one is asked for. */
interface Recorder extends Reporter {
  /** Whether a report is kept (and stdout left to it). */
  readonly json: boolean;
  notice(message: string): void;
  record(fields: Partial<ChangeReport>): void;
  report(): ChangeReport | undefined;
}

function recording(request: StateChangeRequest, reporter: Reporter): Recorder {
  const json = request.report === true;
  const notices: Notice[] = [];
  let report: ChangeReport = { ...emptyReport(request.command, statePaths(request.stateDir).state), dryRun: request.dryRun ?? false };
  return {
    json,
    out: (text) => {
      if (!json) reporter.out(text);
    },
    info: reporter.info,
    warn: reporter.warn,
    required: (message, hint) => {
      notices.push({ message, hint: hint ?? null, required: true });
      reporter.required(message, hint);
    },
    notice: (message) => {
      notices.push({ message, hint: null, required: false });
      reporter.info(message);
    },
    record: (fields) => {
      report = { ...report, ...fields };
    },
    report: () => (json ? { ...report, notices } : undefined),
  };
}

/** Routes, apps and resources of a change between two states (whole, or views of the file with what differs). */
function changedFields(before: State, after: State, partial: UpdateResult['partial']): Pick<ChangeReport, 'routes' | 'apps'> {
  const b = partial ? partial.before : viewOf(before);
  const a = partial ? partial.after : viewOf(after);
  const seeds = partial ? partial.seeds : seedsBetween(before, after);
  return { routes: routeChanges(b, a, seeds), apps: appChanges(b, a, seeds) };
}

/** The local state, then stdout or the output directory. The stored settings when the stored target is the cluster instead (nothing done). */
async function changeLocally(request: StateChangeRequest, transform: Transform, reporter: Recorder, scope: Scope | undefined): Promise<Settings | undefined> {
  const { format, dryRun } = request;
  let change: Change | undefined;
  let settings: TranslateSettings | undefined;
  let cluster: Settings | undefined;
  const fn = (state: State): State => {
    if (request.targetOf(state.settings) === 'kubernetes') {
      cluster = state.settings;
      return state;
    }
    // `cfmesh target http` is where convert delivers (with its --url); a state command has no URL to
    // post to, and printing the configuration instead would let the user believe it was delivered.
    if (request.targetOf(state.settings) === 'http') {
      throw new ToolError('USAGE', `the stored target is http (cfmesh target http), where only convert delivers, with --url; ${request.command} changes the local state and prints its configuration, or delivers it to the cluster`, {
        hint: `run it with --target local (or --target kubernetes), or store another target: cfmesh target local`,
      });
    }
    settings = request.settingsFor(state.settings);
    change = transform(state, settings);
    // Under --strict a warning fails the command before anything is written.
    reporter.warn(change.warnings ?? []);
    return change.state;
  };
  let result: UpdateResult;
  if (dryRun) {
    const before = await readState(request.stateDir);
    result = { before, after: fn(before), changed: false };
  } else {
    try {
      result = await updateState(request.stateDir, fn, { scope });
    } catch (error) {
      // A scoped update sees only the routes and apps it names, so a misspelt name found no
      // did-you-mean there: the whole state's names give one.
      if (scope === undefined || !(error instanceof ToolError) || error.missing === undefined) throw error;
      const whole = await readState(request.stateDir);
      const names = error.missing.kind === 'app' ? Object.keys(whole.apps) : Object.keys(whole.routes);
      throw error.with({ hint: notFoundHint(error.missing, names) });
    }
  }
  if (cluster) return cluster;
  const { before, partial } = result;
  // After a scoped update `after` holds only the scope; what needs the whole state reads it again.
  let after = result.after;
  const done = change as Change;
  const used = settings as TranslateSettings;
  for (const notice of done.notices ?? []) reporter.notice(notice);
  if (reporter.json) reporter.record({ ...changedFields(before, result.after, partial), state: { path: statePaths(request.stateDir).state, written: result.changed } });

  const outputDir = request.outputDir ?? after.settings.output;
  if (outputDir !== undefined) {
    // For the report, before the whole state is read again: a scoped update's views hold what differs.
    const changed = !reporter.json ? undefined : partial ? changesBetween(partial.before, partial.after, partial.seeds, used) : resourceChanges(before, after, used);
    if (partial) after = await readState(request.stateDir);
    const rendered = renderState(after, used);
    if (dryRun && !reporter.json) printDiff(reporter, format, resourceChanges(before, after, used).changes, used);
    const report = await writeDirectory(outputDir, rendered.resources, format, { dryRun: Boolean(dryRun) });
    reporter.info(`${dryRun ? 'would write to ' : ''}${outputDir}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`);
    const delivery: Delivery = { target: 'local', outputDir: { path: outputDir, written: report.written, removed: report.removed, unchanged: report.unchanged.length } };
    if (changed) reporter.record({ delivery, resources: resourcesOf(changed.changes) });
  } else {
    const { changes, warnings, context } = partial ? changesBetween(partial.before, partial.after, partial.seeds, used) : resourceChanges(before, after, used);
    if (!dryRun) reporter.warn(warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || before !== after));
    if (reporter.json) reporter.record({ delivery: { target: 'local', outputDir: null }, resources: resourcesOf(changes) });
    if (dryRun) printDiff(reporter, format, changes, used);
    else printChanges(reporter, format, changes, context, before !== after, used, request.renderFlags);
  }
  if (dryRun) reporter.info('Dry run: nothing was written.');
  return undefined;
}

/**
 * The cluster as the target (docs/adr/0012-cluster-delivery.md): deliver first, then commit. Under the
 * state lock the transform runs, the state's whole configuration is server-side applied (pruning its
 * own ApplySet), and only when the cluster took all of it is the new state written. A delivery that
 * fails, or Ctrl-C, leaves the local state as it was and says so; running the command again delivers it.
 */
async function changeOnCluster(request: StateChangeRequest, transform: Transform, reporter: Recorder, cluster: Cluster): Promise<void> {
  const { format, stateDir } = request;
  // Resources go to the kubeconfig context's namespace unless -n (or the stored namespace) says otherwise.
  const settingsOf = (state: State): TranslateSettings => request.settingsFor(state.settings, cluster.namespace);
  const record = (before: State, after: State, namespace: string) => {
    if (reporter.json) reporter.record({ ...changedFields(before, after, undefined), delivery: { target: 'kubernetes', server: cluster.server, namespace } });
  };
  const step = async (state: State, dryRun: 'server' | undefined): Promise<State> => {
    const used = settingsOf(state);
    const change = transform(state, used);
    reporter.warn(change.warnings ?? []);
    for (const notice of change.notices ?? []) reporter.notice(notice);
    const whole = renderState(change.state, used);
    reporter.warn(whole.warnings.filter((w) => w.code !== 'ZERO_INSTANCES' || change.state !== state));
    const applied = await cluster.deliver(whole.resources, { namespace: used.istio.namespace, dryRun: dryRun ?? false, target: targetFor(used), required: reporter.required });
    record(state, change.state, used.istio.namespace);
    if (reporter.json) reporter.record({ resources: resourcesApplied(applied) });
    return change.state;
  };
  if (request.dryRun === 'client') {
    const before = await readState(stateDir);
    const used = settingsOf(before);
    const change = transform(before, used);
    reporter.warn(change.warnings ?? []);
    for (const notice of change.notices ?? []) reporter.notice(notice);
    const { changes } = resourceChanges(before, change.state, used);
    record(before, change.state, used.istio.namespace);
    if (reporter.json) reporter.record({ resources: resourcesOf(changes) });
    printDiff(reporter, format, changes, used);
    reporter.info('Dry run: nothing was written.');
    return;
  }
  if (request.dryRun === 'server') {
    await step(await readState(stateDir), 'server');
    reporter.info('Dry run: the local state was not changed.');
    return;
  }
  let delivered = false;
  try {
    const result = await updateState(stateDir, async (state) => {
      try {
        const next = await step(state, undefined);
        delivered = true;
        return next;
      } catch (error) {
        if (error instanceof ToolError && (error.code.startsWith('API_') || error.code === 'CRD_MISSING' || error.code === 'INTERRUPTED')) {
          reporter.required(
            `the local state (${stateDir}) was not changed: the cluster did not take the whole configuration, and may hold part of this change until the next delivery`,
            'run the same command again to deliver it; any state command that succeeds delivers the whole state (cfmesh render shows it)',
          );
        }
        throw error;
      }
    });
    if (reporter.json) reporter.record({ state: { path: statePaths(stateDir).state, written: result.changed } });
  } catch (error) {
    if (delivered && error instanceof ToolError && (error.code === 'FILE_WRITE' || error.code === 'STATE_LOCKED')) {
      throw new ToolError(error.code, `the cluster has the change, but the local state could not be written: ${error.message}`, {
        hint: 'run the same command again once the state can be written: it applies the same configuration again and records it',
        cause: error,
      });
    }
    throw error;
  }
}

function printChanges(reporter: Recorder, format: OutputFormat, changes: readonly ResourceChange[], context: readonly Resource[], stateChanged: boolean, used: TranslateSettings, renderFlags: string): void {
  const deleted = changes.filter((c) => c.after === undefined && c.before !== undefined);
  if (!reporter.json) {
    const changed = withReferences(
      changes.filter((c) => c.after !== undefined).map((c) => c.after as NonNullable<ResourceChange['after']>),
      context,
      used,
    );
    if (changed.length > 0) reporter.out(render(changed, format));
  }
  // A deletion is the one change stdout cannot carry, so it is said even under -q (ADR 0012).
  for (const c of deleted) {
    const r = c.before as NonNullable<ResourceChange['before']>;
    reporter.required(`Deleted ${c.id}: remove it with kubectl delete ${kubectlResource(r.apiVersion, r.kind)} ${r.metadata.name}${r.metadata.namespace ? ` -n ${r.metadata.namespace}` : ''}`);
  }
  // With --json stdout carries the report, which lists the deletions.
  if (deleted.length > 0 && !reporter.json) {
    reporter.info(`(stdout carries only created and changed resources; to apply deletions too, keep a directory in sync with --output-dir DIR, or apply the whole state: ${pruneCommand(targetFor(used).kinds, renderFlags)})`);
  }
  if (changes.length === 0 && stateChanged) reporter.info(`No ${targetFor(used).label} resource changed.`);
}

function printDiff(reporter: Recorder, format: OutputFormat, changes: readonly ResourceChange[], used: TranslateSettings): void {
  const text = (r: ResourceChange['before']) => (r === undefined ? '' : format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderYamlDocument(r));
  let out = '';
  for (const c of changes) {
    out += unifiedDiff(text(c.before), text(c.after), c.before ? `a/${c.id}` : '/dev/null', c.after ? `b/${c.id}` : '/dev/null');
  }
  if (out !== '') reporter.out(out);
  else reporter.info(`No ${targetFor(used).label} resource would change.`);
}

/**
 * `destinationrule.networking.istio.io`: the resource as kubectl names it, fully qualified so that it means
 * the target's kind whatever else the cluster serves under the same short name.
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
