import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import { caughtBy, wildcardChain } from '../routing/hosts.ts';
import type { AppInfo, Destination, Route, RouteTable } from '../routing/route-table.ts';
import { compare, resolveWeights } from '../routing/route-table.ts';
import { servingDestinations, servingPlan } from '../routing/serving.ts';
import { destinationRules, hostPlans, type HostPlans } from './destination-rules.ts';
import { objectName } from './names.ts';
import { existingGateway, gatewaySelector, networkingApi, securityApi, type IstioOptions } from './options.ts';
import { mergeServiceEntries, serviceEntries } from './service-entries.ts';
import { appPort, appTarget, checkHosts } from './targets.ts';
import type { TlsSettings } from '../manifest/traffic.ts';
import { faultOf, methodsOf, mirrorOf, retriesOf, ruleMatches, rulesOf, timeoutOf } from './traffic.ts';

export { serviceHost } from './targets.ts';

/** Kinds in the order they are emitted (things referred to before things that refer to them). */
export const KIND_ORDER = ['Gateway', 'PeerAuthentication', 'AuthorizationPolicy', 'ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'] as const;

export interface Translation {
  readonly resources: readonly Resource[];
  readonly warnings: readonly Warning[];
}

/**
 * Route table → Istio resources. Contract: one Gateway for external routes (HTTP on 80 for `*`,
 * HTTPS and redirect servers per TLS host, one TCP server per TCP port); exactly one VirtualService
 * per FQDN, each route's match rules before its own entry, routes most specific path first and the
 * catch-all last, TCP rules by port; DestinationRules, ServiceEntries and policies only where
 * needed. The result is sorted by KIND_ORDER, then name, and is a pure function of its inputs.
 */
export function translate(table: RouteTable, options: IstioOptions, emit?: (resource: Resource) => void): Translation {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const { apps, instancesOf, serving, live } = servingPlan(table);
  errors.push(...checkHosts(table, apps, options));
  if (errors.length > 0) failWith(errors);
  const plans = hostPlans({ routes: live, apps: table.apps }, apps, options, warnings);
  const ctx: Ctx = { options, apps, warnings, plans, serving, instancesOf };
  const resources: Resource[] = [];

  const byHost = new Map<string, Route[]>();
  for (const route of table.routes) {
    const list = byHost.get(route.fqdn) ?? [];
    list.push(route);
    byHost.set(route.fqdn, list);
  }
  const tls = tlsByHost(byHost, errors, warnings);
  if (errors.length > 0) failWith(errors);

  const external = table.routes.filter((r) => !r.internal);
  const shared = existingGateway(options);
  if (shared) errors.push(...serversNeeded(external, tls, options.gateway));
  if (errors.length > 0) failWith(errors);
  if (external.length > 0 && !shared) resources.push(...gateways(external, tls, options));
  const liveByHost = new Map<string, Route[]>();
  for (const route of live) {
    const list = liveByHost.get(route.fqdn);
    if (list) list.push(route);
    else liveByHost.set(route.fqdn, [route]);
  }
  const fallbacks = tlsFallbacks(liveByHost, tls);
  const emitted = new Map<string, Route[]>();
  for (const [fqdn, routes] of liveByHost) {
    const vs = virtualService(fqdn, routes, liveByHost, tls, fallbacks, ctx);
    if (vs) {
      resources.push(vs);
      emit?.(vs);
      emitted.set(fqdn, routes);
    }
  }
  resources.push(...destinationRules(plans, apps, options));
  resources.push(...mergeServiceEntries([...internalServiceEntries(emitted, ctx), ...serviceEntries({ routes: live, apps: table.apps }, apps, options)]));
  if (options.mtls === 'strict' || options.mtls === 'istio-mutual') resources.push(peerAuthentication(options));
  refuseDuplicateNames(resources);
  noticeOnce(live, ctx);
  return { resources: sortResources(resources), warnings };
}

