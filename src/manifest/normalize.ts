import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { checkAppExtensions, checkRouteControls, parseAppExtensions, parseLoadBalancing, parseRouteControls, type CheckContext } from './controls.ts';
import { cliBool, cliInteger, cliString } from './cli-values.ts';
import { parseRoute } from './route-address.ts';
import { closest } from './suggest.ts';
import type { SpanIndex } from './span-index.ts';
import { CONTROL_KEYS, NO_CONTROLS } from './traffic.ts';
import type { AppProtocol, AppRoute, DestinationSpec, Manifest, ManifestApp, Protocol, WeightedRouteSpec } from './types.ts';

export interface NormalizeResult {
  readonly manifest: Manifest;
  readonly warnings: readonly Warning[];
  readonly errors: readonly ToolError[];
  /** Top-level routes whose `route` could not be parsed: their destinations are still checked (rules.ts). */
  readonly unparsed: readonly UnparsedRoute[];
}

export interface UnparsedRoute {
  readonly label: string;
  readonly destinations: readonly DestinationSpec[];
  readonly span: SourceSpan;
}

/** Keys of a route entry that are the route itself, not controls. */
const ROUTE_KEYS = new Set(['route', 'protocol', 'options', 'destinations']);
/** cfmesh's per-route traffic controls (docs/traffic.md); every other key of an entry goes to `extra`. */
const CONTROL_SET = new Set<string>(CONTROL_KEYS);

const LEGACY_APP_KEYS: Record<string, string> = {
  host: 'use `routes:` with `- route: HOST.DOMAIN`',
  hosts: 'use `routes:` with one `- route:` per host',
  domain: 'use `routes:` with `- route: HOST.DOMAIN`',
  domains: 'use `routes:` with one `- route:` per domain',
  'no-hostname': 'use `routes:` with `- route: DOMAIN`',
};

/** App attributes that cf v6 also accepted at the top level ("global" attributes), dropped by v7+. */
const GLOBAL_ATTRIBUTES = new Set([
  'buildpack', 'buildpacks', 'command', 'disk_quota', 'disk-quota', 'docker', 'env', 'health-check-type',
  'health-check-http-endpoint', 'instances', 'memory', 'no-route', 'path', 'random-route', 'services', 'stack',
  'timeout', 'host', 'hosts', 'domain', 'domains', 'no-hostname', 'name',
]);

/**
 * Turns the manifest data into the model: web instances resolved, route strings parsed, route
 * flags as `cf push` v8 sends them to Cloud Controller, legacy keys warned about once per key (with
 * what cfmesh did), every key kept in `data`. Written defensively: it also runs on data the schema
 * refused (errors are then collected from every stage in one pass), reading only what is well-formed.
 */
