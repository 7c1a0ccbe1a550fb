/**
 * Read access to a state through the few queries that finding the consequences of a change needs
 * (src/app/resource-changes.ts), so that they can be answered from a whole state in memory or from
 * the state file without parsing every record (src/state/lines.ts). Every list comes in route-key
 * (or app-name) code-unit order, whatever the order of the records in memory.
 */
import { parseRouteControls } from '../manifest/controls.ts';
import { controlledApps } from '../manifest/traffic.ts';
import { byCodeUnit } from './lines.ts';
import type { AppRecord, RouteRecord, Settings, State } from './types.ts';

/** What a change touched: the keys of routes and the names of apps whose records differ. */
export interface ChangeSeeds {
  readonly routes: Iterable<string>;
  readonly apps: Iterable<string>;
}

export interface StateView {
  readonly settings: Settings;
  route(key: string): RouteRecord | undefined;
  app(name: string): AppRecord | undefined;
  /** Routes that send traffic to one of `apps` (see appsOfRoute). */
  routesTo(apps: ReadonlySet<string>): RouteRecord[];
  /** Routes whose FQDN is among `fqdns`. */
  routesOf(fqdns: ReadonlySet<string>): RouteRecord[];
  /** Routes whose FQDN lies below one of `suffixes` (`api.example.com` for `example.com`): the hosts that fall back to `*.suffix`. */
  routesUnder(suffixes: ReadonlySet<string>): RouteRecord[];
  /** Every app's name. */
  appNames(): readonly string[];
  /** Apps that are versions of one of these services (`extra.service`, the manifest's `service:`). */
  appsOfServices(services: ReadonlySet<string>): AppRecord[];
  /**
   * What the Gateway is made from besides the routes of a change: the first external HTTP route
   * with a destination, the first external TCP route with a destination on each port, and every
   * external route with `tls` among its controls.
   */
  gatewayRoutes(isInternal: (fqdn: string) => boolean): RouteRecord[];
}

/**
 * Every app a route sends traffic to: its destinations, the destinations of its match rules and its
 * mirror, read from the controls by the parser the route table uses (manifest/controls.ts).
 */
export function appsOfRoute(route: RouteRecord): string[] {
  const out = route.destinations.map((d) => d.app);
  if (route.controls !== undefined) out.push(...controlledApps(parseRouteControls(route.controls)));
  return out;
}

/** Records replaced, added or (undefined) removed between two versions of a section, by identity. */
export function changedRecords<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>): Map<string, T | undefined> {
  const out = new Map<string, T | undefined>();
  if (before === after) return out;
  for (const key in after) if (before[key] !== after[key]) out.set(key, after[key]);
  for (const key in before) if (!Object.hasOwn(after, key)) out.set(key, undefined);
  return out;
}

/** Whether a route's controls give its host TLS on the Gateway. */
export function hasTls(route: RouteRecord): boolean {
  return route.controls !== undefined && Object.hasOwn(route.controls, 'tls');
}

/**
 * Picks the Gateway's routes from candidates in key order: every route with tls, the first HTTP
 * route, the first route per TCP port (routes without a destination and internal ones make no
 * listener). `candidates` must hold every route with tls, every TCP route, and every route up to
 * the first external HTTP route with a destination.
 */
export function pickGatewayRoutes(candidates: Iterable<RouteRecord>, isInternal: (fqdn: string) => boolean): RouteRecord[] {
  const out: RouteRecord[] = [];
  let http = false;
  const ports = new Set<number>();
  for (const route of candidates) {
    if (route.destinations.length === 0 || isInternal(route.fqdn)) continue;
    const tcp = route.protocol === 'tcp';
    const first = tcp ? route.port !== undefined && !ports.has(route.port) : !http;
    if (!first && !hasTls(route)) continue;
    out.push(route);
    if (!tcp) http = true;
    else if (route.port !== undefined) ports.add(route.port);
  }
  return out;
}

/** The view of a whole state in memory: every query is one pass over the records. */
export function stateView(state: State): StateView {
  let sortedKeys: string[] | undefined;
  // A state read from its file is in key order already: check before sorting.
  const keys = () => (sortedKeys ??= inOrder(Object.keys(state.routes)));
  let services: Map<string, AppRecord[]> | undefined;
  const byService = () => {
    if (services) return services;
    services = new Map();
    for (const app of Object.values(state.apps)) {
      const service = app.extra?.['service'];
      if (typeof service !== 'string') continue;
      const list = services.get(service);
      if (list) list.push(app);
      else services.set(service, [app]);
    }
    return services;
  };
  const routes = (want: (route: RouteRecord) => boolean) => {
    const out: RouteRecord[] = [];
    for (const key of keys()) {
      const route = state.routes[key] as RouteRecord;
      if (want(route)) out.push(route);
    }
    return out;
  };
  return {
    settings: state.settings,
    route: (key) => (Object.hasOwn(state.routes, key) ? state.routes[key] : undefined),
    app: (name) => (Object.hasOwn(state.apps, name) ? state.apps[name] : undefined),
    routesTo: (apps) => routes((r) => r.destinations.some((d) => apps.has(d.app)) || (r.controls !== undefined && appsOfRoute(r).some((a) => apps.has(a)))),
    routesOf: (fqdns) => routes((r) => fqdns.has(r.fqdn)),
    routesUnder: (suffixes) => routes((r) => isUnder(r.fqdn, suffixes)),
    appNames: () => Object.keys(state.apps).sort(byCodeUnit),
    appsOfServices: (services) => {
      const found: AppRecord[] = [];
      for (const service of services) found.push(...(byService().get(service) ?? []));
      return found.sort((a, b) => byCodeUnit(a.name, b.name));
    },
    gatewayRoutes: (isInternal) => pickGatewayRoutes(routes(() => true), isInternal),
  };
}

function inOrder(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) >= (keys[i] as string)) return keys.sort(byCodeUnit);
  return keys;
}

/** Whether `fqdn` lies below one of `suffixes`. */
export function isUnder(fqdn: string, suffixes: ReadonlySet<string>): boolean {
  for (let dot = fqdn.indexOf('.'); dot >= 0; dot = fqdn.indexOf('.', dot + 1)) if (suffixes.has(fqdn.slice(dot + 1))) return true;
  return false;
}
