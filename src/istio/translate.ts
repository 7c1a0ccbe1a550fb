import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../render/resource.ts';
import type { AppInfo, Route, RouteTable } from '../routing/route-table.ts';
import { compare, resolveWeights } from '../routing/route-table.ts';
import { destinationRules, hostPlans, type HostPlans } from './destination-rules.ts';
import { objectName } from './names.ts';
import { DEFAULT_GATEWAY_NAMESPACE, networkingApi, securityApi, type IstioOptions } from './options.ts';
import { endpointServiceEntries } from './service-entries.ts';
import { appPort, appTarget } from './targets.ts';
import { faultOf, methodsOf, mirrorOf, retriesOf, ruleMatches, rulesOf, timeoutOf, tlsOf, type TlsControl } from './traffic.ts';

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
export function translate(table: RouteTable, options: IstioOptions): Translation {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const apps = new Map(table.apps.map((a) => [a.name, a]));
  const plans = hostPlans(table, apps, options, warnings);
  const ctx: Ctx = { options, apps, warnings, plans };
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
  if (external.length > 0) resources.push(gateway(external, tls, options));
  for (const [fqdn, routes] of byHost) resources.push(virtualService(fqdn, routes, ctx));
  resources.push(...destinationRules(plans, apps, options));
  resources.push(...internalServiceEntries(byHost, ctx));
  resources.push(...endpointServiceEntries(table, apps, options));
  resources.push(...methodPolicies(byHost, ctx));
  if (options.mtls === 'strict' || options.mtls === 'istio-mutual') resources.push(peerAuthentication(options));
  return { resources: sortResources(resources), warnings };
}

interface Ctx {
  readonly options: IstioOptions;
  readonly apps: ReadonlyMap<string, AppInfo>;
  readonly warnings: Warning[];
  readonly plans: HostPlans;
}

