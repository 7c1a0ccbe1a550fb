// An executable model of how Istio 1.30.3 programs the ingress gateway from a bundle of Kubernetes
// objects, and of how Envoy then routes one request (or one TCP connection) with that config.
// Every rule cites the line it comes from:
//   IS   = istio/istio @ 1.30.3 (paths under pilot/ and pkg/)
//   API  = istio/api security/v1beta1/authorization_policy.proto (the AuthorizationPolicy reference)
//   EV   = Envoy's API docs: config/route/v3/route_components.proto (VirtualHost.domains, RouteMatch,
//          HeaderMatcher, QueryParameterMatcher), config/route/v3/route.proto
//          (RouteConfiguration.ignore_port_in_host_matching), type/matcher/v3/path.proto (PathMatcher),
//          envoyproxy.io/docs/envoy/v1.29.12/api-v3/...; and Envoy's source/common/http/header_utility.cc
//          (`matchHeaders`, envoyproxy/envoy @ 002aa00b)
//   NORM = istio.io/latest/docs/reference/config/security/normalization ("BASE", Istio's default)
// The model reads only the fields it knows; any other field that could change where a request goes
// throws, so a translator that starts emitting something new makes the property fail loudly instead
// of being judged by a guess.
import { RE2JS } from 're2js';
import type { HttpRequestDesc, RequestDesc } from './manifest-desc.ts';
import type { Inventory, Labels } from './inventory.ts';
import { appTarget, refusedOutcome, splitOutcome, statusOutcome, type Outcome, type Target } from './outcome.ts';

type Json = Record<string, unknown>;

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Labels };
  readonly spec: Json;
}

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as unknown[]).filter(isMap) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).map(String) : []);

function known(obj: Json, keys: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) throw new Error(`istio model: ${where}.${k} is not modelled`);
}

function labelsSubset(selector: unknown, labels: Labels): boolean {
  if (!isMap(selector)) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === String(v));
}

// ---------------------------------------------------------------------------------------------
// Envoy's view: route configuration, virtual hosts, routes.

type PathSpec = { kind: 'prefix'; value: string } | { kind: 'path'; value: string } | { kind: 'regex'; value: string };

interface StringMatcher {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'regex';
  readonly value: string;
  readonly ignoreCase: boolean;
}

interface HeaderMatcher {
  readonly name: string;
  readonly present?: boolean;
  readonly match?: StringMatcher;
  readonly invert: boolean;
  readonly treatMissingAsEmpty: boolean;
}

interface QueryMatcher {
  readonly name: string;
  readonly present?: boolean;
  readonly match?: StringMatcher;
}

interface ClusterRef {
  readonly host: string;
  readonly subset?: string | undefined;
  readonly port?: number | undefined;
  readonly weight: number;
}

type RouteAction =
  | { readonly kind: 'route'; readonly clusters: readonly ClusterRef[]; readonly abort?: { status: number; percent: number } | undefined }
  | { readonly kind: 'redirect'; readonly status: number }
  | { readonly kind: 'direct'; readonly status: number };

interface EnvoyRoute {
  readonly name: string;
  readonly vs: string;
  readonly path: PathSpec;
  readonly caseSensitive: boolean;
  readonly headers: readonly HeaderMatcher[];
  readonly query: readonly QueryMatcher[];
  readonly action: RouteAction;
}

interface VirtualHost {
  readonly domain: string;
  routes: EnvoyRoute[];
  requireTls: boolean;
}

interface TcpListener {
  readonly port: number;
  /** The listener's own port (the gateway Service's targetPort), what `destination.port` sees. */
  readonly targetPort: number;
  readonly server: Json;
  readonly gateway: string;
}

export interface IstioModel {
  readonly inventory: Inventory;
  readonly objects: readonly KubeObject[];
  /** Route configuration `http.80`: virtual hosts by domain. Undefined: no HTTP server on port 80. */
  readonly http80?: ReadonlyMap<string, VirtualHost> | undefined;
  readonly httpTargetPort?: number | undefined;
  /** HTTPS servers on port 443, each with its own route configuration (virtual hosts by domain). */
  readonly https443: readonly { readonly hosts: readonly string[]; readonly vhosts: ReadonlyMap<string, VirtualHost> }[];
  readonly tcp: ReadonlyMap<number, TcpListener>;
  /** Non-fatal notes (e.g. a server skipped for a port conflict). */
  readonly notes: readonly string[];
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';
const idOf = (o: KubeObject) => `${nsOf(o)}/${o.metadata.name}`;
const byId = (a: KubeObject, b: KubeObject) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);

const KNOWN_KINDS = ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'AuthorizationPolicy', 'PeerAuthentication', 'WorkloadEntry'];

/**
 * IS pilot/pkg/model/config.go `ResolveShortnameToFQDN` (lines 197-230): a name without a dot is
 * `name.<namespace>.svc.cluster.local`; `*` and FQDNs stay.
 */