export function normalizeManifest(value: unknown, spans: SpanIndex, fileSpan: SourceSpan): NormalizeResult {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const unparsed: UnparsedRoute[] = [];
  const root = asMap(value);
  const at = (container: object, key: string | number): SourceSpan => spans.entry(container, key)?.value ?? spans.container(container) ?? fileSpan;
  const keyAt = (container: object, key: string | number): SourceSpan => spans.entry(container, key)?.key ?? at(container, key);

  const check: CheckContext = { at, keyAt, errors, warnings };
  const warned = new Set<string>();
  const legacy = (key: string, span: SourceSpan, message: string, hint: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    warnings.push({ code: 'LEGACY_KEY', message, span, hint });
  };

  for (const key of Object.keys(root)) {
    if (key === 'inherit') {
      legacy(key, keyAt(root, key), '`inherit` is a cf v6 attribute that cf v7+ ignores; cfmesh ignores it too', 'use YAML anchors or several -f files instead');
    } else if (GLOBAL_ATTRIBUTES.has(key)) {
      legacy(`global:${key}`, keyAt(root, key), `top-level \`${key}\` is a cf v6 global attribute that cf v7+ ignores; cfmesh ignores it too (kept, not applied to any app)`, 'set it on each app, or share it with a YAML anchor and `<<: *anchor`');
    }
  }

  const apps: ManifestApp[] = [];
  const applications = Array.isArray(root['applications']) ? (root['applications'] as unknown[]) : [];
  applications.forEach((item, index) => {
    const app = asMap(item);
    const span = at(applications, index);
    for (const key of Object.keys(LEGACY_APP_KEYS)) {
      if (key in app) {
        legacy(key, keyAt(app, key), `\`${key}\` is a cf v6 route attribute that cf v7+ ignores; cfmesh ignores it too`, LEGACY_APP_KEYS[key] ?? '');
      }
    }
    // The cf CLI reads `name` into a string: a number or boolean becomes its text (yaml.v2 decode.go).
    const name = cliString(app['name']) ?? '';
    checkAppExtensions(app, name, check);
    const routes: AppRoute[] = [];
    const rawRoutes = Array.isArray(app['routes']) ? (app['routes'] as unknown[]) : [];
    rawRoutes.forEach((raw, i) => {
      const entry = asMap(raw);
      const routeSpan = at(rawRoutes, i);
      const parsed = parseEntry(entry, routeSpan, (k) => at(entry, k), errors, check, true);
      if (parsed) routes.push({ ...parsed, span: routeSpan });
    });
    const flags = routeFlags(app, name, keyAt, warnings);
    apps.push({
      name,
      span,
      instances: webInstances(app),
      port: typeof app['port'] === 'number' ? app['port'] : undefined,
      ...flags,
      hasRoutesKey: 'routes' in app,
      routes,
      extensions: parseAppExtensions(app),
      data: app,
    });
  });

  const weighted: WeightedRouteSpec[] = [];
  const topRoutes = Array.isArray(root['routes']) ? (root['routes'] as unknown[]) : [];
  topRoutes.forEach((raw, i) => {
    const entry = asMap(raw);
    const routeSpan = at(topRoutes, i);
    const list = Array.isArray(entry['destinations']) ? (entry['destinations'] as unknown[]) : [];
    const destinations: DestinationSpec[] = list.map((d, j) => {
      const dest = asMap(d);
      return {
        app: cliString(dest['name']) ?? '',
        weight: typeof dest['weight'] === 'number' ? dest['weight'] : undefined,
        weightSpan: 'weight' in dest ? at(dest, 'weight') : undefined,
        port: typeof dest['port'] === 'number' ? dest['port'] : undefined,
        protocol: dest['protocol'] === 'http1' || dest['protocol'] === 'http2' ? (dest['protocol'] as AppProtocol) : undefined,
        span: at(list, j),
      };
    });
    const parsed = parseEntry(entry, routeSpan, (k) => at(entry, k), errors, check, false);
    if (!parsed) {
      unparsed.push({ label: typeof entry['route'] === 'string' ? entry['route'] : `routes[${i}]`, destinations, span: routeSpan });
      return;
    }
    weighted.push({ ...parsed, destinations, span: routeSpan });
  });

  return { manifest: { apps, routes: weighted }, warnings, errors, unparsed };
}

/**
 * `no-route`, `random-route` and `default-route` as `cf push` v8 sends them to Cloud Controller.
 * The CLI reads the hyphenated keys into booleans that it writes back only when true (yaml `omitempty`,
 * util/manifestparser/application.go at v8.18.4), sets `default-route: true` on every app without
 * `random-route` or `no-route` (actor/v7pushaction/handle_default_route_override.go), and passes the
 * underscore spellings through unchanged, after its own keys; Cloud Controller turns both spellings into
 * one key, the later one winning (app_manifest_message.rb `underscore_keys`, CAPI 1.235.0).
 */
function routeFlags(
  app: Record<string, unknown>,
  name: string,
  keyAt: (container: object, key: string) => SourceSpan,
  warnings: Warning[],
): Pick<ManifestApp, 'noRoute' | 'randomRoute' | 'defaultRoute'> {
  const cliNoRoute = cliBool(app['no-route']) === true;
  const cliRandom = cliBool(app['random-route']) === true;
  const cliDefault = cliBool(app['default-route']) === true || !(cliNoRoute || cliRandom);
  const sent = (underscore: string, cliValue: boolean): boolean | undefined => {
    if (underscore in app) return app[underscore] === true ? true : app[underscore] === false ? false : undefined;
    return cliValue ? true : undefined;
  };
  const noRoute = sent('no_route', cliNoRoute) === true;
  const randomRoute = sent('random_route', cliRandom) === true;
  const defaultRoute = sent('default_route', cliDefault);
  if (app['default-route'] === false && !('default_route' in app) && !cliNoRoute && !cliRandom) {
    warnings.push({
      code: 'IGNORED_KEY',
      message: `app "${name}": \`default-route: false\` has no effect: cf push v8 turns the default route on for every app without random-route or no-route, and so does cfmesh`,
      span: keyAt(app, 'default-route'),
      hint: 'for no route at all use `no-route: true`; with `routes:` the app gets exactly those routes',
    });
  }
  return { noRoute, randomRoute, defaultRoute };
}

