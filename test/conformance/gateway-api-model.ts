// An executable model of how a Gateway API implementation routes one request (or one TCP
// connection) with a bundle of Gateway API objects, as the Gateway API v1.5.1 CRDs specify it.
// Every rule cites where it comes from:
//   GW  = the Gateway CRD (config/crd/standard/gateway.networking.k8s.io_gateways.yaml, v1.5.1):
//         `spec.listeners` (choosing a listener by hostname), `allowedRoutes` (precedence)
//   HR  = the HTTPRoute CRD (…_httproutes.yaml, v1.5.1): `spec.hostnames` (host matching and the
//         precedence between routes), `spec.rules[].matches` (match semantics and precedence),
//         `backendRefs` / `weight` (splits, weight 0, invalid backends)
//   TR  = the TCPRoute CRD (config/crd/experimental/…_tcproutes.yaml, v1.5.1)
//   IS  = istio/istio @ 1.30.3, pilot/pkg/config/kube/gateway/conversion.go, where the CRDs leave
//         a choice to the implementation (the `istio` GatewayClass cfmesh defaults to)
// The model reads only the Gateway API fields it knows and throws on any other that could change
// where a request goes, as the Istio model does. Objects of other groups (Istio's DestinationRules
// for load balancing and circuit breakers, PeerAuthentication) do not choose where a request goes
// and are skipped, except a DestinationRule with subsets, which no backendRef can name (throws).
import { RE2JS } from 're2js';
import type { HttpRequestDesc, RequestDesc } from './manifest-desc.ts';
import type { Inventory, Labels } from './inventory.ts';
import { normalizePath, queryParams, type KubeObject } from './istio-model.ts';
import { appTarget, refusedOutcome, splitOutcome, statusOutcome, type Outcome, type Target } from './outcome.ts';

type Json = Record<string, unknown>;
const GROUP = 'gateway.networking.k8s.io';
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as unknown[]).filter(isMap) : []);

function known(obj: Json, keys: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) throw new Error(`gateway-api model: ${where}.${k} is not modelled`);
}

interface Listener {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly hostname?: string | undefined;
}

interface Match {
  readonly pathType: 'Exact' | 'PathPrefix';
  readonly path: string;
  readonly method?: string | undefined;
  readonly headers: readonly { name: string; type: string; value: string }[];
  readonly query: readonly { name: string; type: string; value: string }[];
}

interface Rule {
  readonly route: KubeObject;
  readonly index: number;
  readonly matches: readonly Match[];
  readonly redirect?: number | undefined;
  readonly backends: readonly { name: string; namespace: string; port: number; weight: number }[];
}

