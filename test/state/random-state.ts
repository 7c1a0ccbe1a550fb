// Random states for the state tests: names that exercise key encoding and ordering, apps tied into
// services, routes of every kind with controls that name other apps.
import { largestRemainder } from '../../src/routing/weights.ts';
import { emptyState, routeKey } from '../../src/state/format.ts';
import type { AppRecord, JsonObject, RouteRecord, State } from '../../src/state/types.ts';

export function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

// Names that exercise key encoding and ordering: escapes, non-ASCII, integer-like keys (which V8
// would put first in an object), prefixes of one another.
export const APP_NAMES = ['a', 'b', 'a-v2', 'shop-v1', 'shop-v2', '10', '9', 'é', 'q"uote', 'back\\slash', '😀', 'Z'];
// '*' makes wildcard routes, whose routes other hosts' VirtualServices fall back to.
export const HOSTS = ['x', 'y', 'x-y', 'z', 'app', '*'];
export const DOMAINS = ['example.com', 'apps.internal', 'example.co'];

export function randomApp(pick: (n: number) => number, name: string): AppRecord {
  // Versions of one service are distinct, and no app shares another's host unless both are versions
  // (istio/targets.ts checkHosts refuses that); a few apps run no instance (their routes idle).
  const version = `v${APP_NAMES.indexOf(name)}`;
  const extras: (JsonObject | undefined)[] = [undefined, { service: 'shop', version }, { service: 'svc', version }, { env: { K: 'v' } }];
  return { name, instances: pick(6) === 0 ? 0 : 1 + pick(3), port: pick(3) === 0 ? 8000 + pick(10) : undefined, extra: extras[pick(extras.length)] };
}

export function randomRoute(pick: (n: number) => number, apps: readonly string[]): RouteRecord {
  const tcp = pick(6) === 0;
  const domain = DOMAINS[pick(DOMAINS.length)] as string;
  const host = tcp ? undefined : HOSTS[pick(HOSTS.length)];
  const fqdn = host ? `${host}.${domain}` : domain;
  const weighted = pick(2) === 0;
  const n = pick(4);
  const names = [...new Set(Array.from({ length: n }, () => apps[pick(apps.length)] as string))];
  const controlsChoices: (JsonObject | undefined)[] = [
    undefined,
    { tls: { 'credential-name': 'cert' } },
    { mirror: { name: apps[pick(apps.length)] as string, percent: 5 } },
    { rules: [{ match: { headers: { x: { exact: '1' } } }, destinations: [{ name: apps[pick(apps.length)] as string }] }] },
    { timeout: '3s' },
  ];
  return {
    fqdn,
    host,
    domain,
    path: !tcp && pick(3) === 0 ? `/p${pick(3)}` : undefined,
    port: tcp ? 1024 + pick(4) : undefined,
    protocol: tcp ? 'tcp' : pick(4) === 0 ? 'http2' : 'http1',
    options: pick(3) === 0 ? { loadbalancing: 'least-connection' } : {},
    destinations: names.map((app) => ({ app, weight: weighted ? pick(101) : undefined })),
    controls: tcp ? undefined : controlsChoices[pick(controlsChoices.length)],
  };
}

export function randomState(pick: (n: number) => number, size: number): State {
  const names = APP_NAMES.slice(0, 1 + pick(APP_NAMES.length));
  let state: State = { ...emptyState(), settings: pick(2) === 0 ? {} : { defaultDomain: 'example.com', internalDomains: ['apps.internal'] } };
  const apps: Record<string, AppRecord> = {};
  for (const name of names) if (pick(5) > 0) apps[name] = randomApp(pick, name);
  const routes: Record<string, RouteRecord> = {};
  const tcpPorts: Record<string, number> = {};
  for (let i = 0; i < size; i++) {
    const route = randomRoute(pick, names);
    routes[routeKey(route)] = route;
    if (route.port !== undefined) tcpPorts[routeKey(route)] = route.port;
  }
  const randomRouteHosts: Record<string, string> = {};
  for (const name of names) if (pick(4) === 0) randomRouteHosts[name] = `${name.length}-host`;
  state = { ...state, apps, routes, tcpPorts, randomRouteHosts };
  return state;
}

/** A random change: records replaced, added and removed in every section, the settings maybe. */
export function randomChange(pick: (n: number) => number, state: State): State {
  const routes: Record<string, RouteRecord> = { ...state.routes };
  const apps: Record<string, AppRecord> = { ...state.apps };
  const tcpPorts: Record<string, number> = { ...state.tcpPorts };
  const randomRouteHosts: Record<string, string> = { ...state.randomRouteHosts };
  const names = APP_NAMES;
  for (let i = pick(4); i > 0; i--) {
    const keys = Object.keys(routes);
    const op = pick(3);
    if (op === 0 && keys.length > 0) delete routes[keys[pick(keys.length)] as string];
    else {
      const route = randomRoute(pick, names);
      routes[routeKey(route)] = route;
    }
  }
  for (let i = pick(3); i > 0; i--) {
    const name = names[pick(names.length)] as string;
    if (pick(3) === 0) delete apps[name];
    else apps[name] = randomApp(pick, name);
  }
  if (pick(3) === 0) {
    const key = Object.keys(routes)[0];
    if (key !== undefined) tcpPorts[key] = 2000 + pick(5);
  }
  if (pick(4) === 0) for (const key of Object.keys(tcpPorts).slice(0, 1)) delete tcpPorts[key];
  if (pick(4) === 0) randomRouteHosts[names[pick(names.length)] as string] = 'h';
  const settings = pick(4) === 0 ? { ...state.settings, gateway: `gw-${pick(3)}` } : state.settings;
  return { ...state, routes, apps, tcpPorts, randomRouteHosts, settings };
}


/**
 * The state made to keep the rules a hand-edited state is checked against (src/state/check.ts):
 * destinations and controls name apps of the state, weights sum to 100, one host per TCP port.
 */
export function keepingRules(state: State): State {
  const apps = new Set(Object.keys(state.apps));
  const routes: Record<string, RouteRecord> = {};
  const ports = new Map<number, string>();
  for (const [key, route] of Object.entries(state.routes)) {
    if (route.port !== undefined) {
      if (ports.has(route.port) && ports.get(route.port) !== route.fqdn) continue;
      ports.set(route.port, route.fqdn);
    }
    const kept = route.destinations.filter((d) => apps.has(d.app));
    const weighted = kept.some((d) => d.weight !== undefined);
    const shares = weighted ? largestRemainder(kept.map((d) => d.weight ?? 0)) : [];
    const destinations = kept.map((d, i) => (weighted ? { ...d, weight: shares[i] } : d));
    const named = JSON.stringify(route.controls ?? {}).match(/"name":"((?:[^"\\]|\\.)*)"/g) ?? [];
    const controls = named.every((m) => apps.has(JSON.parse(m.slice(7)) as string)) ? route.controls : undefined;
    routes[key] = { ...route, destinations, controls };
  }
  const tcpPorts = Object.fromEntries(Object.entries(state.tcpPorts).filter(([key]) => key in routes));
  return { ...state, routes, tcpPorts };
}
