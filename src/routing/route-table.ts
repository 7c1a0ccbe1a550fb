import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { parseRoute, routeKey, routeUrl } from '../manifest/route-address.ts';
import { sameControl, type AppExtensions, type ControlKey, type LoadBalancing, type RouteControls } from '../manifest/traffic.ts';
import type { AppProtocol, Manifest, ManifestApp, RouteAddress } from '../manifest/types.ts';
import { isInternal, routeProblems } from '../manifest/route-rules.ts';
import { allocateTcpPorts, DEFAULT_TCP_PORT_RANGE, type PortRange } from './tcp-ports.ts';

export { isInternal, routeProblems } from '../manifest/route-rules.ts';
import { largestRemainder } from './weights.ts';

/** The target-neutral route table: what routes exist and where their traffic goes. No mesh words here. */
export interface Destination {
  readonly app: string;
  /** Percent of the route's traffic, an integer; a route's destinations sum to exactly 100. */
  readonly weight: number;
  /** A port on the app other than its own (cf destination `port`). */
  readonly port?: number | undefined;
  readonly protocol?: AppProtocol | undefined;
}

export interface Route {
  readonly key: string;
  readonly fqdn: string;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
  readonly protocol: 'http' | 'tcp';
  /** Bound to the mesh (an internal domain) rather than the ingress gateway. */
  readonly internal: boolean;
  /** cf's load-balancing route options; undefined when the route sets none. */
  readonly loadBalancing?: LoadBalancing | undefined;
  readonly controls: RouteControls;
  /** True when the weights were given explicitly; otherwise they follow the apps' instances. */
  readonly weighted: boolean;
  readonly destinations: readonly Destination[];
  readonly span?: SourceSpan | undefined;
}

/** An app as the targets need it: its instances, port and cfmesh's extensions (service, version, circuit breaker, endpoints). */
export interface AppInfo extends AppExtensions {
  readonly name: string;
  readonly instances: number;
  readonly port?: number | undefined;
  readonly span?: SourceSpan | undefined;
}

export interface RouteTable {
  readonly routes: readonly Route[];
  readonly apps: readonly AppInfo[];
}

export interface RoutingOptions {
  readonly defaultDomain?: string | undefined;
  readonly internalDomains: readonly string[];
  /** Where TCP routes written without a port get one (default 1024-65535). */
  readonly tcpPortRange?: PortRange | undefined;
  /** Ports given earlier to port-less TCP routes, by route key (kept by the state commands). */
  readonly assignedTcpPorts?: ReadonlyMap<string, number> | undefined;
  /** Gateway ports already taken by routes outside this table (the state's), never handed out again. */
  readonly reservedTcpPorts?: ReadonlySet<number> | undefined;
}

export const DEFAULT_INTERNAL_DOMAIN = 'apps.internal';

interface ExplicitDestination {
  readonly app: string;
  readonly weight: number | undefined;
  readonly port: number | undefined;
  readonly protocol: AppProtocol | undefined;
}

const destinationKey = (app: string, port: number | undefined) => `${app}\u0000${port ?? ''}`;

interface Draft {
  address: RouteAddress;
  protocol: 'http' | 'tcp';
  loadBalancing: Writable<LoadBalancing>;
  controls: Writable<RouteControls>;
  /** Where each control is written: the first mapping that sets it. */
  spans: Partial<Record<ControlKey, SourceSpan>>;
  weighted: boolean;
  /** Destinations by app and port: cf lets one app serve a route on several ports (CC destination identity is app, process and port). */
  explicit: Map<string, ExplicitDestination>;
  /** The keys of `explicit` by app, in the order they were added: what an app mapping the route looks up. */
  keysByApp: Map<string, string[]>;
  span: SourceSpan | undefined;
}

/** Sets a destination of the route, keeping `keysByApp` (a route shared by n apps was O(n²) to build with a scan per mapping). */
function setExplicit(draft: Draft, destination: ExplicitDestination): void {
  const key = destinationKey(destination.app, destination.port);
  if (!draft.explicit.has(key)) {
    const keys = draft.keysByApp.get(destination.app);
    if (keys) keys.push(key);
    else draft.keysByApp.set(destination.app, [key]);
  }
  draft.explicit.set(key, destination);
}

/**
 * Manifest → route table. Apps' own `routes:` and top-level `routes:` entries are merged by route
 * identity; unweighted routes split traffic by web instances; apps with no route get cf's default
 * (or random) route on the default domain. Routes and destinations come out sorted.
 */
