// Timing primitives for the benchmark: spawn-to-exit wall time of a child process, its peak RSS,
// medians. Kept free of cfmesh code so the harness measures the built binary, not itself.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Run {
  /** Wall time from spawn to exit, milliseconds. */
  readonly ms: number;
  /** Peak resident set size in KiB (from /usr/bin/time), when measured. */
  readonly maxRssKiB?: number | undefined;
  /** User + system CPU time in ms (from /usr/bin/time, 10 ms resolution), when measured. */
  readonly cpuMs?: number | undefined;
  readonly status: number | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface SpawnSpec {
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Where stdout goes: a file path (default /dev/null). */
  readonly stdoutTo?: string;
  /** Wrap in /usr/bin/time to record peak RSS (adds one exec; use for long runs only). */
  readonly rss?: boolean;
  readonly timeoutMs?: number;
}

const TIME = '/usr/bin/time';
export const HAVE_GNU_TIME = existsSync(TIME);

/** Runs `node ...args` once and measures it. */
export function runNode(spec: SpawnSpec, scratch: string): Run {
  const out = openSync(spec.stdoutTo ?? '/dev/null', 'w');
  const rssFile = join(scratch, `rss-${process.pid}.txt`);
  const wrap = spec.rss === true && HAVE_GNU_TIME;
  const command = wrap ? TIME : process.execPath;
  const args = wrap ? ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...spec.args] : [...spec.args];
  try {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', out, 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      timeout: spec.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    let maxRssKiB: number | undefined;
    let cpuMs: number | undefined;
    if (wrap && existsSync(rssFile)) {
      // the last line (a killed child adds a line before it)
      const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '');
      if (m) {
        maxRssKiB = Number(m[1]);
        cpuMs = Math.round((Number(m[2]) + Number(m[3])) * 1000);
      }
      rmSync(rssFile, { force: true });
    }
    const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    return { ms, maxRssKiB, cpuMs, status: result.status, stderr: String(result.stderr ?? ''), timedOut };
  } finally {
    closeSync(out);
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
