import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { gatewayApiPolicies } from '../istio/gateway-api-policies.ts';
import { objectName } from '../istio/names.ts';
import { existingGateway } from '../istio/options.ts';
import { appPort, appTarget, isKubernetesServiceHost } from '../istio/targets.ts';
import { methodsOf, mirrorOf, rulesOf, timeoutOf, unreachable } from '../istio/traffic.ts';
import { decodeUnreserved } from '../istio/translate.ts';
import type { MatchRule, NamedMatch, RequestControls, StringMatch, TlsSettings } from '../manifest/traffic.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import { caughtBy, wildcardChain } from '../routing/hosts.ts';
import type { AppInfo, Destination, Route, RouteTable } from '../routing/route-table.ts';
import { compare, resolveWeights } from '../routing/route-table.ts';
import { servingDestinations, servingPlan } from '../routing/serving.ts';
import type { Translation } from '../target/target.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_V1, REFERENCE_GRANT_API, TCP_ROUTE_API, type GatewayApiOptions } from './options.ts';

/**
 * Route table → Kubernetes Gateway API resources (gateway.networking.k8s.io, v1.5.1 CRDs), with the
 * same cf meaning as the Istio target (docs/adr/0010, docs/adr/0017-gateway-api-target.md):
 * - one Gateway: an HTTP listener on 80, an HTTPS listener per `tls` host, a TCP listener per TCP
 *   port (none with `--gateway NS/NAME`, an existing Gateway);
 * - one HTTPRoute per FQDN with the host's own routes and, after them, those of the wildcard hosts it
 *   falls back to, attached to listeners by sectionName; plus, for a host with `https-redirect`, an
 *   HTTPRoute on the HTTP listener with a RequestRedirect filter;
 * - one TCPRoute per TCP route (experimental channel);
 * - the Istio policies Gateway API has no field for (istio/gateway-api-policies.ts);
 * - a ReferenceGrant where a backendRef names a Service in another namespace.
 * What Gateway API cannot express is refused (TARGET_UNSUPPORTED) at its manifest position.
 *
 * Gateway API does not try rules in order: among every rule whose match a request satisfies, the
 * most specific wins (HTTPRoute CRD `spec.rules[].matches` description: Exact path, then the
 * longest PathPrefix, then a method match, then the most header matches, then the most query
 * matches; list order only breaks ties). The translation is built so that this precedence picks
 * what gorouter's first-match over the host's own routes, then its wildcard walk, would pick.
 */
export function translateGatewayApi(table: RouteTable, options: GatewayApiOptions): Translation {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const { apps, instancesOf, serving, live } = servingPlan(table);

  errors.push(...refuseUnsupported(table, apps, options));
  const tls = tlsByHost(table.routes, errors);
  const shared = existingGateway(options);
  if (shared) errors.push(...serversNeeded(table.routes, tls, options.gateway));
  const policies = gatewayApiPolicies({ routes: live, apps: table.apps }, apps, options, warnings);
  errors.push(...policies.errors);
  if (errors.length > 0) failWith(errors);

  const ctx: Ctx = { options, apps, serving, instancesOf, warnings, errors, namespaces: new Set() };
  const liveByHost = new Map<string, Route[]>();
  for (const route of live) liveByHost.set(route.fqdn, [...(liveByHost.get(route.fqdn) ?? []), route]);
  const resources: Resource[] = [];
  if (table.routes.length > 0 && !shared) {
    const gw = gateway(table.routes, tls, options);
    const count = (gw.spec['listeners'] as unknown[]).length;
    // Gateway CRD `spec.listeners` maxItems 64.
    if (count > 64) failWith([refuse(`the Gateway would need ${count} listeners (HTTP, one per tls host, one per TCP port); a Gateway has at most 64`, undefined, 'any number of tls hosts and TCP ports')]);
    resources.push(gw);
  }
  for (const [fqdn, routes] of [...liveByHost.entries()].sort((a, b) => compare(a[0], b[0]))) {
    const http = routes.filter((r) => r.protocol === 'http');
    if (http.length > 0) resources.push(...httpRoutes(fqdn, http, liveByHost, tls, ctx));
    for (const route of routes.filter((r) => r.protocol === 'tcp').sort((a, b) => (a.port ?? 0) - (b.port ?? 0))) resources.push(tcpRoute(route, ctx));
  }
  refuseRedirectLeaks(liveByHost, tls, errors);
  if (errors.length > 0) failWith(errors);
  resources.push(...referenceGrants(ctx));
  resources.push(...policies.resources);
  notices(live, ctx);
  return { resources: sortGatewayApi(resources), warnings };
}

