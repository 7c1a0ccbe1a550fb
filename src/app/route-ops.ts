/**
 * The imperative route commands as pure functions State → State (plus what to tell the user). They
 * never mutate their input and keep every untouched record by identity, which lets delivery find
 * what changed by reference and lets the store skip re-sorting unchanged objects.
 */
import { ToolError, type Missing } from '../diagnostics/tool-error.ts';
import { closest } from '../manifest/suggest.ts';
import type { AppProtocol } from '../manifest/types.ts';
import { compare } from '../routing/route-table.ts';
import { largestRemainder, rescaleWeights } from '../routing/weights.ts';
import { applyControlFlags, type ControlFlags } from '../routing/controls.ts';
import type { JsonObject, RouteDestination, RouteRecord, State } from '../state/types.ts';
import { validateRouteOptions } from '../manifest/route-options.ts';
import type { RouteTarget } from './route-target.ts';
import { effectiveDestinations, isWeighted } from './state-model.ts';

export interface Outcome {
  readonly state: State;
  /** cf's "nothing has been updated" notices and other remarks, printed before OK. */
  readonly notices: readonly string[];
}

const same = (state: State, notice: string): Outcome => ({ state, notices: [notice] });

/** The hint of a name not found, with the closest known name first when there is one. */
export function notFoundHint(missing: Missing, known: Iterable<string>): string {
  const near = closest(missing.name, known);
  if (!near) return missing.otherwise;
  return `did you mean ${missing.kind === 'app' ? `"${near}"` : near}? Otherwise ${missing.otherwise}`;
}

/** `known`: the apps there are, for a did-you-mean (a misspelt name is the usual reason). */
export function appNotFound(app: string, known: Iterable<string> = []): ToolError {
  const missing: Missing = { kind: 'app', name: app, otherwise: `push it first (cfmesh push ${app} -f manifest.yml); cfmesh apps lists the apps` };
  return new ToolError('NOT_FOUND', `App '${app}' not found.`, { hint: notFoundHint(missing, known), missing });
}

/**
 * `known`: the routes there are (their keys, which are their URLs), for a did-you-mean on the
 * hostname, domain or path that was misspelt.
 */
export function routeNotFound(target: Pick<RouteTarget, 'url' | 'domain' | 'host' | 'path' | 'port'>, known: Iterable<string> = []): ToolError {
  const args = `${target.domain}${target.host !== undefined ? ` --hostname ${target.host}` : ''}${target.path !== undefined ? ` --path ${target.path}` : ''}${target.port !== undefined ? ` --port ${target.port}` : ''}`;
  const missing: Missing = { kind: 'route', name: target.url, otherwise: `create it with cfmesh create-route ${args} (or map an app to it with map-route); cfmesh routes lists the routes` };
  return new ToolError('NOT_FOUND', `Route '${target.url}' not found.`, { hint: notFoundHint(missing, known), missing });
}

function requireApp(state: State, app: string): void {
  if (!Object.hasOwn(state.apps, app)) throw appNotFound(app, Object.keys(state.apps));
}

function requireRoute(state: State, target: RouteTarget): RouteRecord {
  const route = Object.hasOwn(state.routes, target.key) ? state.routes[target.key] : undefined;
  if (!route) throw routeNotFound(target, Object.keys(state.routes));
  return route;
}

export function withRoute(state: State, route: RouteRecord, key: string): State {
  return { ...state, routes: { ...state.routes, [key]: route } };
}

function sortDestinations(destinations: readonly RouteDestination[]): RouteDestination[] {
  return [...destinations].sort((a, b) => compare(a.app, b.app));
}

function newRecord(target: RouteTarget, options: Readonly<Record<string, string>> = {}): RouteRecord {
  return {
    fqdn: target.fqdn,
    host: target.host,
    domain: target.domain,
    path: target.path,
    port: target.port,
    protocol: target.port !== undefined ? 'tcp' : 'http1',
    options,
    destinations: [],
  };
}

/**
 * A TCP port on the gateway carries one route (a TCP listener cannot tell host names apart), as a
 * cf router group reserves each port once. Returns the state with the port recorded.
 */
