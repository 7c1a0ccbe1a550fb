/**
 * The inter-process lock around every read-modify-write of the state, built on proper-lockfile:
 * an atomic `mkdir` of `state.json.lock`, whose mtime the holder refreshes every
 * `staleMs / 2`; a lock not refreshed for `staleMs` (its holder was killed) is taken over.
 * We add bounded retries with exponential backoff and jitter, and a STATE_LOCKED error.
 */
import lockfile from 'proper-lockfile';
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { StatePaths } from './location.ts';

/** How long to wait for another process's lock before STATE_LOCKED. */
export const DEFAULT_LOCK_TIMEOUT_MS = 15_000;
/** A lock not refreshed for this long is stale (its holder died). proper-lockfile's minimum is 2000. */
export const DEFAULT_STALE_MS = 5_000;

export interface LockOptions {
  readonly lockTimeoutMs?: number | undefined;
  readonly staleMs?: number | undefined;
}

export interface HeldLock {
  /** Throws STATE_LOCKED if the lock was lost (taken over as stale) since it was acquired. */
  assertHeld(): void;
  release(): Promise<void>;
}

export async function acquireStateLock(paths: StatePaths, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = Math.max(options.staleMs ?? DEFAULT_STALE_MS, 2000);
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    let compromised: Error | undefined;
    try {
      const release = await lockfile.lock(paths.state, {
        lockfilePath: paths.lock,
        realpath: false,
        stale: staleMs,
        retries: 0,
        onCompromised: (err: Error) => {
          compromised = err;
        },
      });
      return {
        assertHeld() {
          if (compromised) {
            throw new ToolError('STATE_LOCKED', `lost the lock on ${paths.state}: ${compromised.message}`, {
              hint: 'the process was stalled longer than the stale-lock threshold; nothing was written, run the command again',
              cause: compromised,
            });
          }
        },
        async release() {
          if (compromised) return;
          try {
            await release();
          } catch {
            // Already released or taken over: nothing of ours to remove.
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED') {
        throw new ToolError('FILE_WRITE', `cannot create the lock ${paths.lock}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const now = Date.now();
      if (now >= deadline) {
        throw new ToolError(
          'STATE_LOCKED',
          `another cfmesh process is changing the state in ${paths.dir} (waited ${timeoutMs} ms for ${paths.lock})`,
          {
            hint:
              `run the command again when it is done; a lock whose process died is taken over after ` +
              `${staleMs / 1000} s without refresh, and removing the directory ${paths.lock} is safe when no cfmesh is running`,
            cause: err,
          },
        );
      }
      const wait = Math.min(delay * (0.5 + Math.random()), deadline - now);
      await sleep(Math.max(1, wait));
      delay = Math.min(delay * 2, 200);
    }
  }
}