interface Ctx {
  readonly options: GatewayApiOptions;
  readonly apps: ReadonlyMap<string, AppInfo>;
  readonly serving: ReadonlyMap<Route, Destination[]>;
  readonly instancesOf: (app: string) => number;
  readonly warnings: Warning[];
  readonly errors: ToolError[];
  /** Namespaces of Services that backendRefs name outside the routes' own (each needs a ReferenceGrant). */
  readonly namespaces: Set<string>;
}

/** Kinds in output order: things referred to first. Istio's policies come between (their kinds are named in istio/). */
const KIND_ORDER = ['Gateway', 'ReferenceGrant', '(policies)', 'HTTPRoute', 'TCPRoute'] as const;

export function sortGatewayApi(resources: readonly Resource[]): Resource[] {
  const rank = (r: Resource) => {
    const i = (KIND_ORDER as readonly string[]).indexOf(r.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`) ? r.kind : '(policies)');
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...resources].sort((a, b) => rank(a) - rank(b) || compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name) || compare(a.metadata.namespace ?? '', b.metadata.namespace ?? ''));
}

function metadata(name: string, options: GatewayApiOptions, namespace: string = options.namespace): Resource['metadata'] {
  return { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
}

const refuse = (message: string, span: Route['span'], feature: string) =>
  new ToolError('TARGET_UNSUPPORTED', `${message}; --api istio supports ${feature}`, { span, hint: `remove it, or convert with --api istio` });

/** HTTPRoute `matches[].method` (v1.5.1 CRD enum). */
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/**
 * What Gateway API v1.5.1 cannot express, refused at its position, each naming the feature:
 * - `retries`: HTTPRouteRule has no retry field in the standard channel (the experimental `retry`
 *   has neither per-try timeouts nor retry-on conditions);
 * - `fault`: no fault injection in Gateway API at all;
 * - a `rules` entry with a `path` condition: a path condition of a rule would outrank the longer
 *   paths of other routes under Gateway API's precedence (an Exact or longer prefix wins whatever
 *   the host's route order), so it cannot keep gorouter's "the route's own paths first";
 * - a method condition other than one exact HTTP method (the `method` field is an enum);
 * - `methods` with a method outside that enum;
 * - internal routes (`apps.internal`): mesh routing in Gateway API (GAMMA) binds routes to a
 *   Service as parent, and an internal host is no Service;
 * - apps that are versions of a service (`version:`): a backendRef names a Service, never a subset;
 * - apps with `endpoints` or a service host outside the cluster: a backendRef names a Kubernetes
 *   Service (HTTPRoute CRD `backendRefs`: "Support: Core for Kubernetes Service").
 */
function refuseUnsupported(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: GatewayApiOptions): ToolError[] {
  const errors: ToolError[] = [];
  const used = new Set<string>();
  for (const route of table.routes) {
    for (const d of route.destinations) used.add(d.app);
    if (route.controls.mirror) used.add(route.controls.mirror.app);
    for (const rule of route.controls.rules ?? []) for (const d of rule.destinations) used.add(d.app);
    const spans = route.controls.spans ?? {};
    if (route.internal) {
      errors.push(refuse(`route ${route.key} is on an internal domain: Gateway API routes mesh traffic (GAMMA) with a Service as the parent, and an internal host is no Service`, route.span, 'internal routes'));
      continue;
    }
    if (route.protocol !== 'http') continue;
    const problem = route.path === undefined ? undefined : pathProblem(decodeUnreserved(route.path));
    if (problem) errors.push(refuse(`route ${route.key}: Gateway API refuses the path match ${decodeUnreserved(route.path as string)} (${problem})`, route.span, 'such paths'));
    if (route.controls.retries) errors.push(refuse(`route ${route.key}: retries have no field in Gateway API's standard HTTPRoute`, spans.retries ?? route.span, 'retries'));
    if (route.controls.fault) errors.push(refuse(`route ${route.key}: fault injection has no field in Gateway API`, spans.fault ?? route.span, 'fault injection'));
    for (const m of route.controls.methods ?? []) {
      if (!HTTP_METHODS.has(m)) errors.push(refuse(`route ${route.key}: method ${m} is not one Gateway API can match (${[...HTTP_METHODS].join(', ')})`, spans.methods ?? route.span, 'any method token'));
    }
    (route.controls.rules ?? []).forEach((rule, i) => {
      const at = rule.span ?? spans.rules ?? route.span;
      const what = `route ${route.key} rule ${i + 1}`;
      if (rule.match.path) errors.push(refuse(`${what}: a path condition in a rule would outrank the host's longer route paths under Gateway API's match precedence`, at, 'path conditions in rules'));
      if (rule.match.method && (rule.match.method.type !== 'exact' || !HTTP_METHODS.has(rule.match.method.value))) {
        errors.push(refuse(`${what}: Gateway API matches one exact HTTP method (${[...HTTP_METHODS].join(', ')}), not a ${rule.match.method.type} match`, at, 'method patterns'));
      }
      if (rule.retries) errors.push(refuse(`${what}: retries have no field in Gateway API's standard HTTPRoute`, at, 'retries'));
      if (rule.fault) errors.push(refuse(`${what}: fault injection has no field in Gateway API`, at, 'fault injection'));
    });
  }
  for (const info of [...apps.values()].sort((a, b) => compare(a.name, b.name))) {
    if (!used.has(info.name)) continue;
    const target = appTarget(info.name, info, options);
    if (info.endpoints !== undefined) {
      errors.push(refuse(`app "${info.name}" lists endpoints outside Kubernetes: a Gateway API backendRef names a Kubernetes Service`, info.span, 'endpoints'));
    } else if (target.version !== undefined) {
      errors.push(refuse(`app "${info.name}" is version "${target.version}" of service "${target.service}": a Gateway API backendRef names a whole Service, never a subset of its pods`, info.span, 'versions of one Service'));
    } else if (serviceRef(target.host) === undefined) {
      errors.push(refuse(`app "${info.name}" has the service host ${target.host}, which is not a Kubernetes Service (NAME.NAMESPACE.svc...): a Gateway API backendRef names a Service`, info.span, 'service hosts outside the cluster'));
    }
  }
  return errors;
}

/**
 * Why the HTTPRoute CRD's CEL rules refuse a PathPrefix value (HTTPPathMatch x-kubernetes-validations,
 * v1.5.1): `//`, `/./`, `/../`, an escaped slash, `#`, a trailing `/.` or `/..`, characters outside
 * RFC 3986 pchars, or more than 1024 characters. undefined: accepted.
 */
function pathProblem(value: string): string | undefined {
  if (value.length > 1024) return 'longer than 1024 characters';
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) if (value.includes(bad)) return `it contains ${bad}`;
  if (value.endsWith('/..') || value.endsWith('/.')) return 'it ends with a dot segment';
  if (!/^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/.test(value)) return 'it has characters outside a URI path';
  return undefined;
}