export function reserveTcpPort(state: State, key: string, port: number): State {
  for (const [other, used] of Object.entries(state.tcpPorts)) {
    if (used === port && other !== key) {
      throw new ToolError('ROUTE_CONFLICT', `Port ${port} is already in use by route '${other}'.`, { hint: 'pick another --port; a TCP port on the gateway serves one route' });
    }
  }
  if (state.tcpPorts[key] === port) return state;
  return { ...state, tcpPorts: { ...state.tcpPorts, [key]: port } };
}

function releaseTcpPort(state: State, key: string): State {
  if (!Object.hasOwn(state.tcpPorts, key)) return state;
  const { [key]: _gone, ...rest } = state.tcpPorts;
  return { ...state, tcpPorts: rest };
}

export function addRouteRecord(state: State, target: RouteTarget, options: Readonly<Record<string, string>> = {}): { state: State; route: RouteRecord } {
  validateRouteOptions(options, target.url);
  const route = newRecord(target, options);
  let next = withRoute(state, route, target.key);
  if (target.port !== undefined) next = reserveTcpPort(next, target.key, target.port);
  return { state: next, route };
}

/** `create-route DOMAIN [--hostname H] [--path P] [--port P] [-o K=V]`. */
export function createRoute(state: State, target: RouteTarget, options: Readonly<Record<string, string>> = {}): Outcome {
  if (Object.hasOwn(state.routes, target.key)) return same(state, `Route ${target.url} already exists.`);
  return { state: addRouteRecord(state, target, options).state, notices: [`Route ${target.url} has been created.`] };
}

/** `delete-route DOMAIN ...`: the route and its mappings go; the apps stay. */
export function deleteRoute(state: State, target: RouteTarget): Outcome {
  if (!Object.hasOwn(state.routes, target.key)) return same(state, `Unable to delete. Route ${target.url} does not exist.`);
  const { [target.key]: _gone, ...routes } = state.routes;
  return { state: releaseTcpPort({ ...state, routes }, target.key), notices: [] };
}

export interface MapRouteOptions {
  readonly appPort?: number | undefined;
  readonly appProtocol?: AppProtocol | undefined;
  readonly options?: Readonly<Record<string, string>> | undefined;
}

/**
 * `map-route APP DOMAIN ...`: creates the route when missing, then adds APP as a destination. On a
 * weighted route the new destination gets weight 0 (Cloud Controller refuses to insert into a weighted
 * route; cfmesh keeps the traffic as it is and lets update-route shift it).
 */
export function mapRoute(state: State, app: string, target: RouteTarget, opts: MapRouteOptions = {}): Outcome & { created: boolean } {
  requireApp(state, app);
  const notices: string[] = [];
  let next = state;
  let route = Object.hasOwn(state.routes, target.key) ? state.routes[target.key] : undefined;
  const created = route === undefined;
  const options = opts.options ?? {};
  if (route === undefined) {
    ({ state: next, route } = addRouteRecord(state, target, options));
  } else if (Object.keys(options).length > 0) {
    throw new ToolError('OPTION_INVALID', "Route option support: 'Route specific options can only be specified for nonexistent routes.'", {
      hint: `change the options of an existing route with cfmesh update-route ${target.domain}${target.host ? ` --hostname ${target.host}` : ''} -o KEY=VALUE`,
    });
  }
  if (opts.appProtocol !== undefined && route.protocol === 'tcp') {
    throw new ToolError('USAGE', `--app-protocol applies to HTTP routes; route ${target.url} is a TCP route`);
  }
  const existing = route.destinations.find((d) => d.app === app);
  if (existing) {
    const samePort = opts.appPort === undefined || opts.appPort === existing.port;
    const sameProtocol = opts.appProtocol === undefined || opts.appProtocol === (existing.protocol ?? 'http1');
    if (samePort && sameProtocol) return { state, notices: [`App '${app}' is already mapped to route '${target.url}'. Nothing has been updated.`], created };
  }
  const weighted = isWeighted(route);
  const destination: RouteDestination = {
    app,
    weight: weighted ? (existing?.weight ?? 0) : undefined,
    port: opts.appPort ?? existing?.port,
    protocol: opts.appProtocol === 'http2' ? 'http2' : opts.appProtocol === 'http1' ? undefined : existing?.protocol,
  };
  if (weighted && !existing) {
    notices.push(`Route ${target.url} has weighted destinations: app '${app}' was added with weight 0. Shift traffic with cfmesh update-route ${app} ${target.domain}${target.host ? ` --hostname ${target.host}` : ''}${target.path ? ` --path ${target.path}` : ''} --weight W`);
  }
  const destinations = sortDestinations([...route.destinations.filter((d) => d.app !== app), destination]);
  return { state: withRoute(next, { ...route, destinations }, target.key), notices, created };
}

