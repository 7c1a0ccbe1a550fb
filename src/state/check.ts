/**
 * A hand-edited state gets the rules a manifest gets (README: "Editing it by hand is fine: cfmesh then
 * reads it whole and checks it"), each problem at its `state.json:line:col`: route addresses as Cloud
 * Controller parses them, destinations that name apps of the state, once each, weights all or none,
 * integers 0-100 summing to 100, route options as cf checks them, the traffic controls as the manifest's
 * (manifest/controls.ts), one route per TCP port. The same codes as the manifest's, so the exit code is
 * the manifest's too (1). A file cfmesh wrote itself (its digest matches, lines.ts) is not re-checked:
 * every command keeps these rules.
 */
import type { SourceFile, SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type ErrorCode, type Warning } from '../diagnostics/tool-error.ts';
import { validateRouteOptions } from '../manifest/route-options.ts';
import { checkAppExtensions, checkRouteControls, type CheckContext } from '../manifest/controls.ts';
import { parseRoute } from '../manifest/route-address.ts';
import { suggest } from '../manifest/rules.ts';
import type { Protocol, RouteAddress } from '../manifest/types.ts';
import { routeKey } from './format.ts';
import { locateJson, type JsonPath } from './json-positions.ts';
import type { RouteRecord, State } from './types.ts';

export function checkStateRules(state: State, source: SourceFile): ToolError[] {
  const errors: ToolError[] = [];
  const spanAt = (path: JsonPath, part: 'value' | 'key' = 'value'): SourceSpan => {
    // The closest enclosing member that the text has (a missing field points at its record).
    for (let n = path.length; n >= 0; n--) {
      const range = locateJson(source.text, path.slice(0, n), n === path.length ? part : 'value');
      if (range) return { source, start: range.start, end: range.end };
    }
    return { source, start: 0, end: 1 };
  };
  const err = (code: ErrorCode, message: string, path: JsonPath, hint?: string, part: 'value' | 'key' = 'value') => errors.push(new ToolError(code, message, { span: spanAt(path, part), hint }));
  const apps = Object.keys(state.apps);

  for (const [name, app] of Object.entries(state.apps)) {
    if (app.port !== undefined && (app.port < 1 || app.port > 65535)) err('ATTRIBUTE_INVALID', `app "${name}": port ${app.port} must be from 1 to 65535`, ['apps', name, 'port']);
    if (app.extra && typeof app.extra === 'object') checkAppExtensions(app.extra as Record<string, unknown>, name, contextFor(app.extra, ['apps', name, 'extra'], spanAt, errors));
  }

  const tcpPorts = new Map<number, string>();
  for (const [key, route] of Object.entries(state.routes)) {
    const at = (...rest: JsonPath): JsonPath => ['routes', key, ...rest];
    const url = routeKey(route);
    const expected = route.host === undefined ? route.domain : `${route.host}.${route.domain}`;
    if (expected !== route.fqdn) err('ROUTE_INVALID', `route ${url}: fqdn "${route.fqdn}" is not host.domain ("${expected}")`, at('fqdn'), 'fqdn must be host + "." + domain, or the domain when there is no host');
    const tcp = route.protocol === 'tcp';
    if (tcp && (route.port === undefined || route.path !== undefined)) err('ROUTE_INVALID', `route ${url}: a TCP route has a port and no path`, at('protocol'));
    if (!tcp && route.port !== undefined) err('ROUTE_INVALID', `route ${url}: an HTTP route has no port (a port makes a TCP route: protocol "tcp")`, at('port'));
    const parsed = parseRoute(`${route.fqdn}${route.port !== undefined ? `:${route.port}` : ''}${route.path ?? ''}`, tcp ? 'tcp' : undefined);
    if (!parsed.ok) err('ROUTE_INVALID', `route ${url}: ${parsed.message}`, ['routes', key], parsed.hint, 'key');
    if (tcp && route.port !== undefined) {
      const other = tcpPorts.get(route.port);
      if (other !== undefined && other !== route.fqdn) err('ROUTE_CONFLICT', `route ${url}: port ${route.port} already serves ${other} (a TCP port on the gateway serves one host)`, at('port'));
      else tcpPorts.set(route.port, route.fqdn);
    }
    try {
      validateRouteOptions(route.options, url);
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
      err('OPTION_INVALID', e.message, at('options'), e.hint);
    }
    checkDestinations(route, url, at, apps, err);
    if (route.controls && Object.keys(route.controls).length > 0) {
      const ctx = contextFor(route.controls, at('controls'), spanAt, errors);
      const protocol: Protocol = tcp ? 'tcp' : route.protocol === 'http2' ? 'http2' : 'http1';
      const address: RouteAddress = { fqdn: route.fqdn, path: route.path, port: route.port };
      for (const ref of checkRouteControls(route.controls as Record<string, unknown>, address, protocol, ctx)) {
        if (!apps.includes(ref.app)) errors.push(new ToolError('UNKNOWN_APP', `route ${ref.route}: ${ref.role} "${ref.app}" is not an app of the state`, { span: ref.span, hint: appHint(ref.app, apps) }));
      }
    }
  }
  return errors.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
}

