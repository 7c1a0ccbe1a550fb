/**
 * Crash-safe file replacement, for the state file and for `-o DIR` alike: write a temporary file in
 * the same directory, fsync it, rename it over the target, fsync the directory. A reader (or a
 * process killed at any moment) sees the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { guardCommit } from './commit-check.ts';

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