export interface GatewayApiModel {
  readonly inventory: Inventory;
  readonly listeners: readonly Listener[];
  readonly gateway: string;
  readonly httpRoutes: readonly KubeObject[];
  readonly tcpRoutes: readonly KubeObject[];
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';

export function buildGatewayApi(objects: readonly KubeObject[], inventory: Inventory): GatewayApiModel {
  const gateways = objects.filter((o) => o.apiVersion.startsWith(`${GROUP}/`) && o.kind === 'Gateway');
  if (gateways.length > 1) throw new Error('gateway-api model: more than one Gateway is not modelled');
  const gw = gateways[0];
  for (const o of objects) {
    if (o.apiVersion.startsWith(`${GROUP}/`)) {
      if (!['Gateway', 'HTTPRoute', 'TCPRoute', 'ReferenceGrant'].includes(o.kind)) throw new Error(`gateway-api model: kind ${o.kind} is not modelled`);
    } else if (o.kind === 'DestinationRule' && list(o.spec['subsets']).length > 0) {
      throw new Error(`gateway-api model: DestinationRule ${o.metadata.name} has subsets, which no backendRef can name`);
    }
  }
  const listeners: Listener[] = gw
    ? list(gw.spec['listeners']).map((l) => {
        known(l, ['name', 'port', 'protocol', 'hostname', 'tls', 'allowedRoutes'], `Gateway listener`);
        return { name: String(l['name']), port: Number(l['port']), protocol: String(l['protocol']), hostname: typeof l['hostname'] === 'string' ? l['hostname'] : undefined };
      })
    : [];
  return {
    inventory,
    listeners,
    gateway: gw ? `${nsOf(gw)}/${gw.metadata.name}` : '',
    httpRoutes: objects.filter((o) => o.apiVersion === `${GROUP}/v1` && o.kind === 'HTTPRoute'),
    tcpRoutes: objects.filter((o) => o.kind === 'TCPRoute'),
  };
}

function hostOnly(hostHeader: string): string {
  const colon = hostHeader.lastIndexOf(':');
  return (colon >= 0 ? hostHeader.slice(0, colon) : hostHeader).toLowerCase();
}

/** HR `spec.hostnames`: `*.example.com` matches `a.example.com` and `a.b.example.com` (a suffix match), never `example.com`. */
function hostnameMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/**
 * GW `spec.listeners`: of the listeners on a port distinct only by hostname, a request takes the
 * most specific one whose hostname matches: exact before wildcard, longer wildcard before shorter,
 * any before none (the fallback listener).
 */
function selectListener(model: GatewayApiModel, port: number, protocol: string, host: string): Listener | undefined {
  const candidates = model.listeners.filter((l) => l.port === port && l.protocol === protocol && (l.hostname === undefined || hostnameMatches(l.hostname, host)));
  const rank = (l: Listener) => (l.hostname === undefined ? 0 : l.hostname.startsWith('*.') ? l.hostname.length : 100_000);
  return [...candidates].sort((a, b) => rank(b) - rank(a))[0];
}

/**
 * HR `spec.parentRefs`: a route attaches to a listener it names by sectionName (or to every
 * listener of the Gateway without one); its hostnames must intersect the listener's.
 */
function attached(model: GatewayApiModel, route: KubeObject, listener: Listener): boolean {
  return list(route.spec['parentRefs']).some((p) => {
    known(p, ['name', 'namespace', 'sectionName', 'group', 'kind', 'port'], `HTTPRoute ${route.metadata.name} parentRef`);
    const gw = `${typeof p['namespace'] === 'string' ? p['namespace'] : nsOf(route)}/${String(p['name'])}`;
    return gw === model.gateway && (p['sectionName'] === undefined || p['sectionName'] === listener.name);
  });
}

/**
 * HR `spec.hostnames`, the precedence between routes whose hostnames match: the largest number of
 * characters in a matching non-wildcard hostname, then in a matching hostname. The listener's
 * hostname also limits what a route matches (the intersection).
 */
function hostRank(route: KubeObject, host: string, listener: Listener): [number, number] | undefined {
  const names = (route.spec['hostnames'] as string[] | undefined) ?? [];
  if (names.length === 0) return [0, 0];
  let exact = -1;
  let any = -1;
  for (const n of names) {
    if (!hostnameMatches(n, host) && n !== host) continue;
    if (listener.hostname !== undefined && !(hostnameMatches(listener.hostname, host) || listener.hostname === host)) continue;
    if (!n.startsWith('*')) exact = Math.max(exact, n.length);
    any = Math.max(any, n.length);
  }
  return any < 0 ? undefined : [exact, any];
}

function rulesOf(route: KubeObject): Rule[] {
  const where = `HTTPRoute ${route.metadata.name}`;
  known(route.spec, ['parentRefs', 'hostnames', 'rules'], where);
  return list(route.spec['rules']).map((r, index) => {
    known(r, ['name', 'matches', 'filters', 'backendRefs', 'timeouts'], `${where} rules[${index}]`);
    // HR `matches`: none means one PathPrefix "/" match (the CRD default).
    const raw = list(r['matches']).length > 0 ? list(r['matches']) : [{ path: { type: 'PathPrefix', value: '/' } }];
    const matches = raw.map((m): Match => {
      known(m, ['path', 'method', 'headers', 'queryParams'], `${where} match`);
      const path = isMap(m['path']) ? m['path'] : { type: 'PathPrefix', value: '/' };
      const type = String(path['type'] ?? 'PathPrefix');
      if (type !== 'Exact' && type !== 'PathPrefix') throw new Error(`gateway-api model: path type ${type} is not modelled (its precedence is implementation-specific)`);
      const named = (v: unknown) => list(v).map((h) => ({ name: String(h['name']), type: String(h['type'] ?? 'Exact'), value: String(h['value']) }));
      return { pathType: type, path: String(path['value'] ?? '/'), method: typeof m['method'] === 'string' ? m['method'] : undefined, headers: named(m['headers']), query: named(m['queryParams']) };
    });
    let redirect: number | undefined;
    for (const f of list(r['filters'])) {
      known(f, ['type', 'requestRedirect', 'requestMirror'], `${where} filter`);
      if (f['type'] === 'RequestRedirect') redirect = Number((f['requestRedirect'] as Json)['statusCode'] ?? 302);
      else if (f['type'] !== 'RequestMirror') throw new Error(`gateway-api model: filter ${String(f['type'])} is not modelled`);
      // A mirror copies requests elsewhere; the response and the route's backends stay what they are.
    }
    const backends = list(r['backendRefs']).map((b) => {
      known(b, ['name', 'namespace', 'port', 'weight', 'group', 'kind'], `${where} backendRef`);
      if ((b['kind'] ?? 'Service') !== 'Service' || (b['group'] ?? '') !== '') throw new Error('gateway-api model: a backendRef that is not a Service is not modelled');
      // HR HTTPBackendRef `weight`: "If unspecified, weight defaults to 1".
      return { name: String(b['name']), namespace: typeof b['namespace'] === 'string' ? b['namespace'] : nsOf(route), port: Number(b['port']), weight: typeof b['weight'] === 'number' ? b['weight'] : 1 };
    });
    return { route, index, matches, redirect, backends };
  });
}

/**
 * HR `matches`: all conditions of a match hold. `PathPrefix` matches element-wise, "/abc" matches
 * "/abc", "/abc/" and "/abc/def" but not "/abcd", a trailing "/" of the value ignored; `Exact` the
 * whole path; both case-sensitively (no case-insensitive form). Header names are case-insensitive,
 * values exact; `RegularExpression` has an implementation-specific dialect: Istio hands it to
 * Envoy as RE2, matching the whole value (IS conversion.go createHeadersMatch,
 * createQueryParamsMatch). Query parameter names are case-sensitive (HTTPQueryParamMatch).
 */
function matches(m: Match, path: string, method: string, headers: ReadonlyMap<string, string>, query: ReadonlyMap<string, string>): boolean {
  if (m.pathType === 'Exact') {
    if (path !== m.path) return false;
  } else {
    const prefix = m.path === '/' ? '/' : m.path.replace(/\/$/, '');
    if (prefix !== '/' && path !== prefix && !path.startsWith(`${prefix}/`)) return false;
  }
  if (m.method !== undefined && m.method !== method) return false;
  const value = (type: string, want: string, got: string | undefined) => got !== undefined && (type === 'Exact' ? got === want : RE2JS.compile(want).matches(got));
  for (const h of m.headers) if (!value(h.type, h.value, headers.get(h.name.toLowerCase()))) return false;
  for (const q of m.query) if (!value(q.type, q.value, query.get(q.name))) return false;
  return true;
}

/**
 * HR `matches`, precedence across the rules of the applicable routes: an "Exact" path match, then
 * the "Prefix" path match with the most characters, then a method match, then the most header
 * matches, then the most query param matches; on a tie the oldest route, then the first by
 * "{namespace}/{name}" (creation times are equal here: one apply), then within a route the first
 * matching rule in list order.
 */
function precedence(m: Match): number[] {
  return [m.pathType === 'Exact' ? 1 : 0, m.path === '/' ? 1 : m.path.replace(/\/$/, '').length, m.method !== undefined ? 1 : 0, new Set(m.headers.map((h) => h.name.toLowerCase())).size, new Set(m.query.map((q) => q.name)).size];
}

function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (b[i] ?? 0) - (a[i] ?? 0);
  return 0;
}