/** `NAME.NAMESPACE.svc[.DOMAIN]` → the Service it names. */
function serviceRef(host: string): { readonly name: string; readonly namespace: string } | undefined {
  if (!isKubernetesServiceHost(host)) return undefined;
  const [name, namespace] = host.split('.') as [string, string];
  return { name, namespace };
}

/** TLS belongs to the host (istio translate.ts tlsByHost): the routes of one host must agree. */
function tlsByHost(routes: readonly Route[], errors: ToolError[]): Map<string, TlsSettings> {
  const out = new Map<string, TlsSettings>();
  for (const route of routes) {
    const t = route.controls.tls;
    if (!t || route.internal) continue;
    const earlier = out.get(route.fqdn);
    if (earlier && (earlier.credentialName !== t.credentialName || earlier.httpsRedirect !== t.httpsRedirect)) {
      errors.push(new ToolError('ROUTE_CONFLICT', `route ${route.key}: tls differs from another route on ${route.fqdn}; TLS belongs to the host, so its routes must agree`, { span: route.span, hint: 'set the same tls on every route of the host, or on one of them only' }));
    } else out.set(route.fqdn, t);
  }
  return out;
}

/** An existing Gateway (`--gateway NS/NAME`) gets no listeners from cfmesh: routes that need one are refused. */
function serversNeeded(routes: readonly Route[], tls: ReadonlyMap<string, TlsSettings>, name: string): ToolError[] {
  const errors: ToolError[] = [];
  for (const [fqdn, t] of [...tls.entries()].sort((a, b) => compare(a[0], b[0]))) {
    const route = routes.find((r) => r.fqdn === fqdn && r.controls.tls !== undefined);
    errors.push(new ToolError('ROUTE_CONFLICT', `route ${route?.key ?? fqdn}: tls needs an HTTPS listener for ${fqdn} (certificate ${t.credentialName}) on the Gateway ${name}, which cfmesh does not own and cannot add to`, { span: route?.span, hint: 'have the Gateway\'s owner add that listener and drop tls from the route, or let cfmesh emit its own Gateway (--gateway NAME)' }));
  }
  for (const route of routes.filter((r) => r.protocol === 'tcp' && !r.internal)) {
    errors.push(new ToolError('ROUTE_CONFLICT', `route ${route.key}: a TCP route needs a TCP listener on port ${route.port} of the Gateway ${name}, which cfmesh does not own and cannot add to`, { span: route.span, hint: 'have the Gateway\'s owner add the listener, or let cfmesh emit its own Gateway (--gateway NAME)' }));
  }
  return errors;
}