export function metadata(name: string, options: IstioOptions, namespace: string = options.namespace): Resource['metadata'] {
  return { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
}

/** TLS is per route in the manifest but per host on the Gateway: the routes of one host must agree. */
function tlsByHost(byHost: ReadonlyMap<string, Route[]>, errors: ToolError[], warnings: Warning[]): Map<string, TlsControl> {
  const out = new Map<string, TlsControl>();
  for (const [fqdn, routes] of byHost) {
    for (const route of routes) {
      const tls = tlsOf(route.controls);
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

function gateway(routes: readonly Route[], tls: ReadonlyMap<string, TlsControl>, options: IstioOptions): Resource {
  const tcpPorts = [...new Set(routes.filter((r) => r.protocol === 'tcp').map((r) => r.port as number))].sort((a, b) => a - b);
  const servers: Record<string, unknown>[] = [];
  const used = new Set<string>(['http']);
  if (routes.some((r) => r.protocol === 'http')) servers.push({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] });
  for (const fqdn of [...tls.keys()].sort(compare)) {
    const t = tls.get(fqdn) as TlsControl;
    if (t.httpsRedirect) {
      // Istio merges servers on one port: the `*` server keeps serving other hosts, and this one
      // marks the host's virtual host require_tls, so plain HTTP to it gets a 301 to HTTPS.
      servers.push({ port: { number: 80, name: portName('http-redirect', fqdn, used), protocol: 'HTTP' }, hosts: [fqdn], tls: { httpsRedirect: true } });
    }
    servers.push({ port: { number: 443, name: portName('https', fqdn, used), protocol: 'HTTPS' }, hosts: [fqdn], tls: { mode: 'SIMPLE', credentialName: t.credentialName } });
  }
  for (const port of tcpPorts) servers.push({ port: { number: port, name: `tcp-${port}`, protocol: 'TCP' }, hosts: ['*'] });
  return {
    apiVersion: networkingApi(options),
    kind: 'Gateway',
    metadata: metadata(options.gateway, options),
    spec: { selector: { istio: 'ingressgateway' }, servers },
  };
}

function virtualService(fqdn: string, routes: readonly Route[], ctx: Ctx): Resource {
  const internal = routes.some((r) => r.internal);
  const http = routes.filter((r) => r.protocol === 'http').sort(bySpecificity).flatMap((r) => httpRules(r, ctx));
  const tcp = routes
    .filter((r) => r.protocol === 'tcp')
    .sort((a, b) => (a.port ?? 0) - (b.port ?? 0))
    .map((r) => ({ match: [{ port: r.port }], route: destinations(r, ctx) }));
  const spec: Record<string, unknown> = {
    hosts: [fqdn],
    gateways: [internal ? 'mesh' : ctx.options.gateway],
  };
  if (http.length > 0) spec['http'] = http;
  if (tcp.length > 0) spec['tcp'] = tcp;
  return { apiVersion: networkingApi(ctx.options), kind: 'VirtualService', metadata: metadata(objectName(fqdn), ctx.options), spec };
}

/** Longest path first, so `/api/v2` is tried before `/api`; the route without a path (catch-all) last. */
export function bySpecificity(a: Route, b: Route): number {
  if (a.path === undefined) return b.path === undefined ? 0 : 1;
  if (b.path === undefined) return -1;
  return b.path.length - a.path.length || compare(a.path, b.path);
}

/**
 * cf path semantics: `/foo` matches `/foo` and `/foo/...` but never `/foobar`. A VirtualService
 * `prefix` is a plain string prefix, so the rule matches `exact: /foo` or `prefix: /foo/`.
 */
export function pathMatch(path: string | undefined): Record<string, unknown>[] | undefined {
  if (path === undefined) return undefined;
  if (path.endsWith('/')) return [{ uri: { prefix: path } }];
  return [{ uri: { exact: path } }, { uri: { prefix: `${path}/` } }];
}

/** The route's match rules, in order, then its own entry: rules are narrower, so they come first. */
function httpRules(route: Route, ctx: Ctx): Record<string, unknown>[] {
  const match = pathMatch(route.path);
  const instances = (app: string) => ctx.apps.get(app)?.instances ?? 1;
  const out = rulesOf(route.controls).map((rule, i) => {
    const names = [...rule.destinations].sort((a, b) => compare(a.app, b.app));
    const weighted = names.some((d) => d.weight !== undefined);
    const dests = resolveWeights(names, weighted, instances);
    return withControls({ name: `${route.key} rule-${i + 1}`, match: ruleMatches(rule.match, pathMatch(route.path), route.path) }, dests, rule.controls, route, ctx);
  });
  const own: Record<string, unknown> = { name: route.key };
  if (match) own['match'] = match;
  out.push(withControls(own, route.destinations, route.controls, route, ctx));
  return out;
}

function withControls(rule: Record<string, unknown>, dests: Route['destinations'], controls: Route['controls'], route: Route, ctx: Ctx): Record<string, unknown> {
  rule['route'] = dests.map((d) => ({ destination: destination(d.app, d.port, route, ctx), weight: d.weight }));
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

export function destinations(route: Route, ctx: Ctx): Record<string, unknown>[] {
  return route.destinations.map((d) => ({ destination: destination(d.app, d.port, route, ctx), weight: d.weight }));
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
      for (const d of route.destinations) {
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

/** Path patterns of an AuthorizationPolicy for a cf path: `/foo` is `/foo` and `/foo/*`. */
function policyPaths(path: string): string[] {
  return path.endsWith('/') ? [`${path}*`] : [path, `${path}/*`];
}

/**
 * `methods` → a DENY AuthorizationPolicy on the ingress gateway workload that refuses only this
 * route's host (and path) for other methods. An ALLOW policy would deny every request it does not
 * list, locking the gateway's other routes out. The more specific routes of the same host are
 * carved out with `notPaths`, so a catch-all route's methods never restrict `/api`.
 */
function methodPolicies(byHost: ReadonlyMap<string, Route[]>, ctx: Ctx): Resource[] {
  const out: Resource[] = [];
  const namespace = ctx.options.gatewayNamespace ?? DEFAULT_GATEWAY_NAMESPACE;
  for (const [fqdn, routes] of byHost) {
    const http = routes.filter((r) => r.protocol === 'http');
    for (const route of http) {
      const methods = methodsOf(route.controls);
      if (!methods) continue;
      if (route.internal) {
        ctx.warnings.push({ code: 'LOSSY', message: `route ${route.key}: methods are enforced on the ingress gateway only; this mesh-internal route accepts every method`, span: route.span });
        continue;
      }
      const inner = http.filter((o) => o !== route && o.path !== undefined && (route.path === undefined || o.path.startsWith(route.path.endsWith('/') ? route.path : `${route.path}/`)));
      const operation: Record<string, unknown> = { hosts: [fqdn, `${fqdn}:*`] };
      if (route.path !== undefined) operation['paths'] = policyPaths(route.path);
      if (inner.length > 0) operation['notPaths'] = inner.map((o) => o.path as string).sort(compare).flatMap(policyPaths);
      operation['notMethods'] = methods;
      out.push({
        apiVersion: securityApi(ctx.options),
        kind: 'AuthorizationPolicy',
        metadata: metadata(objectName(`deny-methods.${fqdn}${route.path ?? ''}`), ctx.options, namespace),
        spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation }] }] },
      });
    }
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
