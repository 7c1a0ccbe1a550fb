import type { Warning } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../render/resource.ts';
import type { AppInfo, Destination, Route, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { dnsLabel, objectName } from './names.ts';
import { networkingApi, type IstioOptions } from './options.ts';

/** Kinds in the order they are emitted (things referred to before things that refer to them). */
export const KIND_ORDER = ['Gateway', 'PeerAuthentication', 'AuthorizationPolicy', 'ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'] as const;

export interface Translation {
  readonly resources: readonly Resource[];
  readonly warnings: readonly Warning[];
}

/**
 * Route table → Istio resources. Contract: one Gateway for external routes; exactly one
 * VirtualService per FQDN, its HTTP rules most specific path first and the catch-all last, its TCP
 * rules by port; DestinationRules and ServiceEntries only where needed. The result is sorted by
 * KIND_ORDER, then name, and is a pure function of its inputs.
 */
export function translate(table: RouteTable, options: IstioOptions): Translation {
  const warnings: Warning[] = [];
  const apps = new Map(table.apps.map((a) => [a.name, a]));
  const ctx = { options, apps, warnings };
  const resources: Resource[] = [];

  const byHost = new Map<string, Route[]>();
  for (const route of table.routes) {
    const list = byHost.get(route.fqdn) ?? [];
    list.push(route);
    byHost.set(route.fqdn, list);
  }

  const external = table.routes.filter((r) => !r.internal);
  if (external.length > 0) resources.push(gateway(external, options));
  for (const [fqdn, routes] of byHost) resources.push(virtualService(fqdn, routes, ctx));
  resources.push(...http2DestinationRules(table, ctx));
  resources.push(...internalServiceEntries(byHost, ctx));
  return { resources: sortResources(resources), warnings };
}

interface Ctx {
  readonly options: IstioOptions;
  readonly apps: ReadonlyMap<string, AppInfo>;
  readonly warnings: Warning[];
}

export function metadata(name: string, options: IstioOptions): Resource['metadata'] {
  return { name, namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
}

function gateway(routes: readonly Route[], options: IstioOptions): Resource {
  const tcpPorts = [...new Set(routes.filter((r) => r.protocol === 'tcp').map((r) => r.port as number))].sort((a, b) => a - b);
  const servers: Record<string, unknown>[] = [];
  if (routes.some((r) => r.protocol === 'http')) servers.push({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] });
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
  const http = routes.filter((r) => r.protocol === 'http').sort(bySpecificity).map((r) => httpRule(r, ctx));
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

function httpRule(route: Route, ctx: Ctx): Record<string, unknown> {
  const rule: Record<string, unknown> = { name: route.key };
  const match = pathMatch(route.path);
  if (match) rule['match'] = match;
  rule['route'] = destinations(route, ctx);
  return rule;
}

export function destinations(route: Route, ctx: Ctx): Record<string, unknown>[] {
  return route.destinations.map((d) => ({ destination: destination(d, ctx), weight: d.weight }));
}

function destination(d: Destination, ctx: Ctx): Record<string, unknown> {
  return { host: serviceHost(d.app, ctx.options), port: { number: d.port ?? ctx.apps.get(d.app)?.port ?? ctx.options.defaultPort } };
}

/** The mesh host for an app, from the template (default `{app}.{namespace}.svc.cluster.local`). */
export function serviceHost(app: string, options: IstioOptions, extra: Readonly<Record<string, string>> = {}): string {
  const values: Record<string, string> = { app: dnsLabel(app), namespace: options.namespace, ...extra };
  return options.serviceHostTemplate.replace(/\{(\w+)\}/g, (m, name: string) => values[name] ?? m).toLowerCase();
}

/** `http2` destinations: tell the client sidecars to speak HTTP/2 to that app's host. */
function http2DestinationRules(table: RouteTable, ctx: Ctx): Resource[] {
  const apps = new Set<string>();
  for (const route of table.routes) for (const d of route.destinations) if (d.protocol === 'http2') apps.add(d.app);
  return [...apps].sort(compare).map((app) => {
    const host = serviceHost(app, ctx.options);
    return {
      apiVersion: networkingApi(ctx.options),
      kind: 'DestinationRule',
      metadata: metadata(objectName(host), ctx.options),
      spec: { host, trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'UPGRADE' } } } },
    };
  });
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
        const number = route.protocol === 'tcp' ? (route.port as number) : (d.port ?? ctx.apps.get(d.app)?.port ?? ctx.options.defaultPort);
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

export function sortResources(resources: readonly Resource[]): Resource[] {
  const rank = (kind: string) => {
    const i = (KIND_ORDER as readonly string[]).indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...resources].sort((a, b) => rank(a.kind) - rank(b.kind) || compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name));
}
