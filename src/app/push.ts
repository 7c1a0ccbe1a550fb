/**
 * `push`: a manifest merged into the state the way Cloud Controller applies a manifest
 * (`POST /v3/spaces/:guid/actions/apply_manifest`): apps are created or updated, routes are added
 * (a route missing from the manifest is not unmapped), `no-route: true` removes the app's mappings,
 * and a top-level weighted route (the extension) replaces that route's destinations.
 *
 * Command-line overrides are pure manifest → manifest functions applied first, in a declared order
 * (cf CLI ADR 0005); the merge itself is a pure function manifest → state → state that reuses the
 * route table `convert` builds, so both commands read a manifest the same way.
 */
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { toManifestControls, toRouteOptions } from '../manifest/controls.ts';
import { parseRoute, splitHostDomain } from '../manifest/route-address.ts';
import { NO_CONTROLS } from '../manifest/traffic.ts';
import type { Manifest, ManifestApp } from '../manifest/types.ts';
import { buildRouteTable, randomRouteHost, type Route, type RoutingOptions } from '../routing/route-table.ts';
import { routeKey } from '../state/format.ts';
import type { AppRecord, JsonObject, RouteDestination, RouteRecord, State } from '../state/types.ts';
import { reserveTcpPort, withoutApp, type Outcome } from './route-ops.ts';
import { isWeighted } from './state-model.ts';

export interface PushOverrides {
  readonly appName?: string | undefined;
  readonly noRoute?: boolean | undefined;
  readonly randomRoute?: boolean | undefined;
}

export const MULTI_APP_FLAGS_MESSAGE = 'Incorrect Usage: Command line flags (except -f and --no-start) cannot be applied when pushing multiple apps from a manifest file.';

/** APP_NAME selects an app of a multi-app manifest, renames the app of a single-app one (cf handle_app_name_override.go). */
export function applyAppName(manifest: Manifest, appName: string | undefined): Manifest {
  if (appName === undefined) return manifest;
  if (manifest.apps.length === 1) {
    const only = manifest.apps[0] as ManifestApp;
    const old = only.name;
    return {
      apps: [{ ...only, name: appName }],
      routes: manifest.routes.map((r) => ({ ...r, destinations: r.destinations.map((d) => (d.app === old ? { ...d, app: appName } : d)) })),
    };
  }
  const app = manifest.apps.find((a) => a.name === appName);
  if (!app) throw new ToolError('NOT_FOUND', `Could not find app named '${appName}' in manifest`, { hint: `the manifest has ${manifest.apps.map((a) => `'${a.name}'`).join(', ')}` });
  return { apps: [app], routes: manifest.routes };
}

/** `--no-route` / `--random-route`: only for one app (cf refuses them with several). */
export function applyRouteFlags(manifest: Manifest, overrides: PushOverrides): Manifest {
  if (!overrides.noRoute && !overrides.randomRoute) return manifest;
  if (manifest.apps.length !== 1) throw new ToolError('USAGE', MULTI_APP_FLAGS_MESSAGE, { hint: 'name the app to push (cfmesh push APP_NAME -f ...) or drop the flag' });
  if (overrides.noRoute && overrides.randomRoute) throw new ToolError('USAGE', 'Incorrect Usage: The following arguments cannot be used together: --no-route, --random-route');
  const app = manifest.apps[0] as ManifestApp;
  return { ...manifest, apps: [overrides.noRoute ? { ...app, noRoute: true } : { ...app, randomRoute: true }] };
}

export interface ScaleOverrides {
  readonly instances?: number | undefined;
  readonly memory?: string | undefined;
}

/**
 * `-i N` / `-m M`, as cf push applies them (cloudfoundry/cli v8.18.4,
 * actor/v7pushaction/handle_instances_override.go and handle_memory_override.go, run in the order of
 * actor.go `TransformManifestSequence`: after the app name, before the route flags): only with one
 * app (else cf's multi-app error); the value goes to the app's first `web` process when it has one,
 * else to the app. Instances are web instances, so they move the app's share of unweighted routes.
 */
export function applyScaleOverrides(manifest: Manifest, overrides: ScaleOverrides): Manifest {
  if (overrides.instances === undefined && overrides.memory === undefined) return manifest;
  if (manifest.apps.length !== 1) throw new ToolError('USAGE', MULTI_APP_FLAGS_MESSAGE, { hint: 'name the app to push (cfmesh push APP_NAME -f ...) or drop -i/-m' });
  const app = manifest.apps[0] as ManifestApp;
  const set: Record<string, unknown> = {};
  if (overrides.instances !== undefined) set['instances'] = overrides.instances;
  if (overrides.memory !== undefined) set['memory'] = overrides.memory;
  const processes = Array.isArray(app.data['processes']) ? (app.data['processes'] as unknown[]) : undefined;
  const web = processes?.findIndex((p) => (p as Record<string, unknown> | null)?.['type'] === 'web') ?? -1;
  const data =
    processes && web !== -1
      ? { ...app.data, processes: processes.map((p, i) => (i === web ? { ...(p as Record<string, unknown>), ...set } : p)) }
      : { ...app.data, ...set };
  return { ...manifest, apps: [{ ...app, data, instances: overrides.instances ?? app.instances }] };
}

