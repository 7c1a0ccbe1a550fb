/**
 * Reading and changing the local state.
 *
 * Write protocol (updateState), all under the lock:
 *   1. mkdir -p DIR; take DIR/state.json.lock (proper-lockfile; retries with backoff).
 *   2. Remove temp files left by killed writers.
 *   3. Read and parse state.json (missing: empty state; unreadable/unparsable/newer version:
 *      STATE_CORRUPT, and nothing is written).
 *   4. after = fn(before); serialise deterministically; if the bytes are unchanged, stop.
 *   5. Backup: hard-link the current state.json to a temp name, rename it over state.json.bak.
 *   6. Write the new text to a temp file, fsync, rename over state.json, fsync DIR.
 *   7. Release the lock (also on any error).
 * Readers need no lock: state.json is only ever replaced by rename, so a read sees a whole file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { ToolError } from '../diagnostics/tool-error.ts';
import { fsyncDir, linkOrCopyAtomic, removeLeftoverTemps, writeFileAtomic } from '../sinks/atomic-write.ts';
import { emptyState, parseState, serializeState, StateFormatError } from './format.ts';
import { acquireStateLock } from './lock.ts';
import type { LockOptions } from './lock.ts';
import { statePaths } from './location.ts';
import type { StatePaths } from './location.ts';
import type { State } from './types.ts';

/**
 * Temp files are only written by the lock holder, so once we hold the lock every temp file that is
 * not ours is left over from a writer that died or lost the lock: age 0 removes them all. (Going by
 * the pid alone is not enough: pids wrap, and a dead writer's pid may belong to someone else by now.)
 */
const LEFTOVER_MAX_AGE_MS = 0;

export interface UpdateOptions extends LockOptions {}

export interface UpdateResult {
  readonly before: State;
  readonly after: State;
  /** Whether the file was written (the serialised state differs from what was on disk). */
  readonly changed: boolean;
}

interface Loaded {
  readonly state: State;
  /** The file's text; undefined when there is no state file yet. */
  readonly text: string | undefined;
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
    const current = await load(paths);
    const before = current.state;
    const after = await fn(before);
    if (after === before) return { before, after, changed: false };
    const text = serializeState(after);
    const beforeText = current.text ?? serializeState(emptyState());
    if (text === beforeText) return { before, after, changed: false };
    try {
      if (current.text !== undefined) {
        lock.assertHeld();
        await linkOrCopyAtomic(paths.state, paths.backup, current.text, paths.tempPrefix);
      }
      lock.assertHeld();
      await writeFileAtomic(paths.state, text, paths.tempPrefix);
      await fsyncDir(paths.dir);
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw new ToolError('FILE_WRITE', `cannot write the state file ${paths.state}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { before, after, changed: true };
  } finally {
    await lock.release();
  }
}

async function load(paths: StatePaths): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(paths.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState(), text: undefined };
    throw new ToolError('FILE_READ', `cannot read the state file ${paths.state}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return { state: parseState(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text), text };
  } catch (err) {
    if (!(err instanceof StateFormatError)) throw err;
    throw await corruptError(paths, err);
  }
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
