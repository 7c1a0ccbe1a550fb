/** Retry policy shared by the Kubernetes client and the plain HTTP sink. */
export interface RetryPolicy {
  /** Retries after the first attempt (so attempts = retries + 1). */
  readonly retries: number;
  /** First backoff step; doubles each retry, with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Per-request timeout (headers and body). */
  readonly timeoutMs: number;
  /** A server asking us to wait longer than this is treated as a final failure, not waited for. */
  readonly maxRetryAfterMs: number;
  /**
   * The most one call may take, every attempt and wait included (default three request timeouts): a server
   * that accepts and never answers costs at most this, not attempts × (timeout + backoff).
   */
  readonly totalMs?: number | undefined;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  timeoutMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export function retryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...partial };
}

/** The deadline of one call: each attempt gets the request timeout or what is left, whichever is less. */
export class RetryBudget {
  readonly totalMs: number;
  readonly #deadline: number;
  readonly #now: () => number;

  constructor(policy: RetryPolicy, now: () => number = Date.now) {
    this.totalMs = policy.totalMs ?? policy.timeoutMs * 3;
    this.#now = now;
    this.#deadline = now() + this.totalMs;
  }

  /** Time left, never below 0. */
  remaining(): number {
    return Math.max(0, this.#deadline - this.#now());
  }

  /** The timeout of the next attempt (at least 1 ms, so an attempt always gets a real timer). */
  attemptTimeout(policy: RetryPolicy): number {
    return Math.max(1, Math.min(policy.timeoutMs, this.remaining()));
  }

  /** Whether waiting `ms` still leaves time for an attempt. */
  allowsWait(ms: number): boolean {
    return ms < this.remaining();
  }
}

/**
 * `promise`, or the signal's reason as soon as the signal aborts. undici does not abort a request that is
 * still connecting (a TLS handshake the server never answers waits for the connect timeout), so every
 * attempt races its own timeout and Ctrl-C here; the abandoned request is ended by the dispatcher's
 * connect timeout or by destroying the dispatcher.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** `2 s`, `250 ms`: how a retry announcement says a duration. */
export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of many clients spread out. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Sleeps, but wakes with the signal's reason when it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const RETRYABLE_NET = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNABORTED',
]);

/** A dropped connection or a timeout: worth another attempt (every request we send is idempotent). */
export function isRetryableNetworkError(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NET.has(code);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}