export interface PushResult extends Outcome {
  readonly apps: readonly string[];
  readonly warnings: readonly Warning[];
}

/** The merge. `state` is not changed; untouched records keep their identity. */
export function applyManifest(state: State, manifest: Manifest, routing: RoutingOptions): PushResult {
  const warnings: Warning[] = [];
  const notices: string[] = [];
  const selected = new Set(manifest.apps.map((a) => a.name));
  // Top-level routes of apps that are neither pushed now nor known already cannot be applied.
  const routes = manifest.routes.filter((r) => {
    const missing = r.destinations.filter((d) => !selected.has(d.app) && !Object.hasOwn(state.apps, d.app)).map((d) => d.app);
    if (missing.length > 0) warnings.push({ code: 'NOTICE', message: `route ${routeKey(r.address)} was not applied: app(s) ${missing.join(', ')} are not pushed`, span: r.span });
    return missing.length === 0;
  });
  // No default domain here: cf adds a default route only to an app that has none, in the state.
  // A TCP route pushed without a port keeps the port its host was given before (recorded in the
  // state); a new one gets a port no route of the state uses.
  const assignedTcpPorts = new Map<string, number>();
  const reservedTcpPorts = new Set<number>(Object.values(state.tcpPorts));
  for (const key of Object.keys(state.routes).sort()) {
    const record = state.routes[key] as RouteRecord;
    if (record.protocol === 'tcp' && record.port !== undefined && !assignedTcpPorts.has(`tcp://${record.fqdn}`)) {
      assignedTcpPorts.set(`tcp://${record.fqdn}`, record.port);
      reservedTcpPorts.delete(record.port);
    }
  }
  const built = buildRouteTable({ apps: manifest.apps, routes }, { ...routing, defaultDomain: undefined, assignedTcpPorts, reservedTcpPorts });
  warnings.push(...built.warnings.filter((w) => w.code !== 'NO_ROUTE'));

  const apps: Record<string, AppRecord> = { ...state.apps };
  for (const app of manifest.apps) apps[app.name] = appRecord(app, state.apps[app.name]);
  let next: State = { ...state, apps };

  const noRoute = manifest.apps.filter((a) => a.noRoute).map((a) => a.name);
  if (noRoute.length > 0) next = removeMappings(next, new Set(noRoute));

  // One copy of the routes for the whole merge (a copy per route made a push of 5,000 apps quadratic).
  const known = knownDomains(next, routing);
  const draft: RoutesDraft = { base: next.routes, routes: undefined };
  for (const route of built.table.routes) next = mergeRoute(next, draft, route, known, notices);

  const routed = new Set(built.table.routes.flatMap((r) => r.destinations.map((d) => d.app)));
  let mapped: Set<string> | undefined;
  for (const app of manifest.apps) {
    // `routes: []` means exactly no routes: no default route (CC app_apply_manifest.rb update_routes).
    if (app.noRoute || app.hasRoutesKey || routed.has(app.name)) continue;
    mapped ??= new Set(Object.values(draft.routes ?? draft.base).flatMap((r) => r.destinations.map((d) => d.app)));
    if (mapped.has(app.name)) continue;
    next = defaultRoute(next, draft, app, routing, known, warnings);
  }
  if (draft.routes) next = { ...next, routes: draft.routes };
  return { state: next, notices, warnings, apps: manifest.apps.map((a) => a.name) };
}

/** The routes being merged: `base` until the first change, then one mutable copy. */
interface RoutesDraft {
  readonly base: Readonly<Record<string, RouteRecord>>;
  routes: Record<string, RouteRecord> | undefined;
}

function draftGet(draft: RoutesDraft, key: string): RouteRecord | undefined {
  const routes = draft.routes ?? draft.base;
  return Object.hasOwn(routes, key) ? routes[key] : undefined;
}

function draftSet(draft: RoutesDraft, key: string, record: RouteRecord): void {
  draft.routes ??= { ...draft.base };
  draft.routes[key] = record;
}

function appRecord(app: ManifestApp, existing: AppRecord | undefined): AppRecord {
  // Attributes the manifest leaves out keep their current value, as Cloud Controller's apply does.
  const data = app.data;
  const web = Array.isArray(data['processes']) ? (data['processes'] as Record<string, unknown>[]).find((p) => p?.['type'] === 'web') : undefined;
  const givesInstances = typeof data['instances'] === 'number' || typeof web?.['instances'] === 'number';
  return {
    name: app.name,
    instances: givesInstances || !existing ? app.instances : existing.instances,
    port: app.port ?? existing?.port,
    extra: data as JsonObject,
  };
}

function removeMappings(state: State, apps: ReadonlySet<string>): State {
  let routes: Record<string, RouteRecord> | undefined;
  for (const [key, route] of Object.entries(state.routes)) {
    if (!route.destinations.some((d) => apps.has(d.app))) continue;
    routes ??= { ...state.routes };
    let after = route;
    for (const app of apps) after = withoutApp(after, app);
    routes[key] = after;
  }
  return routes ? { ...state, routes } : state;
}

