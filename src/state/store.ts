/**
 * Reading and changing the local state.
 *
 * Write protocol (updateState), all under the lock:
 *   1. mkdir -p DIR; take DIR/state.json.lock (proper-lockfile; retries with backoff).
 *   2. Remove temp files left by killed writers.
 *   3. Read state.json (missing: empty state). With a scope and a file whose digest matches
 *      (lines.ts), parse only the records in scope; otherwise parse and check the whole file.
 *      Unreadable/unparsable/newer version: STATE_CORRUPT, and nothing is written.
 *   4. after = fn(before); serialise deterministically (with a scope: splice the changed lines into
 *      the file); if the bytes are unchanged, stop.
 *   5. Backup: hard-link the current state.json to a temp name, rename it over state.json.bak.
 *   6. Write the new text to a temp file, fsync, rename over state.json, fsync DIR.
 *   7. Release the lock (also on any error).
 * Readers need no lock: state.json is only ever replaced by rename, so a read sees a whole file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { SourceFile } from '../diagnostics/source-file.ts';
import { failWith, ToolError } from '../diagnostics/tool-error.ts';
import { checkStateRules } from './check.ts';
import { fsyncDir, linkOrCopyAtomic, removeLeftoverTemps, writeFileAtomic } from '../sinks/atomic-write.ts';
import { FileView } from './file-view.ts';
import { assertRouteKey, checkDeployments, checkRandomRouteHosts, checkSettings, checkTcpPorts, emptyState, parseState, recordText, serializeState, StateFormatError } from './format.ts';
import { hasValidDigest, StateLines, type RecordSection, type SectionEdits } from './lines.ts';
import { acquireStateLock } from './lock.ts';
import type { LockOptions } from './lock.ts';
import { statePaths } from './location.ts';
import type { StatePaths } from './location.ts';
import type { AppRecord, RouteRecord, Settings, State } from './types.ts';
import { STATE_VERSION } from './types.ts';
import { appsOfRoute, changedRecords, type ChangeSeeds, type StateView } from './view.ts';

/**
 * Temp files are only written by the lock holder, so once we hold the lock every temp file that is
 * not ours is left over from a writer that died or lost the lock: age 0 removes them all. (Going by
 * the pid alone is not enough: pids wrap, and a dead writer's pid may belong to someone else by now.)
 */
const LEFTOVER_MAX_AGE_MS = 0;

/** The records a transform reads: the routes it looks at or changes, and apps besides theirs. */
export interface Scope {
  readonly routes: readonly string[];
  readonly apps: readonly string[];
}

export interface UpdateOptions extends LockOptions {
  /**
   * What `fn` reads. When the file allows it (lines.ts), only these records are parsed: `fn` gets a
   * state holding the scope's routes, their apps and the scope's apps (and the small sections whole),
   * and must not look at any other route or app.
   */
  readonly scope?: Scope | undefined;
  /**
   * Runs on the new state before it is written, under the lock: a throw writes nothing (what the
   * state becomes must still translate, say). Gets what the result will hold.
   */
  readonly check?: ((result: Omit<UpdateResult, 'changed'>) => void | Promise<void>) | undefined;
}

export interface UpdateResult {
  /** With a scoped update (`partial` set), these hold only the scope. */
  readonly before: State;
  readonly after: State;
  /** Whether the file was written (the serialised state differs from what was on disk). */
  readonly changed: boolean;
  /** After a scoped update: the whole state before and after, as views, and what changed. */
  readonly partial?: { readonly before: StateView; readonly after: StateView; readonly seeds: ChangeSeeds } | undefined;
}

interface Loaded {
  readonly state: State;
  /** The file's bytes; undefined when there is no state file yet. */
  readonly bytes: Buffer | undefined;
}

/** The current state; the empty state when there is no state file yet. No lock needed. */
export async function readState(dir: string): Promise<State> {
  return (await load(statePaths(dir))).state;
}