/**
 * A listener name (a SectionName: a DNS label, 253 characters at most) for a tls host, one-to-one:
 * `https-` and the host with each `-` doubled and each `.` as `-`; a wildcard host is hashed.
 */
export function httpsListenerName(fqdn: string): string {
  const name = `https-${fqdn.replace(/-/g, '--').replace(/\./g, '-')}`;
  return !fqdn.includes('*') && name.length <= 253 ? name : objectName(`https-${fqdn}`, 'label');
}

export const HTTP_LISTENER = 'http';
export const tcpListenerName = (port: number) => `tcp-${port}`;

/**
 * The Gateway (Gateway CRD `spec.listeners`): `http` on port 80 for every host (no hostname: the
 * fallback listener), one HTTPS listener on 443 per tls host with that hostname and its certificate
 * (a Secret in the Gateway's namespace, so no ReferenceGrant), and one TCP listener per TCP port.
 * Listeners distinct only by hostname receive a request by its most specific hostname (Gateway CRD
 * `spec.listeners` description), which is how Envoy picks an HTTPS filter chain by SNI too.
 */
function gateway(routes: readonly Route[], tls: ReadonlyMap<string, TlsSettings>, options: GatewayApiOptions): Resource {
  const listeners: Record<string, unknown>[] = [];
  const external = routes.filter((r) => !r.internal);
  if (external.some((r) => r.protocol === 'http')) listeners.push({ name: HTTP_LISTENER, port: 80, protocol: 'HTTP' });
  for (const fqdn of [...tls.keys()].sort(compare)) {
    const t = tls.get(fqdn) as TlsSettings;
    listeners.push({ name: httpsListenerName(fqdn), hostname: fqdn, port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: t.credentialName }] } });
  }
  const ports = [...new Set(external.filter((r) => r.protocol === 'tcp').map((r) => r.port as number))].sort((a, b) => a - b);
  for (const port of ports) listeners.push({ name: tcpListenerName(port), port, protocol: 'TCP' });
  return { apiVersion: GATEWAY_API_V1, kind: 'Gateway', metadata: metadata(options.gateway, options), spec: { gatewayClassName: options.gatewayClass, listeners } };
}

/** Most specific path first, the catch-all last (istio translate.ts bySpecificity). */
function bySpecificity(a: Route, b: Route): number {
  if (a.path === undefined) return b.path === undefined ? 0 : 1;
  if (b.path === undefined) return -1;
  return b.path.length - a.path.length || compare(a.path, b.path);
}


interface Rule {
  readonly name: string;
  readonly matches: Record<string, unknown>[];
  readonly filters?: Record<string, unknown>[] | undefined;
  readonly backendRefs: Record<string, unknown>[];
  readonly timeouts?: Record<string, unknown> | undefined;
}

/**
 * The HTTPRoutes of one host. Its rules: the host's own routes, most specific first, then the
 * routes of the wildcard hosts it falls back to (gorouter's NextWildcard walk, routing/hosts.ts),
 * each level only with the routes that no earlier level catches first: under Gateway API's
 * precedence a fallback `/v1/users` would beat the host's own `/v1`, which gorouter tries first
 * (the host's own routes win, registry.go lookup). So a fallback route whose path is, or lies
 * below, a path of an earlier level is left out; a level with a catch-all ends the walk.
 */
