/**
 * The cluster as the state: VirtualServices as they are live (cfmesh's and other tools'), turned into
 * the same views `routes` and `apps` print for the local state, and the destination an APP argument
 * names. Pure: the caller reads the cluster.
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { IstioOptions } from '../istio/options.ts';
import type { LiveDestination, LiveHttpRoute, LiveVirtualService } from '../kube/weights.ts';
import { splitHostDomain } from '../manifest/route-address.ts';
import { compare } from '../routing/route-table.ts';
import type { AppView, RouteView } from './views.ts';

export interface LiveRoute {
  readonly vs: LiveVirtualService;
  readonly rule: LiveHttpRoute;
  readonly fqdn: string;
  readonly path: string | undefined;
}

/** The path a rule serves: cfmesh names rules by route (`host/path`); others are read from `match`. */
function rulePath(fqdn: string, rule: LiveHttpRoute): string | undefined | null {
  if (rule.name !== undefined) {
    if (rule.name === fqdn) return undefined;
    if (rule.name.startsWith(`${fqdn}/`) && !rule.name.includes(' ')) return rule.name.slice(fqdn.length);
    if (rule.name.startsWith(`${fqdn} `)) return null; // a match rule of a route (traffic `rules:`), not a route
  }
  const matches = Array.isArray(rule.match) ? (rule.match as { uri?: { exact?: string; prefix?: string } }[]) : [];
  if (matches.length === 0) return undefined;
  const uri = matches[0]?.uri;
  const path = uri?.exact ?? uri?.prefix?.replace(/\/$/, '');
  return path && path !== '' ? path : null;
}

/** Every HTTP route served by a live VirtualService (one per host and path). */
export function liveRoutes(services: readonly LiveVirtualService[]): LiveRoute[] {
  const out: LiveRoute[] = [];
  for (const vs of services) {
    for (const fqdn of vs.hosts) {
      for (const rule of vs.http) {
        const path = rulePath(fqdn, rule);
        if (path === null) continue;
        out.push({ vs, rule, fqdn, path });
      }
    }
  }
  return out;
}

