/**
 * The state file format: deterministic serialisation, parsing, validation and migration.
 *
 * File: UTF-8 JSON in the layout of lines.ts (one record per line, a digest last), `"version"`
 * first and every object key sorted by UTF-16 code unit (locale-independent), so equal states give
 * equal bytes. Keys that this build does not know are kept on read and written back, so a file
 * touched by a newer build of the same version loses nothing.
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { AppRecord, RouteRecord, Settings, State } from './types.ts';
import { STATE_VERSION } from './types.ts';
import { byCodeUnit, DIGEST_KEY, writeLines } from './lines.ts';

export function emptyState(): State {
  return {
    version: STATE_VERSION,
    apps: {},
    routes: {},
    randomRouteHosts: {},
    tcpPorts: {},
    settings: {},
  };
}

/**
 * The identity of a route and its key in `State.routes` (and `State.tcpPorts`):
 * `fqdn:port` for a TCP route, `fqdn` + path for an HTTP route (`shop.example.com/cart`).
 * Callers normalise (lower-case) host and domain before building a route.
 */
export function routeKey(route: Pick<RouteRecord, 'fqdn' | 'path' | 'port'>): string {
  if (route.port !== undefined) return `${route.fqdn}:${route.port}`;
  return `${route.fqdn}${route.path ?? ''}`;
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/**
 * Deterministic text of a state: same content, same bytes. Throws INTERNAL on data that JSON
 * cannot hold faithfully (undefined in arrays, non-finite numbers, class instances, functions).
 */
export function serializeState(state: State): string {
  for (const [key, route] of Object.entries(state.routes)) assertRouteKey(key, route);
  const { version, ...rest } = state;
  return writeLines(version, canonical(rest, 'state') as Record<string, unknown>);
}

/** A route stored under another key than its own is a bug (INTERNAL). */
export function assertRouteKey(key: string, route: RouteRecord): void {
  const want = routeKey(route);
  if (key !== want) throw new ToolError('INTERNAL', `state.routes key "${key}" does not match its route (expected "${want}")`);
}

/** The JSON text of one record as the file holds it (sorted keys); records read from a file are taken as they are. */
export function recordText(record: unknown, where: string): string {
  return JSON.stringify(canonical(record, where));
}

/**
 * App and route records as read from a file: taken as canonical without a walk (the store wrote
 * them sorted), so saving a state of 10,000 routes re-checks only the records a command replaced.
 * A hand-edited file with unsorted keys inside a record keeps that order until the record changes.
 */
const AS_READ = new WeakSet<object>();

/**
 * `value` with every object's keys in code-unit order and undefined properties dropped. Parts
 * that are already canonical (everything read from a file, and spread copies of it) are
 * returned as they are, so the usual save copies only what changed.
 */
function canonical(value: unknown, where: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new ToolError('INTERNAL', `${where}: ${value} cannot be stored in the state`);
      return value;
    case 'object':
      break;
    default:
      throw new ToolError('INTERNAL', `${where}: a ${typeof value} cannot be stored in the state`);
  }
  if (value === null) return null;
  if (AS_READ.has(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new ToolError('INTERNAL', `${where}[${i}]: undefined cannot be stored in the state`);
      const c = canonical(item, where);
      if (c !== item) {
        out ??= value.slice();
        out[i] = c;
      }
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new ToolError('INTERNAL', `${where}: only plain objects can be stored in the state`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Fast path: already canonical (sorted, no undefined, children canonical): no copy.
  // Children checked before a mismatch are canonical, and the one that broke is kept, so no
  // child is canonicalised twice.
  let i = 0;
  let broken: unknown;
  for (; i < keys.length; i++) {
    const key = keys[i] as string;
    const v = obj[key];
    if (v === undefined || (i > 0 && (keys[i - 1] as string) >= key)) break;
    if (typeof v === 'object' && v !== null) {
      const c = canonical(v, where);
      if (c !== v) {
        broken = c;
        break;
      }
    } else if (!isJsonScalar(v)) {
      canonical(v, where); // throws the precise error
    }
  }
  if (i === keys.length) return obj;
  const checked = i;
  const indexes = keys.map((_, k) => k).sort((a, b) => byCodeUnit(keys[a] as string, keys[b] as string));
  const out: Record<string, unknown> = {};
  for (const k of indexes) {
    const key = keys[k] as string;
    const raw = obj[key];
    if (raw === undefined) continue;
    const v = k < checked ? raw : k === checked && broken !== undefined ? broken : canonical(raw, where);
    // A key named __proto__ must stay a plain property, not set the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

function isJsonScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Why a text is not a valid state (the caller wraps it in STATE_CORRUPT with file names). */
export class StateFormatError extends Error {
  /** True when the file is from a newer cfmesh rather than damaged. */
  readonly newerVersion: number | undefined;
  constructor(message: string, newerVersion?: number) {
    super(message);
    this.name = 'StateFormatError';
    this.newerVersion = newerVersion;
  }
}

/**
 * Migrations from older format versions: `MIGRATIONS[n]` turns a version-n document into a
 * version-(n+1) document. There are none yet (version 1 is the first); add one here, and bump
 * STATE_VERSION, whenever the format changes incompatibly.
 */
const MIGRATIONS: Readonly<Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>> = {};

/** Parses and validates a state file's text. Throws StateFormatError. */
export function parseState(text: string): State {
  if (text.trim() === '') throw new StateFormatError('the file is empty');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StateFormatError(`not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(doc)) throw new StateFormatError('the top level is not a JSON object');
  // The digest serves reading by line (lines.ts); here the whole file is checked instead.
  delete doc[DIGEST_KEY];
  const version = doc['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new StateFormatError('it has no valid "version" field');
  }
  if (version > STATE_VERSION) {
    throw new StateFormatError(
      `it has format version ${version}, written by a newer cfmesh; this cfmesh reads versions up to ${STATE_VERSION}`,
      version,
    );
  }
  let current: Record<string, unknown> = doc;
  for (let v = version; v < STATE_VERSION; v++) {
    const migrate = MIGRATIONS[v];
    if (!migrate) throw new StateFormatError(`no migration from format version ${v}`);
    current = migrate(current);
  }
  validateState(current);
  return current;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, what: string): never {
  throw new StateFormatError(`${where}: expected ${what}`);
}

/** Where a field is, built only when a check fails (validation is on every load). */
function at(section: string, key: string | undefined, field: string): string {
  return key === undefined ? `${section}${field}` : `${section}[${JSON.stringify(key)}]${field}`;
}

function objectAt(v: unknown, section: string, key?: string, field = ''): Record<string, unknown> {
  if (!isPlainObject(v)) fail(at(section, key, field), 'an object');
  return v;
}
function stringAt(v: unknown, section: string, key: string | undefined, field: string): void {
  if (typeof v !== 'string') fail(at(section, key, field), 'a string');
}
function optString(v: unknown, section: string, key: string | undefined, field: string): void {
  if (v !== undefined && typeof v !== 'string') fail(at(section, key, field), 'a string');
}
function isNonNegInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
function intAt(v: unknown, section: string, key: string | undefined, field: string): void {
  if (!isNonNegInt(v)) fail(at(section, key, field), 'a non-negative integer');
}
function optInt(v: unknown, section: string, key: string | undefined, field: string): void {
  if (v !== undefined && !isNonNegInt(v)) fail(at(section, key, field), 'a non-negative integer');
}
function optObject(v: unknown, section: string, key: string | undefined, field: string): void {
  if (v !== undefined && !isPlainObject(v)) fail(at(section, key, field), 'an object');
}
function isProtocol(v: unknown): boolean {
  return v === 'http1' || v === 'http2' || v === 'tcp';
}

/** Checks the shape of every known field (one linear pass); unknown keys are kept. */
function validateState(doc: Record<string, unknown>): asserts doc is Record<string, unknown> & State {
  if (doc['version'] !== STATE_VERSION) fail('version', String(STATE_VERSION));
  const apps = objectAt(doc['apps'], 'apps');
  for (const name in apps) checkApp(name, apps[name]);
  const routes = objectAt(doc['routes'], 'routes');
  for (const key in routes) checkRoute(key, routes[key]);
  checkRandomRouteHosts(doc['randomRouteHosts']);
  checkTcpPorts(doc['tcpPorts']);
  checkSettings(doc['settings']);
}

/** An app record as read from a file (`apps[name]`). Throws StateFormatError. */
export function checkApp(name: string, value: unknown): AppRecord {
  const app = objectAt(value, 'apps', name);
  if (app['name'] !== name) fail(at('apps', name, '.name'), `the key ${JSON.stringify(name)}`);
  intAt(app['instances'], 'apps', name, '.instances');
  optInt(app['port'], 'apps', name, '.port');
  optString(app['serviceHost'], 'apps', name, '.serviceHost');
  optString(app['version'], 'apps', name, '.version');
  optObject(app['extra'], 'apps', name, '.extra');
  AS_READ.add(app);
  return app as unknown as AppRecord;
}

/** A route record as read from a file (`routes[key]`). Throws StateFormatError. */
export function checkRoute(key: string, value: unknown): RouteRecord {
  const route = objectAt(value, 'routes', key);
  stringAt(route['fqdn'], 'routes', key, '.fqdn');
  optString(route['host'], 'routes', key, '.host');
  stringAt(route['domain'], 'routes', key, '.domain');
  optString(route['path'], 'routes', key, '.path');
  optInt(route['port'], 'routes', key, '.port');
  if (!isProtocol(route['protocol'])) fail(at('routes', key, '.protocol'), 'one of http1, http2, tcp');
  const options = objectAt(route['options'], 'routes', key, '.options');
  for (const k in options) stringAt(options[k], 'routes', key, `.options.${k}`);
  const dests = route['destinations'];
  if (!Array.isArray(dests)) fail(at('routes', key, '.destinations'), 'an array');
  for (let i = 0; i < dests.length; i++) {
    const dest: unknown = dests[i];
    if (!isPlainObject(dest)) fail(at('routes', key, `.destinations[${i}]`), 'an object');
    stringAt(dest['app'], 'routes', key, `.destinations[${i}].app`);
    const weight = dest['weight'];
    if (weight !== undefined && typeof weight !== 'number') fail(at('routes', key, `.destinations[${i}].weight`), 'a number');
    optInt(dest['port'], 'routes', key, `.destinations[${i}].port`);
    const protocol = dest['protocol'];
    if (protocol !== undefined && !isProtocol(protocol)) {
      fail(at('routes', key, `.destinations[${i}].protocol`), 'one of http1, http2, tcp');
    }
  }
  optObject(route['controls'], 'routes', key, '.controls');
  const want = routeKey(route as unknown as RouteRecord);
  if (key !== want) fail(at('routes', key, ''), `the route key ${JSON.stringify(want)} for this route`);
  AS_READ.add(route);
  return route as unknown as RouteRecord;
}

export function checkRandomRouteHosts(value: unknown): Record<string, string> {
  const hosts = objectAt(value, 'randomRouteHosts');
  for (const k in hosts) stringAt(hosts[k], 'randomRouteHosts', k, '');
  return hosts as Record<string, string>;
}

export function checkTcpPorts(value: unknown): Record<string, number> {
  const ports = objectAt(value, 'tcpPorts');
  for (const k in ports) intAt(ports[k], 'tcpPorts', k, '');
  return ports as Record<string, number>;
}

export function checkSettings(value: unknown): Settings {
  const settings = objectAt(value, 'settings');
  for (const k of ['defaultDomain', 'gateway', 'namespace', 'istioApiVersion', 'api', 'gatewayClass', 'serviceHostTemplate', 'output', 'target', 'kubeconfig', 'context']) {
    optString(settings[k], 'settings', undefined, `.${k}`);
  }
  const internal = settings['internalDomains'];
  if (internal !== undefined) {
    if (!Array.isArray(internal)) fail('settings.internalDomains', 'an array of strings');
    internal.forEach((d: unknown, i) => stringAt(d, 'settings', undefined, `.internalDomains[${i}]`));
  }
  optObject(settings['extra'], 'settings', undefined, '.extra');
  return settings as Settings;
}