function parseEntry(
  entry: Record<string, unknown>,
  span: SourceSpan,
  at: (key: string) => SourceSpan,
  errors: ToolError[],
  check: CheckContext,
  appEntry: boolean,
): Omit<AppRoute, 'span'> | undefined {
  const route = entry['route'];
  if (typeof route !== 'string') return undefined; // the schema has reported it
  const protocol = typeof entry['protocol'] === 'string' ? (entry['protocol'] as Protocol) : undefined;
  const parsed = parseRoute(route, protocol);
  if (!parsed.ok) {
    errors.push(new ToolError('ROUTE_INVALID', parsed.message, { span: at('route') ?? span, hint: parsed.hint }));
    return undefined;
  }
  const options: Record<string, string> = {};
  const rawOptions = asMap(entry['options']);
  for (const key of Object.keys(rawOptions).sort()) {
    const v = rawOptions[key];
    if (v !== null && v !== undefined) options[key] = String(v);
  }
  const controls: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(entry).sort()) {
    if (ROUTE_KEYS.has(key)) continue;
    if (CONTROL_SET.has(key)) controls[key] = entry[key];
    else {
      extra[key] = entry[key];
      // cf ignores keys it does not know in a route entry, and cfmesh keeps them; a near miss of a
      // control key is most likely a typo that would otherwise go unnoticed.
      const near = appEntry ? closest(key, [...CONTROL_KEYS, 'protocol', 'options']) : undefined;
      if (near) check.warnings.push({ code: 'UNKNOWN_KEY', message: `route ${route}: unknown key "${key}" is kept but has no effect`, span: check.keyAt(entry, key), hint: `did you mean "${near}"?` });
    }
  }
  noteReinterpretation(route, protocol, parsed.protocol, entry, check, at('route') ?? span);
  const references = checkRouteControls(entry, parsed.address, parsed.protocol, check);
  return {
    address: parsed.address,
    protocol: parsed.protocol,
    loadBalancing: parseLoadBalancing(options),
    // The entry itself, so that the spans of its controls are found (the parser reads only control keys).
    controls: Object.keys(controls).length > 0 ? parseRouteControls(entry, check) : NO_CONTROLS,
    extra,
    references,
    written: route,
  };
}

/**
 * What Cloud Controller reads differently from how a route may look, said at the route: the
 * `https://` scheme is accepted and dropped (`manifest_route.rb` takes http, https or none and keeps
 * only host and path), so it gives no HTTPS by itself; a port makes a TCP route on a TCP domain.
 */
const HTTP_LIKE_PORTS = new Set([80, 443, 3000, 5000, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9080, 9443]);

function parsedPort(route: string): number | undefined {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/:]+:(\d{1,5})(?:\/|$)/i.exec(route);
  return m ? Number(m[1]) : undefined;
}

function noteReinterpretation(route: string, written: Protocol | undefined, protocol: Protocol, entry: Record<string, unknown>, check: CheckContext, span: SourceSpan): void {
  if (/^https:\/\//i.test(route) && entry['tls'] === undefined) {
    check.warnings.push({ code: 'NOTICE', message: `route ${route}: the https:// scheme is ignored, as cf ignores it; the route is served over plain HTTP`, span, hint: 'for HTTPS on the gateway add `tls: {credential-name: SECRET}` (see docs/traffic.md)' });
  }
  // Only on ports people use for HTTP: `db.example.com:5432` is plainly meant as TCP.
  const port = parsedPort(route);
  if (protocol === 'tcp' && written === undefined && !/^tcp:\/\//i.test(route) && port !== undefined && HTTP_LIKE_PORTS.has(port)) {
    check.warnings.push({ code: 'NOTICE', message: `route ${route}: a port makes this a TCP route (cf's domain:port on a TCP domain), not HTTP on that port`, span, hint: 'write `protocol: tcp` (or tcp://) to say so; an HTTP route takes no port' });
  }
}

/**
 * Web instances as Cloud Controller counts them: a `web` entry under `processes` replaces the app-level
 * web attributes wholesale (app_manifest_message.rb `process_attributes`), so its `instances`, or 1 when
 * it has none, wins over the app's. The CLI reads `instances` into an int: a float is truncated.
 */
function webInstances(app: Record<string, unknown>): number {
  const processes = Array.isArray(app['processes']) ? (app['processes'] as unknown[]) : [];
  for (const p of processes) {
    const process = asMap(p);
    if (cliString(process['type']) === 'web') return nonNegative(cliInteger(process['instances'])) ?? 1;
  }
  return nonNegative(cliInteger(app['instances'])) ?? 1;
}

function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}

function asMap(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
