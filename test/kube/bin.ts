// The real binary (bin/cfmesh.js, built by `npm test`), spawned without blocking this process: the API
// double runs in the test's own event loop, so a synchronous spawn would deadlock against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cfmesh.js');
export const KUBECTL = '/usr/bin/kubectl';

export interface BinRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

export interface BinOptions {
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly stdin?: string | undefined;
}

/** Starts a process; `done` settles when it has exited and its streams are read. */
export function start(command: string, args: readonly string[], options: BinOptions = {}): { child: ChildProcess; done: Promise<BinRun> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', CI: '1', ...options.env })) if (v !== undefined) env[k] = v;
  const child = spawn(command, [...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin?.end(options.stdin ?? '');
  const done = new Promise<BinRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

/** `cfmesh ARGS` through bin/cfmesh.js. */
export function cfmesh(args: readonly string[], options: BinOptions = {}): Promise<BinRun> {
  return start(process.execPath, [BIN, ...args], options).done;
}

/** `kubectl ARGS`, or undefined when kubectl is not installed (the caller skips with a message). */
export function kubectl(args: readonly string[], options: BinOptions = {}): Promise<BinRun> {
  return start(KUBECTL, args, options).done;
}

export const hasKubectl = existsSync(KUBECTL);
