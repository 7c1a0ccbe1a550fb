/**
 * A StateView answered from the state file by line (lines.ts): each query finds its lines by a
 * byte search and parses only those, so a command that changes one route of 10,000 parses a handful
 * of records. `overrides` lays a change over the file (the records a command replaced, added or
 * removed), giving the view of the state after it without writing anything.
 */
import { checkApp, checkRoute, routeKey } from './format.ts';
import { byCodeUnit, type Entry, type StateLines } from './lines.ts';
import type { AppRecord, RouteRecord, Settings } from './types.ts';
import { appsOfRoute, hasTls, isUnder, pickGatewayRoutes, type StateView } from './view.ts';

export interface Overrides {
  readonly routes: ReadonlyMap<string, RouteRecord | undefined>;
  readonly apps: ReadonlyMap<string, AppRecord | undefined>;
}

const NONE: Overrides = { routes: new Map(), apps: new Map() };

export class FileView implements StateView {
  readonly settings: Settings;
  private readonly lines: StateLines;
  private readonly overrides: Overrides;
  private readonly routes = new Map<string, RouteRecord>();
  private readonly apps = new Map<string, AppRecord>();

  constructor(lines: StateLines, settings: Settings, overrides: Overrides = NONE, parsed?: FileView) {
    this.lines = lines;
    this.settings = settings;
    this.overrides = overrides;
    // Records parsed for the view before a change serve the view after it too.
    if (parsed) {
      this.routes = parsed.routes;
      this.apps = parsed.apps;
    }
  }

  /** The view after a change: these records replace (or, undefined, remove) the file's. */
  with(settings: Settings, overrides: Overrides): FileView {
    return new FileView(this.lines, settings, overrides, this);
  }

  route(key: string): RouteRecord | undefined {
    if (this.overrides.routes.has(key)) return this.overrides.routes.get(key);
    const entry = this.lines.find('routes', key);
    return entry && this.routeAt(entry, key);
  }

  app(name: string): AppRecord | undefined {
    if (this.overrides.apps.has(name)) return this.overrides.apps.get(name);
    const entry = this.lines.find('apps', name);
    return entry && this.appAt(entry, name);
  }

  routesTo(apps: ReadonlySet<string>): RouteRecord[] {
    const wanted = (route: RouteRecord) => appsOfRoute(route).some((a) => apps.has(a));
    // Destinations are {"app":...}; rule destinations and mirrors name theirs {"name":...}, which
    // only controls have, so one search for that key serves every app.
    return this.collect([this.lines.search('routes', '"name":'), this.lines.searchStrings('routes', '"app":', (app) => apps.has(app))], wanted);
  }

  routesOf(fqdns: ReadonlySet<string>): RouteRecord[] {
    // A route's key begins with its FQDN (`fqdn`, `fqdn/path`, `fqdn:port`): found by binary search.
    return this.collect(
      [...fqdns].map((fqdn) => this.lines.withKeyPrefix('routes', fqdn)),
      (route) => fqdns.has(route.fqdn),
    );
  }

  routesUnder(suffixes: ReadonlySet<string>): RouteRecord[] {
    const needles = [...suffixes].map((suffix) => `.${JSON.stringify(suffix).slice(1, -1)}`);
    return this.collectRoutes(needles, (route) => isUnder(route.fqdn, suffixes));
  }

  appNames(): string[] {
    const names = new Set<string>();
    for (const entry of this.lines.entries('apps')) names.add(this.lines.key(entry));
    for (const [name, app] of this.overrides.apps) {
      if (app) names.add(name);
      else names.delete(name);
    }
    return [...names].sort(byCodeUnit);
  }

  appsOfServices(services: ReadonlySet<string>): AppRecord[] {
    const found = new Map<string, AppRecord>();
    const wanted = (app: AppRecord) => {
      const service = app.extra?.['service'];
      return typeof service === 'string' && services.has(service);
    };
    for (const entry of this.lines.searchStrings('apps', '"service":', (service) => services.has(service))) {
      const name = this.lines.key(entry);
      if (this.overrides.apps.has(name)) continue;
      const app = this.appAt(entry, name);
      if (wanted(app)) found.set(name, app);
    }
    for (const [name, app] of this.overrides.apps) if (app && wanted(app)) found.set(name, app);
    return [...found.keys()].sort(byCodeUnit).map((name) => found.get(name) as AppRecord);
  }

  gatewayRoutes(isInternal: (fqdn: string) => boolean): RouteRecord[] {
    const candidates = new Map<string, RouteRecord>();
    for (const route of this.collectRoutes(['"tls":'], hasTls)) candidates.set(routeKey(route), route);
    for (const route of this.collectRoutes(['"protocol":"tcp"'], (r) => r.protocol === 'tcp')) candidates.set(routeKey(route), route);
    // Every route up to the first external HTTP route with a destination (overridden ones come from
    // the overrides, all of which are candidates).
    for (const entry of this.lines.entries('routes')) {
      const key = this.lines.key(entry);
      if (this.overrides.routes.has(key) || isInternal(fqdnOfKey(key))) continue;
      const route = this.routeAt(entry, key);
      candidates.set(key, route);
      if (route.protocol !== 'tcp' && route.destinations.length > 0) break;
    }
    for (const [key, route] of this.overrides.routes) if (route) candidates.set(key, route);
    return pickGatewayRoutes(
      [...candidates.keys()].sort(byCodeUnit).map((key) => candidates.get(key) as RouteRecord),
      isInternal,
    );
  }

  /** Routes on lines containing one of `needles` that pass `wanted`, with the overrides, in key order. */
  private collectRoutes(needles: readonly string[], wanted: (route: RouteRecord) => boolean): RouteRecord[] {
    return this.collect(
      needles.map((needle) => this.lines.search('routes', needle)),
      wanted,
    );
  }

  /** Routes of these entries that pass `wanted`, with the overrides, in key order. */
  private collect(lists: readonly (readonly Entry[])[], wanted: (route: RouteRecord) => boolean): RouteRecord[] {
    const found = new Map<string, RouteRecord>();
    for (const list of lists) {
      for (const entry of list) {
        const key = this.lines.key(entry);
        if (found.has(key) || this.overrides.routes.has(key)) continue;
        const route = this.routeAt(entry, key);
        if (wanted(route)) found.set(key, route);
      }
    }
    for (const [key, route] of this.overrides.routes) if (route && wanted(route)) found.set(key, route);
    return [...found.keys()].sort(byCodeUnit).map((key) => found.get(key) as RouteRecord);
  }

  private routeAt(entry: Entry, key: string): RouteRecord {
    return this.parsed(this.routes, entry, key, checkRoute);
  }

  private appAt(entry: Entry, name: string): AppRecord {
    return this.parsed(this.apps, entry, name, checkApp);
  }

  /** An entry's record, parsed and checked once. */
  private parsed<T>(cache: Map<string, T>, entry: Entry, key: string, check: (key: string, value: unknown) => T): T {
    let record = cache.get(key);
    if (record === undefined) {
      record = check(key, this.lines.value(entry));
      cache.set(key, record);
    }
    return record;
  }
}

/** The FQDN a route key begins with (`fqdn`, `fqdn/path`, `fqdn:port`: an FQDN has neither / nor :). */
function fqdnOfKey(key: string): string {
  const end = key.search(/[/:]/);
  return end < 0 ? key : key.slice(0, end);
}
