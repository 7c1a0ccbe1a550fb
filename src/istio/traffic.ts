import { canonicalDuration } from '../manifest/duration.ts';
import type { RouteControls } from '../manifest/types.ts';

/**
 * The manifest's per-route controls (validated by manifest/controls.ts, or set by applyControlFlags)
 * → the matching fields of an Istio HTTPRoute. Each function returns undefined when there is nothing
 * to emit, so no empty object ever reaches the output.
 */
type Map = Readonly<Record<string, unknown>>;

function isMap(value: unknown): value is Map {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rules inherit the route's controls field by field unless they set their own. */
export const INHERITED_CONTROLS = ['timeout', 'retries', 'fault'] as const;

export function timeoutOf(controls: RouteControls): string | undefined {
  return typeof controls['timeout'] === 'string' ? canonicalDuration(controls['timeout']) : undefined;
}

/** `attempts` defaults to 2 (the mesh default), since Istio refuses retry-on with 0 attempts. */
export function retriesOf(controls: RouteControls): Record<string, unknown> | undefined {
  const r = controls['retries'];
  if (!isMap(r)) return undefined;
  const attempts = typeof r['attempts'] === 'number' ? r['attempts'] : 2;
  const out: Record<string, unknown> = { attempts };
  if (attempts === 0) return out;
  if (typeof r['per-try-timeout'] === 'string') out['perTryTimeout'] = canonicalDuration(r['per-try-timeout']);
  if (Array.isArray(r['retry-on'])) out['retryOn'] = (r['retry-on'] as string[]).join(',');
  return out;
}

export function faultOf(controls: RouteControls): Record<string, unknown> | undefined {
  const f = controls['fault'];
  if (!isMap(f)) return undefined;
  const out: Record<string, unknown> = {};
  const delay = f['delay'];
  if (isMap(delay) && typeof delay['fixed'] === 'string') {
    out['delay'] = { fixedDelay: canonicalDuration(delay['fixed']), percentage: { value: percent(delay['percent']) } };
  }
  const abort = f['abort'];
  if (isMap(abort) && typeof abort['http-status'] === 'number') {
    out['abort'] = { httpStatus: abort['http-status'], percentage: { value: percent(abort['percent']) } };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function mirrorOf(controls: RouteControls): { app: string; percent: number } | undefined {
  const m = controls['mirror'];
  if (!isMap(m) || typeof m['name'] !== 'string') return undefined;
  return { app: m['name'], percent: percent(m['percent']) };
}

export function methodsOf(controls: RouteControls): string[] | undefined {
  const m = controls['methods'];
  return Array.isArray(m) && m.length > 0 ? [...new Set(m.map(String))].sort() : undefined;
}

export interface TlsControl {
  readonly credentialName: string;
  readonly httpsRedirect: boolean;
}

export function tlsOf(controls: RouteControls): TlsControl | undefined {
  const t = controls['tls'];
  if (!isMap(t) || typeof t['credential-name'] !== 'string') return undefined;
  return { credentialName: t['credential-name'], httpsRedirect: t['https-redirect'] === true };
}

export interface RuleControl {
  readonly match: Map;
  readonly destinations: readonly { app: string; weight: number | undefined }[];
  readonly controls: RouteControls;
}

export function rulesOf(controls: RouteControls): RuleControl[] {
  const rules = Array.isArray(controls['rules']) ? (controls['rules'] as unknown[]) : [];
  return rules.filter(isMap).map((rule) => {
    const own: Record<string, unknown> = {};
    for (const key of INHERITED_CONTROLS) {
      const value = rule[key] ?? controls[key];
      if (value !== undefined) own[key] = value;
    }
    if (controls['mirror'] !== undefined) own['mirror'] = controls['mirror'];
    const destinations = (Array.isArray(rule['destinations']) ? (rule['destinations'] as unknown[]) : []).filter(isMap).map((d) => ({
      app: String(d['name']),
      weight: typeof d['weight'] === 'number' ? d['weight'] : undefined,
    }));
    return { match: isMap(rule['match']) ? rule['match'] : {}, destinations, controls: own };
  });
}

/** A manifest string match (`exact` | `prefix` | `regex`) as an Istio StringMatch. */
export function stringMatch(m: unknown): Record<string, string> | undefined {
  if (!isMap(m)) return undefined;
  for (const key of ['exact', 'prefix', 'regex']) if (typeof m[key] === 'string') return { [key]: m[key] as string };
  return undefined;
}

/**
 * A rule's match as Istio match entries, ANDed with the route's own path: on a path route, a rule
 * without a path condition gets the route's two path entries (exact + `prefix /x/`), and one with a
 * path condition keeps its own when it lies below the route's path (manifest/controls.ts checks that
 * it does not lie outside), or the route's when the route's is narrower.
 */
export function ruleMatches(match: Map, routeMatch: readonly Record<string, unknown>[] | undefined, routePath: string | undefined): Record<string, unknown>[] {
  const base: Record<string, unknown> = {};
  const headers = isMap(match['headers']) ? match['headers'] : {};
  const params = isMap(match['query-params']) ? match['query-params'] : {};
  const method = stringMatch(match['method']);
  if (method) base['method'] = method;
  if (Object.keys(headers).length > 0) {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(headers).sort()) out[name.toLowerCase()] = stringMatch(headers[name]);
    base['headers'] = out;
  }
  if (Object.keys(params).length > 0) {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(params).sort()) out[name] = stringMatch(params[name]);
    base['queryParams'] = out;
  }
  const path = stringMatch(match['path']);
  const written = (path?.['exact'] ?? path?.['prefix'] ?? '').toLowerCase();
  const narrowerThanRoute = path !== undefined && routePath !== undefined && (written.startsWith(`${routePath}/`) || path['exact']?.toLowerCase() === routePath);
  // Fresh objects per entry: a shared object would render as a YAML anchor and alias.
  if (path && (routePath === undefined || narrowerThanRoute)) return [{ uri: path, ignoreUriCase: true, ...base }];
  if (!routeMatch) return [base];
  return routeMatch.map((m) => structuredClone({ ...m, ...base }));
}

function percent(value: unknown): number {
  return typeof value === 'number' ? value : 100;
}
