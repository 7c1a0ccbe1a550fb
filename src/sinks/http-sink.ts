import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { ToolError } from '../diagnostics/tool-error.ts';
import { errorCode, networkError, statusError } from '../kube/errors.ts';
import { Redactor, excerpt } from '../kube/redact.ts';
import { backoffMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, retryPolicy, sleep, type RetryPolicy } from '../kube/retry.ts';

/**
 * Delivers the rendered bundle to a plain HTTP control plane: one POST, retried like the Kubernetes client,
 * with a deterministic Idempotency-Key (sha256 of the body) so a retry after a lost answer cannot apply twice.
 * The bearer token comes from a file or an environment variable, never from a command-line value.
 */
export interface PostBundleOptions {
  readonly url: string;
  readonly body: string;
  readonly contentType: 'application/json' | 'application/yaml';
  /** Read the bearer token from this file (re-read on every attempt). */
  readonly tokenFile?: string | undefined;
  /** Read the bearer token from this environment variable (the name, not the value). */
  readonly tokenEnv?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default: `sha256:<hex of sha256(body)>`. */
  readonly idempotencyKey?: string | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** PEM CA bundle for https endpoints with a private CA. */
  readonly ca?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface PostBundleReport {
  readonly url: string;
  readonly status: number;
  readonly attempts: number;
  readonly idempotencyKey: string;
  readonly bytes: number;
  /** The first 300 characters of the answer (redacted). */
  readonly response: string;
}

export function bundleIdempotencyKey(body: string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export async function postBundle(opts: PostBundleOptions): Promise<PostBundleReport> {
  const policy = retryPolicy(opts.retry);
  const redactor = new Redactor();
  const key = opts.idempotencyKey ?? bundleIdempotencyKey(opts.body);
  const env = opts.env ?? process.env;
  let target: URL;
  try {
    target = new URL(opts.url);
  } catch {
    throw new ToolError('USAGE', `"${opts.url}" is not a URL`);
  }
  const where = `${target.protocol}//${target.host}`;
  const what = `POST ${where}${target.pathname}`;
  const token = (): string | undefined => {
    let t: string | undefined;
    if (opts.tokenFile !== undefined) {
      try {
        t = readFileSync(opts.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new ToolError('FILE_READ', `cannot read the token file ${opts.tokenFile} (${errorCode(err) ?? 'error'})`, { cause: err });
      }
    } else if (opts.tokenEnv !== undefined) {
      t = env[opts.tokenEnv];
      if (t === undefined || t === '') throw new ToolError('USAGE', `the environment variable ${opts.tokenEnv} is not set`, { hint: 'export it with the bearer token for the control plane' });
    }
    redactor.add(t);
    return t;
  };
  const dispatcher: Dispatcher = new Agent({ connect: { ca: opts.ca }, connections: 2 });
  try {
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const t = token();
      const headers: Record<string, string> = { 'content-type': opts.contentType, 'idempotency-key': key, accept: 'application/json, */*', 'user-agent': 'cfmesh' };
      if (t !== undefined) headers.authorization = `Bearer ${t}`;
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      let status: number;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const res = await request(target, { method: 'POST', headers, body: opts.body, dispatcher, signal, headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs });
        status = res.statusCode;
        retryAfter = res.headers['retry-after'];
        text = await res.body.text();
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        const code = timeout.aborted ? 'TIMEOUT' : errorCode(err);
        if ((timeout.aborted || isRetryableNetworkError(code)) && attempt < policy.retries) {
          const wait = backoffMs(policy, attempt);
          opts.log?.(`${what}: ${code ?? 'network error'}; retrying in ${wait} ms`);
          await sleep(wait, opts.signal);
          continue;
        }
        throw networkError(timeout.aborted ? Object.assign(new Error(`no answer within ${policy.timeoutMs} ms`), { code: 'TIMEOUT' }) : err, what, where, redactor);
      }
      opts.log?.(`${what} ${status}`);
      if (isRetryableStatus(status) && attempt < policy.retries) {
        const after = parseRetryAfter(retryAfter);
        if (after === undefined || after <= policy.maxRetryAfterMs) {
          const wait = Math.max(after ?? 0, backoffMs(policy, attempt));
          opts.log?.(`${what}: HTTP ${status}; retrying in ${wait} ms`);
          await sleep(wait, opts.signal);
          continue;
        }
      }
      if (status >= 200 && status < 300) {
        return { url: `${where}${target.pathname}`, status, attempts: attempt + 1, idempotencyKey: key, bytes: Buffer.byteLength(opts.body), response: redactor.redact(excerpt(text)) };
      }
      throw statusError({ status, contentType: '', body: text, what, attempts: attempt + 1 }, redactor);
    }
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}