export function buildRouteTable(manifest: Manifest, options: RoutingOptions): { table: RouteTable; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const drafts = new Map<string, Draft>();

  const spellings = new Map<string, { text: string; span: SourceSpan | undefined }>();
  const draftFor = (address: RouteAddress, protocol: 'http' | 'tcp', span: SourceSpan | undefined, written?: string): Draft => {
    const key = routeKey(address);
    let draft = drafts.get(key);
    if (!draft) {
      draft = { address, protocol, loadBalancing: {}, controls: {}, spans: {}, weighted: false, explicit: new Map(), keysByApp: new Map(), span };
      drafts.set(key, draft);
    }
    noteSpelling(key, written, span);
    return draft;
  };
  // gorouter keys routes in lowercase with one trailing slash trimmed (route-address.ts canonicalPath),
  // so `Shop.example.com/Docs/` and `shop.example.com/docs` are one route: say so once per route.
  const told = new Set<string>();
  const noteSpelling = (key: string, written: string | undefined, span: SourceSpan | undefined) => {
    if (written === undefined) return;
    const text = written.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const first = spellings.get(key);
    if (!first) {
      spellings.set(key, { text, span });
      return;
    }
    if (first.text === text || told.has(key)) return;
    told.add(key);
    const where = first.span ? ` (at ${first.span.source.name}:${first.span.source.linePos(first.span.start).line})` : '';
    warnings.push({ code: 'NOTICE', message: `route ${text} and route ${first.text}${where} are one route, ${key}: gorouter matches hosts and paths in any letter case and ignores one trailing slash, so their apps share it`, span, hint: 'write the route one way everywhere' });
  };
  // Route-wide settings given by several mappings of one route must agree, field by field (named by
  // their manifest keys, in the order the manifest's keys sort).
  const mergeField = <T extends object>(draft: Draft, target: Writable<T>, values: T | undefined, fields: readonly (readonly [keyof T & string, string])[], what: 'option' | 'control', span: SourceSpan, owner: string) => {
    if (!values) return;
    for (const [field, key] of fields) {
      const value = values[field];
      if (value === undefined) continue;
      if (target[field] !== undefined && !sameControl(target[field], value)) {
        errors.push(new ToolError('ROUTE_CONFLICT', `route ${routeUrl(draft.address)}: ${owner} sets ${what === 'option' ? 'option ' : ''}${key} differently from another mapping of the same route`, { span, hint: 'set route-wide settings in one place' }));
      } else target[field] = value;
    }
  };
  const mergeInto = (draft: Draft, route: { readonly loadBalancing: LoadBalancing | undefined; readonly controls: RouteControls }, span: SourceSpan, owner: string) => {
    mergeField(draft, draft.loadBalancing, route.loadBalancing, OPTION_FIELDS, 'option', span, owner);
    mergeField(draft, draft.controls, route.controls, CONTROL_FIELDS, 'control', span, owner);
    for (const [key, at] of Object.entries(route.controls.spans ?? {})) draft.spans[key as ControlKey] ??= at;
  };

  // Top-level routes define their destinations first; app mappings then join them.
  for (const route of manifest.routes) {
    const draft = draftFor(route.address, route.protocol === 'tcp' ? 'tcp' : 'http', route.span, route.written);
    draft.span = route.span;
    mergeInto(draft, route, route.span, 'routes:');
    draft.weighted = route.destinations.some((d) => d.weight !== undefined);
    for (const d of route.destinations) {
      setExplicit(draft, { app: d.app, weight: d.weight, port: d.port, protocol: d.protocol ?? (route.protocol === 'http2' ? 'http2' : undefined) });
    }
  }
  const routed = new Set(manifest.routes.flatMap((r) => r.destinations.map((d) => d.app)));
  // An app that only receives a rule's or a mirror's traffic is routed too: it gets no default route.
  for (const route of manifest.routes) for (const ref of route.references ?? []) routed.add(ref.app);
  for (const app of manifest.apps) for (const route of app.routes) for (const ref of route.references ?? []) routed.add(ref.app);
  for (const app of manifest.apps) {
    if (app.noRoute) continue;
    for (const route of app.routes) {
      routed.add(app.name);
      const draft = draftFor(route.address, route.protocol === 'tcp' ? 'tcp' : 'http', route.span, route.written);
      mergeInto(draft, route, route.span, `app "${app.name}"`);
      // An app mapping a route that already lists the app (on any port) joins those destinations.
      const own = draft.keysByApp.get(app.name) ?? [];
      if (own.length === 0) {
        setExplicit(draft, { app: app.name, weight: undefined, port: undefined, protocol: route.protocol === 'http2' ? 'http2' : undefined });
      } else if (route.protocol === 'http2') {
        for (const key of own) draft.explicit.set(key, { ...(draft.explicit.get(key) as ExplicitDestination), protocol: 'http2' });
      }
    }
  }
  for (const app of manifest.apps) {
    // A `routes:` key, even `routes: []`, means exactly those routes: Cloud Controller applies them and
    // returns before the random and default routes (cloud_controller_ng 3bbba906
    // `app/actions/app_apply_manifest.rb` `update_routes`: `if update_message.routes`, and [] is truthy).
    if (app.noRoute || routed.has(app.name) || !app.name || Object.hasOwn(app.data, 'routes')) continue;
    const address = defaultAddress(app, options, errors, warnings);
    if (!address) continue;
    const draft = draftFor(address, 'http', app.span);
    setExplicit(draft, { app: app.name, weight: undefined, port: undefined, protocol: undefined });
  }
  for (const draft of drafts.values()) {
    if (draft.explicit.size === 0) {
      errors.push(new ToolError('ROUTE_INVALID', `route ${routeUrl(draft.address)} has no destinations and no app maps it`, { span: draft.span, hint: 'add `destinations:` or map it from an app' }));
    }
  }
  if (errors.length > 0) failWith(errors);

  const apps: AppInfo[] = manifest.apps
    .map((a) => ({ ...a.extensions, name: a.name, instances: a.instances, port: a.port, span: a.span }))
    .sort((a, b) => compare(a.name, b.name));
  // one lookup for every route (building it per route made the table quadratic in the number of apps)
  const instances = new Map(apps.map((a) => [a.name, a.instances]));
  const finished = [...drafts.values()].map((draft) => finishRoute(draft, instances, options, warnings));
  checkRoutes(finished, options.internalDomains);
  const routes = assignTcpPorts(finished, options, warnings);
  checkTcpPorts(routes);
  return { table: { routes: sortRoutes(routes), apps }, warnings };
}