function resolveHost(host: string, namespace: string): string {
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${namespace}.svc.cluster.local`;
}

/** IS pilot/pkg/model/config.go `resolveGatewayName` (lines 233-262): `name` → `<vs namespace>/name`, `./name` too. */
function resolveGatewayName(name: string, namespace: string): string {
  if (name === 'mesh') return name;
  if (!name.includes('/')) {
    if (!name.includes('.')) return `${namespace}/${name}`;
    const [short, ns] = name.split('.');
    return `${ns}/${short}`;
  }
  return name.startsWith('./') ? `${namespace}/${name.slice(2)}` : name;
}

/**
 * IS pkg/config/host/name.go `SubsetOf` (lines 64-87) and names.go `Intersection` (lines 83-99):
 * a server host `*` and a VirtualService host `api.example.com` intersect in `api.example.com`; a
 * server `api.example.com` and a VS `*.example.com` intersect in `api.example.com` too.
 */
function subsetOf(n: string, o: string): boolean {
  const nw = n.startsWith('*');
  const ow = o.startsWith('*');
  if (nw) return ow && n.length >= o.length && n.slice(1).endsWith(o.slice(1));
  if (ow) return n.endsWith(o.slice(1));
  return n === o;
}

function intersection(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of serverHosts) {
    for (const o of vsHosts) {
      if (subsetOf(h, o)) {
        if (!out.includes(h)) out.push(h);
      } else if (subsetOf(o, h)) {
        if (!out.includes(o)) out.push(o);
      }
    }
  }
  return out;
}

/** IS pkg/config/host/name.go `Matches` (lines 37-60), used for TCP (gateway.go `pickMatchingGatewayHosts`). */
function hostMatches(n: string, o: string): boolean {
  const nw = n.startsWith('*');
  const ow = o.startsWith('*');
  if (nw && ow) return n.length < o.length ? o.slice(1).endsWith(n.slice(1)) : n.slice(1).endsWith(o.slice(1));
  if (nw) return o.endsWith(n.slice(1));
  if (ow) return n.endsWith(o.slice(1));
  return n === o;
}

/** Istio's StringMatch → Envoy StringMatcher (IS pilot/pkg/networking/util/util.go `ConvertToEnvoyMatch`). */
function stringMatch(m: unknown, where: string, ignoreCase = false): StringMatcher {
  if (!isMap(m)) throw new Error(`istio model: ${where} is not a StringMatch`);
  known(m, ['exact', 'prefix', 'regex'], where);
  if (typeof m['exact'] === 'string') return { kind: 'exact', value: m['exact'], ignoreCase };
  if (typeof m['prefix'] === 'string') return { kind: 'prefix', value: m['prefix'], ignoreCase };
  if (typeof m['regex'] === 'string') return { kind: 'regex', value: m['regex'], ignoreCase };
  throw new Error(`istio model: ${where} has no exact, prefix or regex`);
}

/**
 * IS pilot/pkg/networking/core/route/route.go `translateHeaderMatch` (lines 1204-1221) and
 * `canBeConvertedToPresentMatch` (lines 1164-1193): regex `*` becomes present_match.
 */
function headerMatcher(name: string, m: unknown, where: string, invert = false): HeaderMatcher {
  if (isMap(m) && m['regex'] === '*') return { name, present: true, invert, treatMissingAsEmpty: false };
  if (m === undefined || (isMap(m) && Object.keys(m).length === 0)) return { name, present: true, invert, treatMissingAsEmpty: false };
  // route.go lines 1079-1084: withoutHeaders that are not present matches treat a missing header as empty.
  return { name, match: stringMatch(m, where), invert, treatMissingAsEmpty: invert };
}

/**
 * IS route.go `TranslateRouteMatch` (lines 1059-1139): uri exact → path, prefix → prefix, regex →
 * safe_regex (the gateway's VirtualServices use neither ingress nor gateway-API semantics, so no
 * path_separated_prefix); `ignoreUriCase` → case_sensitive false; headers sorted by name; method as
 * the `:method` header, authority as `:authority`, scheme as `:scheme`; query params.
 */
function translateMatch(match: Json | undefined, where: string): Pick<EnvoyRoute, 'path' | 'caseSensitive' | 'headers' | 'query'> {
  if (!match) return { path: { kind: 'prefix', value: '/' }, caseSensitive: true, headers: [], query: [] };
  known(match, ['name', 'uri', 'headers', 'withoutHeaders', 'queryParams', 'method', 'authority', 'scheme', 'port', 'ignoreUriCase', 'gateways', 'sourceLabels', 'sourceNamespace', 'statPrefix'], where);
  let path: PathSpec = { kind: 'prefix', value: '/' };
  if (match['uri'] !== undefined) {
    const m = stringMatch(match['uri'], `${where}.uri`);
    path = m.kind === 'exact' ? { kind: 'path', value: m.value } : m.kind === 'prefix' ? { kind: 'prefix', value: m.value } : { kind: 'regex', value: m.value };
  }
  const headers: HeaderMatcher[] = [];
  if (isMap(match['headers'])) for (const [name, m] of Object.entries(match['headers'])) headers.push(headerMatcher(name, m, `${where}.headers.${name}`));
  if (isMap(match['withoutHeaders'])) for (const [name, m] of Object.entries(match['withoutHeaders'])) headers.push(headerMatcher(name, m, `${where}.withoutHeaders.${name}`, true));
  headers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (match['method'] !== undefined) headers.push(headerMatcher(':method', match['method'], `${where}.method`));
  if (match['authority'] !== undefined) headers.push(headerMatcher(':authority', match['authority'], `${where}.authority`));
  if (match['scheme'] !== undefined) headers.push(headerMatcher(':scheme', match['scheme'], `${where}.scheme`));
  const query: QueryMatcher[] = [];
  if (isMap(match['queryParams'])) {
    for (const [name, m] of Object.entries(match['queryParams'])) {
      query.push(isMap(m) && m['regex'] === '*' ? { name, present: true } : { name, match: stringMatch(m, `${where}.queryParams.${name}`) });
    }
  }
  return { path, caseSensitive: match['ignoreUriCase'] !== true, headers, query };
}

/** IS route.go `IsCatchAllRoute` (lines 1635-1649): prefix `/` or regex `.*`, no header or query condition. */
export function isCatchAll(r: Pick<EnvoyRoute, 'path' | 'headers' | 'query'>): boolean {
  const pathCatchAll = (r.path.kind === 'prefix' && r.path.value === '/') || (r.path.kind === 'regex' && r.path.value === '.*');
  return pathCatchAll && r.headers.length === 0 && r.query.length === 0;
}

/** IS route.go `SortVHostRoutes` (lines 1621-1633): catch-all routes move to the end, order kept otherwise. */
export function sortVHostRoutes<T extends Pick<EnvoyRoute, 'path' | 'headers' | 'query'>>(routes: readonly T[]): T[] {
  return [...routes.filter((r) => !isCatchAll(r)), ...routes.filter((r) => isCatchAll(r))];
}

function routeAction(http: Json, port: number, where: string): RouteAction {
  // IS route.go `TranslateRoute` lines 565-571: redirect, else direct response, else destinations.
  if (isMap(http['redirect'])) {
    const code = typeof http['redirect']['redirectCode'] === 'number' ? http['redirect']['redirectCode'] : 0;
    // IS route.go `ApplyRedirect` lines 831-851: 0 → 301; 302, 303, 307, 308 as given.
    return { kind: 'redirect', status: code === 0 ? 301 : code };
  }
  if (isMap(http['directResponse'])) {
    // IS route.go `ApplyDirectResponse` lines 855-880.
    return { kind: 'direct', status: Number(http['directResponse']['status']) };
  }
  const routes = list(http['route']);
  // IS route.go `applyHTTPRouteDestination` lines 684-703: one destination → its cluster, weight
  // ignored; several → weighted clusters, weight-0 destinations dropped.
  const clusters: ClusterRef[] = [];
  for (const [i, r] of routes.entries()) {
    known(r, ['destination', 'weight', 'headers'], `${where}.route[${i}]`);
    const d = isMap(r['destination']) ? r['destination'] : {};
    known(d, ['host', 'subset', 'port'], `${where}.route[${i}].destination`);
    const weight = typeof r['weight'] === 'number' ? r['weight'] : 0;
    if (routes.length > 1 && weight === 0) continue;
    const portNumber = isMap(d['port']) && typeof d['port']['number'] === 'number' ? d['port']['number'] : undefined;
    clusters.push({ host: String(d['host']), subset: typeof d['subset'] === 'string' ? d['subset'] : undefined, port: portNumber, weight: routes.length === 1 ? 1 : weight });
  }
  let abort: { status: number; percent: number } | undefined;
  const fault = http['fault'];
  if (isMap(fault) && isMap(fault['abort'])) {
    const a = fault['abort'];
    const percent = isMap(a['percentage']) && typeof a['percentage']['value'] === 'number' ? a['percentage']['value'] : 100;
    if (typeof a['httpStatus'] !== 'number') throw new Error(`istio model: ${where}.fault.abort without httpStatus is not modelled`);
    abort = { status: a['httpStatus'], percent };
  }
  void port;
  return { kind: 'route', clusters, abort };
}

const HTTP_ROUTE_KEYS = ['name', 'match', 'route', 'redirect', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'mirrors', 'headers', 'corsPolicy', 'rewrite'];

/**
 * IS route.go `BuildHTTPRoutesForVirtualService` (lines 400-445) and `TranslateRoute` (lines
 * 467-602): one Envoy route per match of each http entry, in order; a match whose `port` is not the
 * listener's port (line 478) or whose `gateways` do not name this gateway (`sourceMatchHTTP`,
 * lines 447-465) is dropped; building stops after the first catch-all. No route at all is an error
 * (line 441) and the VirtualService is then left out of the vhost (gateway.go lines 477-480).
 */
function buildHttpRoutes(vs: KubeObject, port: number, gateway: string, gatewayLabels: Labels, gatewayNamespace: string): EnvoyRoute[] | undefined {
  const out: EnvoyRoute[] = [];
  const ns = nsOf(vs);
  for (const [i, http] of list(vs.spec['http']).entries()) {
    const where = `VirtualService ${idOf(vs)} http[${i}]`;
    known(http, HTTP_ROUTE_KEYS, where);
    if (isMap(http['headers']) && isMap(http['headers']['request']) && isMap(http['headers']['request']['set']) && 'host' in http['headers']['request']['set']) {
      throw new Error(`istio model: ${where} rewrites the authority (not modelled)`);
    }
    const matches = list(http['match']);
    const name = typeof http['name'] === 'string' ? http['name'] : `http[${i}]`;
    let catchAll = false;
    if (matches.length === 0) {
      out.push({ name, vs: idOf(vs), ...translateMatch(undefined, where), action: routeAction(http, port, where) });
      catchAll = true;
    } else {
      for (const [j, m] of matches.entries()) {
        if (typeof m['port'] === 'number' && m['port'] !== 0 && m['port'] !== port) continue;
        const gws = strings(m['gateways']).map((g) => resolveGatewayName(g, ns));
        if (gws.length > 0) {
          if (!gws.includes(gateway)) continue;
        } else if (!labelsSubset(m['sourceLabels'], gatewayLabels) || (typeof m['sourceNamespace'] === 'string' && m['sourceNamespace'] !== gatewayNamespace)) continue;
        const r: EnvoyRoute = { name: typeof m['name'] === 'string' ? `${name}.${m['name']}` : name, vs: idOf(vs), ...translateMatch(m, `${where}.match[${j}]`), action: routeAction(http, port, where) };
        out.push(r);
        if (isCatchAll(r)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * IS push_context.go `initVirtualServices` (lines 1767-1830): a VirtualService without `exportTo`
 * (or with `*`) is public; `.` or its own namespace makes it private to that namespace; other
 * namespaces listed see it too. The gateway asks for the ones visible in its pods' namespace.
 */
function visibleToGateway(vs: KubeObject, gatewayNamespace: string): boolean {
  known(vs.spec, ['hosts', 'gateways', 'http', 'tcp', 'exportTo'], `VirtualService ${idOf(vs)}`);
  const exportTo = strings(vs.spec['exportTo']);
  if (exportTo.length === 0 || exportTo.includes('*')) return true;
  if (exportTo.includes('~')) return false;
  return exportTo.some((e) => e === gatewayNamespace || (e === '.' && nsOf(vs) === gatewayNamespace));
}

/**
 * IS pilot/pkg/model/gateway.go `sanitizeServerHostNamespace`: `./host` → `<gateway namespace>/host`,
 * `*` + `/host` → `host`, `*` + `/*` → `*`; other hosts stay as written.
 */
function sanitizeServerHosts(server: Json, namespace: string): Json {
  const hosts = strings(server['hosts']);
  if (!hosts.some((h) => h.includes('/'))) return server;
  if (hosts.includes('*/*')) return { ...server, hosts: ['*'] };
  return { ...server, hosts: hosts.map((h) => (h.startsWith('./') ? `${namespace}/${h.slice(2)}` : h.startsWith('*/') ? h.slice(2) : h)) };
}

/**
 * Builds what the ingress gateway runs:
 * - IS pilot/pkg/model/push_context.go `mergeGateways` (lines 2417-2467): every Gateway whose
 *   selector is a subset of the gateway pods' labels, in any namespace (PILOT_SCOPE_GATEWAY_TO_NAMESPACE
 *   is off by default). Order: by namespace/name (Istio orders configs by creation time, which a
 *   bundle applied in one go does not fix; the choice matters only for conflicting servers).
 * - IS pilot/pkg/model/gateway.go `MergeGateways` (lines 200-330): servers on one port are merged
 *   when both are plain HTTP; a TCP server on a port that already has one is skipped; the listener
 *   binds the gateway Service's targetPort (`resolvePorts`, a port the Service does not expose binds
 *   as is, which a client cannot reach: refused in this model).
 * - the HTTP route configuration `http.80` as `buildGatewayHTTPRouteConfig` builds it.
 */
export function buildIstio(objects: readonly KubeObject[], inventory: Inventory): IstioModel {
  const notes: string[] = [];
  for (const o of objects) if (!KNOWN_KINDS.includes(o.kind)) throw new Error(`istio model: kind ${o.kind} is not modelled`);
  const gwLabels = inventory.gateway.labels;
  const gateways = objects.filter((o) => o.kind === 'Gateway' && labelsSubset(o.spec['selector'], gwLabels)).sort(byId);
  const vss = objects.filter((o) => o.kind === 'VirtualService' && visibleToGateway(o, inventory.gateway.namespace)).sort(byId);
  // servers by port, first protocol wins (plainTextServers)
  interface Srv { server: Json; gateway: string; protocol: string }
  const byPort = new Map<number, Srv[]>();
  for (const g of gateways) {
    for (const raw of list(g.spec['servers'])) {
      const s = sanitizeServerHosts(raw, nsOf(g));
      const port = isMap(s['port']) ? Number(s['port']['number']) : NaN;
      const protocol = isMap(s['port']) ? String(s['port']['protocol']).toUpperCase() : '';
      const entry = { server: s, gateway: idOf(g), protocol };
      const current = byPort.get(port);
      if (!current) {
        byPort.set(port, [entry]);
        continue;
      }
      const first = current[0] as Srv;
      const httpLike = (p: string) => ['HTTP', 'HTTP2', 'GRPC'].includes(p);
      if (httpLike(first.protocol) && httpLike(protocol)) current.push(entry);
      else if (first.protocol === 'HTTPS' && protocol === 'HTTPS') current.push(entry);
      else notes.push(`server ${protocol} on port ${port} of ${idOf(g)} skipped: port already has a ${first.protocol} server`);
    }
  }
  // VirtualServices bound to a gateway: IS push_context.go `VirtualServicesForGateway` (lines
  // 1113-1135) over `gateways`, resolved per `resolveGatewayName`; no `gateways` means `mesh` only
  // (`getGatewayNames`).
  const vsFor = (gateway: string) => vss.filter((vs) => strings(vs.spec['gateways']).map((g) => resolveGatewayName(g, nsOf(vs))).includes(gateway));

  // IS pilot/pkg/networking/core/gateway.go `buildGatewayHTTPRouteConfig` (lines 388-577): one route
  // configuration per set of servers (all plain-text servers of a port share `http.<port>`; each TLS
  // server terminated on the gateway has its own, `https.<port>.<name>`), from the VirtualServices
  // bound to the gateway whose hosts intersect the servers'.
  const routeConfig = (servers: readonly Srv[], port: number): Map<string, VirtualHost> => {
    const vhosts = new Map<string, VirtualHost>();
    const routeCache = new Map<string, EnvoyRoute[] | undefined>();
    for (const { server, gateway } of servers) {
      const tls = isMap(server['tls']) ? server['tls'] : undefined;
      const redirect = tls?.['httpsRedirect'] === true;
      for (const vs of vsFor(gateway)) {
        // lines 441-451: hosts of the server (namespace-qualified `ns/host` are for that namespace) ∩ hosts of the VS
        const serverHosts = strings(server['hosts']).flatMap((h) => {
          const slash = h.indexOf('/');
          if (slash < 0) return [h];
          const ns = h.slice(0, slash);
          return ns === nsOf(vs) || ns === '*' ? [h.slice(slash + 1)] : [];
        });
        const vsHosts = strings(vs.spec['hosts']).map((h) => resolveHost(h, nsOf(vs)));
        const hosts = intersection(serverHosts, vsHosts);
        if (hosts.length === 0) continue;
        // lines 470-483: routes built once per gateway and VirtualService, with the server's port
        const key = `${gateway}|${idOf(vs)}`;
        if (!routeCache.has(key)) routeCache.set(key, buildHttpRoutes(vs, port, gateway, gwLabels, inventory.gateway.namespace));
        const routes = routeCache.get(key);
        if (!routes) continue;
        for (const h of hosts) {
          const hostname = h.toLowerCase();
          const existing = vhosts.get(hostname);
          // lines 485-490: a vhost that exists already gets the routes APPENDED (and require_tls
          // when this server redirects); otherwise a new vhost (lines 491-514).
          if (existing) {
            existing.routes.push(...routes);
            if (redirect) existing.requireTls = true;
          } else {
            vhosts.set(hostname, { domain: hostname, routes: [...routes], requireTls: redirect });
          }
        }
      }
      // lines 518-536: every host of a redirecting server gets require_tls, an empty vhost if none yet.
      if (redirect) {
        for (const h of strings(server['hosts'])) {
          // as Istio does it: the sanitized host string itself (a `ns/host` form stays whole)
          const hostname = h.toLowerCase();
          const existing = vhosts.get(hostname);
          if (existing) existing.requireTls = true;
          else vhosts.set(hostname, { domain: hostname, routes: [], requireTls: true });
        }
      }
    }
    // lines 555-561: SortVHostRoutes on every vhost.
    for (const v of vhosts.values()) v.routes = sortVHostRoutes(v.routes);
    return vhosts;
  };

  let http80: Map<string, VirtualHost> | undefined;
  const servers80 = (byPort.get(80) ?? []).filter((s) => ['HTTP', 'HTTP2', 'GRPC'].includes(s.protocol));
  const httpTargetPort = inventory.gateway.targetPort(80);
  if (servers80.length > 0 && httpTargetPort !== undefined) http80 = routeConfig(servers80, 80);
  // HTTPS (mode SIMPLE) on 443: one filter chain per server, chosen by SNI among its hosts
  // (gateway.go buildGatewayTCPBasedFilterChains lines 279-301, one route config per server).
  const https443 = inventory.gateway.targetPort(443) === undefined ? [] : (byPort.get(443) ?? []).filter((s) => s.protocol === 'HTTPS').map((srv) => ({ hosts: strings(srv.server['hosts']).map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h).toLowerCase()), vhosts: routeConfig([srv], 443) }));

  const tcp = new Map<number, TcpListener>();
  for (const [port, srvs] of byPort) {
    const first = srvs[0] as Srv;
    if (first.protocol !== 'TCP') continue;
    const targetPort = inventory.gateway.targetPort(port);
    if (targetPort === undefined) {
      notes.push(`TCP server on port ${port}: the gateway Service does not expose it (a proxy port?)`);
      continue;
    }
    tcp.set(port, { port, targetPort, server: first.server, gateway: first.gateway });
  }
  return { inventory, objects, http80, httpTargetPort, https443, tcp, notes };
}