function httpRoutes(fqdn: string, own: readonly Route[], liveByHost: ReadonlyMap<string, Route[]>, tls: ReadonlyMap<string, TlsSettings>, ctx: Ctx): Resource[] {
  const rules: Rule[] = [];
  const taken: (string | undefined)[] = [];
  const level = (routes: readonly Route[], prefix: string) => {
    const kept = [...routes].sort(bySpecificity).filter((r) => !taken.some((p) => caughtBy(r.path, p)));
    kept.forEach((r) => rules.push(...routeRules(r, `${prefix}route-${routes.indexOf(r) + 1}`, ctx)));
    taken.push(...routes.map((r) => r.path));
    return routes.some((r) => r.path === undefined);
  };
  let done = level([...own].sort(bySpecificity), '');
  wildcardChain(fqdn).forEach((wildcard, i) => {
    if (done) return;
    const fallback = (liveByHost.get(wildcard) ?? []).filter((r) => r.protocol === 'http' && !r.internal).sort(bySpecificity);
    if (fallback.length > 0) done = level(fallback, `fallback-${i + 1}-`);
  });
  if (rules.length > 16) {
    ctx.errors.push(refuse(`host ${fqdn} needs ${rules.length} HTTPRoute rules (its routes, their match rules and method rules, and the wildcard routes it falls back to); an HTTPRoute holds at most 16`, own[0]?.span, 'any number of routes per host'));
  }
  const matches = rules.reduce((n, r) => n + r.matches.length, 0);
  if (matches > 128) {
    ctx.errors.push(refuse(`host ${fqdn} needs ${matches} HTTPRoute matches (each method of a \`methods\` list is one); an HTTPRoute holds at most 128`, own[0]?.span, 'any number of matches per host'));
  }
  const redirect = tls.get(fqdn)?.httpsRedirect === true;
  const parentRefs = parentsOf(fqdn, !redirect, liveByHost, tls, ctx.options);
  if (parentRefs.length > 32) {
    ctx.errors.push(refuse(`host ${fqdn} would attach to ${parentRefs.length} listeners (the HTTPS listeners of the tls hosts that fall back to it); an HTTPRoute has at most 32 parentRefs`, own[0]?.span, 'any number of tls hosts falling back to one host'));
  }
  const out: Resource[] = [];
  const name = objectName(fqdn);
  if (parentRefs.length > 0) out.push({ apiVersion: GATEWAY_API_V1, kind: 'HTTPRoute', metadata: metadata(name, ctx.options), spec: { parentRefs, hostnames: [fqdn], rules: rules.map(renderRule) } });
  if (redirect) {
    // Plain HTTP to the host → 301 to https (HTTPRequestRedirectFilter; Istio conversion.go
    // createRedirectFilter keeps host and path, and derives port 443 from the scheme).
    out.push({
      apiVersion: GATEWAY_API_V1,
      kind: 'HTTPRoute',
      metadata: metadata(objectName(`https-redirect.${fqdn}`), ctx.options),
      spec: { parentRefs: [parentRef(HTTP_LISTENER, ctx.options)], hostnames: [fqdn], rules: [{ name: 'https-redirect', filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }] },
    });
  }
  return out;
}

function renderRule(rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { name: rule.name, matches: rule.matches };
  if (rule.filters) out['filters'] = rule.filters;
  out['backendRefs'] = rule.backendRefs;
  if (rule.timeouts) out['timeouts'] = rule.timeouts;
  return out;
}

function parentRef(sectionName: string | undefined, options: GatewayApiOptions): Record<string, unknown> {
  const shared = existingGateway(options);
  if (shared) return { name: shared.name, namespace: shared.namespace };
  return { name: options.gateway, sectionName: sectionName as string };
}

/**
 * The listeners a host's HTTPRoute attaches to (istio translate.ts gatewaysOf, by sectionName):
 * `http` (unless the host redirects plain HTTP); the HTTPS listener that receives the host's
 * connections (its own tls host, else the most specific wildcard tls host above it); and the HTTPS
 * listener of every tls host T with no HTTP routes of its own for which this host is the nearest
 * fallback (the route's hostname then intersects T's: HTTPRoute CRD `spec.hostnames`).
 * With `--gateway NS/NAME`, the Gateway's owner chose the listeners: one parentRef, no sectionName.
 */
function parentsOf(fqdn: string, plain: boolean, liveByHost: ReadonlyMap<string, Route[]>, tls: ReadonlyMap<string, TlsSettings>, options: GatewayApiOptions): Record<string, unknown>[] {
  if (existingGateway(options)) return [parentRef(undefined, options)];
  const out: string[] = [];
  if (plain) out.push(HTTP_LISTENER);
  const own = tls.has(fqdn) ? fqdn : wildcardChain(fqdn).find((w) => tls.has(w));
  if (own !== undefined) out.push(httpsListenerName(own));
  const httpHost = (h: string) => (liveByHost.get(h) ?? []).some((r) => r.protocol === 'http' && !r.internal);
  for (const t of [...tls.keys()].sort(compare)) {
    if (t === fqdn || t === own || httpHost(t)) continue;
    if (wildcardChain(t).find(httpHost) === fqdn) out.push(httpsListenerName(t));
  }
  return out.map((section) => parentRef(section, options));
}