/**
 * A plain TCP port on the ingress gateway carries no host name (no SNI), so it can serve one route
 * only: two external TCP routes on one port, of different hosts, cannot both hold (cf: "Port 'N' is
 * not available").
 */
function checkTcpPorts(routes: readonly Route[]): void {
  const byPort = new Map<number, Route>();
  const errors: ToolError[] = [];
  const ported = routes.filter((r): r is Route & { readonly port: number } => r.protocol === 'tcp' && !r.internal && r.port !== undefined);
  for (const route of ported.sort((a, b) => compare(a.key, b.key))) {
    const first = byPort.get(route.port);
    if (!first) {
      byPort.set(route.port, route);
      continue;
    }
    errors.push(
      new ToolError('ROUTE_CONFLICT', `route ${route.fqdn}:${route.port}: Port '${route.port}' is not available: route ${first.fqdn}:${route.port} already uses it`, {
        span: route.span,
        hint: 'a TCP port on the gateway serves one route; give this route another port',
      }),
    );
  }
  if (errors.length > 0) failWith(errors);
}

/** Port-less TCP routes get a port from the range; the user is told which (a NOTICE). */
function assignTcpPorts(routes: Route[], options: RoutingOptions, warnings: Warning[]): Route[] {
  const tcp = routes.filter((r) => r.protocol === 'tcp' && !r.internal);
  if (!tcp.some((r) => r.port === undefined)) return routes;
  const range = options.tcpPortRange ?? DEFAULT_TCP_PORT_RANGE;
  const allocation = allocateTcpPorts(tcp, range, { taken: options.reservedTcpPorts, recorded: options.assignedTcpPorts });
  if (allocation.conflicts.length > 0) {
    const byKey = new Map(routes.map((r) => [r.key, r]));
    failWith(
      allocation.conflicts.map(({ key, port, other }) => {
        const route = byKey.get(key);
        return new ToolError('ROUTE_CONFLICT', `route ${key} has no port, and gateway port ${port}, the one its name gives it, is taken by route ${other}`, {
          span: route?.span,
          hint: `write a port on one of them (e.g. ${route?.fqdn ?? key}:PORT); cfmesh never moves a route to another port, since its clients would reach another app`,
        });
      }),
    );
  }
  return routes.map((r) => {
    const port = r.port === undefined ? allocation.ports.get(r.key) : undefined;
    if (port === undefined) return r;
    warnings.push({ code: 'NOTICE', message: `route ${r.key} has no port; it gets gateway port ${port} (from ${range.from}-${range.to}, given by the route's name: it stays put when other routes come and go)`, span: r.span, hint: `write the route as ${r.fqdn}:${port} to pin it` });
    return { ...r, port };
  });
}

