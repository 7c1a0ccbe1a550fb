import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { checkAppExtensions, checkRouteControls, type CheckContext } from './controls.ts';
import { parseRoute } from './route-address.ts';
import type { SpanIndex } from './span-index.ts';
import type { AppProtocol, AppRoute, DestinationSpec, Manifest, ManifestApp, Protocol, WeightedRouteSpec } from './types.ts';

export interface NormalizeResult {
  readonly manifest: Manifest;
  readonly warnings: readonly Warning[];
  readonly errors: readonly ToolError[];
}

/** Keys of a route entry that are not per-route controls. */
const ROUTE_KEYS = new Set(['route', 'protocol', 'options', 'destinations']);

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
 * Turns the schema-checked manifest data into the model: web instances resolved, route strings
 * parsed, legacy keys warned about once per key (with what cfmesh did), every key kept in `data`.
 */
export function normalizeManifest(value: unknown, spans: SpanIndex, fileSpan: SourceSpan): NormalizeResult {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
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
    const name = typeof app['name'] === 'string' ? app['name'] : '';
    checkAppExtensions(app, name, check);
    const routes: AppRoute[] = [];
    const rawRoutes = Array.isArray(app['routes']) ? (app['routes'] as unknown[]) : [];
    rawRoutes.forEach((raw, i) => {
      const entry = asMap(raw);
      const routeSpan = at(rawRoutes, i);
      const parsed = parseEntry(entry, routeSpan, (k) => at(entry, k), errors, check);
      if (parsed) routes.push({ ...parsed, span: routeSpan });
    });
    apps.push({
      name,
      span,
      instances: webInstances(app),
      port: typeof app['port'] === 'number' ? app['port'] : undefined,
      noRoute: app['no-route'] === true,
      randomRoute: app['random-route'] === true,
      defaultRoute: typeof app['default-route'] === 'boolean' ? app['default-route'] : undefined,
      routes,
      data: app,
    });
  });

  const weighted: WeightedRouteSpec[] = [];
  const topRoutes = Array.isArray(root['routes']) ? (root['routes'] as unknown[]) : [];
  topRoutes.forEach((raw, i) => {
    const entry = asMap(raw);
    const routeSpan = at(topRoutes, i);
    const parsed = parseEntry(entry, routeSpan, (k) => at(entry, k), errors, check);
    if (!parsed) return;
    const list = Array.isArray(entry['destinations']) ? (entry['destinations'] as unknown[]) : [];
    const destinations: DestinationSpec[] = list.map((d, j) => {
      const dest = asMap(d);
      return {
        app: typeof dest['name'] === 'string' ? dest['name'] : '',
        weight: typeof dest['weight'] === 'number' ? dest['weight'] : undefined,
        port: typeof dest['port'] === 'number' ? dest['port'] : undefined,
        protocol: dest['protocol'] === 'http1' || dest['protocol'] === 'http2' ? (dest['protocol'] as AppProtocol) : undefined,
        span: at(list, j),
      };
    });
    weighted.push({ ...parsed, destinations, span: routeSpan });
  });

  return { manifest: { apps, routes: weighted }, warnings, errors };
}

function parseEntry(
  entry: Record<string, unknown>,
  span: SourceSpan,
  at: (key: string) => SourceSpan,
  errors: ToolError[],
  check: CheckContext,
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
  for (const key of Object.keys(rawOptions).sort()) options[key] = String(rawOptions[key]);
  const controls: Record<string, unknown> = {};
  for (const key of Object.keys(entry).sort()) if (!ROUTE_KEYS.has(key)) controls[key] = entry[key];
  const references = checkRouteControls(entry, parsed.address, parsed.protocol, check);
  return { address: parsed.address, protocol: parsed.protocol, options, controls, references };
}

function webInstances(app: Record<string, unknown>): number {
  const processes = Array.isArray(app['processes']) ? (app['processes'] as unknown[]) : [];
  for (const p of processes) {
    const process = asMap(p);
    if (process['type'] === 'web' && typeof process['instances'] === 'number') return process['instances'];
  }
  return typeof app['instances'] === 'number' ? app['instances'] : 1;
}

function asMap(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