/** Host → app, by reading the service host template backwards (`{app}.ns.svc.cluster.local` → app). */
export function appOfHost(host: string, options: IstioOptions): string {
  const pattern = options.serviceHostTemplate
    .split(/(\{\w+\})/)
    .map((part) => {
      if (part === '{app}' || part === '{service}') return '(?<app>[a-z0-9]([-a-z0-9]*[a-z0-9])?)';
      if (part === '{namespace}') return escape(options.namespace);
      if (part === '{version}') return '[a-z0-9-]+';
      return escape(part);
    })
    .join('');
  const m = new RegExp(`^${pattern}$`).exec(host);
  return m?.groups?.['app'] ?? host;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shares(destinations: readonly LiveDestination[]): number[] {
  if (destinations.length === 1) return [100];
  return destinations.map((d) => d.weight ?? 0);
}

export function liveRoutesView(services: readonly LiveVirtualService[], options: IstioOptions, knownDomains: readonly string[]): (RouteView & { managedBy: string })[] {
  const managedBy = (vs: LiveVirtualService) => (vs.managedByCfmesh ? 'cfmesh' : vs.managers.join(',') || 'unknown');
  // TCP routes: one per matched port of each host (cf's domain:port).
  const tcp = services.flatMap((vs) =>
    vs.hosts.flatMap((fqdn) =>
      vs.tcp.flatMap((rule) =>
        rule.ports.map((port) => {
          const weights = shares(rule.destinations);
          return {
            url: `${fqdn}:${port}`,
            host: '',
            domain: fqdn,
            port,
            path: null,
            protocol: 'tcp' as const,
            options: {},
            destinations: rule.destinations.map((d, i) => ({ app: appOfHost(d.host, options), ...(d.subset ? { subset: d.subset } : {}), weight: weights[i] as number })),
            weighted: true,
            managedBy: managedBy(vs),
          };
        }),
      ),
    ),
  );
  const http = liveRoutes(services)
    .map(({ vs, rule, fqdn, path }) => {
      const { host, domain } = splitHostDomain(fqdn, knownDomains);
      const weights = shares(rule.destinations);
      return {
        url: `${fqdn}${path ?? ''}`,
        host,
        domain,
        port: null,
        path: path ?? null,
        protocol: 'http' as const,
        options: {},
        destinations: rule.destinations.map((d, i) => ({ app: appOfHost(d.host, options), ...(d.subset ? { subset: d.subset } : {}), weight: weights[i] as number })),
        weighted: true,
        managedBy: managedBy(vs),
      };
    });
  return [...http, ...tcp].sort((a, b) => compare(a.domain, b.domain) || compare(a.host, b.host) || compare(a.path ?? '', b.path ?? '') || (a.port ?? 0) - (b.port ?? 0));
}

export function liveAppsView(services: readonly LiveVirtualService[], options: IstioOptions): AppView[] {
  const apps = new Map<string, { port: number | null; routes: Set<string> }>();
  const add = (d: LiveDestination, url: string) => {
    const name = appOfHost(d.host, options) + (d.subset ? `@${d.subset}` : '');
    const entry = apps.get(name) ?? { port: d.port ?? null, routes: new Set<string>() };
    entry.routes.add(url);
    apps.set(name, entry);
  };
  for (const { rule, fqdn, path } of liveRoutes(services)) for (const d of rule.destinations) add(d, `${fqdn}${path ?? ''}`);
  for (const vs of services) for (const fqdn of vs.hosts) for (const rule of vs.tcp) for (const port of rule.ports) for (const d of rule.destinations) add(d, `${fqdn}:${port}`);
  return [...apps]
    .sort((a, b) => compare(a[0], b[0]))
    .map(([name, e]) => ({ name, instances: null, port: e.port, routes: [...e.routes].sort(compare) }));
}

/** The live route for `DOMAIN [--hostname H] [--path P]`: NOT_FOUND (exit 1) names what exists. */
export function findLiveRoute(services: readonly LiveVirtualService[], fqdn: string, path: string | undefined, namespace: string): LiveRoute {
  const routes = liveRoutes(services);
  const key = `${fqdn}${path ?? ''}`;
  // cfmesh names each rule after its route; another tool's rule for the same path comes second.
  const found = routes.find((r) => r.fqdn === fqdn && r.path === path && r.rule.name === key) ?? routes.find((r) => r.fqdn === fqdn && r.path === path);
  if (found) return found;
  const same = routes.filter((r) => r.fqdn === fqdn).map((r) => `${r.fqdn}${r.path ?? ''}`);
  throw new ToolError('NOT_FOUND', `Route ${fqdn}${path ?? ''} not found in the cluster (namespace ${namespace})`, {
    hint: same.length > 0 ? `routes of ${fqdn}: ${same.join(', ')}` : 'push it first, or check --context and --namespace',
  });
}

/** Which destination of a live route the APP argument means: by host (and subset, for versions of a service). */
export function destinationOfApp(route: LiveRoute, app: string, options: IstioOptions): number {
  const names = route.rule.destinations.map((d) => ({ app: appOfHost(d.host, options), subset: d.subset }));
  const exact = names.findIndex((n) => n.subset === undefined && n.app === app);
  if (exact !== -1) return exact;
  const versioned = names.findIndex((n) => n.subset !== undefined && (`${n.app}-${n.subset}` === app || n.subset === app));
  if (versioned !== -1) return versioned;
  const byApp = names.filter((n) => n.app === app);
  if (byApp.length === 1) return names.indexOf(byApp[0] as (typeof names)[number]);
  throw new ToolError('NOT_FOUND', `App '${app}' is not a destination of route ${route.fqdn}${route.path ?? ''} in the cluster`, {
    hint: `its destinations: ${names.map((n) => n.app + (n.subset ? ` (subset ${n.subset})` : '')).join(', ')}; map it first`,
  });
}
