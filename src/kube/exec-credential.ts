import { spawn } from 'node:child_process';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { ExecConfig } from './kubeconfig.ts';
import { excerpt, type Redactor } from './redact.ts';

/** What an exec credential plugin handed back (client.authentication.k8s.io ExecCredential.status). */
export interface ExecCredential {
  readonly token?: string | undefined;
  readonly clientCertificateData?: string | undefined;
  readonly clientKeyData?: string | undefined;
  /** ms since the epoch; undefined = valid until the server refuses it. */
  readonly expiresAt?: number | undefined;
}

export interface RunExecOptions {
  readonly redactor: Redactor;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
}

function failure(exec: ExecConfig, message: string, cause?: unknown): ToolError {
  return new ToolError('API_AUTH', `exec credential plugin "${exec.command}" ${message}`, {
    hint: exec.installHint ?? 'check the exec section of this kubeconfig user',
    cause,
  });
}

/**
 * Runs the plugin like client-go: the caller's environment plus `env`, `KUBERNETES_EXEC_INFO` always set
 * (with `spec.cluster` only when provideClusterInfo), stdin closed (we are never interactive), stdout parsed as
 * an ExecCredential. stdout is never quoted in an error: it is where the credential is.
 */
export async function runExecPlugin(exec: ExecConfig, opts: RunExecOptions): Promise<ExecCredential> {
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo ? { cluster: stripUndefined(exec.cluster) } : {}),
    },
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(exec.baseEnv)) if (v !== undefined) env[k] = v;
  for (const e of exec.env) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(info);

  const { code, stdout, stderr, spawnError } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    spawnError?: NodeJS.ErrnoException;
  }>((resolvePromise, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    const child = spawn(exec.command, [...exec.args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    // Our own timer: spawn's `timeout` option leaves its timer armed when the command does not exist
    // (no 'exit' event), which would keep the process alive for a minute.
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 60_000);
    timer.unref();
    child.on('close', () => clearTimeout(timer));
    child.on('error', () => clearTimeout(timer));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError' && opts.signal?.aborted) reject(opts.signal.reason);
      else resolvePromise({ code: null, stdout: '', stderr: '', spawnError: e });
    });
    child.on('close', (c) => resolvePromise({ code: c, stdout: out, stderr: err }));
  });

  if (spawnError) {
    const why = spawnError.code === 'ENOENT' ? 'was not found' : `could not be started (${spawnError.code ?? spawnError.message})`;
    throw failure(exec, why, spawnError);
  }
  // The plugin's stdout may hold a credential even on failure: register whatever looks like one.
  for (const m of stdout.matchAll(/"(?:token|clientKeyData|clientCertificateData)"\s*:\s*"([^"]+)"/g)) opts.redactor.add(m[1]);
  const errText = stderr.trim() === '' ? '' : `: ${opts.redactor.redact(excerpt(stderr.trim().split('\n').slice(-3).join(' '), 300))}`;
  if (code !== 0) throw failure(exec, `failed with exit code ${code ?? 'signal'}${errText}`);

  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw failure(exec, 'did not print an ExecCredential as JSON');
  }
  const d = doc as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (d.kind !== 'ExecCredential') throw failure(exec, 'printed an object that is not an ExecCredential');
  if (d.apiVersion !== exec.apiVersion) {
    throw failure(exec, `answered with apiVersion ${String(d.apiVersion)}, but the kubeconfig asked for ${exec.apiVersion}`);
  }
  const s = d.status ?? {};
  const token = typeof s.token === 'string' && s.token !== '' ? s.token : undefined;
  const cert = typeof s.clientCertificateData === 'string' ? s.clientCertificateData : undefined;
  const key = typeof s.clientKeyData === 'string' ? s.clientKeyData : undefined;
  opts.redactor.add(token);
  opts.redactor.add(key);
  if ((cert === undefined) !== (key === undefined)) {
    throw failure(exec, 'returned a client certificate without a key, or a key without a certificate');
  }
  if (token === undefined && cert === undefined) throw failure(exec, 'returned neither a token nor a client certificate');
  let expiresAt: number | undefined;
  if (typeof s.expirationTimestamp === 'string') {
    const t = Date.parse(s.expirationTimestamp);
    if (Number.isNaN(t)) throw failure(exec, `returned an unreadable expirationTimestamp`);
    expiresAt = t;
  }
  return { token, clientCertificateData: cert, clientKeyData: key, expiresAt };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Caches one plugin's credential until its expirationTimestamp; `invalidate` after a 401, as client-go does. */
export class ExecCredentialCache {
  readonly #exec: ExecConfig;
  #current: ExecCredential | undefined;
  #pending: Promise<ExecCredential> | undefined;

  constructor(exec: ExecConfig) {
    this.#exec = exec;
  }

  async get(opts: RunExecOptions, now: () => number = Date.now): Promise<ExecCredential> {
    const c = this.#current;
    // A small margin so a credential does not expire between the check and the server reading it.
    if (c && (c.expiresAt === undefined || c.expiresAt - 10_000 > now())) return c;
    this.#pending ??= runExecPlugin(this.#exec, opts).finally(() => {
      this.#pending = undefined;
    });
    this.#current = await this.#pending;
    return this.#current;
  }

  invalidate(): void {
    this.#current = undefined;
  }
}