function checkRoutes(routes: readonly Route[], internalDomains: readonly string[]): void {
  const errors: ToolError[] = [];
  for (const route of routes) {
    for (const p of routeProblems(route, internalDomains)) errors.push(new ToolError('ROUTE_INVALID', `For route '${route.key}': ${p.message}`, { span: route.span, hint: p.hint }));
  }
  if (errors.length > 0) failWith(errors);
}

function finishRoute(draft: Draft, instances: ReadonlyMap<string, number>, options: RoutingOptions, warnings: Warning[]): Route {
  const sorted = [...draft.explicit.values()].sort((a, b) => compare(a.app, b.app) || (a.port ?? 0) - (b.port ?? 0));
  const destinations = resolveWeights(
    sorted,
    draft.weighted,
    (app) => instances.get(app) ?? 1,
    (message) => warnings.push({ code: 'ZERO_INSTANCES', message: `route ${routeUrl(draft.address)}: ${message}`, span: draft.span }),
  );
  return {
    key: routeKey(draft.address),
    fqdn: draft.address.fqdn,
    path: draft.address.path,
    port: draft.address.port,
    protocol: draft.protocol,
    internal: isInternal(draft.address.fqdn, options.internalDomains),
    loadBalancing: Object.keys(draft.loadBalancing).length > 0 ? draft.loadBalancing : undefined,
    controls: Object.keys(draft.spans).length > 0 ? { ...draft.controls, spans: draft.spans } : draft.controls,
    weighted: draft.weighted,
    destinations,
    span: draft.span,
  };
}

/**
 * Explicit weights as given; otherwise proportional to web instances (an app with 0 gets 0, and when
 * every app has 0 the route carries no traffic: every weight is 0 and `warn` says so).
 */
export function resolveWeights(
  destinations: readonly { app: string; weight: number | undefined; port?: number | undefined; protocol?: AppProtocol | undefined }[],
  weighted: boolean,
  instancesOf: (app: string) => number,
  warn: (message: string) => void = () => {},
): Destination[] {
  const idle = destinations.length > 0 && destinations.every((d) => instancesOf(d.app) <= 0);
  const shares = weighted
    ? destinations.map((d) => d.weight ?? 0)
    : idle
      ? destinations.map(() => 0)
      : largestRemainder(destinations.map((d) => Math.max(0, instancesOf(d.app))));
  if (idle) {
    warn(`no app of the route has running instances (instances: 0), so it captures no traffic: its requests go to the host's less specific route, the domain's wildcard route, or nowhere (404)`);
  } else if (weighted) {
    const stopped = destinations.filter((d) => instancesOf(d.app) <= 0 && (d.weight ?? 0) > 0);
    if (stopped.length > 0) warn(`${stopped.map((d) => `"${d.app}" (weight ${d.weight})`).join(', ')} ${stopped.length === 1 ? 'has' : 'have'} 0 instances; ${stopped.length === 1 ? 'its' : 'their'} share goes to the route's other apps in proportion to their weights`);
  }
  return destinations.map((d, i) => {
    const out: { app: string; weight: number; port?: number; protocol?: AppProtocol } = { app: d.app, weight: shares[i] as number };
    if (d.port !== undefined) out.port = d.port;
    if (d.protocol !== undefined) out.protocol = d.protocol;
    return out;
  });
}

