import { formatDuration } from '../manifest/duration.ts';
import type { FaultInjection, MatchRule, NamedMatch, RequestControls, RequestMatch, RetryPolicy, RouteControls, StringMatch } from '../manifest/traffic.ts';
import { ruleControls } from '../manifest/traffic.ts';

/**
 * The route model's traffic controls (manifest/traffic.ts) → the matching fields of an Istio
 * HTTPRoute. Each function returns undefined when there is nothing to emit, so no empty object ever
 * reaches the output. Defaults that are Istio's live here: 2 retry attempts, 100 percent.
 */

/** Istio durations are protobuf Durations, written in Go's form (`1m30s`). */
export function timeoutOf(controls: RequestControls): string | undefined {
  return controls.timeoutMs !== undefined ? formatDuration(controls.timeoutMs) : undefined;
}

/** `attempts` defaults to 2 (the mesh default), since Istio refuses retry-on with 0 attempts. */
export function retriesOf(controls: RequestControls): Record<string, unknown> | undefined {
  const r: RetryPolicy | undefined = controls.retries;
  if (!r) return undefined;
  const attempts = r.attempts ?? 2;
  const out: Record<string, unknown> = { attempts };
  if (attempts === 0) return out;
  if (r.perTryTimeoutMs !== undefined) out['perTryTimeout'] = formatDuration(r.perTryTimeoutMs);
  if (r.retryOn !== undefined) out['retryOn'] = r.retryOn.join(',');
  return out;
}

export function faultOf(controls: RequestControls): Record<string, unknown> | undefined {
  const f: FaultInjection | undefined = controls.fault;
  if (!f) return undefined;
  const out: Record<string, unknown> = {};
  if (f.delay) out['delay'] = { fixedDelay: formatDuration(f.delay.fixedMs), percentage: { value: f.delay.percent ?? 100 } };
  if (f.abort) out['abort'] = { httpStatus: f.abort.httpStatus, percentage: { value: f.abort.percent ?? 100 } };
  return Object.keys(out).length > 0 ? out : undefined;
}

export function mirrorOf(controls: RouteControls): { app: string; percent: number } | undefined {
  return controls.mirror ? { app: controls.mirror.app, percent: controls.mirror.percent ?? 100 } : undefined;
}

/** The methods a route accepts, once each, sorted (undefined: every method). */
export function methodsOf(controls: RouteControls): string[] | undefined {
  const m = controls.methods;
  return m && m.length > 0 ? [...new Set(m)].sort() : undefined;
}

export interface RuleControl {
  readonly rule: MatchRule;
  /** What the rule's entry carries: its own request controls, else the route's; the route's mirror. */
  readonly controls: RouteControls;
}

/** Rules inherit the route's controls field by field unless they set their own (docs/traffic.md). */
export function rulesOf(controls: RouteControls): RuleControl[] {
  return (controls.rules ?? []).map((rule) => ({ rule, controls: { ...ruleControls(controls, rule), mirror: controls.mirror } }));
}

/** A string match as an Istio StringMatch. */
export function stringMatch(m: StringMatch): Record<string, string> {
  switch (m.type) {
    case 'exact':
      return { exact: m.value };
    case 'prefix':
      return { prefix: m.value };
    case 'regex':
      return { regex: m.value };
    default:
      return unreachable(m);
  }
}

/**
 * A rule's match as Istio match entries, ANDed with the route's own path: on a path route, a rule
 * without a path condition gets the route's two path entries (exact + `prefix /x/`), and one with a
 * path condition keeps its own when it lies below the route's path (manifest/controls.ts checks that
 * it does not lie outside), or the route's when the route's is narrower.
 */
export function ruleMatches(match: RequestMatch, routeMatch: readonly Record<string, unknown>[] | undefined, routePath: string | undefined): Record<string, unknown>[] {
  const base: Record<string, unknown> = {};
  if (match.method) base['method'] = stringMatch(match.method);
  // Header names are case-insensitive: Istio matches them lowercased.
  if (match.headers.length > 0) base['headers'] = byName(match.headers, (name) => name.toLowerCase());
  if (match.queryParams.length > 0) base['queryParams'] = byName(match.queryParams, (name) => name);
  const path = match.path ? stringMatch(match.path) : undefined;
  const written = (path?.['exact'] ?? path?.['prefix'] ?? '').toLowerCase();
  const narrowerThanRoute = path !== undefined && routePath !== undefined && (written.startsWith(`${routePath}/`) || path['exact']?.toLowerCase() === routePath);
  // Fresh objects per entry: a shared object would render as a YAML anchor and alias.
  if (path && (routePath === undefined || narrowerThanRoute)) return [{ uri: path, ignoreUriCase: true, ...base }];
  if (!routeMatch) return [base];
  return routeMatch.map((m) => structuredClone({ ...m, ...base }));
}

/** Conditions keyed by name, in code-unit order of the names as written. */
function byName(list: readonly NamedMatch[], key: (name: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) out[key(m.name)] = stringMatch(m.match);
  return out;
}

export function unreachable(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