function backendTargets(model: GatewayApiModel, b: Rule['backends'][number]): Map<Target, number> {
  const svc = model.inventory.services.get(`${b.name}.${b.namespace}.svc.cluster.local`);
  const targets = new Map<Target, number>();
  if (!svc || !svc.ports.has(b.port)) return targets;
  for (const pods of model.inventory.pods) {
    if (pods.namespace !== svc.namespace || pods.count === 0 || !labelsSubset(svc.selector, pods.labels)) continue;
    const t = appTarget(pods.app, b.port);
    targets.set(t, (targets.get(t) ?? 0) + pods.count);
  }
  return targets;
}

function labelsSubset(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * HR `backendRefs`: traffic splits by weight/(sum of weights); a Service without ready endpoints
 * answers 503 ("implementations SHOULD return a 503"); a rule whose weights are all 0 forwards
 * nothing: 500 (IS conversion.go convertHTTPRoute "Backends exist but all have zero weight; per the
 * Gateway API spec return 500"); a rule without backendRefs and filters answers 404 in Istio (same
 * function, "No backends specified at all").
 */
function serve(model: GatewayApiModel, rule: Rule, trace: string[], unavailable: Target): Outcome {
  if (rule.redirect !== undefined) return statusOutcome(rule.redirect, [...trace, `RequestRedirect → ${rule.redirect}`]);
  if (rule.backends.length === 0) return statusOutcome(404, [...trace, 'no backendRefs → 404']);
  if (rule.backends.every((b) => b.weight === 0)) return unavailable === 'refused' ? refusedOutcome([...trace, 'all weights 0']) : statusOutcome(500, [...trace, 'every backend weighs 0 → 500']);
  const parts: { target: Target; weight: number }[] = [];
  for (const b of rule.backends) {
    if (b.weight === 0) continue;
    const eps = backendTargets(model, b);
    const total = [...eps.values()].reduce((s, n) => s + n, 0);
    trace.push(`backend ${b.namespace}/${b.name}:${b.port} weight ${b.weight}: ${total} endpoint(s)`);
    if (total === 0) parts.push({ target: unavailable, weight: b.weight });
    else for (const [t, n] of eps) parts.push({ target: t, weight: (b.weight * n) / total });
  }
  return splitOutcome(parts, trace);
}

export function gatewayApiDecideHttp(model: GatewayApiModel, request: HttpRequestDesc): Outcome {
  const trace: string[] = [];
  const host = hostOnly(request.host);
  const https = request.scheme === 'https';
  const listener = selectListener(model, https ? 443 : 80, https ? 'HTTPS' : 'HTTP', host);
  if (!listener) return refusedOutcome([`no ${https ? 'HTTPS' : 'HTTP'} listener for ${host} → refused`]);
  trace.push(`listener ${listener.name}`);
  // The path as Istio's gateway matches it: normalized (Istio default BASE, see the Istio model).
  const target = normalizePath(request.target);
  const path = target.includes('?') ? target.slice(0, target.indexOf('?')) : target;
  const headers = new Map(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const query = queryParams(target);
  // Routes on the listener whose hostnames match, most specific hostname first (HR `spec.hostnames`).
  const routes = model.httpRoutes
    .filter((r) => attached(model, r, listener))
    .flatMap((r) => {
      const rank = hostRank(r, host, listener);
      return rank ? [{ r, rank }] : [];
    })
    .sort((a, b) => compareRank(a.rank, b.rank) || (`${nsOf(a.r)}/${a.r.metadata.name}` < `${nsOf(b.r)}/${b.r.metadata.name}` ? -1 : 1));
  const groups: { rank: number[]; routes: KubeObject[] }[] = [];
  for (const { r, rank } of routes) {
    const last = groups[groups.length - 1];
    if (last && compareRank(last.rank, rank) === 0) last.routes.push(r);
    else groups.push({ rank, routes: [r] });
  }
  for (const group of groups) {
    const candidates: { rule: Rule; match: Match; order: number }[] = [];
    let order = 0;
    for (const r of group.routes) for (const rule of rulesOf(r)) for (const m of rule.matches) candidates.push({ rule, match: m, order: order++ });
    const hit = candidates.filter((c) => matches(c.match, path, request.method, headers, query)).sort((a, b) => compareRank(precedence(a.match), precedence(b.match)) || a.order - b.order)[0];
    if (!hit) continue;
    trace.push(`HTTPRoute ${hit.rule.route.metadata.name} rule ${hit.rule.index}`);
    return serve(model, hit.rule, trace, 'status:503');
  }
  return statusOutcome(404, [...trace, 'no rule matches → 404']);
}

/** TR: a TCP connection to a TCP listener's port goes to the backendRefs of the TCPRoute attached to it. */
export function gatewayApiDecideTcp(model: GatewayApiModel, port: number): Outcome {
  const listener = model.listeners.find((l) => l.protocol === 'TCP' && l.port === port);
  if (!listener) return refusedOutcome([`no TCP listener on port ${port} → refused`]);
  const route = model.tcpRoutes.find((r) => attached(model, r, listener));
  if (!route) return refusedOutcome([`no TCPRoute on listener ${listener.name} → refused`]);
  known(route.spec, ['parentRefs', 'rules'], `TCPRoute ${route.metadata.name}`);
  const rules = list(route.spec['rules']);
  if (rules.length !== 1) throw new Error('gateway-api model: a TCPRoute with other than one rule is not modelled');
  const rule: Rule = {
    route,
    index: 0,
    matches: [],
    backends: list((rules[0] as Json)['backendRefs']).map((b) => ({ name: String(b['name']), namespace: typeof b['namespace'] === 'string' ? b['namespace'] : nsOf(route), port: Number(b['port']), weight: typeof b['weight'] === 'number' ? b['weight'] : 1 })),
  };
  return serve(model, rule, [`listener ${listener.name}, TCPRoute ${route.metadata.name}`], 'refused');
}

export function gatewayApiDecide(model: GatewayApiModel, request: RequestDesc): Outcome {
  return request.kind === 'tcp' ? gatewayApiDecideTcp(model, request.port) : gatewayApiDecideHttp(model, request);
}