function defaultAddress(app: ManifestApp, options: RoutingOptions, errors: ToolError[], warnings: Warning[]): RouteAddress | undefined {
  const domain = options.defaultDomain;
  // `defaultRoute` is what cf push v8 sends: `default-route: false` has no effect (the CLI sets
  // default-route on every app without random-route or no-route, cli v8.18.4
  // `actor/v7pushaction/handle_default_route_override.go`; the loader warns), but Cloud Controller
  // still reads an underscored `default_route: false` (manifest/normalize.ts).
  if (app.defaultRoute === false && !app.randomRoute) return undefined;
  if (!domain) {
    warnings.push({
      code: 'NO_ROUTE',
      message: `app "${app.name}" has no routes and no default domain is set, so it gets no route`,
      span: app.span,
      hint: app.randomRoute ? 'random-route needs --default-domain' : 'give it `routes:`, pass --default-domain, or set no-route: true',
    });
    return undefined;
  }
  const host = app.randomRoute ? randomRouteHost(app.name) : app.name.toLowerCase();
  // Cloud Controller's own checks of the name first (cloud_controller_ng 3bbba906
  // `app/actions/app_apply_manifest.rb` `validate_name_dns_compliant!`), then the host's as Istio needs it.
  const prefix = 'Failed to create default route from app name:';
  if (!app.randomRoute && app.name.length > 63) {
    errors.push(new ToolError('ROUTE_INVALID', `${prefix} Host cannot exceed 63 characters (app "${app.name}")`, { span: app.span, hint: 'give the app explicit `routes:` or set random-route: true' }));
    return undefined;
  }
  if (!app.randomRoute && !/^[\w-]+$/.test(app.name)) {
    errors.push(new ToolError('ROUTE_INVALID', `${prefix} Host must be either "*" or contain only alphanumeric characters, "_", or "-" (app "${app.name}")`, { span: app.span, hint: 'give the app explicit `routes:` or set random-route: true' }));
    return undefined;
  }
  const parsed = parseRoute(`${host}.${domain}`, undefined);
  if (!parsed.ok) {
    errors.push(new ToolError('ROUTE_INVALID', `Failed to create default route from app name "${app.name}": ${parsed.message}`, { span: app.span, hint: 'give the app explicit `routes:` or set random-route: true' }));
    return undefined;
  }
  return parsed.address;
}

const ADJECTIVES = ['brave', 'calm', 'daring', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'kind', 'lively', 'merry', 'nice', 'proud', 'quiet', 'silly', 'witty', 'agile', 'bold', 'busy', 'clever', 'fearless', 'grumpy', 'humble', 'lucky', 'mighty', 'noble', 'patient', 'rapid', 'shy', 'sleepy', 'swift', 'tidy'];
const NOUNS = ['badger', 'camel', 'dolphin', 'eagle', 'falcon', 'gecko', 'heron', 'ibex', 'jaguar', 'koala', 'lemur', 'marmot', 'narwhal', 'otter', 'panda', 'quokka', 'rabbit', 'seal', 'tapir', 'urchin', 'vulture', 'walrus', 'yak', 'zebra', 'bison', 'crane', 'dingo', 'ferret', 'gopher', 'hyena', 'impala', 'lynx'];

/** cf's random route is `<app>-<adjective>-<noun>`; cfmesh picks the words from the app name, so output is reproducible. */
export function randomRouteHost(appName: string): string {
  let h = 2166136261;
  for (const ch of appName) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 16777619) >>> 0;
  }
  const adjective = ADJECTIVES[h % ADJECTIVES.length] as string;
  const noun = NOUNS[(h >>> 8) % NOUNS.length] as string;
  const base = appName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'app';
  return `${base}-${adjective}-${noun}`;
}


/** Routes by FQDN, then HTTP before TCP, then path/port: a stable order for every later step. */
export function sortRoutes(routes: readonly Route[]): Route[] {
  return [...routes].sort(
    (a, b) => compare(a.fqdn, b.fqdn) || compare(a.protocol, b.protocol) || (a.port ?? 0) - (b.port ?? 0) || compare(a.path ?? '', b.path ?? ''),
  );
}

/** LoadBalancing's fields by cf's option keys, in the order the keys sort. */
const OPTION_FIELDS = [
  ['hashBalance', 'hash_balance'],
  ['hashHeader', 'hash_header'],
  ['algorithm', 'loadbalancing'],
] as const satisfies readonly (readonly [keyof LoadBalancing, string])[];

/** RouteControls' fields by their manifest keys, in the order the keys sort. */
const CONTROL_FIELD_OF = { fault: 'fault', methods: 'methods', mirror: 'mirror', retries: 'retries', rules: 'rules', timeout: 'timeoutMs', tls: 'tls' } as const satisfies Record<ControlKey, keyof RouteControls>;
const CONTROL_FIELDS = Object.entries(CONTROL_FIELD_OF).map(([key, field]) => [field, key] as const);

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Code-unit order: locale-independent, so output never depends on the machine. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