/** "did you mean" for a misspelt app, else what the state has. */
function appHint(name: string, apps: readonly string[]): string {
  const close = suggest(name, apps);
  if (close?.startsWith('did you mean')) return close;
  return `push the app first, or remove it from the route${apps.length > 0 && apps.length <= 5 ? `; apps of the state: ${apps.join(', ')}` : ''}`;
}

function checkDestinations(route: RouteRecord, url: string, at: (...rest: JsonPath) => JsonPath, apps: readonly string[], err: (code: ErrorCode, message: string, path: JsonPath, hint?: string) => void): void {
  const seen = new Set<string>();
  route.destinations.forEach((d, i) => {
    if (!apps.includes(d.app)) err('UNKNOWN_APP', `route ${url}: destination "${d.app}" is not an app of the state`, at('destinations', i, 'app'), appHint(d.app, apps));
    if (seen.has(d.app)) err('DUPLICATE_DESTINATION', `route ${url}: app "${d.app}" is listed twice`, at('destinations', i, 'app'));
    seen.add(d.app);
    if (d.port !== undefined && (d.port < 1 || d.port > 65535)) err('ROUTE_INVALID', `route ${url}: port ${d.port} of "${d.app}" must be from 1 to 65535`, at('destinations', i, 'port'));
    if (route.protocol === 'tcp' && d.protocol !== undefined && d.protocol !== 'tcp') err('ROUTE_INVALID', `route ${url}: a TCP route's destination has no protocol (got ${d.protocol})`, at('destinations', i, 'protocol'));
    if (route.protocol !== 'tcp' && d.protocol === 'tcp') err('ROUTE_INVALID', `route ${url}: destination "${d.app}" has protocol tcp on an HTTP route`, at('destinations', i, 'protocol'));
  });
  const weighted = route.destinations.filter((d) => d.weight !== undefined);
  if (weighted.length === 0) return;
  if (weighted.length !== route.destinations.length) {
    const i = route.destinations.findIndex((d) => d.weight === undefined);
    err('WEIGHTS', `route ${url}: Destinations cannot contain both weighted and unweighted destinations`, at('destinations', i), 'give every destination a weight, or none');
    return;
  }
  let bad = false;
  route.destinations.forEach((d, i) => {
    const w = d.weight as number;
    if (!Number.isInteger(w) || w < 0 || w > 100) {
      err('WEIGHTS', `route ${url}: weight of "${d.app}" must be an integer from 0 to 100 (got ${w})`, at('destinations', i, 'weight'));
      bad = true;
    }
  });
  if (bad) return;
  const sum = weighted.reduce((s, d) => s + (d.weight as number), 0);
  if (sum !== 100) {
    err('WEIGHTS', `route ${url}: weights sum to ${sum}, they must sum to 100`, at('destinations'), `weights: ${weighted.map((d) => `${d.app}=${d.weight}`).join(', ')}`);
  }
}

/**
 * The manifest checks find a value's position by the object that holds it; here every object under
 * `root` is mapped to its JSON path, and the path to the text.
 */
function contextFor(root: object, rootPath: JsonPath, spanAt: (path: JsonPath, part?: 'value' | 'key') => SourceSpan, errors: ToolError[]): CheckContext {
  const paths = new WeakMap<object, JsonPath>();
  const walk = (value: unknown, path: JsonPath): void => {
    if (typeof value !== 'object' || value === null) return;
    paths.set(value, path);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(root, rootPath);
  const warnings: Warning[] = [];
  return {
    at: (container, key) => spanAt([...(paths.get(container) ?? rootPath), key]),
    keyAt: (container, key) => spanAt([...(paths.get(container) ?? rootPath), key], 'key'),
    errors,
    warnings,
  };
}