function knownDomains(state: State, routing: RoutingOptions): string[] {
  const domains = new Set<string>(routing.internalDomains);
  if (routing.defaultDomain) domains.add(routing.defaultDomain);
  for (const route of Object.values(state.routes)) domains.add(route.domain);
  return [...domains];
}

/** Merges one route into `draft`; returns `state` with its TCP ports (the routes are in `draft`). */
function mergeRoute(state: State, draft: RoutesDraft, route: Route, known: readonly string[], notices: string[]): State {
  // The state's key is the route's identity with its port: a TCP route written without one
  // (`tcp://host`, key `tcp://host` in the table) is stored as host:PORT once a port is assigned.
  const key = routeKey({ fqdn: route.fqdn, path: route.path, port: route.port });
  const existing = draftGet(draft, key);
  const { host, domain } = route.port !== undefined ? { host: undefined, domain: route.fqdn } : splitHostDomain(route.fqdn, known);
  let record: RouteRecord = existing ?? {
    fqdn: route.fqdn,
    host: host === '' ? undefined : host,
    domain,
    path: route.path,
    port: route.port,
    protocol: route.protocol === 'tcp' ? 'tcp' : 'http1',
    options: {},
    destinations: [],
  };
  // The state keeps options and controls in the manifest's shape (state-model.ts parses them back).
  const options = toRouteOptions(route.loadBalancing);
  if (Object.keys(options).length > 0) record = { ...record, options: { ...record.options, ...options } };
  const controls = toManifestControls(route.controls);
  if (Object.keys(controls).length > 0) record = { ...record, controls: { ...(record.controls ?? {}), ...(controls as JsonObject) } };
  const toDestination = (d: Route['destinations'][number], weight: number | undefined): RouteDestination => ({
    app: d.app,
    weight,
    port: d.port,
    protocol: d.protocol === 'http2' ? 'http2' : undefined,
  });
  if (route.weighted) {
    record = { ...record, destinations: route.destinations.map((d) => toDestination(d, d.weight)) };
  } else {
    const weighted = isWeighted(record);
    const destinations = [...record.destinations];
    for (const d of route.destinations) {
      // A destination is an app and a port: an app mapping (no port) joins the app's destinations; a
      // destination with a port is its own, or gives its port to the app's port-less one.
      let i = d.port === undefined ? destinations.findIndex((x) => x.app === d.app) : destinations.findIndex((x) => x.app === d.app && x.port === d.port);
      if (i === -1 && d.port !== undefined) i = destinations.findIndex((x) => x.app === d.app && x.port === undefined);
      if (i === -1) {
        destinations.push(toDestination(d, weighted ? 0 : undefined));
        if (weighted) notices.push(`Route ${route.key} has weighted destinations: app '${d.app}' was added with weight 0 (shift traffic with update-route ... --weight).`);
      } else if (d.protocol === 'http2' || d.port !== undefined) {
        destinations[i] = { ...(destinations[i] as RouteDestination), ...(d.port !== undefined ? { port: d.port } : {}), ...(d.protocol === 'http2' ? { protocol: 'http2' as const } : {}) };
      }
    }
    destinations.sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0) || (a.port ?? 0) - (b.port ?? 0));
    record = { ...record, destinations };
  }
  if (existing && JSON.stringify(existing) === JSON.stringify(record)) return state;
  draftSet(draft, key, record);
  return route.port !== undefined ? reserveTcpPort(state, key, route.port) : state;
}

/** `app` has no mapping in the state or the manifest (the caller checked). */
function defaultRoute(state: State, draft: RoutesDraft, app: ManifestApp, routing: RoutingOptions, known: readonly string[], warnings: Warning[]): State {
  if (app.defaultRoute === false && !app.randomRoute) return state;
  const domain = routing.defaultDomain;
  if (!domain) {
    warnings.push({
      code: 'NO_ROUTE',
      message: `app "${app.name}" has no routes and no default domain is set, so it gets no route`,
      span: app.span,
      hint: 'set one with cfmesh target --default-domain DOMAIN, give the app `routes:`, or set no-route: true',
    });
    return state;
  }
  let next = state;
  let host = app.name.toLowerCase();
  if (app.randomRoute) {
    host = state.randomRouteHosts[app.name] ?? randomRouteHost(app.name);
    if (state.randomRouteHosts[app.name] !== host) next = { ...next, randomRouteHosts: { ...next.randomRouteHosts, [app.name]: host } };
  }
  const parsed = parseRoute(`${host}.${domain}`, undefined);
  if (!parsed.ok) {
    throw new ToolError('ROUTE_INVALID', `Failed to create default route from app name "${app.name}": ${parsed.message}`, { span: app.span, hint: 'give the app explicit `routes:` or set random-route: true' });
  }
  const route: Route = {
    key: routeKey(parsed.address),
    fqdn: parsed.address.fqdn,
    path: undefined,
    port: undefined,
    protocol: 'http',
    internal: false,
    controls: NO_CONTROLS,
    weighted: false,
    destinations: [{ app: app.name, weight: 100 }],
  };
  return mergeRoute(next, draft, route, known, []);
}
