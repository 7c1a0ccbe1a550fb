/**
 * Crash-safe file replacement, for the state file and for `-o DIR` alike: write a temporary file in
 * the same directory, fsync it, rename it over the target, fsync the directory. A reader (or a
 * process killed at any moment) sees the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { link, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { guardCommit, stoppedBefore } from './commit-check.ts';

export { isCommitStopped } from './commit-check.ts';

/** Temp names: `${prefix}${pid}-${random}`; the pid lets cleanup tell a dead writer's leftovers. */
export function tempName(dir: string, prefix: string): string {
  return path.join(dir, `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** `mode`: 0600 for the state (private to its user), 0644 for configuration written with `-o DIR`. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, tempPrefix: string, mode = 0o600): Promise<void> {
  const tmp = tempName(path.dirname(target), tempPrefix);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    guardCommit(target);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export interface BatchOptions {
  /** Ctrl-C: checked before each rename (with the commit check); temporary files are then removed. */
  readonly signal?: AbortSignal | undefined;
  /** Called after each file is renamed into place. */
  readonly onCommitted?: ((name: string) => void) | undefined;
}

/**
 * Many files of one directory replaced, each as writeFileAtomic replaces one (a reader, or a crash at
 * any moment, sees every file old or new), with the fsyncs batched instead of one per file (an fsync
 * waits for the disk: ~4 ms each here, 40 s for 10,000 files): the temporary files of a batch are
 * written, made durable together (durable), renamed into place (the commit check before each
 * rename), and the directory is synced once. Batches grow (32, 128, ... 4,096 files), so a run
 * stopped early has written some files and a long run pays few syncs.
 *
 * The batches overlap: while one batch is made durable (a `sync` process, or fdatasyncs on libuv's
 * threads), the next one's temporary files are written; a batch is renamed only once its own sync
 * is done, so a file's data is on disk before its name moves, as without the overlap. The event
 * loop turns between two renames (Ctrl-C, an abort of `signal`, is seen there); the writes of temporary files
 * are synchronous, with a turn of the event loop every WRITE_TURN of them.
 */
export async function writeFilesAtomic(dir: string, files: readonly (readonly [name: string, data: string])[], tempPrefix: string, mode: number, options: BatchOptions = {}): Promise<void> {
  const base = randomBytes(6).readUIntBE(0, 6);
  let count = 0;
  // Every batch's temporary names, '' once renamed: what an error or Ctrl-C removes.
  const written: string[][] = [];
  const commit = async (batch: readonly (readonly [string, string])[], temps: string[], synced: Promise<void>) => {
    await synced;
    for (let i = 0; i < batch.length; i++) {
      const [name] = batch[i] as readonly [string, string];
      const target = path.join(dir, name);
      if (options.signal?.aborted) throw stoppedBefore(target);
      guardCommit(target);
      renameSync(temps[i] as string, target);
      temps[i] = '';
      options.onCommitted?.(name);
      // One turn of the event loop between two renames: its poll phase runs the SIGINT handler, so
      // no file lands after Ctrl-C was seen but the one in flight (test/workflows/ctrl-c.test.ts
      // counts them). A turn is ~5 µs; an awaited fs.promises.rename, a round trip through libuv's
      // threads, was ~75 µs (2.6 s idle of a 34,000-file run).
      await new Promise((resolve) => setImmediate(resolve));
    }
    await fsyncDir(dir);
  };
  let pending: { batch: readonly (readonly [string, string])[]; temps: string[]; synced: Promise<void> } | undefined;
  try {
    for (let from = 0, size = 32; from < files.length; from += size, size = Math.min(size * 4, 4096)) {
      const batch = files.slice(from, from + size);
      const temps: string[] = [];
      written.push(temps);
      for (const [name, data] of batch) {
        if (count % WRITE_TURN === WRITE_TURN - 1) {
          await new Promise((resolve) => setImmediate(resolve));
          if (options.signal?.aborted) throw stoppedBefore(path.join(dir, name));
        }
        // a random start, then counted up: distinct names without 6 random bytes per file
        const tmp = path.join(dir, `${tempPrefix}${process.pid}-${((base + ++count) % 2 ** 48).toString(16).padStart(12, '0')}`);
        const fd = openSync(tmp, 'wx', mode);
        temps.push(tmp);
        try {
          writeFileSync(fd, data, 'utf8');
        } finally {
          closeSync(fd);
        }
      }
      const synced = durable(dir, temps.length, () => temps, options.signal);
      // Handled now (it is awaited later, after the previous batch's renames): a failure is not an
      // unhandled rejection in the meantime.
      synced.catch(() => undefined);
      if (pending) await commit(pending.batch, pending.temps, pending.synced);
      pending = { batch, temps, synced };
    }
    if (pending) await commit(pending.batch, pending.temps, pending.synced);
  } catch (err) {
    // A sync still running on files about to be removed only fails quietly (handled above).
    for (const temps of written) for (const tmp of temps) if (tmp !== '') rmSync(tmp, { force: true });
    throw err;
  }
}

/** Temporary files written between two turns of the event loop (each ~30-200 µs here). */
const WRITE_TURN = 128;

/** Fewer files than this are fsynced one by one (in parallel); more are flushed with one syncfs. */
const SYNCFS_MIN = 256;

/**
 * Makes the data of these files durable. Linux: one syncfs(2) of the file system holding `dir`
 * (`sync -f DIR`, GNU coreutils and BusyBox; Node has no binding for it), which flushes the whole
 * file system's dirty data at once (0.3 s where 8,600 fsyncs in a row took 30 s and 4 in parallel
 * 3.3 s); anywhere else, or when that fails, an fdatasync per file, several at a time.
 */
export async function durable(dir: string, count: number, paths: () => readonly string[], signal: AbortSignal | undefined): Promise<void> {
  // (`count` files, listed by `paths` only when they are synced one by one: a syncfs needs no list)
  if (count >= SYNCFS_MIN && process.platform === 'linux' && (await syncfs(dir))) return;
  if (signal?.aborted) return; // nothing will be renamed: the caller stops at its commit check
  const files = paths();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const fh = await open(files[next++] as string, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
}

/**
 * A flush of what is written so far, started while more files are still being written (Linux: a
 * `sync -f` in the background). The writeback of the files already there then overlaps the writing
 * of the rest, and the `durable` that must still follow (it alone is the guarantee) has little left
 * to flush. Measured with 34,401 files of 0.5 KB: written then synced, 2.07–2.55 s (the sync
 * 0.38–0.52 s); a flush started at 70% of the files, 1.54–1.95 s in all, the last sync 50–90 ms.
 * `wait` resolves when it is done (whatever its outcome: it guarantees nothing); `stop` gives it up.
 * Only for `count` files at or above SYNCFS_MIN, where `durable` makes one syncfs too.
 */
export function earlyFlush(dir: string, count: number): { wait(): Promise<void>; stop(): void } | undefined {
  // (fewer files are synced one by one at the end: a flush of the whole file system costs more)
  if (process.platform !== 'linux' || count < SYNCFS_MIN) return undefined;
  const run = startSyncfs(dir);
  return { wait: () => run.done.then(() => undefined), stop: run.stop };
}

function syncfs(dir: string): Promise<boolean> {
  return startSyncfs(dir).done;
}

/** `sync -f DIR` in a child process: `done` says whether it succeeded; `stop` kills it and lets the process exit without it. */
function startSyncfs(dir: string): { readonly done: Promise<boolean>; stop(): void } {
  try {
    const child = process.getBuiltinModule('node:child_process').spawn('sync', ['-f', dir], { stdio: 'ignore' });
    const done = new Promise<boolean>((resolve) => {
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
    });
    return {
      done,
      stop: () => {
        child.unref();
        child.kill();
      },
    };
  } catch {
    return { done: Promise.resolve(false), stop: () => undefined };
  }
}

/**
 * Makes `target` a copy of `source` atomically. The source is only ever replaced by rename,
 * never written in place, so a hard link is an exact and already-durable copy; file systems
 * without hard links get a written copy of `fallbackData` instead.
 */
export async function linkOrCopyAtomic(
  source: string,
  target: string,
  fallbackData: string | Uint8Array,
  tempPrefix: string,
): Promise<void> {
  const tmp = tempName(path.dirname(target), tempPrefix);
  try {
    await link(source, tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS' || code === 'EMLINK' || code === 'EOPNOTSUPP') {
      await writeFileAtomic(target, fallbackData, tempPrefix);
      return;
    }
    throw err;
  }
  try {
    guardCommit(target);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  // POSIX rename() does nothing when both names are already links to the same file (the backup was
  // linked to this very state by a writer killed before it wrote its new state): the temp link is
  // then still there. Removing it is a no-op in every other case.
  await rm(tmp, { force: true });
}

/** Makes renames in `dir` durable. Platforms that cannot fsync a directory are skipped. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES') return;
    throw err;
  }
  try {
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'ENOTSUP') throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Removes temp files left by writers that were killed mid-write. Call it only while holding the
 * lock: a temp file is removed when its writer is gone, or when it is older than `maxAgeMs`
 * (a writer that has lost its lock for that long must not commit anyway).
 */
export async function removeLeftoverTemps(dir: string, prefixes: readonly string[], maxAgeMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  const now = Date.now();
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (pid === process.pid) continue;
    const file = path.join(dir, name);
    let stale = maxAgeMs <= 0 || !Number.isInteger(pid) || pid <= 0 || !processAlive(pid);
    if (!stale) {
      try {
        stale = now - (await stat(file)).mtimeMs > maxAgeMs;
      } catch {
        continue;
      }
    }
    if (stale) {
      await rm(file, { force: true }).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