interface Ctx {
  readonly options: IstioOptions;
  readonly apps: ReadonlyMap<string, AppInfo>;
  readonly warnings: Warning[];
  readonly plans: HostPlans;
  /** Who carries each route's traffic (routing/serving.ts); [] for a route none of whose apps runs. */
  readonly serving: ReadonlyMap<Route, Destination[]>;
  readonly instancesOf: (app: string) => number;
}

/**
 * No two resources of one kind share a namespace and name (they could not both be applied, and a
 * directory of one file per resource would lose one). The steps above merge or disambiguate every
 * case known; this is the guard that makes an unknown one a clear refusal instead of a crash later.
 */
function refuseDuplicateNames(resources: readonly Resource[]): void {
  const seen = new Set<string>();
  const errors: ToolError[] = [];
  for (const r of resources) {
    const id = `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
    if (seen.has(id)) errors.push(new ToolError('ROUTE_CONFLICT', `two ${r.kind}s would be named ${r.metadata.name} in namespace ${r.metadata.namespace ?? ''}`, { hint: 'rename one of the apps or hosts involved' }));
    seen.add(id);
  }
  if (errors.length > 0) failWith(errors);
}

/** Facts about the mesh a user must act on, said once per translation (not once per route). */
function noticeOnce(live: readonly Route[], ctx: Ctx): void {
  const internal = live.find((r) => r.internal);
  if (internal) {
    ctx.warnings.push({
      code: 'NOTICE',
      message: `internal routes (${internal.fqdn}${live.filter((r) => r.internal).length > 1 ? ' and others' : ''}) resolve only where Istio's DNS proxy answers for them: set ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE to "true" in the mesh's proxyMetadata (off by default in sidecar mode), or apps get "unknown host"`,
      hint: 'see docs/traffic.md "Internal routes"',
    });
  }
  const http2 = live.find((r) => r.protocol === 'http' && r.destinations.some((d) => d.protocol === 'http2'));
  if (http2) {
    const d = http2.destinations.find((x) => x.protocol === 'http2') as Destination;
    ctx.warnings.push({
      code: 'NOTICE',
      message: `route ${http2.key} sends HTTP/2 to "${d.app}"${live.filter((r) => r.destinations.some((x) => x.protocol === 'http2')).length > 1 ? ' (and other routes to theirs)' : ''}: the app's Service port must declare h2c (appProtocol: kubernetes.io/h2c, or a port name starting with http2- or grpc-); with a port named http the sidecar speaks HTTP/1.1 to the app whatever the DestinationRule says`,
      span: http2.span,
    });
  }
}

