/**
 * `continue-deployment APP --auto`: the remaining steps of a canary deployment, each promoted on the
 * canary's metrics in Prometheus, from Istio's standard metrics (reporter="destination"):
 *
 *   requests  sum(increase(istio_requests_total{SEL}[W]))
 *   errors    sum(increase(istio_requests_total{SEL,response_code=~"5.."}[W]))
 *   p99       histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{SEL}[W])))
 *
 * SEL is `reporter="destination",destination_workload_namespace=NS,destination_app=SERVICE` and, when the
 * canary has one, `destination_version=VERSION`: the labels Istio's metrics take from the pod's `app` and
 * `version` labels, the ones the canary's DestinationRule subset selects (istio/istio 1.30.3,
 * 56df41f63e513f834c9a3af33d8aed82d1d961f2: tests/integration/telemetry/api/stats_test.go `buildQuery`
 * lists them on istio_requests_total; istioctl/pkg/metrics/metrics.go queries the same metric and the
 * `_bucket` histogram with reporter="destination" and histogram_quantile ... by (le)). W is the time since
 * the step began, in whole seconds.
 *
 * A step advances when, over at least --min-requests requests, the success rate (non-5xx share) is at
 * least --min-success-rate and the p99 latency at most --max-latency. With too few requests it waits one
 * more interval, up to MAX_CHECKS checks in all, and then fails leaving the deployment paused. A breach
 * cancels the deployment. Prometheus unreachable or answering nonsense pauses it where it is: nothing is
 * ever promoted on a value that could not be read. Ctrl-C stops the wait; the deployment stays at its step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { AppRecord, DeploymentRecord, State } from '../state/types.ts';
import { interruptedError } from '../ui/interrupt.ts';
import { deploymentOf, deploymentView, type DeploymentView } from './deployment.ts';
import type { TranslateSettings } from './resource-changes.ts';
import { appInfo } from './state-model.ts';
import { targetFor } from './targets.ts';

/** Checks per step at most: the first after one interval, then up to two more while requests are too few. */
export const MAX_CHECKS = 3;

export interface Thresholds {
  /** Percent of non-5xx responses, 0-100. */
  readonly minSuccessRate: number;
  /** 99th percentile in ms; undefined: latency is not checked. */
  readonly maxLatencyMs: number | undefined;
  readonly minRequests: number;
}

export interface AutoRequest extends Thresholds {
  readonly app: string;
  readonly intervalMs: number;
  readonly prometheus: string;
}

export interface Measurement {
  readonly requests: number;
  /** Percent; null without requests. */
  readonly successRate: number | null;
  /** Milliseconds; null when not checked, or without requests. */
  readonly p99Ms: number | null;
}

export type AutoEvent =
  | { readonly event: 'waiting'; readonly app: string; readonly step: number; readonly steps: number; readonly check: number; readonly seconds: number; readonly routes: DeploymentView['routes'] }
  | { readonly event: 'measured'; readonly app: string; readonly step: number; readonly steps: number; readonly check: number; readonly verdict: 'pass' | 'too-few' | 'breach'; readonly metrics: Measurement; readonly breaches: readonly string[] }
  | { readonly event: 'promoted'; readonly app: string; readonly step: number; readonly steps: number; readonly routes: DeploymentView['routes'] }
  | { readonly event: 'finished'; readonly app: string; readonly routes: DeploymentView['routes'] }
  | { readonly event: 'canceled'; readonly app: string; readonly step: number; readonly steps: number; readonly metrics: Measurement; readonly breaches: readonly string[] };

/** What the loop needs from the outside: the state (where the deployment lives), the two changes, and time. */
export interface AutoPorts {
  /** The state with the deployment as the target holds it (the cluster's copy wins), and the settings in effect there (the namespace). */
  readState(): Promise<{ readonly state: State; readonly settings: Pick<TranslateSettings, 'istio'> }>;
  /** continue-deployment, refused unless the deployment is still at `step`; the state after it. */
  promote(step: number): Promise<State>;
  cancel(): Promise<void>;
  readonly signal?: AbortSignal | undefined;
  event(e: AutoEvent): void;
  debug(line: string): void;
}

export interface CanaryQueries {
  readonly requests: string;
  readonly errors: string;
  readonly p99: string;
}