/** A route without APP; on a weighted route the others are rescaled to 100 in proportion. */
export function withoutApp(route: RouteRecord, app: string): RouteRecord {
  const rest = route.destinations.filter((d) => d.app !== app);
  if (rest.length === route.destinations.length) return route;
  if (!isWeighted(route) || rest.length === 0) return { ...route, destinations: rest };
  const shares = largestRemainder(rest.map((d) => d.weight ?? 0));
  return { ...route, destinations: rest.map((d, i) => ({ ...d, weight: shares[i] })) };
}

/** `unmap-route APP DOMAIN ...`: the route stays (cf keeps unmapped routes). */
export function unmapRoute(state: State, app: string, target: RouteTarget): Outcome {
  requireApp(state, app);
  const route = requireRoute(state, target);
  if (!route.destinations.some((d) => d.app === app)) return same(state, 'Route to be unmapped is not currently mapped to the application.');
  const after = withoutApp(route, app);
  const notices = isWeighted(after) ? [`Weights of route ${target.url} are now ${after.destinations.map((d) => `${d.app} ${d.weight}%`).join(', ')}.`] : [];
  return { state: withRoute(state, after, target.key), notices };
}

/** `delete APP [-r]`: the app and its mappings; with -r also its routes that no other app uses. */
export function deleteApp(state: State, app: string, deleteRoutes: boolean): Outcome {
  if (!Object.hasOwn(state.apps, app)) return same(state, `App '${app}' does not exist.`);
  const { [app]: _gone, ...apps } = state.apps;
  let routes: Record<string, RouteRecord> | undefined;
  let tcpPorts: Record<string, number> | undefined;
  const deleted: string[] = [];
  for (const [key, route] of Object.entries(state.routes)) {
    if (!route.destinations.some((d) => d.app === app)) continue;
    routes ??= { ...state.routes };
    const after = withoutApp(route, app);
    if (deleteRoutes && after.destinations.length === 0) {
      delete routes[key];
      deleted.push(key);
      if (Object.hasOwn(state.tcpPorts, key)) {
        tcpPorts ??= { ...state.tcpPorts };
        delete tcpPorts[key];
      }
    } else routes[key] = after;
  }
  const { [app]: _host, ...randomRouteHosts } = state.randomRouteHosts;
  return {
    state: { ...state, apps, routes: routes ?? state.routes, tcpPorts: tcpPorts ?? state.tcpPorts, randomRouteHosts: Object.hasOwn(state.randomRouteHosts, app) ? randomRouteHosts : state.randomRouteHosts },
    notices: deleted.map((k) => `Deleted route ${k}.`),
  };
}

/**
 * `update-route APP DOMAIN ... --weight W`: APP gets W percent and the route's other destinations
 * share the rest in proportion to their current (effective) weights, so the route sums to 100 and
 * becomes explicitly weighted. 90 on one app then 10 on the other ends at 90/10 whatever came before.
 */
export function setWeight(state: State, app: string, target: RouteTarget, weight: number): Outcome {
  requireApp(state, app);
  const route = requireRoute(state, target);
  const dests = route.destinations;
  if (!dests.some((d) => d.app === app)) {
    throw new ToolError('NOT_FOUND', `App '${app}' is not mapped to route '${target.url}'.`, {
      hint: `map it first: cfmesh map-route ${app} ${target.domain}${target.host ? ` --hostname ${target.host}` : ''}${target.path ? ` --path ${target.path}` : ''}`,
    });
  }
  if (dests.length === 1 && weight !== 100) {
    throw new ToolError('WEIGHTS', `App '${app}' is the only destination of route '${target.url}', so it gets 100% of its traffic; it cannot get ${weight}%.`, {
      hint: `map another app to the route first (cfmesh map-route OTHER-APP ${target.domain}${target.host ? ` --hostname ${target.host}` : ''})`,
    });
  }
  const current = effectiveDestinations(route, state);
  const rescaled = rescaleWeights(current, app, weight);
  if (rescaled.every((d) => d.weight === 0)) {
    throw new ToolError('WEIGHTS', `route '${target.url}' would send no traffic anywhere: every other destination has weight 0`, { hint: `give another app a weight first, or use a weight above 0 for '${app}'` });
  }
  const byApp = new Map(rescaled.map((d) => [d.app, d.weight]));
  const destinations = sortDestinations(dests.map((d) => ({ ...d, weight: byApp.get(d.app) })));
  if (isWeighted(route) && dests.every((d) => d.weight === byApp.get(d.app))) {
    return same(state, `Route '${target.url}' already sends ${weight}% to app '${app}'. Nothing has been updated.`);
  }
  return {
    state: withRoute(state, { ...route, destinations }, target.key),
    notices: [`Route ${target.url} now sends ${describeWeights(destinations)}.`],
  };
}