export function metadata(name: string, options: IstioOptions, namespace: string = options.namespace): Resource['metadata'] {
  return { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
}

/** TLS is per route in the manifest but per host on the Gateway: the routes of one host must agree. */
function tlsByHost(byHost: ReadonlyMap<string, Route[]>, errors: ToolError[], warnings: Warning[]): Map<string, TlsSettings> {
  const out = new Map<string, TlsSettings>();
  for (const [fqdn, routes] of byHost) {
    for (const route of routes) {
      const tls = route.controls.tls;
      if (!tls) continue;
      if (route.internal) {
        warnings.push({ code: 'LOSSY', message: `route ${route.key}: tls is ignored on a mesh-internal route (sidecars already encrypt with mTLS)`, span: route.span });
        continue;
      }
      const earlier = out.get(fqdn);
      if (earlier && (earlier.credentialName !== tls.credentialName || earlier.httpsRedirect !== tls.httpsRedirect)) {
        errors.push(new ToolError('ROUTE_CONFLICT', `route ${route.key}: tls differs from another route on ${fqdn}; TLS belongs to the host, so its routes must agree`, { span: route.span, hint: 'set the same tls on every route of the host, or on one of them only' }));
      } else out.set(fqdn, tls);
    }
  }
  return out;
}

/** A Gateway port name derived from the host, unique within the Gateway. */
function portName(prefix: string, fqdn: string, used: Set<string>): string {
  let name = `${prefix}-${fqdn.replace(/\*/g, 'wildcard').replace(/\./g, '-')}`;
  if (name.length > 63 || used.has(name)) name = objectName(`${prefix}-${fqdn}`, 'label');
  used.add(name);
  return name;
}

/**
 * Bound to an existing Gateway (`--gateway NS/NAME`), cfmesh cannot add the servers some routes need:
 * an HTTPS server per `tls` host, a TCP server per TCP port. Those routes are refused, naming the
 * server, rather than bound to a Gateway that may not serve them. Plain HTTP needs the Gateway's
 * HTTP server to cover the hosts, which only the Gateway's owner can check.
 */
function serversNeeded(routes: readonly Route[], tls: ReadonlyMap<string, TlsSettings>, name: string): ToolError[] {
  const errors: ToolError[] = [];
  for (const [fqdn, t] of [...tls.entries()].sort((a, b) => compare(a[0], b[0]))) {
    const route = routes.find((r) => r.fqdn === fqdn && r.controls.tls !== undefined);
    errors.push(
      new ToolError('ROUTE_CONFLICT', `route ${route?.key ?? fqdn}: tls needs an HTTPS server for ${fqdn} (port 443, credentialName ${t.credentialName}) on the Gateway ${name}, which cfmesh does not own and cannot add to`, {
        span: route?.span,
        hint: `have the Gateway's owner add that server and drop tls from the route, or let cfmesh emit its own Gateway (--gateway NAME)`,
      }),
    );
  }
  const ports = new Map<number, Route>();
  for (const route of routes) if (route.protocol === 'tcp' && route.port !== undefined && !ports.has(route.port)) ports.set(route.port, route);
  for (const [port, route] of [...ports.entries()].sort((a, b) => a[0] - b[0])) {
    errors.push(
      new ToolError('ROUTE_CONFLICT', `route ${route.key}: a TCP route needs a TCP server on port ${port} of the Gateway ${name}, which cfmesh does not own and cannot add to`, {
        span: route.span,
        hint: `have the Gateway's owner add {port: {number: ${port}, protocol: TCP}, hosts: ["*"]}, or let cfmesh emit its own Gateway (--gateway NAME)`,
      }),
    );
  }
  return errors;
}

/**
 * The Gateways: one with the plain-HTTP server (port 80, every host) and the TCP servers, and one per
 * `tls` host with that host's HTTPS server. A VirtualService is bound to the first and to the one
 * whose HTTPS server receives its host's connections (tlsHostFor), and to no other: Istio builds a
 * server's virtual hosts from every VirtualService of its Gateway whose hosts intersect the server's
 * (gateway.go buildGatewayHTTPRouteConfig), so with every server in one Gateway, `*.example.com`'s
 * routes would be appended to the `www.example.com` virtual host of www's HTTPS server, ahead of
 * www's own when the wildcard's VirtualService is older (Istio orders them by creation time).
 * The HTTPS redirect is a rule of the host's own VirtualService (redirectRule), not a server with
 * tls.httpsRedirect, for the same reason.
 */
function gateways(routes: readonly Route[], tls: ReadonlyMap<string, TlsSettings>, options: IstioOptions): Resource[] {
  const tcpPorts = [...new Set(routes.filter((r) => r.protocol === 'tcp').map((r) => r.port as number))].sort((a, b) => a - b);
  const servers: Record<string, unknown>[] = [];
  if (routes.some((r) => r.protocol === 'http')) servers.push({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] });
  for (const port of tcpPorts) servers.push({ port: { number: port, name: `tcp-${port}`, protocol: 'TCP' }, hosts: ['*'] });
  const out: Resource[] = [];
  if (servers.length > 0) out.push({ apiVersion: networkingApi(options), kind: 'Gateway', metadata: metadata(options.gateway, options), spec: { selector: gatewaySelector(options), servers } });
  for (const fqdn of [...tls.keys()].sort(compare)) {
    const t = tls.get(fqdn) as TlsSettings;
    const server = { port: { number: 443, name: portName('https', fqdn, new Set()), protocol: 'HTTPS' }, hosts: [fqdn], tls: { mode: 'SIMPLE', credentialName: t.credentialName } };
    out.push({ apiVersion: networkingApi(options), kind: 'Gateway', metadata: metadata(tlsGatewayName(fqdn, options), options), spec: { selector: gatewaySelector(options), servers: [server] } });
  }
  return out;
}