/**
 * A route's rules, in the order gorouter's extension tries them: its match rules, its own entry,
 * and with `methods` a last rule for the other methods. Gateway API has no negated match and no
 * direct response, so `methods: [GET]` becomes method matches on the route's rules (a request with
 * another method matches none of them) and a rule with only the route's path whose one backendRef
 * weighs 0, which Gateway API answers with 500 ("If weight is set to 0, no traffic should be
 * forwarded", HTTPBackendRef `weight`; Istio conversion.go convertHTTPRoute: all weights 0 → 500).
 * It is scoped exactly like the route: its host's own HTTPRoute, its path. 500 is not gorouter's
 * 405 (a warning says so; docs/adr/0017).
 */
function routeRules(route: Route, name: string, ctx: Ctx): Rule[] {
  const base = [{ path: { type: 'PathPrefix', value: route.path === undefined ? '/' : decodeUnreserved(route.path) } }];
  const methods = methodsOf(route.controls);
  const withMethods = (matches: Record<string, unknown>[], method: string | undefined): Record<string, unknown>[] | undefined => {
    if (!methods) return matches;
    if (method !== undefined) return methods.includes(method) ? matches : undefined;
    return methods.flatMap((m) => matches.map((x) => ({ ...structuredClone(x), method: m })));
  };
  const out: { rule: Rule; rank: Rank; match: MatchRule | undefined; index: number }[] = [];
  rulesOf(route.controls).forEach(({ rule, controls }, i) => {
    const names = [...rule.destinations].sort((a, b) => compare(a.app, b.app)).map((d) => ({ app: d.app, weight: d.weight }));
    const weighted = names.some((d) => d.weight !== undefined);
    const dests = servingDestinations(resolveWeights(names, weighted, ctx.instancesOf), weighted, ctx.instancesOf);
    if (dests.length === 0) return;
    const extra = ruleConditions(rule);
    const matches = withMethods(base.map((m) => ({ ...structuredClone(m), ...structuredClone(extra) })), rule.match.method?.value);
    if (!matches) return; // its method is not one the route accepts: those requests get the method rule's answer
    out.push({ rule: withControls({ name: `${name}-rule-${i + 1}`, matches, backendRefs: [] }, dests, controls, ctx), rank: rankOf(rule, methods !== undefined), match: rule, index: i + 1 });
  });
  out.push({ rule: withControls({ name, matches: withMethods(structuredClone(base), undefined) as Record<string, unknown>[], backendRefs: [] }, ctx.serving.get(route) as Destination[], route.controls, ctx), rank: [methods ? 1 : 0, 0, 0], match: undefined, index: 0 });
  checkOrder(route, out, ctx);
  const rules = out.map((o) => o.rule);
  if (methods) {
    const first = (ctx.serving.get(route) as Destination[])[0] as Destination;
    rules.push({ name: `${name}-methods`, matches: structuredClone(base), backendRefs: [{ ...backendRef(first.app, first.port, ctx), weight: 0 }] });
  }
  return rules;
}

/** Gateway API's precedence between matches of one path: a method match, then more headers, then more query parameters. */
type Rank = readonly [number, number, number];

function rankOf(rule: MatchRule, methods: boolean): Rank {
  return [rule.match.method !== undefined || methods ? 1 : 0, new Set(rule.match.headers.map((h) => h.name.toLowerCase())).size, new Set(rule.match.queryParams.map((q) => q.name)).size];
}

const outranks = (a: Rank, b: Rank) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];

/**
 * gorouter's extension tries a route's rules in order; Gateway API takes the most specific match
 * and uses list order only on ties. Where a later rule would outrank an earlier one that a request
 * can satisfy together with it, the order cannot be kept: refused at the later rule.
 */
function checkOrder(route: Route, rules: readonly { rank: Rank; match: MatchRule | undefined; index: number }[], ctx: Ctx): void {
  for (let j = 1; j < rules.length; j++) {
    const later = rules[j] as (typeof rules)[number];
    for (let i = 0; i < j; i++) {
      const earlier = rules[i] as (typeof rules)[number];
      if (!outranks(later.rank, earlier.rank) || disjoint(earlier.match, later.match)) continue;
      ctx.errors.push(
        refuse(`route ${route.key} rule ${later.index}: Gateway API would try it before rule ${earlier.index} (a method match, then more header matches, then more query matches win over list order), so a request that matches both would not take rule ${earlier.index} as written`, later.match?.span ?? route.span, 'rules tried in the order written'),
      );
      break;
    }
  }
}

