import type { Warning } from '../diagnostics/tool-error.ts';
import { parseAppExtensions, parseLoadBalancing, parseRouteControls } from '../manifest/controls.ts';
import { canonicalPath } from '../manifest/route-address.ts';
import { NO_CONTROLS } from '../manifest/traffic.ts';
import type { AppProtocol } from '../manifest/types.ts';
import { compare, isInternal, resolveWeights, type AppInfo, type Destination, type Route, type RouteTable, type RoutingOptions } from '../routing/route-table.ts';
import { largestRemainder } from '../routing/weights.ts';
import { routeKey } from '../state/format.ts';
import type { AppRecord, RouteDestination, RouteRecord, State } from '../state/types.ts';

/**
 * The embedded state read as the target-neutral route table, so that imperative commands go through
 * the same translate → render → sink path as `convert`.
 *
 * Mapping (docs/commands.md "State model"): a route record's destinations either all carry a weight
 * (an explicitly weighted route: Cloud Controller's "replace all destinations" with weights) or none
 * does (cf's unweighted mappings, whose shares follow the apps' web instances, as gorouter balances
 * per instance). A route with no destination is kept in the state (cf keeps unmapped routes) but
 * emits no Istio configuration.
 */
export function stateToTable(state: State, routing: RoutingOptions, only?: Iterable<RouteRecord>): { table: RouteTable; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const records = only ?? Object.values(state.routes);
  const routes: Route[] = [];
  const used = new Set<string>();
  for (const record of records) {
    const route = recordToRoute(record, state, routing, warnings);
    if (!route) continue;
    routes.push(route);
    for (const d of route.destinations) used.add(d.app);
  }
  const apps: AppInfo[] = [];
  // With a subset, only the apps it refers to: translate builds a map of every app it is given.
  const names = only === undefined ? Object.keys(state.apps) : [...used];
  for (const name of names) {
    const app = state.apps[name];
    if (app) apps.push(appInfo(app));
  }
  apps.sort((a, b) => compare(a.name, b.name));
  routes.sort((a, b) => compare(a.fqdn, b.fqdn) || compare(a.protocol, b.protocol) || (a.port ?? 0) - (b.port ?? 0) || compare(a.path ?? '', b.path ?? ''));
  return { table: { routes, apps }, warnings };
}

/** The state keeps an app's manifest map as written (`extra`); its extension keys are parsed here, as a manifest's are. */
export function appInfo(app: AppRecord): AppInfo {
  return { ...(app.extra ? parseAppExtensions(app.extra) : {}), name: app.name, instances: app.instances, port: app.port };
}

export function isWeighted(record: RouteRecord): boolean {
  return record.destinations.some((d) => d.weight !== undefined);
}

export function recordToRoute(record: RouteRecord, state: State, routing: RoutingOptions, warnings: Warning[] = []): Route | undefined {
  if (record.destinations.length === 0) return undefined;
  const url = routeKey(record);
  const destinations = effectiveDestinations(record, state, (message) => warnings.push({ code: 'ZERO_INSTANCES', message: `route ${url}: ${message}` }));
  return {
    key: url,
    fqdn: record.fqdn,
    // A state written before paths were canonical may hold `/Docs/`: it means what gorouter makes of it.
    path: record.path === undefined ? undefined : canonicalPath(record.path),
    port: record.port,
    protocol: record.protocol === 'tcp' ? 'tcp' : 'http',
    internal: isInternal(record.fqdn, routing.internalDomains),
    // The state keeps options and controls in the manifest's shape: parsed here by the manifest's parser.
    loadBalancing: parseLoadBalancing(record.options),
    controls: record.controls ? parseRouteControls(record.controls) : NO_CONTROLS,
    weighted: isWeighted(record),
    destinations,
  };
}

/** The destinations with the weights Istio gets: explicit ones as stored, otherwise by instances. Sorted by app. */
export function effectiveDestinations(record: RouteRecord, state: State, warn: (message: string) => void = () => {}): Destination[] {
  const sorted = [...record.destinations].sort((a, b) => compare(a.app, b.app));
  const weighted = sorted.some((d) => d.weight !== undefined);
  let weights = sorted.map((d) => d.weight);
  if (weighted) {
    // Every transform keeps a weighted route at 100; a hand-edited state may not be, and Istio needs it.
    const given = weights.map((w) => w ?? 0);
    if (given.reduce((s, w) => s + w, 0) !== 100) weights = largestRemainder(given);
  }
  return resolveWeights(
    sorted.map((d, i) => ({ app: d.app, weight: weights[i], port: d.port, protocol: destinationProtocol(record, d) })),
    weighted,
    (app) => state.apps[app]?.instances ?? 1,
    warn,
  );
}

function destinationProtocol(record: RouteRecord, d: RouteDestination): AppProtocol | undefined {
  if (record.protocol === 'tcp') return undefined;
  if (d.protocol === 'http2' || (d.protocol === undefined && record.protocol === 'http2')) return 'http2';
  return undefined;
}

/** `host.domain[:port][/path]`, as cf renders a route URL. */
export function routeUrlOf(record: Pick<RouteRecord, 'fqdn' | 'path' | 'port'>): string {
  return routeKey(record);
}