/**
 * The Gateway of a tls host's HTTPS server, a DNS label (Istio's Gateway names have no dots):
 * `<gateway>-https-<host>` with each `.` as `-` and each `-` doubled, so two hosts never share a name
 * (`a-b.example.com` is `a--b-example-com`, `a.b-example.com` is `a-b--example-com`); a wildcard host
 * or a name past 63 characters is hashed (names.ts).
 */
export function tlsGatewayName(fqdn: string, options: IstioOptions): string {
  const name = `${options.gateway}-https-${fqdn.replace(/-/g, '--').replace(/\./g, '-')}`;
  return !fqdn.includes('*') && name.length <= 63 ? name : objectName(`${options.gateway}-https-${fqdn}`, 'label');
}

/**
 * The tls host whose HTTPS server receives the connections for `fqdn`: its own, else the most
 * specific wildcard tls host above it, as Envoy picks a filter chain by SNI (exact name first, then
 * the longest `*.suffix`: listener_components.proto FilterChainMatch.server_names).
 */
function tlsHostFor(fqdn: string, tls: ReadonlyMap<string, TlsSettings>): string | undefined {
  if (tls.has(fqdn)) return fqdn;
  return wildcardChain(fqdn).find((w) => tls.has(w));
}

/**
 * One VirtualService per host, made to answer each request as gorouter would:
 * 1. on a host with `tls.https-redirect`, plain HTTP (the gateway's port 80; `match.port` selects
 *    the listener, Istio route.go TranslateRoute) gets a 301 to HTTPS;
 * 2. the host's own live routes, most specific path first (a request that matches `/api/v2` also
 *    matches `/api`); each route's method rule and match rules come before its own entry;
 * 3. then, unless the host has a live route without a path (which catches everything), the routes of
 *    the wildcard hosts it falls back to, most specific first (routing/hosts.ts wildcardChain):
 *    gorouter tries `*.example.com` when no route of `api.example.com` matches, while Envoy picks
 *    one virtual host per request, so the fallback has to be in the host's own.
 * A route none of whose apps runs is left out (routing/serving.ts): its requests fall through.
 * Nothing is emitted for a host without a live route: its requests go to the wildcard host.
 */
function virtualService(fqdn: string, routes: readonly Route[], liveByHost: ReadonlyMap<string, Route[]>, tls: ReadonlyMap<string, TlsSettings>, fallbacks: ReadonlyMap<string, readonly string[]>, ctx: Ctx): Resource | undefined {
  const shared = existingGateway(ctx.options) !== undefined;
  const internal = routes.some((r) => r.internal);
  const own = routes.filter((r) => r.protocol === 'http');
  const http: Record<string, unknown>[] = [];
  if (own.length > 0) {
    if (!internal && tls.get(fqdn)?.httpsRedirect) http.push(redirectRule(fqdn));
    http.push(...hostEntries(own, ctx));
    if (!internal && !own.some((r) => r.path === undefined)) {
      // A fallback route whose path a nearer level already catches is never reached (routing/hosts.ts
      // caughtBy): left out, so that no entry of the VirtualService is unreachable (istioctl analyze
      // IST0130/IST0131 would report it).
      const taken = own.map((r) => r.path);
      for (const wildcard of wildcardChain(fqdn)) {
        const level = (liveByHost.get(wildcard) ?? []).filter((r) => r.protocol === 'http' && !r.internal);
        const fallback = level.filter((r) => !taken.some((p) => caughtBy(r.path, p)));
        taken.push(...level.map((r) => r.path));
        if (fallback.length > 0) http.push(...hostEntries(fallback, ctx).map((entry) => ({ ...entry, name: `${String(entry['name'])} (fallback for ${fqdn})` })));
        if (level.some((r) => r.path === undefined)) break;
      }
    }
  }
  const tcp = routes
    .filter((r) => r.protocol === 'tcp')
    .sort((a, b) => (a.port ?? 0) - (b.port ?? 0))
    .map((r) => ({ match: [{ port: r.port }], route: weightedDestinations(ctx.serving.get(r) as Destination[], r, ctx) }));
  if (http.length === 0 && tcp.length === 0) return undefined;
  const spec: Record<string, unknown> = {
    hosts: [fqdn],
    gateways: internal ? ['mesh'] : gatewaysOf(fqdn, http.length > 0, tls, fallbacks, shared, ctx.options),
  };
  if (http.length > 0) spec['http'] = http;
  if (tcp.length > 0) spec['tcp'] = tcp;
  return { apiVersion: networkingApi(ctx.options), kind: 'VirtualService', metadata: metadata(objectName(fqdn), ctx.options), spec };
}