/** Two rules no request satisfies together: different exact methods, or one header or query parameter with different exact values. */
function disjoint(a: MatchRule | undefined, b: MatchRule | undefined): boolean {
  if (!a || !b) return false;
  if (a.match.method?.type === 'exact' && b.match.method?.type === 'exact' && a.match.method.value !== b.match.method.value) return true;
  const clash = (x: readonly NamedMatch[], y: readonly NamedMatch[], fold: (n: string) => string) =>
    x.some((m) => m.match.type === 'exact' && y.some((n) => fold(n.name) === fold(m.name) && n.match.type === 'exact' && n.match.value !== m.match.value));
  return clash(a.match.headers, b.match.headers, (n) => n.toLowerCase()) || clash(a.match.queryParams, b.match.queryParams, (n) => n);
}

/**
 * A rule's header, query and method conditions as an HTTPRouteMatch. Exact stays Exact; a regex
 * is RegularExpression (implementation-specific dialect: Istio passes it to Envoy as RE2 with a
 * full match, conversion.go createHeadersMatch, which is what the manifest's regex means); a
 * prefix becomes the RegularExpression `<quoted prefix>.*`, since Gateway API has no prefix match
 * for headers or query parameters.
 */
function ruleConditions(rule: MatchRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const named = (list: readonly NamedMatch[], fold: (n: string) => string) =>
    [...list].sort((a, b) => compare(fold(a.name), fold(b.name))).map((m) => ({ name: fold(m.name), ...valueMatch(m.match) }));
  if (rule.match.headers.length > 0) out['headers'] = named(rule.match.headers, (n) => n.toLowerCase());
  if (rule.match.queryParams.length > 0) out['queryParams'] = named(rule.match.queryParams, (n) => n);
  if (rule.match.method) out['method'] = rule.match.method.value;
  return out;
}

function valueMatch(m: StringMatch): { type: string; value: string } {
  switch (m.type) {
    case 'exact':
      return { type: 'Exact', value: m.value };
    case 'regex':
      return { type: 'RegularExpression', value: m.value };
    case 'prefix':
      return { type: 'RegularExpression', value: `${m.value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')}.*` };
    default:
      return unreachable(m);
  }
}

/**
 * backendRefs with the route's integer weights (they sum to 100; Gateway API reads them as
 * proportions, HTTPBackendRef `weight`), the request timeout (HTTPRouteRule `timeouts.request`,
 * the whole request as Istio's VirtualService `timeout`: conversion.go), and the mirror as a
 * RequestMirror filter with its percentage.
 */
function withControls(rule: Rule, dests: readonly Destination[], controls: RequestControls & { readonly mirror?: Route['controls']['mirror'] }, ctx: Ctx): Rule {
  const out: { -readonly [K in keyof Rule]: Rule[K] } = { ...rule, backendRefs: dests.map((d) => ({ ...backendRef(d.app, d.port, ctx), weight: d.weight })) };
  const timeout = timeoutOf(controls);
  if (timeout) out.timeouts = { request: timeout };
  const mirror = mirrorOf({ mirror: controls.mirror });
  if (mirror) {
    const filter: Record<string, unknown> = { backendRef: backendRef(mirror.app, undefined, ctx) };
    if (mirror.percent !== 100) {
      if (Number.isInteger(mirror.percent)) filter['percent'] = mirror.percent;
      else filter['fraction'] = { numerator: Math.round(mirror.percent * 10_000), denominator: 1_000_000 };
    }
    out.filters = [{ type: 'RequestMirror', requestMirror: filter }];
  }
  return out;
}

/** A Service backendRef (group "" and kind Service are the CRD defaults): the app's Service and port. */
function backendRef(app: string, port: number | undefined, ctx: Ctx): Record<string, unknown> {
  const info = ctx.apps.get(app);
  const ref = serviceRef(appTarget(app, info, ctx.options).host) as { name: string; namespace: string };
  const out: Record<string, unknown> = { name: ref.name };
  if (ref.namespace !== ctx.options.namespace) {
    out['namespace'] = ref.namespace;
    ctx.namespaces.add(ref.namespace);
  }
  out['port'] = port ?? appPort(info, ctx.options);
  return out;
}

/**
 * A TCP route: a TCPRoute (experimental channel, v1alpha2) on the port's TCP listener, weights as
 * backendRef weights. TCP has no host to match: the port is the route (cf's router groups).
 */
function tcpRoute(route: Route, ctx: Ctx): Resource {
  const dests = ctx.serving.get(route) as Destination[];
  return {
    apiVersion: TCP_ROUTE_API,
    kind: 'TCPRoute',
    metadata: metadata(objectName(`tcp-${route.port}.${route.fqdn}`), ctx.options),
    spec: { parentRefs: [parentRef(tcpListenerName(route.port as number), ctx.options)], rules: [{ backendRefs: dests.map((d) => ({ ...backendRef(d.app, d.port, ctx), weight: d.weight })) }] },
  };
}

