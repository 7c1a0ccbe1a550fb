/**
 * A Prometheus client for one thing: an instant query that answers one number (HTTP API
 * `GET /api/v1/query`, https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries).
 * Anything else (unreachable, a non-2xx status, a body that is not `{"status":"success","data":
 * {"resultType":"vector"|"scalar",...}}`, more than one series) is METRICS_UNAVAILABLE: the caller
 * must never take a value it could not read for a good one. An empty vector, or NaN, is "no data".
 */
import { request } from '../http/undici.ts';
import { ToolError } from '../diagnostics/tool-error.ts';

export interface QueryOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** The evaluation time (ms since the epoch); the server's "now" when absent. Queries that are read
   *  together must share it, or each sees a different set of scrapes. */
  readonly atMs?: number | undefined;
}

/** The query's one value, or undefined when it has no data (no series, or NaN). */
export async function queryScalar(base: string, promql: string, options: QueryOptions = {}): Promise<number | undefined> {
  const url = new URL('api/v1/query', base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('query', promql);
  if (options.atMs !== undefined) url.searchParams.set('time', (options.atMs / 1000).toFixed(3));
  const timeoutMs = options.timeoutMs ?? 10_000;
  options.log?.(`GET ${url.origin}${url.pathname} query=${promql}`);
  let status: number;
  let text: string;
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
  try {
    const res = await request(url, { method: 'GET', headers: { accept: 'application/json' }, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason instanceof ToolError ? options.signal.reason : error;
    const why = timer.aborted ? `no answer within ${timeoutMs} ms` : ((error as { code?: string }).code ?? (error as Error).message);
    throw new ToolError('METRICS_UNAVAILABLE', `Prometheus at ${url.origin} cannot be reached: ${why}`, { hint: 'check --prometheus URL; nothing was promoted', cause: error });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer = body as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | undefined;
  if (status < 200 || status >= 300 || answer?.status !== 'success') {
    const detail = typeof answer?.error === 'string' ? answer.error : `HTTP ${status}${answer === undefined ? `, not JSON: ${JSON.stringify(text.slice(0, 80))}` : ''}`;
    throw new ToolError('METRICS_UNAVAILABLE', `Prometheus at ${url.origin} did not answer the query: ${detail}`, { hint: '--prometheus is the server\'s base URL (http://host:9090), not a page of its UI; nothing was promoted', httpStatus: status });
  }
  const data = answer.data;
  const nonsense = (what: string) => new ToolError('METRICS_UNAVAILABLE', `Prometheus at ${url.origin} answered the query with ${what}`, { hint: 'nothing was promoted; the query is printed with --verbose' });
  if (data?.resultType === 'scalar') return numberOf(data.result, nonsense);
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) throw nonsense(`a result that is not a vector (${JSON.stringify(data?.resultType)})`);
  if (data.result.length === 0) return undefined;
  if (data.result.length > 1) throw nonsense(`${data.result.length} series where one was asked for`);
  return numberOf((data.result[0] as { value?: unknown }).value, nonsense);
}

/** `[timestamp, "value"]`: the value, undefined for NaN; anything else is nonsense. */
function numberOf(sample: unknown, nonsense: (what: string) => ToolError): number | undefined {
  if (!Array.isArray(sample) || sample.length !== 2 || typeof sample[1] !== 'string') throw nonsense(`a sample that is not [time, "value"]: ${JSON.stringify(sample)}`);
  const text = sample[1];
  if (text === 'NaN') return undefined;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw nonsense(`a value that is not a number: ${JSON.stringify(text)}`);
  return n;
}