/**
 * The Gateways an external host's VirtualService binds to (see gateways()): the plain one; the one
 * of the HTTPS server that receives the host's connections (tlsHostFor); and, for the HTTP routes of
 * a host, the HTTPS server of every tls host T with no HTTP routes of its own to which this host is
 * the nearest fallback (the first host of T's wildcard chain with live HTTP routes): requests for T,
 * and for the hosts below it that have no VirtualService, arrive on T's server and must find this
 * host's routes there (Istio names that virtual host T: the intersection of T and this host). Only
 * one VirtualService ever makes a given virtual host of a server, so no two are merged in an order
 * Istio leaves to creation time.
 */
function gatewaysOf(fqdn: string, hasHttp: boolean, tls: ReadonlyMap<string, TlsSettings>, fallbacks: ReadonlyMap<string, readonly string[]>, shared: boolean, options: IstioOptions): string[] {
  if (shared) return [options.gateway];
  const out = new Set<string>([options.gateway]);
  const own = tlsHostFor(fqdn, tls);
  if (own !== undefined) out.add(tlsGatewayName(own, options));
  if (hasHttp) for (const t of fallbacks.get(fqdn) ?? []) out.add(tlsGatewayName(t, options));
  return [...out];
}

/**
 * For gatewaysOf, made once per translation: each host's tls hosts T (in `compare` order) with no
 * live HTTP route of their own to which it is the nearest fallback, the first host of T's wildcard
 * chain with live HTTP routes. (A pass over every tls host for every host was quadratic: 10,000 tls
 * hosts took 39 s.)
 */
function tlsFallbacks(liveByHost: ReadonlyMap<string, Route[]>, tls: ReadonlyMap<string, TlsSettings>): Map<string, string[]> {
  const httpHost = (h: string) => (liveByHost.get(h) ?? []).some((r) => r.protocol === 'http' && !r.internal);
  const out = new Map<string, string[]>();
  for (const t of [...tls.keys()].sort(compare)) {
    if (httpHost(t)) continue;
    const nearest = wildcardChain(t).find(httpHost);
    if (nearest === undefined) continue;
    const list = out.get(nearest);
    if (list) list.push(t);
    else out.set(nearest, [t]);
  }
  return out;
}

/** A host's HTTP routes as VirtualService entries, most specific path first. */
function hostEntries(routes: readonly Route[], ctx: Ctx): Record<string, unknown>[] {
  return [...routes].sort(bySpecificity).flatMap((r) => httpRules(r, ctx));
}

/**
 * Plain HTTP to the host → 301 to the same URL on https (Envoy keeps host and path; Istio route.go
 * ApplyRedirect). Matching port 80 alone makes it the host's catch-all on that listener only: on 443
 * TranslateRoute drops it (match.port ≠ listener port), so HTTPS requests go on to the routes.
 */