/** One ReferenceGrant per namespace whose Services the routes name: Services there may be named by this namespace's routes. */
function referenceGrants(ctx: Ctx): Resource[] {
  return [...ctx.namespaces].sort(compare).map((namespace) => ({
    apiVersion: REFERENCE_GRANT_API,
    kind: 'ReferenceGrant',
    metadata: metadata(objectName(`cfmesh-from-${ctx.options.namespace}`), ctx.options, namespace),
    spec: {
      from: [
        { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: ctx.options.namespace },
        { group: GATEWAY_API_GROUP, kind: 'TCPRoute', namespace: ctx.options.namespace },
      ],
      to: [{ group: '', kind: 'Service' }],
    },
  }));
}

/**
 * A wildcard's https-redirect answers, on the HTTP listener, every request of its hosts that no
 * more specific HTTPRoute matches (Gateway API gives rules of less specific hostnames the requests
 * a more specific route has no rule for: HTTPRoute CRD `spec.hostnames`). gorouter's extension
 * redirects only hosts that have no live routes of their own; a host with its own routes and no
 * catch-all would see its unmatched requests redirected instead of 404. Refused.
 */
function refuseRedirectLeaks(liveByHost: ReadonlyMap<string, Route[]>, tls: ReadonlyMap<string, TlsSettings>, errors: ToolError[]): void {
  const httpOf = (h: string) => (liveByHost.get(h) ?? []).filter((r) => r.protocol === 'http' && !r.internal);
  for (const [wildcard, t] of tls) {
    if (!t.httpsRedirect || !wildcard.startsWith('*.') || httpOf(wildcard).length === 0) continue;
    for (const [fqdn] of liveByHost) {
      const own = httpOf(fqdn);
      if (fqdn === wildcard || own.length === 0 || !wildcardChain(fqdn).includes(wildcard)) continue;
      // the host's own catch-all, or one reached before or at the wildcard in its chain, catches every request
      const chain = wildcardChain(fqdn);
      const caught = [fqdn, ...chain.slice(0, chain.indexOf(wildcard) + 1)].some((h) => httpOf(h).some((r) => r.path === undefined));
      if (caught || tls.get(fqdn)?.httpsRedirect) continue;
      const route = httpOf(wildcard)[0] as Route;
      errors.push(refuse(`route ${route.key}: its https-redirect would, under Gateway API, also redirect the requests of ${fqdn} that none of ${fqdn}'s routes matches (gorouter answers them 404)`, route.span, 'https-redirect on a wildcard host without a catch-all route'));
      break;
    }
  }
}

/** What the user must know about this bundle, once per translation. */
function notices(live: readonly Route[], ctx: Ctx): void {
  const lettered = live.find((r) => r.protocol === 'http' && r.path !== undefined && /[a-z]/.test(r.path));
  if (lettered) {
    const path = lettered.path as string;
    const upper = path.replace(/\/([a-z])/, (_, c: string) => `/${c.toUpperCase()}`);
    ctx.warnings.push({
      code: 'LOSSY',
      message: `route ${lettered.key}${live.filter((r) => r.path !== undefined && /[a-z]/.test(r.path)).length > 1 ? ' (and other path routes)' : ''}: Gateway API matches paths case-sensitively (HTTPPathMatch has no case-insensitive form): ${path} receives ${path} and ${path}/..., but ${upper} goes to a less specific route, where gorouter matches paths in any letter case`,
      span: lettered.span,
      hint: 'see docs/adr/0017-gateway-api-target.md, "letter case of paths"; --api istio matches paths in any case',
    });
  }
  for (const route of live) {
    if (route.protocol !== 'http' || !methodsOf(route.controls)) continue;
    ctx.warnings.push({ code: 'LOSSY', message: `route ${route.key}: methods: other methods are answered 500, not 405 (Gateway API has no direct response; the route's last rule has a backend of weight 0)`, span: route.controls.spans?.methods ?? route.span, hint: '--api istio answers 405 with an Allow header' });
  }
  const http2 = live.find((r) => r.protocol === 'http' && r.destinations.some((d) => d.protocol === 'http2'));
  if (http2) {
    const d = http2.destinations.find((x) => x.protocol === 'http2') as Destination;
    ctx.warnings.push({
      code: 'NOTICE',
      message: `route ${http2.key} sends HTTP/2 to "${d.app}": the app's Service port must declare h2c (appProtocol: kubernetes.io/h2c) for the gateway to speak HTTP/2 to it`,
      span: http2.span,
    });
  }
}