/** The PromQL for the canary of `d` over `windowSeconds` (see the file comment). */
export function canaryQueries(state: State, app: string, d: DeploymentRecord, settings: Pick<TranslateSettings, 'istio'>, windowSeconds: number): CanaryQueries {
  const record = d.shape === 'revision' ? (state.apps[d.canary] ?? d.revision) : state.apps[app];
  const info = record ? appInfo(record as AppRecord) : undefined;
  const { service } = targetFor(settings).changes.placement(d.canary, info);
  const labels: [string, string][] = [
    ['reporter', 'destination'],
    ['destination_workload_namespace', settings.istio.namespace],
    ['destination_app', service],
  ];
  if (info?.version !== undefined) labels.push(['destination_version', info.version]);
  const sel = labels.map(([k, v]) => `${k}="${v.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`).join(',');
  const w = `${Math.max(1, windowSeconds)}s`;
  return {
    requests: `sum(increase(istio_requests_total{${sel}}[${w}]))`,
    errors: `sum(increase(istio_requests_total{${sel},response_code=~"5.."}[${w}]))`,
    p99: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[${w}])))`,
  };
}

/** The verdict on one measurement. */
export function judge(m: Measurement, t: Thresholds): { verdict: 'pass' | 'too-few' | 'breach'; breaches: string[] } {
  if (m.requests < t.minRequests || (m.requests === 0 && t.minRequests === 0)) return { verdict: 'too-few', breaches: [] };
  const breaches: string[] = [];
  if (m.successRate !== null && m.successRate < t.minSuccessRate) breaches.push(`success rate ${formatNumber(m.successRate)}% is below ${t.minSuccessRate}%`);
  if (t.maxLatencyMs !== undefined && m.p99Ms !== null && m.p99Ms > t.maxLatencyMs) breaches.push(`p99 latency ${formatNumber(m.p99Ms)}ms is above ${t.maxLatencyMs}ms`);
  return { verdict: breaches.length > 0 ? 'breach' : 'pass', breaches };
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : String(n);
  return String(Math.round(n * 100) / 100);
}

/** Runs the remaining steps to the end, or throws: CANARY_FAILED, METRICS_UNAVAILABLE, INTERRUPTED, or what a change threw. */
export async function autoPromote(request: AutoRequest, ports: AutoPorts): Promise<void> {
  const { app } = request;
  // Loaded here, not at the top: it brings undici (~100 ms to load), which `push` (importing this
  // module through the deployment commands) must not pay.
  const { queryScalar } = await import('../metrics/prometheus.ts');
  const query = (promql: string, atMs?: number) => queryScalar(request.prometheus, promql, { signal: ports.signal, log: ports.debug, atMs });
  // Fail fast when Prometheus is not there, before the first wait.
  const probe = await query('vector(1)');
  if (probe !== 1) throw new ToolError('METRICS_UNAVAILABLE', `Prometheus at ${request.prometheus} answered vector(1) with ${probe === undefined ? 'no data' : probe}`, { hint: 'check --prometheus URL; nothing was promoted' });
  const read = await ports.readState();
  let state = read.state;
  const settings = read.settings;
  for (;;) {
    const d = deploymentOf(state, app);
    let measured: { m: Measurement; verdict: 'pass' | 'too-few' | 'breach'; breaches: string[] } | undefined;
    for (let check = 1; check <= MAX_CHECKS; check++) {
      ports.event({ event: 'waiting', app, step: d.step, steps: d.steps.length, check, seconds: request.intervalMs / 1000, routes: deploymentView(state, app, d).routes });
      try {
        await sleep(request.intervalMs, undefined, { signal: ports.signal });
      } catch {
        throw ports.signal?.reason instanceof ToolError ? ports.signal.reason : interruptedError();
      }
      const q = canaryQueries(state, app, d, settings, Math.ceil((request.intervalMs * check) / 1000));
      const m = await measure(q, request, query);
      const j = judge(m, request);
      measured = { m, ...j };
      ports.event({ event: 'measured', app, step: d.step, steps: d.steps.length, check, verdict: j.verdict, metrics: m, breaches: j.breaches });
      if (j.verdict !== 'too-few') break;
    }
    const last = measured as NonNullable<typeof measured>;
    if (last.verdict === 'too-few') {
      throw new ToolError('CANARY_FAILED', `app ${app}: the canary had ${formatNumber(last.m.requests)} request(s) in ${MAX_CHECKS} interval(s) of ${request.intervalMs / 1000}s, fewer than --min-requests ${request.minRequests}; the deployment stays paused at step ${d.step} of ${d.steps.length}`, {
        hint: 'send traffic to the route, lengthen --interval or lower --min-requests, and run the command again',
      });
    }
    if (last.verdict === 'breach') {
      await ports.cancel();
      ports.event({ event: 'canceled', app, step: d.step, steps: d.steps.length, metrics: last.m, breaches: last.breaches });
      throw new ToolError('CANARY_FAILED', `app ${app}: the canary failed at step ${d.step} of ${d.steps.length}: ${last.breaches.join('; ')} (over ${formatNumber(last.m.requests)} requests); the deployment was canceled`, {
        hint: 'the routes have the weights from before the deployment; fix the new revision and push it again',
      });
    }
    state = await ports.promote(d.step);
    const after = state.deployments?.[app];
    if (!after) {
      ports.event({ event: 'finished', app, routes: deploymentView(state, app, { ...d, routes: d.routes }).routes });
      return;
    }
    ports.event({ event: 'promoted', app, step: after.step, steps: after.steps.length, routes: deploymentView(state, app, after).routes });
  }
}

/**
 * The three queries of one measurement are evaluated at one instant: evaluated each at its own "now",
 * a scrape landing between them (or a sample leaving the window) makes the error count and the
 * histogram disagree with the request count (seen: a 20% error rate read as 100% success).
 */
async function measure(q: CanaryQueries, t: Thresholds, query: (promql: string, atMs: number) => Promise<number | undefined>): Promise<Measurement> {
  const at = Date.now();
  const requests = (await query(q.requests, at)) ?? 0;
  if (requests <= 0) return { requests: 0, successRate: null, p99Ms: null };
  const errors = (await query(q.errors, at)) ?? 0;
  const successRate = Math.max(0, Math.min(100, 100 * (1 - errors / requests)));
  let p99Ms: number | null = null;
  if (t.maxLatencyMs !== undefined && requests >= t.minRequests) {
    const p99 = await query(q.p99, at);
    if (p99 === undefined) {
      throw new ToolError('METRICS_UNAVAILABLE', `Prometheus has requests for the canary but no istio_request_duration_milliseconds histogram to measure its latency with: ${q.p99}`, { hint: 'nothing was promoted; check that the mesh exports the standard metrics, or leave out --max-latency' });
    }
    p99Ms = p99;
  }
  return { requests, successRate, p99Ms };
}