function redirectRule(fqdn: string): Record<string, unknown> {
  return { name: `${fqdn} https-redirect`, match: [{ port: 80 }], redirect: { scheme: 'https', redirectCode: 301 } };
}

/** Longest path first, so `/api/v2` is tried before `/api`; the route without a path (catch-all) last. */
export function bySpecificity(a: Route, b: Route): number {
  if (a.path === undefined) return b.path === undefined ? 0 : 1;
  if (b.path === undefined) return -1;
  return b.path.length - a.path.length || compare(a.path, b.path);
}

/**
 * cf path semantics as gorouter matches them: `/foo` matches `/foo`, `/foo/` and `/foo/...` but
 * never `/foobar` (`registry/container/trie.go` matches whole segments), in any letter case
 * (`route/uris.go` `RouteKey` lowercases route and request alike). A VirtualService `prefix` is a
 * plain string prefix, so the rule matches `exact: /foo` or `prefix: /foo/`, both with
 * `ignoreUriCase` (Envoy `case_sensitive: false`, Istio route.go TranslateRouteMatch).
 * Envoy normalises the request path before matching (Istio's default pathNormalization BASE is
 * normalize_path, listener_builder.go), which decodes escapes of unreserved characters; the match
 * therefore holds them decoded. Other escapes (`%C3%A9`) stay escaped, as gorouter matches them.
 */
export function pathMatch(path: string | undefined): Record<string, unknown>[] | undefined {
  if (path === undefined) return undefined;
  const envoy = decodeUnreserved(path);
  return [
    { uri: { exact: envoy }, ignoreUriCase: true },
    { uri: { prefix: `${envoy}/` }, ignoreUriCase: true },
  ];
}

/** `%7E` → `~`, `%41` → `a`: RFC 3986 §6.2.2.2, as Envoy's normalize_path does. */
export function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch.toLowerCase() : m;
  });
}

/**
 * The route's entries: its method rule (`methods`: a 405 for every other method, scoped to exactly
 * this route's paths and, being in the host's own VirtualService, to its host), its match rules in
 * order, then its own entry. A rule whose apps do not run is left out (its requests take the route's
 * own entry).
 */
function httpRules(route: Route, ctx: Ctx): Record<string, unknown>[] {
  const match = pathMatch(route.path);
  const out: Record<string, unknown>[] = [];
  const methods = methodsOf(route.controls);
  if (methods) out.push(methodRule(route, methods, match));
  rulesOf(route.controls).forEach(({ rule, controls }, i) => {
    const names = [...rule.destinations].sort((a, b) => compare(a.app, b.app)).map((d) => ({ app: d.app, weight: d.weight }));
    const weighted = names.some((d) => d.weight !== undefined);
    const dests = servingDestinations(resolveWeights(names, weighted, ctx.instancesOf), weighted, ctx.instancesOf);
    if (dests.length === 0) return;
    out.push(withControls({ name: `${route.key} rule-${i + 1}`, match: ruleMatches(rule.match, match, route.path) }, dests, controls, route, ctx));
  });
  const own: Record<string, unknown> = { name: route.key };
  if (match) own['match'] = match;
  out.push(withControls(own, ctx.serving.get(route) as Destination[], route.controls, route, ctx));
  return out;
}

/**
 * `methods: [GET, HEAD]` → requests of this route whose method is not listed get 405 with an
 * `Allow` header (RFC 9110 §15.5.6). `withoutHeaders` on the `:method` pseudo-header is the negated
 * match (Istio route.go TranslateRouteMatch: InvertMatch; validation.go allows pseudo-headers).
 * Kept in the route's own entries, a restriction never reaches another route, host or a TCP port,
 * as a gateway AuthorizationPolicy would (a DENY policy's HTTP fields match every TCP connection).
 */