// ---------------------------------------------------------------------------------------------
// Request time.

/**
 * The path Envoy routes on: normalize_path is on (IS pilot/pkg/networking/core/listener_builder.go
 * lines 340-346: meshConfig pathNormalization BASE/DEFAULT → NormalizePath true, escaped slashes
 * KEEP_UNCHANGED). NORM "BASE": percent-encoded unreserved characters are decoded (%2D %2E %30-%39
 * %41-%5A %5F %61-%7A %7E), a backslash becomes `/`, and `.`/`..` segments are resolved per
 * RFC 3986; every other escape stays as it is. The query string is untouched.
 */
export function normalizePath(target: string): string {
  const q = target.indexOf('?');
  let path = q >= 0 ? target.slice(0, q) : target;
  const query = q >= 0 ? target.slice(q) : '';
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m;
  });
  path = path.replace(/\\/g, '/');
  const out: string[] = [];
  const segments = path.split('/').slice(1);
  for (const [i, s] of segments.entries()) {
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
      continue;
    }
    if (s === '..') {
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}${query}`;
}

/**
 * EV route_components.proto `VirtualHost.domains`: "Domain search order: 1. Exact domain names
 * 2. Suffix domain wildcards (`*.foo.com`) 3. Prefix domain wildcards (`foo.*`) 4. Special wildcard
 * `*`"; the longest wildcard wins, a wildcard never matches the empty string. Host matching ignores
 * letter case, and the port (IS gateway.go line 569 `IgnorePortInHostMatching: true`; EV route.proto
 * `ignore_port_in_host_matching`).
 */
function hostOnly(hostHeader: string): string {
  const colon = hostHeader.lastIndexOf(':');
  return (colon >= 0 && !hostHeader.includes(']', colon) ? hostHeader.slice(0, colon) : hostHeader).toLowerCase();
}

export function selectVirtualHost<V extends { domain: string }>(vhosts: ReadonlyMap<string, V>, hostHeader: string): V | undefined {
  const colon = hostHeader.lastIndexOf(':');
  const host = (colon >= 0 && !hostHeader.includes(']', colon) ? hostHeader.slice(0, colon) : hostHeader).toLowerCase();
  const exact = vhosts.get(host);
  if (exact) return exact;
  let best: V | undefined;
  for (const v of vhosts.values()) {
    const d = v.domain;
    if (d.startsWith('*') && d.length > 1 && host.length > d.length - 1 && host.endsWith(d.slice(1))) {
      if (!best || d.length > best.domain.length) best = v;
    }
  }
  if (best) return best;
  for (const v of vhosts.values()) {
    const d = v.domain;
    if (d.endsWith('*') && d.length > 1 && host.length > d.length - 1 && host.startsWith(d.slice(0, -1))) {
      if (!best || d.length > best.domain.length) best = v;
    }
  }
  return best ?? vhosts.get('*');
}

function matchString(m: StringMatcher, value: string): boolean {
  const v = m.ignoreCase ? value.toLowerCase() : value;
  const x = m.ignoreCase ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return v === x;
    case 'prefix':
      return v.startsWith(x);
    case 'suffix':
      return v.endsWith(x);
    case 'regex':
      // EV: safe_regex is RE2 and must match the whole value.
      return RE2JS.compile(m.value).matches(value);
  }
}

/**
 * Envoy's `HeaderUtility::matchHeaders` (header_utility.cc): a missing header matches only a
 * present_match that is inverted, or (treat_missing_header_as_empty) is matched as ""; otherwise the
 * match result is XORed with invert_match. Several values of one header are joined with ",".
 */
function matchHeader(h: HeaderMatcher, headers: ReadonlyMap<string, string>): boolean {
  let value = headers.get(h.name);
  if (value === undefined) {
    if (h.treatMissingAsEmpty) value = '';
    else return h.present !== undefined ? h.invert === h.present : false;
  }
  const result = h.present !== undefined ? h.present : matchString(h.match as StringMatcher, value);
  return result !== h.invert;
}

/** The query parameters of a request target (first value of a name wins, as Envoy reads them). */
export function queryParams(target: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = target.indexOf('?');
  if (q < 0) return out;
  for (const part of target.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    if (!out.has(name)) out.set(name, eq >= 0 ? part.slice(eq + 1) : '');
  }
  return out;
}

/**
 * EV route_components.proto `RouteMatch`: `prefix` must match the beginning of the :path header;
 * `path` must match it exactly once the query string is removed; `safe_regex` must match the whole
 * path once the query string is removed (RE2); `case_sensitive` false compares prefix and path
 * without letter case (it is ignored for safe_regex). All headers and query parameters must match
 * (EV `QueryParameterMatcher`: a missing parameter never matches).
 */
function routeMatches(r: EnvoyRoute, path: string, headers: ReadonlyMap<string, string>, query: ReadonlyMap<string, string>): boolean {
  const q = path.indexOf('?');
  const bare = q >= 0 ? path.slice(0, q) : path;
  const fold = (s: string) => (r.caseSensitive ? s : s.toLowerCase());
  switch (r.path.kind) {
    case 'prefix':
      if (!fold(path).startsWith(fold(r.path.value))) return false;
      break;
    case 'path':
      if (fold(bare) !== fold(r.path.value)) return false;
      break;
    case 'regex':
      if (!RE2JS.compile(r.path.value).matches(bare)) return false;
      break;
  }
  for (const h of r.headers) if (!matchHeader(h, headers)) return false;
  for (const m of r.query) {
    const v = query.get(m.name);
    if (v === undefined) return false;
    if (m.present === undefined && !matchString(m.match as StringMatcher, v)) return false;
  }
  return true;
}

// -------------------------------------------------------------------------------------------------
// Destinations → endpoints.

interface Endpoints {
  /** Target → number of endpoints (each endpoint gets an equal share of the cluster's traffic). */
  readonly targets: ReadonlyMap<Target, number>;
  readonly why: string;
}

/**
 * IS push_context.go `destinationRule` (lines 1240-1300): the DestinationRule for a host is looked up
 * in the proxy's namespace, then the service's namespace, then the root namespace.
 */
function destinationRuleFor(model: IstioModel, host: string, serviceNamespace: string): KubeObject | undefined {
  const drs = model.objects.filter((o) => o.kind === 'DestinationRule' && String(o.spec['host']) === host);
  for (const d of drs) known(d.spec, ['host', 'subsets', 'trafficPolicy'], `DestinationRule ${idOf(d)}`);
  for (const ns of [model.inventory.gateway.namespace, serviceNamespace, model.inventory.rootNamespace]) {
    const found = drs.filter((d) => nsOf(d) === ns);
    if (found.length > 1) throw new Error(`istio model: several DestinationRules for ${host} in ${ns} (merging not modelled)`);
    if (found[0]) return found[0];
  }
  return undefined;
}

/**
 * A cluster `outbound|port|subset|host`: the Service (inventory) or ServiceEntry (bundle) of the
 * host, the port of the destination (a port the service does not have is no cluster), the subset's
 * labels from the DestinationRule (an undefined subset is no cluster), then the endpoints: the
 * Service's pods matching its selector and the subset's labels, or the ServiceEntry's endpoints.
 * No cluster, or a cluster without endpoints, answers 503 (Envoy: cluster_not_found → 503,
 * no_healthy_upstream → 503) for HTTP, and closes a TCP connection.
 */
function resolveCluster(model: IstioModel, c: ClusterRef, vsNamespace: string): Endpoints {
  const host = resolveHost(c.host, vsNamespace);
  const svc = model.inventory.services.get(host);
  const entries = model.objects.filter((o) => o.kind === 'ServiceEntry' && strings(o.spec['hosts']).includes(host));
  if (!svc && entries.length === 0) return { targets: new Map(), why: `host ${host} is in no registry` };
  const namespace = svc ? svc.namespace : nsOf(entries[0] as KubeObject);
  const dr = destinationRuleFor(model, host, namespace);
  let subsetLabels: Labels = {};
  if (c.subset !== undefined) {
    const subset = list(dr?.spec['subsets']).find((s) => s['name'] === c.subset);
    if (!subset) return { targets: new Map(), why: `subset ${c.subset} of ${host} is not defined` };
    subsetLabels = isMap(subset['labels']) ? (subset['labels'] as Labels) : {};
  }
  const targets = new Map<Target, number>();
  if (svc) {
    const port = c.port ?? (svc.ports.size === 1 ? [...svc.ports][0] : undefined);
    if (port === undefined || !svc.ports.has(port)) return { targets, why: `Service ${host} has no port ${c.port ?? '(none given)'}` };
    for (const pods of model.inventory.pods) {
      if (pods.namespace !== svc.namespace || pods.count === 0) continue;
      if (!labelsSubset(svc.selector, pods.labels) || !labelsSubset(subsetLabels, pods.labels)) continue;
      const t = appTarget(pods.app, port);
      targets.set(t, (targets.get(t) ?? 0) + pods.count);
    }
    return { targets, why: `Service ${host}:${port}${c.subset ? ` subset ${c.subset}` : ''}` };
  }
  if (entries.length > 1) throw new Error(`istio model: several ServiceEntries for ${host} (merging not modelled)`);
  const se = entries[0] as KubeObject;
  known(se.spec, ['hosts', 'location', 'ports', 'resolution', 'endpoints', 'workloadSelector', 'addresses', 'exportTo'], `ServiceEntry ${idOf(se)}`);
  const sePort = list(se.spec['ports']).find((p) => p['number'] === c.port) ?? (c.port === undefined ? list(se.spec['ports'])[0] : undefined);
  if (!sePort) return { targets, why: `ServiceEntry ${idOf(se)} has no port ${c.port}` };
  const resolution = String(se.spec['resolution'] ?? 'NONE');
  const endpoints = list(se.spec['endpoints']);
  if (isMap(se.spec['workloadSelector'])) {
    // Endpoints are the pods of the entry's namespace whose labels the selector (and the subset) select.
    if (endpoints.length > 0) throw new Error(`istio model: ServiceEntry ${idOf(se)} has both endpoints and a workloadSelector (Istio refuses it)`);
    const selector = se.spec['workloadSelector']['labels'];
    const port = Number(sePort['targetPort'] ?? sePort['number']);
    for (const pods of model.inventory.pods) {
      if (pods.namespace !== nsOf(se) || pods.count === 0 || !labelsSubset(selector, pods.labels) || !labelsSubset(subsetLabels, pods.labels)) continue;
      targets.set(appTarget(pods.app, port), (targets.get(appTarget(pods.app, port)) ?? 0) + pods.count);
    }
    return { targets, why: `ServiceEntry ${idOf(se)} (workloadSelector)` };
  }
  // A DNS entry without endpoints resolves its host itself (Istio: STRICT_DNS, every A record an
  // endpoint); subsets need labelled endpoints, so a subset selects nothing here.
  const dnsEndpoints: Json[] = resolution === 'DNS' && endpoints.length === 0 ? [{ address: host }] : endpoints;
  if (dnsEndpoints.length === 0) return { targets, why: `ServiceEntry ${idOf(se)} (${resolution}) has no endpoints` };
  for (const ep of dnsEndpoints) {
    if (!labelsSubset(subsetLabels, isMap(ep['labels']) ? (ep['labels'] as Labels) : {})) continue;
    const address = String(ep['address']);
    const epPort = isMap(ep['ports']) && typeof ep['ports'][String(sePort['name'])] === 'number' ? (ep['ports'][String(sePort['name'])] as number) : Number(sePort['targetPort'] ?? sePort['number']);
    const record = resolution === 'DNS' ? model.inventory.dns.get(address) : undefined;
    if (record) {
      if (record.count > 0) targets.set(appTarget(record.app, epPort), (targets.get(appTarget(record.app, epPort)) ?? 0) + record.count);
      continue;
    }
    const backing = resolution === 'DNS' ? model.inventory.services.get(address) : undefined;
    if (!backing) {
      if (resolution === 'DNS') continue; // a name no DNS in the inventory resolves
      throw new Error(`istio model: ServiceEntry endpoint ${address} is not an address of the inventory (not modelled)`);
    }
    // DNS to a cluster Service: its ClusterIP, balanced over its pods.
    for (const pods of model.inventory.pods) {
      if (pods.namespace !== backing.namespace || pods.count === 0 || !labelsSubset(backing.selector, pods.labels)) continue;
      const t = appTarget(pods.app, epPort);
      targets.set(t, (targets.get(t) ?? 0) + pods.count);
    }
  }
  return { targets, why: `ServiceEntry ${idOf(se)}` };
}

/** Weighted clusters → shares; each cluster's share spread evenly over its endpoints. */
function splitClusters(model: IstioModel, clusters: readonly ClusterRef[], vsNamespace: string, unavailable: Target, trace: string[]): { target: Target; weight: number }[] {
  const parts: { target: Target; weight: number }[] = [];
  for (const c of clusters) {
    const eps = resolveCluster(model, c, vsNamespace);
    const total = [...eps.targets.values()].reduce((s, n) => s + n, 0);
    trace.push(`cluster ${c.host}${c.subset ? `/${c.subset}` : ''}:${c.port ?? ''} weight ${c.weight}: ${eps.why}, ${total} endpoint(s)`);
    if (total === 0) {
      parts.push({ target: unavailable, weight: c.weight });
      continue;
    }
    for (const [t, n] of eps.targets) parts.push({ target: t, weight: (c.weight * n) / total });
  }
  return parts;
}

// -------------------------------------------------------------------------------------------------
// AuthorizationPolicy on the gateway.

/**
 * IS pilot/pkg/model/authorization.go `ListAuthorizationPolicies` (lines 84-113): policies of the
 * root namespace and of the workload's namespace, selected by `ShouldAttachPolicy`
 * (policyattachment.go lines 123-140: a non-gateway-API workload uses `selector`, a policy with
 * targetRefs is ignored); a selector matches when its labels are a subset of the pods' labels.
 */
function gatewayPolicies(model: IstioModel): { deny: KubeObject[]; allow: KubeObject[] } {
  const gw = model.inventory.gateway;
  const deny: KubeObject[] = [];
  const allow: KubeObject[] = [];
  for (const p of model.objects.filter((o) => o.kind === 'AuthorizationPolicy').sort(byId)) {
    if (nsOf(p) !== model.inventory.rootNamespace && nsOf(p) !== gw.namespace) continue;
    if (p.spec['targetRef'] !== undefined || p.spec['targetRefs'] !== undefined) continue;
    const selector = isMap(p.spec['selector']) ? p.spec['selector']['matchLabels'] : undefined;
    if (!labelsSubset(selector, gw.labels)) continue;
    const action = String(p.spec['action'] ?? 'ALLOW');
    if (action === 'DENY') deny.push(p);
    else if (action === 'ALLOW') allow.push(p);
    else if (action !== 'AUDIT') throw new Error(`istio model: AuthorizationPolicy action ${action} is not modelled`);
  }
  return { deny, allow };
}

interface AuthzRequest {
  readonly tcp: boolean;
  /** `destination.port`: the listener's port. */
  readonly port: number;
  readonly authority?: string;
  readonly method?: string;
  /** Normalized path without the query (NORM: "remove anything after ?"). */
  readonly path?: string;
}

/**
 * IS pilot/pkg/security/authz/matcher/header.go `HostMatcher` (lines 60-90): `*` present, `*x`
 * suffix, `x*` prefix, else exact, all ignoring case, against `:authority` AS SENT (port included).
 * Methods: `HeaderMatcher` the same forms, case-sensitive. Paths: matcher/string.go
 * `StringMatcherWithPrefix` (`*` → `.+`, `*x` suffix, `x*` prefix, else exact; case-sensitive) on
 * the URL path without query (EV path.proto PathMatcher).
 */
function globMatch(pattern: string, value: string, ignoreCase: boolean, star: 'present' | 'nonEmpty'): boolean {
  const v = ignoreCase ? value.toLowerCase() : value;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === '*') return star === 'present' ? true : v.length > 0;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

const OPERATION_FIELDS = [
  ['hosts', false],
  ['notHosts', true],
  ['ports', false],
  ['notPorts', true],
  ['methods', false],
  ['notMethods', true],
  ['paths', false],
  ['notPaths', true],
] as const;

/**
 * IS pilot/pkg/security/authz/model/model.go `New` (lines 141-153) and `rule.permission` (lines
 * 243-297), generator.go (lines 387-434): each operation field is a permission ANDed with the
 * others (a `not` field: none of its values may match); `hosts`, `paths`, `methods` (and their
 * `not` forms) are HTTP only: on a TCP filter chain their generator fails, and `checkError` (lines
 * 355-365) drops the field for a DENY policy (a WIDER deny) but drops the whole rule for an ALLOW
 * policy (model.go `Generate` fails, builder.go lines 284-288 skip the rule). An operation without
 * fields matches anything (`permissionAny`). API authorization_policy.proto says the same: "If we
 * were to remove the ports match, all TCP traffic would be denied".
 */
function operationMatches(op: Json, r: AuthzRequest, action: 'DENY' | 'ALLOW', where: string): boolean | 'skip-rule' {
  known(op, OPERATION_FIELDS.map(([k]) => k), where);
  for (const [key, not] of OPERATION_FIELDS) {
    const values = strings(op[key]);
    if (values.length === 0) continue;
    const field = key.replace(/^not/, '').toLowerCase();
    if (r.tcp && field !== 'ports') {
      if (action === 'ALLOW') return 'skip-rule';
      continue; // DENY: the field is dropped
    }
    const matchesAny = values.some((v) => {
      if (field === 'hosts') return globMatch(v, r.authority ?? '', true, 'present');
      if (field === 'methods') return globMatch(v, r.method ?? '', false, 'present');
      if (field === 'paths') {
        if (v.includes('{*}') || v.includes('{**}')) throw new Error(`istio model: path templates are not modelled (${where})`);
        return globMatch(v, r.path ?? '', false, 'nonEmpty');
      }
      return Number(v) === r.port;
    });
    if (matchesAny === not) return false;
  }
  return true;
}

/**
 * API authorization_policy.proto `Rule`: a rule matches when a `from` source matches (none given:
 * any), a `to` operation matches (none given: any) and every `when` condition holds; a policy with
 * no rules never matches (builder.go lines 293-298, rbacPolicyMatchNever).
 */
function policyMatches(p: KubeObject, r: AuthzRequest, action: 'DENY' | 'ALLOW'): boolean {
  for (const [i, rule] of list(p.spec['rules']).entries()) {
    const where = `AuthorizationPolicy ${idOf(p)} rules[${i}]`;
    known(rule, ['to', 'from', 'when'], where);
    if (rule['from'] !== undefined || rule['when'] !== undefined) throw new Error(`istio model: ${where} uses from/when (not modelled)`);
    const tos = list(rule['to']);
    if (tos.length === 0) return true;
    let skip = false;
    const any = tos.some((to, j) => {
      known(to, ['operation'], `${where}.to[${j}]`);
      const m = operationMatches(isMap(to['operation']) ? to['operation'] : {}, r, action, `${where}.to[${j}].operation`);
      if (m === 'skip-rule') skip = true;
      return m === true;
    });
    if (skip) continue;
    if (any) return true;
  }
  return false;
}

/**
 * IS pilot/pkg/security/authz/builder/builder.go `build` (lines 112-140): the DENY filter runs
 * before the ALLOW filter; a request matching a DENY policy is refused; when ALLOW policies exist,
 * a request matching none of them is refused too. HTTP answers 403; TCP closes the connection.
 */
function authorize(model: IstioModel, r: AuthzRequest, trace: string[]): boolean {
  const { deny, allow } = gatewayPolicies(model);
  for (const p of deny) {
    if (policyMatches(p, r, 'DENY')) {
      trace.push(`DENY by AuthorizationPolicy ${idOf(p)}`);
      return false;
    }
  }
  if (allow.length > 0 && !allow.some((p) => policyMatches(p, r, 'ALLOW'))) {
    trace.push('no ALLOW policy matches');
    return false;
  }
  return true;
}

// -------------------------------------------------------------------------------------------------

/**
 * The filter chain of a TLS connection: Envoy matches `server_names` exact first, then the longest
 * `*.suffix` (EV listener_components.proto FilterChainMatch.server_names), then a chain without
 * names (Istio's `*` host).
 */
function selectTlsServer(model: IstioModel, sni: string): IstioModel['https443'][number] | undefined {
  const exact = model.https443.find((s) => s.hosts.includes(sni));
  if (exact) return exact;
  let best: { server: IstioModel['https443'][number]; length: number } | undefined;
  for (const server of model.https443) {
    for (const h of server.hosts) {
      if (h.startsWith('*.') && sni.length > h.length - 1 && sni.endsWith(h.slice(1)) && (!best || h.length > best.length)) best = { server, length: h.length };
    }
  }
  return best?.server ?? model.https443.find((s) => s.hosts.includes('*'));
}

export function decideHttp(model: IstioModel, request: HttpRequestDesc): Outcome {
  const trace: string[] = [];
  const https = request.scheme === 'https';
  let vhosts: ReadonlyMap<string, VirtualHost>;
  let listenerPort: number;
  if (https) {
    const sni = hostOnly(request.host);
    const server = selectTlsServer(model, sni);
    if (!server) return refusedOutcome([`no HTTPS server on port 443 for SNI ${sni} → refused`]);
    trace.push(`HTTPS server for ${server.hosts.join(',')}`);
    vhosts = server.vhosts;
    listenerPort = model.inventory.gateway.targetPort(443) as number;
  } else {
    if (!model.http80 || model.httpTargetPort === undefined) return refusedOutcome(['no HTTP server on gateway port 80 → refused']);
    vhosts = model.http80;
    listenerPort = model.httpTargetPort;
  }
  const path = normalizePath(request.target);
  const bare = path.includes('?') ? path.slice(0, path.indexOf('?')) : path;
  const headers = new Map<string, string>(Object.entries(request.headers));
  headers.set(':method', request.method);
  headers.set(':authority', request.host);
  headers.set(':path', path);
  headers.set(':scheme', https ? 'https' : 'http');
  // The RBAC filter runs before the router (its decision does not depend on the route).
  if (!authorize(model, { tcp: false, port: listenerPort, authority: request.host, method: request.method, path: bare }, trace)) return statusOutcome(403, trace);
  const vhost = selectVirtualHost(vhosts, request.host);
  if (!vhost) {
    trace.push(`no virtual host for ${request.host} → 404`);
    return statusOutcome(404, trace);
  }
  trace.push(`virtual host ${vhost.domain} (${vhost.routes.length} routes${vhost.requireTls ? ', require_tls ALL' : ''})`);
  // EV route_components.proto `VirtualHost.require_tls` ALL: a plain-HTTP request is redirected to
  // HTTPS (301) before any route is matched.
  if (vhost.requireTls && !https) return statusOutcome(301, trace);
  const query = queryParams(path);
  const route = vhost.routes.find((r) => routeMatches(r, path, headers, query));
  if (!route) {
    trace.push('no route matches → 404');
    return statusOutcome(404, trace);
  }
  trace.push(`route "${route.name}" of ${route.vs}`);
  const a = route.action;
  if (a.kind !== 'route') return statusOutcome(a.status, trace);
  const vsNamespace = route.vs.slice(0, route.vs.indexOf('/'));
  const parts = splitClusters(model, a.clusters, vsNamespace, 'status:503', trace);
  if (parts.length === 0) return statusOutcome(503, [...trace, 'no cluster → 503']);
  const served = splitOutcome(parts, trace);
  if (!a.abort) return served;
  // Fault abort: a share of the requests is answered by the fault filter (before the router).
  const p = a.abort.percent / 100;
  const shares = new Map<Target, number>();
  for (const [t, s] of served.shares) shares.set(t, s * (1 - p));
  shares.set(`status:${a.abort.status}`, (shares.get(`status:${a.abort.status}`) ?? 0) + p);
  for (const [t, s] of shares) if (s <= 0) shares.delete(t);
  return { shares, trace };
}

/**
 * IS gateway.go `buildGatewayNetworkFiltersFromTCPRoutes` (lines 849-908): the first VirtualService
 * bound to the gateway whose hosts match the server's (`pickMatchingGatewayHosts`, lines 1052-1077)
 * and that has a `tcp` entry whose match holds (`l4MultiMatch`: no match, or `port` equal to the
 * server's port and `gateways` naming it, lines 1089-1122) proxies the connection to its weighted
 * destinations; none → no proxy, the connection is closed.
 */
export function decideTcp(model: IstioModel, port: number): Outcome {
  const trace: string[] = [];
  const listener = model.tcp.get(port);
  if (!listener) return refusedOutcome([`no TCP listener on gateway port ${port} → refused`]);
  if (!authorize(model, { tcp: true, port: listener.targetPort }, trace)) return refusedOutcome(trace);
  const serverHosts = strings(listener.server['hosts']);
  const vss = model.objects.filter((o) => o.kind === 'VirtualService').sort(byId);
  for (const vs of vss) {
    if (!strings(vs.spec['gateways']).map((g) => resolveGatewayName(g, nsOf(vs))).includes(listener.gateway)) continue;
    const vsHosts = strings(vs.spec['hosts']).map((h) => resolveHost(h, nsOf(vs)));
    if (!vsHosts.some((h) => serverHosts.some((s) => hostMatches(s.includes('/') ? s.slice(s.indexOf('/') + 1) : s, h)))) continue;
    for (const [i, t] of list(vs.spec['tcp']).entries()) {
      known(t, ['match', 'route'], `VirtualService ${idOf(vs)} tcp[${i}]`);
      const matches = list(t['match']);
      const ok =
        matches.length === 0 ||
        matches.some((m) => {
          known(m, ['port', 'gateways', 'destinationSubnets', 'sourceLabels', 'sourceNamespace'], `VirtualService ${idOf(vs)} tcp[${i}].match`);
          const portOk = m['port'] === undefined || m['port'] === 0 || m['port'] === port;
          const gws = strings(m['gateways']).map((g) => resolveGatewayName(g, nsOf(vs)));
          return portOk && (gws.length === 0 || gws.includes(listener.gateway));
        });
      if (!ok) continue;
      trace.push(`tcp[${i}] of VirtualService ${idOf(vs)}`);
      const routes = list(t['route']);
      const clusters: ClusterRef[] = routes
        .map((r) => {
          const d = isMap(r['destination']) ? r['destination'] : {};
          const portNumber = isMap(d['port']) && typeof d['port']['number'] === 'number' ? d['port']['number'] : undefined;
          return { host: String(d['host']), subset: typeof d['subset'] === 'string' ? d['subset'] : undefined, port: portNumber, weight: routes.length === 1 ? 1 : typeof r['weight'] === 'number' ? r['weight'] : 0 };
        })
        .filter((c) => c.weight > 0);
      const parts = splitClusters(model, clusters, nsOf(vs), 'refused', trace);
      if (parts.length === 0) return refusedOutcome([...trace, 'no cluster → refused']);
      return splitOutcome(parts, trace);
    }
  }
  return refusedOutcome([...trace, `no VirtualService tcp route for port ${port} → refused`]);
}

export function istioDecide(model: IstioModel, request: RequestDesc): Outcome {
  return request.kind === 'tcp' ? decideTcp(model, request.port) : decideHttp(model, request);
}
