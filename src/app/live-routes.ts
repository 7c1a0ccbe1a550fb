/**
 * The cluster as the state: the routes a target read back from its live objects (cfmesh's and other
 * tools'), turned into the same views `routes` and `apps` print for the local state, and the
 * destination an APP argument names. Target-neutral: the target reads the objects (target/live.ts).
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { KubeClient } from '../kube/client.ts';
import { splitHostDomain } from '../manifest/route-address.ts';
import { compare } from '../routing/route-table.ts';
import type { LiveDestination, LiveRoute } from '../target/live.ts';
import type { Target } from '../target/target.ts';
import type { AppView, RouteView } from './views.ts';

/** Every route the target's live objects in the namespace serve, cfmesh's and other tools'. */
export async function readLiveRoutes(kube: KubeClient, target: Target, namespace: string): Promise<LiveRoute[]> {
  const lists = await Promise.all(target.live.kinds.map((kind) => kube.list({ ...kind, namespace })));
  return target.live.read(lists.flat());
}

/** A lone destination carries everything; otherwise the weights as written (none: 0). */
function shares(destinations: readonly LiveDestination[]): number[] {
  if (destinations.length === 1) return [100];
  return destinations.map((d) => d.weight ?? 0);
}

export function liveRoutesView(routes: readonly LiveRoute[], knownDomains: readonly string[]): (RouteView & { managedBy: string })[] {
  const views = routes.map((r) => {
    const weights = shares(r.destinations);
    const destinations = r.destinations.map((d, i) => ({ app: d.app, ...(d.subset ? { subset: d.subset } : {}), weight: weights[i] as number }));
    // A TCP route is one port of the gateway (cf's domain:port).
    if (r.protocol === 'tcp') {
      return { url: `${r.fqdn}:${r.port}`, host: '', domain: r.fqdn, port: r.port ?? null, path: null, protocol: 'tcp' as const, options: {}, destinations, weighted: true, managedBy: r.managedBy };
    }
    const { host, domain } = splitHostDomain(r.fqdn, knownDomains);
    return { url: `${r.fqdn}${r.path ?? ''}`, host, domain, port: null, path: r.path ?? null, protocol: 'http' as const, options: {}, destinations, weighted: true, managedBy: r.managedBy };
  });
  return views.sort((a, b) => compare(a.domain, b.domain) || compare(a.host, b.host) || compare(a.path ?? '', b.path ?? '') || (a.port ?? 0) - (b.port ?? 0));
}

export function liveAppsView(routes: readonly LiveRoute[]): AppView[] {
  const apps = new Map<string, { port: number | null; routes: Set<string> }>();
  for (const route of routes) {
    const url = route.protocol === 'tcp' ? `${route.fqdn}:${route.port}` : `${route.fqdn}${route.path ?? ''}`;
    for (const d of route.destinations) {
      const name = d.app + (d.subset ? `@${d.subset}` : '');
      const entry = apps.get(name) ?? { port: d.port ?? null, routes: new Set<string>() };
      entry.routes.add(url);
      apps.set(name, entry);
    }
  }
  return [...apps]
    .sort((a, b) => compare(a[0], b[0]))
    .map(([name, e]) => ({ name, instances: null, port: e.port, routes: [...e.routes].sort(compare) }));
}

/** The live HTTP route for `DOMAIN [--hostname H] [--path P]`: NOT_FOUND (exit 1) names what exists. */
export function findLiveRoute(routes: readonly LiveRoute[], fqdn: string, path: string | undefined, namespace: string): LiveRoute {
  const http = routes.filter((r) => r.protocol === 'http');
  // cfmesh's own rule for the route first; another tool's rule for the same path comes second.
  const found = http.find((r) => r.fqdn === fqdn && r.path === path && r.own) ?? http.find((r) => r.fqdn === fqdn && r.path === path);
  if (found) return found;
  const same = http.filter((r) => r.fqdn === fqdn).map((r) => `${r.fqdn}${r.path ?? ''}`);
  throw new ToolError('NOT_FOUND', `Route ${fqdn}${path ?? ''} not found in the cluster (namespace ${namespace})`, {
    hint: same.length > 0 ? `routes of ${fqdn}: ${same.join(', ')}` : 'push it first, or check --context and --namespace',
  });
}

/** Which destination of a live route the APP argument means: by app (and subset, for versions of a service). */
export function destinationOfApp(route: LiveRoute, app: string): number {
  const names = route.destinations;
  const exact = names.findIndex((n) => n.subset === undefined && n.app === app);
  if (exact !== -1) return exact;
  const versioned = names.findIndex((n) => n.subset !== undefined && (`${n.app}-${n.subset}` === app || n.subset === app));
  if (versioned !== -1) return versioned;
  const byApp = names.filter((n) => n.app === app);
  if (byApp.length === 1) return names.indexOf(byApp[0] as LiveDestination);
  throw new ToolError('NOT_FOUND', `App '${app}' is not a destination of route ${route.fqdn}${route.path ?? ''} in the cluster`, {
    hint: `its destinations: ${names.map((n) => n.app + (n.subset ? ` (subset ${n.subset})` : '')).join(', ')}; map it first`,
  });
}

/** The live route's destinations as apps (`reviews-v1`, or `reviews (subset v1)` for a subset of a service). */
export function liveNames(route: LiveRoute): string[] {
  return route.destinations.map((d) => `${d.app}${d.subset ? ` (subset ${d.subset})` : ''}`);
}