function methodRule(route: Route, methods: readonly string[], match: Record<string, unknown>[] | undefined): Record<string, unknown> {
  const method = methods.length === 1 ? { exact: methods[0] } : { regex: methods.join('|') };
  const entries = (match ?? [{}]).map((m) => ({ ...structuredClone(m), withoutHeaders: { ':method': { ...method } } }));
  return { name: `${route.key} methods`, match: entries, directResponse: { status: 405 }, headers: { response: { set: { allow: methods.join(', ') } } } };
}

function withControls(rule: Record<string, unknown>, dests: readonly Destination[], controls: Route['controls'], route: Route, ctx: Ctx): Record<string, unknown> {
  rule['route'] = weightedDestinations(dests, route, ctx);
  const timeout = timeoutOf(controls);
  if (timeout) rule['timeout'] = timeout;
  const retries = retriesOf(controls);
  if (retries) rule['retries'] = retries;
  const fault = faultOf(controls);
  if (fault) rule['fault'] = fault;
  const mirror = mirrorOf(controls);
  if (mirror) {
    rule['mirror'] = destination(mirror.app, undefined, undefined, ctx);
    rule['mirrorPercentage'] = { value: mirror.percent };
  }
  return rule;
}

function weightedDestinations(dests: readonly Destination[], route: Route, ctx: Ctx): Record<string, unknown>[] {
  return dests.map((d) => ({ destination: destination(d.app, d.port, route, ctx), weight: d.weight }));
}

/** host, subset (the version's, or the route's load-balancing subset), port. */
function destination(app: string, port: number | undefined, route: Route | undefined, ctx: Ctx): Record<string, unknown> {
  const info = ctx.apps.get(app);
  const target = appTarget(app, info, ctx.options);
  const subset = ctx.plans.subsetFor(app, route);
  const out: Record<string, unknown> = { host: target.host };
  if (subset) out['subset'] = subset;
  out['port'] = { number: port ?? appPort(info, ctx.options) };
  return out;
}

/**
 * Internal hosts (`*.apps.internal`) are not Kubernetes Services; a MESH_INTERNAL ServiceEntry makes
 * the mesh know the name and its ports, so the mesh-bound VirtualService can route it (as Copilot did).
 */
function internalServiceEntries(byHost: ReadonlyMap<string, Route[]>, ctx: Ctx): Resource[] {
  const out: Resource[] = [];
  for (const [fqdn, routes] of byHost) {
    if (!routes.some((r) => r.internal)) continue;
    const ports = new Map<number, string>();
    for (const route of routes) {
      for (const d of ctx.serving.get(route) ?? []) {
        const number = route.protocol === 'tcp' ? (route.port as number) : (d.port ?? appPort(ctx.apps.get(d.app), ctx.options));
        const protocol = route.protocol === 'tcp' ? 'TCP' : d.protocol === 'http2' ? 'HTTP2' : 'HTTP';
        if (!ports.has(number) || protocol === 'HTTP2') ports.set(number, protocol);
      }
    }
    const list = [...ports.entries()].sort((a, b) => a[0] - b[0]).map(([number, protocol]) => ({ number, name: `${protocol.toLowerCase()}-${number}`, protocol }));
    out.push({
      apiVersion: networkingApi(ctx.options),
      kind: 'ServiceEntry',
      metadata: metadata(objectName(fqdn), ctx.options),
      spec: { hosts: [fqdn], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: list },
    });
  }
  return out;
}

/** `--mtls strict`: workloads of the namespace accept only mutual TLS. */
function peerAuthentication(options: IstioOptions): Resource {
  return { apiVersion: securityApi(options), kind: 'PeerAuthentication', metadata: metadata('default', options), spec: { mtls: { mode: 'STRICT' } } };
}

export function sortResources(resources: readonly Resource[]): Resource[] {
  const rank = (kind: string) => {
    const i = (KIND_ORDER as readonly string[]).indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...resources].sort(
    (a, b) => rank(a.kind) - rank(b.kind) || compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name) || compare(a.metadata.namespace ?? '', b.metadata.namespace ?? ''),
  );
}