export function describeWeights(destinations: readonly { app: string; weight?: number | undefined }[]): string {
  return destinations.map((d) => `${d.weight ?? 0}% to ${d.app}`).join(', ');
}

/**
 * `update-route DOMAIN ... --destination APP=W ...`: every destination's weight in one atomic call.
 * The apps must be exactly the route's destinations and the weights must sum to 100.
 */
export function setWeights(state: State, target: RouteTarget, weights: ReadonlyMap<string, number>): Outcome {
  const route = requireRoute(state, target);
  for (const app of weights.keys()) {
    requireApp(state, app);
    if (!route.destinations.some((d) => d.app === app)) {
      throw new ToolError('NOT_FOUND', `App '${app}' is not mapped to route '${target.url}'.`, { hint: `map it first: cfmesh map-route ${app} ${target.domain}${target.host ? ` --hostname ${target.host}` : ''}` });
    }
  }
  const missing = route.destinations.filter((d) => !weights.has(d.app)).map((d) => d.app);
  if (missing.length > 0) {
    throw new ToolError('USAGE', `--destination must give a weight to every destination of route '${target.url}'; missing: ${missing.join(', ')}`, {
      hint: `add ${missing.map((a) => `--destination ${a}=0`).join(' ')} (or unmap them first)`,
    });
  }
  const destinations = route.destinations.map((d) => ({ ...d, weight: weights.get(d.app) }));
  if (isWeighted(route) && route.destinations.every((d) => d.weight === weights.get(d.app))) {
    return same(state, `Route '${target.url}' already has these weights. Nothing has been updated.`);
  }
  return { state: withRoute(state, { ...route, destinations }, target.key), notices: [`Route ${target.url} now sends ${describeWeights(destinations)}.`] };
}

/** `update-route DOMAIN ... -o K=V -r K` (cf v8): sets and removes route options. */
export function updateRouteOptions(state: State, target: RouteTarget, set: Readonly<Record<string, string>>, remove: readonly string[]): Outcome {
  const route = requireRoute(state, target);
  const options: Record<string, string> = { ...route.options };
  for (const key of remove) delete options[key];
  for (const [key, value] of Object.entries(set)) options[key] = value;
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(options).sort(compare)) sorted[key] = options[key] as string;
  validateRouteOptions(sorted, target.url);
  if (JSON.stringify(sorted) === JSON.stringify(route.options)) return same(state, `Route ${target.url} already has these options. Nothing has been updated.`);
  return { state: withRoute(state, { ...route, options: sorted }, target.key), notices: [] };
}

/**
 * `update-route DOMAIN ... --timeout D --retries N --retry-on C --per-try-timeout D`: the per-route
 * traffic controls, in the manifest's shape (`timeout`, `retries: {attempts, retry-on, per-try-timeout}`),
 * so the state and `convert` share one model and one translation.
 */
export function updateRouteControls(state: State, target: RouteTarget, flags: ControlFlags): Outcome {
  const route = requireRoute(state, target);
  if (route.protocol === 'tcp') throw new ToolError('USAGE', `route ${target.url} is a TCP route; timeouts and retries are HTTP controls`);
  const controls = applyControlFlags(route.controls ?? {}, flags) as JsonObject;
  if (JSON.stringify(controls) === JSON.stringify(route.controls ?? {})) return same(state, `Route ${target.url} already has these settings. Nothing has been updated.`);
  const next: RouteRecord = Object.keys(controls).length > 0 ? { ...route, controls } : { ...route, controls: undefined };
  return { state: withRoute(state, next, target.key), notices: [] };
}
