import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from '../http/undici.ts';
import { buildDispatcher } from '../kube/client.ts';
import { isLoopbackHost } from '../kube/loopback.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import { AttemptTimeout, errorCode, networkError } from '../kube/errors.ts';
import { Redactor, excerpt } from '../kube/redact.ts';
import { backoffMs, formatMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, raceSignal, RetryBudget, retryPolicy, sleep, type RetryPolicy } from '../kube/retry.ts';

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
  /** Send the token over plain http:// to a host other than this machine (`--insecure-http`). */
  readonly insecureHttp?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** Told before every retry, why and when (the CLI prints it on stderr). */
  readonly onRetry?: ((line: string) => void) | undefined;
  /** Warnings for stderr (the token sent over plain http:// with --insecure-http). */
  readonly warn?: ((line: string) => void) | undefined;
  /** The HTTP request function (undici's `request`); tests pass a recorder. */
  readonly request?: typeof request | undefined;
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

/**
 * A bearer token over plain http:// can be read by anyone on the path, so it is refused unless the host
 * is this machine or the user said `--insecure-http` (then it is sent, with a warning). Refusing rather
 * than warning, because a warning scrolls past in CI while the token is already gone.
 */
export function checkTokenTransport(target: URL, hasToken: boolean, insecureHttp: boolean): 'ok' | 'insecure' {
  if (!hasToken || target.protocol !== 'http:' || isLoopbackHost(target.hostname)) return 'ok';
  if (insecureHttp) return 'insecure';
  throw new ToolError('USAGE', `refusing to send the bearer token to ${target.protocol}//${target.host} over plain http://: anyone on the network path could read it`, {
    hint: 'use an https:// URL, or pass --insecure-http if this network is trusted',
  });
}

/**
 * What a plain HTTP endpoint's answer means. It is not an API server, so it says the status and what the
 * endpoint said, and hints that fit an HTTP endpoint (its token, its logs), not a kubeconfig.
 */
export function endpointError(status: number, statusText: string, body: string, what: string, attempts: number, redactor: Redactor): ToolError {
  const said = redactor.redact(excerpt(body)).trim();
  const head = `${what}: the endpoint answered HTTP ${status}${statusText ? ` ${statusText}` : ''}${said ? `: ${said}` : ''}`;
  const gaveUp = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  if (status === 401 || status === 403) {
    return new ToolError('API_AUTH', `${head}${gaveUp}`, {
      hint: status === 401 ? 'the endpoint did not accept the bearer token: check --token-file or --token-env' : 'the token was accepted but may not post bundles here: check its permissions at the endpoint',
      httpStatus: status,
    });
  }
  if (status === 429 || status >= 500) {
    return new ToolError('API_UNREACHABLE', `${head}${gaveUp}`, {
      hint: status === 429 ? 'the endpoint is rate limiting; try again later' : 'the endpoint failed while handling the bundle; check its logs, or try again later (the Idempotency-Key makes a retry safe)',
      httpStatus: status,
    });
  }
  return new ToolError('API_REJECTED', `${head}${gaveUp}`, {
    hint: status === 404 || status === 405 ? 'is --url the endpoint that receives bundles?' : status === 413 ? 'the bundle is larger than the endpoint accepts' : status === 415 ? 'the endpoint does not take this format: try --output json or --output yaml' : undefined,
    httpStatus: status,
  });
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
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ToolError('USAGE', `--url must be an http:// or https:// URL (got "${opts.url}")`);
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
  if (checkTokenTransport(target, opts.tokenFile !== undefined || opts.tokenEnv !== undefined, opts.insecureHttp === true) === 'insecure') {
    opts.warn?.(`sending the bearer token to ${where} over plain http:// (--insecure-http): anyone on the network path can read it`);
  }
  const doRequest = opts.request ?? request;
  const budget = new RetryBudget(policy);
  const { dispatcher, destroySockets } = buildDispatcher({ ca: opts.ca, insecureSkipTlsVerify: false }, undefined, 2, policy.timeoutMs);
  const retryAfterWait = (attempt: number, reason: string, minWait = 0): number | undefined => {
    const wait = Math.max(minWait, backoffMs(policy, attempt));
    if (attempt >= policy.retries || !budget.allowsWait(wait)) return undefined;
    const line = `${what}: ${reason}; retrying in ${formatMs(wait)} (attempt ${attempt + 2} of ${policy.retries + 1})`;
    opts.log?.(line);
    opts.onRetry?.(line);
    return wait;
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const t = token();
      const headers: Record<string, string> = { 'content-type': opts.contentType, 'idempotency-key': key, accept: 'application/json, */*', 'user-agent': 'cfmesh' };
      if (t !== undefined) headers.authorization = `Bearer ${t}`;
      const attemptMs = budget.attemptTimeout(policy);
      const timeout = AbortSignal.timeout(attemptMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      let status: number;
      let statusText: string;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const res = await raceSignal(doRequest(target, { method: 'POST', headers, body: opts.body, dispatcher, signal, headersTimeout: attemptMs, bodyTimeout: attemptMs }), signal);
        status = res.statusCode;
        statusText = res.statusText ?? '';
        retryAfter = res.headers['retry-after'];
        text = await raceSignal(res.body.text(), signal);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        const timedOut = timeout.aborted || errorCode(err) === 'UND_ERR_CONNECT_TIMEOUT';
        const code = timedOut ? 'TIMEOUT' : errorCode(err);
        const wait = timedOut || isRetryableNetworkError(code) ? retryAfterWait(attempt, timedOut ? `no answer within ${formatMs(attemptMs)}` : (code ?? 'network error')) : undefined;
        if (wait !== undefined) {
          await sleep(wait, opts.signal);
          continue;
        }
        const gaveUp = attempt > 0 ? `; gave up after ${attempt + 1} attempts` : '';
        throw endpointNetworkError(timedOut ? new AttemptTimeout(`no answer within ${formatMs(attemptMs)}${gaveUp}`) : err, what, where, redactor);
      }
      opts.log?.(`${what} ${status}`);
      if (isRetryableStatus(status)) {
        const after = parseRetryAfter(retryAfter);
        const wait = after === undefined || after <= policy.maxRetryAfterMs ? retryAfterWait(attempt, `HTTP ${status}`, after ?? 0) : undefined;
        if (wait !== undefined) {
          await sleep(wait, opts.signal);
          continue;
        }
      }
      if (status >= 200 && status < 300) {
        return { url: `${where}${target.pathname}`, status, attempts: attempt + 1, idempotencyKey: key, bytes: Buffer.byteLength(opts.body), response: redactor.redact(excerpt(text)) };
      }
      throw endpointError(status, statusText, text, what, attempt + 1, redactor);
    }
  } finally {
    // destroy, not close: an attempt abandoned after its timeout may still be connecting.
    destroySockets();
    await dispatcher.destroy().catch(() => undefined);
  }
}

/** A network failure as for the Kubernetes client, but with hints about an endpoint, not a kubeconfig. */
function endpointNetworkError(err: unknown, what: string, where: string, redactor: Redactor): ToolError {
  const e = networkError(err, what, where, redactor);
  const hint =
    e.code === 'API_TLS'
      ? 'the endpoint\'s certificate is not trusted for this name: check the URL, or the CA that signed it'
      : errorCode(err) === 'ECONNREFUSED'
        ? 'is the endpoint running, and is --url right?'
        : errorCode(err) === 'ENOTFOUND' || errorCode(err) === 'EAI_AGAIN'
          ? 'check the host in --url and your DNS or VPN'
          : e.hint;
  return new ToolError(e.code, e.message, { hint, cause: err });
}