/**
 * Read-modify-write under the inter-process lock. `fn` must not mutate its argument; returning
 * the same object (or an equal one) writes nothing. The lock is released on every path.
 */
export async function updateState(
  dir: string,
  fn: (state: State) => State | Promise<State>,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const paths = statePaths(dir);
  try {
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ToolError('FILE_WRITE', `cannot create the state directory ${paths.dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const lock = await acquireStateLock(paths, options);
  try {
    await removeLeftoverTemps(paths.dir, [paths.tempPrefix], LEFTOVER_MAX_AGE_MS);
    const bytes = await readBytes(paths);
    const lines = options.scope && bytes ? StateLines.open(bytes) : undefined;
    if (options.scope && lines?.version === STATE_VERSION) return await updateScoped(paths, lock, lines, options.scope, fn, options.check);
    const current = await parseBytes(paths, bytes);
    const before = current.state;
    const after = await fn(before);
    await options.check?.({ before, after });
    if (after === before) return { before, after, changed: false };
    const text = serializeState(after);
    const beforeText = current.bytes?.toString('utf8') ?? serializeState(emptyState());
    if (text === beforeText) return { before, after, changed: false };
    await replaceState(paths, lock, current.bytes, text);
    return { before, after, changed: true };
  } finally {
    await lock.release();
  }
}

type Lock = Awaited<ReturnType<typeof acquireStateLock>>;

async function replaceState(paths: StatePaths, lock: Lock, current: Buffer | undefined, next: string | Buffer): Promise<void> {
  try {
    if (current !== undefined) {
      lock.assertHeld();
      await linkOrCopyAtomic(paths.state, paths.backup, current, paths.tempPrefix);
    }
    lock.assertHeld();
    await writeFileAtomic(paths.state, next, paths.tempPrefix);
    await fsyncDir(paths.dir);
  } catch (err) {
    if (err instanceof ToolError) throw err;
    throw new ToolError('FILE_WRITE', `cannot write the state file ${paths.state}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The scoped update: parse the scope's records from the file's lines, run `fn` on a state of just
 * those, and splice the records it changed back into the file. The bytes are those a whole
 * read-modify-write would give (test/state/lines.test.ts).
 */
async function updateScoped(
  paths: StatePaths,
  lock: Lock,
  lines: StateLines,
  scope: Scope,
  fn: (state: State) => State | Promise<State>,
  check: UpdateOptions['check'],
): Promise<UpdateResult> {
  let before: State;
  let view: FileView;
  try {
    const settings = checkSettings(JSON.parse(lines.memberText('settings') ?? 'null'));
    view = new FileView(lines, settings);
    before = scopedState(lines, view, settings, scope);
  } catch (err) {
    if (!(err instanceof StateFormatError)) throw err;
    throw await corruptError(paths, err);
  }
  const after = await fn(before);
  const routes = changedRecords(before.routes, after.routes);
  const apps = changedRecords(before.apps, after.apps);
  const partial = { before: view, after: view.with(after.settings, { routes, apps }), seeds: { routes: [...routes.keys()], apps: [...apps.keys()] } };
  await check?.({ before, after, partial });
  if (after === before) return { before, after, changed: false, partial };
  for (const [key, route] of routes) if (route) assertRouteKey(key, route);
  const members = new Map<string, string>();
  if (after.settings !== before.settings) members.set('settings', recordText(after.settings, 'state.settings'));
  if (after.deployments !== before.deployments) throw new ToolError('INTERNAL', 'a scoped state update changed the deployments');
  const edits = new Map<RecordSection, SectionEdits>([
    ['apps', texts(apps, 'state.apps')],
    ['randomRouteHosts', texts(changedRecords(before.randomRouteHosts, after.randomRouteHosts), 'state.randomRouteHosts')],
    ['routes', texts(routes, 'state.routes')],
    ['tcpPorts', texts(changedRecords(before.tcpPorts, after.tcpPorts), 'state.tcpPorts')],
  ]);
  const next = lines.splice(edits, members);
  if (next.equals(lines.buf)) return { before, after, changed: false, partial };
  await replaceState(paths, lock, lines.buf, next);
  return { before, after, changed: true, partial };
}

function scopedState(lines: StateLines, view: FileView, settings: Settings, scope: Scope): State {
  const deployments = lines.memberText('deployments');
  const routes: Record<string, RouteRecord> = {};
  for (const key of scope.routes) {
    const route = view.route(key);
    if (route) routes[key] = route;
  }
  const names = new Set(scope.apps);
  for (const route of Object.values(routes)) for (const app of appsOfRoute(route)) names.add(app);
  const apps: Record<string, AppRecord> = {};
  for (const name of names) {
    const app = view.app(name);
    if (app) apps[name] = app;
  }
  return {
    version: STATE_VERSION,
    apps,
    routes,
    randomRouteHosts: checkRandomRouteHosts(JSON.parse(lines.sectionText('randomRouteHosts'))),
    tcpPorts: checkTcpPorts(JSON.parse(lines.sectionText('tcpPorts'))),
    settings,
    // Small and read whole: a command on one route must know whether a deployment holds it.
    ...(deployments !== undefined ? { deployments: checkDeployments(JSON.parse(deployments)) } : {}),
  };
}

/** The changed entries of a section as the file's JSON text (undefined: removed). */
function texts(changes: ReadonlyMap<string, unknown>, where: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [key, value] of changes) out.set(key, value === undefined ? undefined : recordText(value, where));
  return out;
}

async function readBytes(paths: StatePaths): Promise<Buffer | undefined> {
  try {
    return await readFile(paths.state);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ToolError('FILE_READ', `cannot read the state file ${paths.state}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function load(paths: StatePaths): Promise<Loaded> {
  return parseBytes(paths, await readBytes(paths));
}

async function parseBytes(paths: StatePaths, bytes: Buffer | undefined): Promise<Loaded> {
  if (bytes === undefined) return { state: emptyState(), bytes };
  const raw = bytes.toString('utf8');
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let state: State;
  try {
    state = parseState(text);
  } catch (err) {
    if (!(err instanceof StateFormatError)) throw err;
    throw await corruptError(paths, err);
  }
  // A file cfmesh did not write as it is (edited by hand) gets the manifest's rules, at its positions.
  if (!hasValidDigest(bytes)) {
    const problems = checkStateRules(state, new SourceFile(paths.state, text));
    if (problems.length > 0) {
      failWith(problems);
    }
  }
  return { state, bytes };
}

async function corruptError(paths: StatePaths, err: StateFormatError): Promise<ToolError> {
  if (err.newerVersion !== undefined) {
    return new ToolError('STATE_CORRUPT', `the state file ${paths.state} cannot be used: ${err.message}`, {
      hint: `upgrade cfmesh, or use another state directory (--state DIR or CFMESH_HOME); the file was left as it is`,
      cause: err,
    });
  }
  let backup: 'ok' | 'missing' | 'bad';
  try {
    parseState(await readFile(paths.backup, 'utf8'));
    backup = 'ok';
  } catch (e) {
    backup = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'bad';
  }
  const hint =
    backup === 'ok'
      ? `restore the previous state from the backup: cp ${shellQuote(paths.backup)} ${shellQuote(paths.state)}`
      : backup === 'missing'
        ? `there is no backup (${paths.backup}); move the file aside to start from an empty state: mv ${shellQuote(paths.state)} ${shellQuote(`${paths.state}.corrupt`)}`
        : `the backup ${paths.backup} is damaged too; move the file aside to start from an empty state: mv ${shellQuote(paths.state)} ${shellQuote(`${paths.state}.corrupt`)}`;
  return new ToolError('STATE_CORRUPT', `the state file ${paths.state} is corrupt: ${err.message}; it was left as it is`, {
    hint,
    cause: err,
  });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
