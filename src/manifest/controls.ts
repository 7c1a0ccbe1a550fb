import { isIPv4, isIPv6 } from 'node:net';
import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type ErrorCode, type Warning } from '../diagnostics/tool-error.ts';
import { parseDuration } from './duration.ts';
import { checkRe2 } from './regex.ts';
import { formatDuration } from './duration.ts';
import type {
  AppExtensions,
  CircuitBreaker,
  ControlKey,
  ControlSpans,
  Endpoint,
  FaultInjection,
  LoadBalancing,
  LoadBalancingAlgorithm,
  MatchRule,
  NamedMatch,
  RequestControls,
  RequestMatch,
  RetryPolicy,
  RouteControls,
  StringMatch,
} from './traffic.ts';
import { CONTROL_KEYS } from './traffic.ts';
import type { AppReference, Protocol, RouteAddress } from './types.ts';

/**
 * The manifest's shape of the traffic extension (docs/manifest.md), in three parts:
 * - checks the schema cannot express, each at its YAML position: durations (Istio: ≥ 1ms, whole
 *   milliseconds), RE2 regexes (≤ 1024 characters), retry-on tokens, fault percentages, rule
 *   weights and paths, keys that make no sense on a TCP route (checkRouteControls, checkAppExtensions);
 * - the one parser from that shape to the typed values of traffic.ts (parseRouteControls,
 *   parseLoadBalancing, parseAppExtensions), used for a manifest and for the state, which stores the
 *   manifest's shape. It reads what is well-formed and leaves the rest out: the checks (and, for a
 *   manifest, the schema) have reported it;
 * - the way back, typed values → the manifest's shape (toManifestControls, toRouteOptions), for the state.
 */
export interface CheckContext {
  /** The span of a value in the manifest (falls back to its container). */
  readonly at: (container: object, key: string | number) => SourceSpan;
  /** The span of a map key. */
  readonly keyAt: (container: object, key: string | number) => SourceSpan;
  readonly errors: ToolError[];
  readonly warnings: Warning[];
}

/** Istio's retryOn values (validation.go supportedRetryOnPolicies); numeric status codes are allowed too. */
export const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
] as const;

const HTTP_ONLY_KEYS = ['timeout', 'retries', 'fault', 'mirror', 'methods', 'tls', 'rules'] as const;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;

/** Why a retry-on token is not one Istio accepts, or undefined. */
export function checkRetryOnToken(token: string): string | undefined {
  if ((RETRY_ON as readonly string[]).includes(token)) return undefined;
  if (/^\d{3}$/.test(token) && Number(token) >= 100 && Number(token) <= 599) return undefined;
  if (/[\s,]/.test(token)) return `retry-on "${token}" holds a comma or a space; list each condition as its own item`;
  return `retry-on "${token}" is not a condition Istio knows`;
}

/** Validates the extension keys of one route entry; returns the apps it names besides its destinations. */
export function checkRouteControls(entry: Record<string, unknown>, address: RouteAddress, protocol: Protocol, ctx: CheckContext): AppReference[] {
  const url = `${address.fqdn}${address.port !== undefined ? `:${address.port}` : ''}${address.path ?? ''}`;
  const refs: AppReference[] = [];
  const err = (code: ErrorCode, message: string, span: SourceSpan, hint?: string) => ctx.errors.push(new ToolError(code, `route ${url}: ${message}`, { span, hint }));

  if (protocol === 'tcp') {
    for (const key of HTTP_ONLY_KEYS) {
      if (key in entry) err('ROUTE_INVALID', `\`${key}\` applies to HTTP routes only, and this is a TCP route`, ctx.keyAt(entry, key), 'remove it, or make the route an HTTP route');
    }
    return refs;
  }
  checkHttpControls(entry, url, ctx);
  const mirror = asMap(entry['mirror']);
  if (typeof mirror['name'] === 'string') refs.push({ app: mirror['name'], span: ctx.at(mirror, 'name'), role: 'mirror', route: url });
  const tls = entry['tls'];
  if (isMap(tls) && typeof tls['credential-name'] !== 'string') {
    err('ROUTE_INVALID', 'tls needs `credential-name`, the secret that holds the certificate for the HTTPS server', ctx.keyAt(entry, 'tls'));
  }
  const rules = Array.isArray(entry['rules']) ? (entry['rules'] as unknown[]) : [];
  const seen = new Map<string, number>();
  rules.forEach((raw, i) => {
    const rule = asMap(raw);
    const ruleSpan = ctx.at(rules, i);
    checkHttpControls(rule, `${url} rule ${i + 1}`, ctx);
    const match = asMap(rule['match']);
    checkMatch(match, address.path, `${url} rule ${i + 1}`, ctx);
    const key = JSON.stringify(match);
    const earlier = seen.get(key);
    if (earlier !== undefined) err('ROUTE_INVALID', `rule ${i + 1} can never match: rule ${earlier + 1} has the same match and comes first`, ruleSpan, 'merge the two rules or make the later one more specific');
    else seen.set(key, i);
    const destinations = Array.isArray(rule['destinations']) ? (rule['destinations'] as unknown[]) : [];
    for (let j = 0; j < destinations.length; j++) {
      const d = asMap(destinations[j]);
      if (typeof d['name'] === 'string') refs.push({ app: d['name'], span: ctx.at(destinations, j), role: `rule ${i + 1} destination`, route: url });
    }
    checkRuleWeights(destinations, `${url} rule ${i + 1}`, ruleSpan, ctx);
  });
  return refs;
}

/** timeout, retries and fault: valid on a route and on each of its rules. */
function checkHttpControls(entry: Record<string, unknown>, what: string, ctx: CheckContext): void {
  const err = (code: ErrorCode, message: string, span: SourceSpan, hint?: string) => ctx.errors.push(new ToolError(code, `route ${what}: ${message}`, { span, hint }));
  checkDuration(entry, 'timeout', what, ctx);
  const retries = entry['retries'];
  if (isMap(retries)) {
    checkDuration(retries, 'per-try-timeout', what, ctx);
    const retryOn = Array.isArray(retries['retry-on']) ? (retries['retry-on'] as unknown[]) : [];
    retryOn.forEach((token, i) => {
      if (typeof token !== 'string') return;
      const problem = checkRetryOnToken(token);
      if (problem) err('TRAFFIC_INVALID', problem, ctx.at(retryOn, i), `known: ${RETRY_ON.join(', ')}, or an HTTP status code`);
    });
    if (retries['attempts'] === 0 && ('per-try-timeout' in retries || 'retry-on' in retries)) {
      err('TRAFFIC_INVALID', 'attempts: 0 turns retries off, so per-try-timeout and retry-on cannot be set (Istio refuses the combination)', ctx.at(retries, 'attempts'));
    }
  }
  const fault = entry['fault'];
  if (isMap(fault)) {
    const delay = fault['delay'];
    if (isMap(delay)) {
      checkDuration(delay, 'fixed', what, ctx);
      checkPercent(delay, what, ctx);
    }
    const abort = fault['abort'];
    if (isMap(abort)) checkPercent(abort, what, ctx);
  }
}

function checkDuration(container: Record<string, unknown>, key: string, what: string, ctx: CheckContext): void {
  const value = container[key];
  if (typeof value !== 'string') return;
  const parsed = parseDuration(value);
  if (!parsed.ok) ctx.errors.push(new ToolError('DURATION', `route ${what}: ${key}: ${parsed.message}`, { span: ctx.at(container, key), hint: 'Istio durations are whole milliseconds, at least 1ms: 500ms, 1s, 1m30s' }));
}

function checkPercent(container: Record<string, unknown>, what: string, ctx: CheckContext): void {
  const p = container['percent'];
  if (typeof p === 'number' && p > 0 && p < 0.0001) {
    ctx.errors.push(new ToolError('TRAFFIC_INVALID', `route ${what}: percent ${p} is below 0.0001, the smallest share Istio accepts (other than 0)`, { span: ctx.at(container, 'percent') }));
  }
}

function checkMatch(match: Record<string, unknown>, routePath: string | undefined, what: string, ctx: CheckContext): void {
  const headers = asMap(match['headers']);
  // Header names are case-insensitive (RFC 9110 §5.1; Envoy and Istio match them lowercased), so two
  // conditions whose names differ only in case are on one header, and one would silently replace the other.
  const seenNames = new Map<string, string>();
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    const other = seenNames.get(lower);
    if (other !== undefined) {
      ctx.errors.push(new ToolError('ROUTE_INVALID', `route ${what}: headers "${other}" and "${name}" are one header (header names are case-insensitive)`, { span: ctx.keyAt(headers, name), hint: 'merge the two conditions into one' }));
    }
    seenNames.set(lower, name);
  }
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      ctx.errors.push(new ToolError('TRAFFIC_INVALID', `route ${what}: "${name}" is not a valid header name`, { span: ctx.keyAt(headers, name), hint: 'letters, digits and !#$%&\'*+-.^_`|~' }));
    }
    checkStringMatch(asMap(headers[name]), `header ${name}`, false, what, ctx);
  }
  const params = asMap(match['query-params']);
  for (const name of Object.keys(params)) checkStringMatch(asMap(params[name]), `query parameter ${name}`, false, what, ctx);
  if (isMap(match['method'])) checkStringMatch(match['method'], 'method', false, what, ctx);
  const path = match['path'];
  if (isMap(path)) {
    checkStringMatch(path, 'path', true, what, ctx);
    const problem = routePath === undefined ? undefined : pathWithinRoute(path, routePath);
    if (problem) ctx.errors.push(new ToolError('ROUTE_INVALID', `route ${what}: ${problem}`, { span: ctx.at(match, 'path'), hint: `a rule on route path ${routePath} only sees requests to ${routePath} and ${routePath}/...` }));
  }
}

function checkStringMatch(m: Record<string, unknown>, label: string, allowEmptyPrefix: boolean, what: string, ctx: CheckContext): void {
  if (typeof m['regex'] === 'string') {
    const problem = checkRe2(m['regex']);
    if (problem) ctx.errors.push(new ToolError('REGEX', `route ${what}: ${label}: ${problem}`, { span: ctx.at(m, 'regex'), hint: 'Istio uses RE2 syntax (github.com/google/re2/wiki/Syntax)' }));
  }
  if (m['prefix'] === '' && !allowEmptyPrefix) {
    ctx.errors.push(new ToolError('TRAFFIC_INVALID', `route ${what}: ${label}: an empty prefix matches everything and Istio refuses it`, { span: ctx.at(m, 'prefix'), hint: 'use regex: ".*" to require the header, or leave the condition out' }));
  }
}

/**
 * A rule on a path route only ever sees that path's requests (cf semantics), so its own path
 * condition must lie inside the route's: an exact path at or below it, a prefix below it (or one the
 * route's path already implies). A regex cannot be intersected with the route's path.
 */
export function pathWithinRoute(m: Readonly<Record<string, unknown>>, routePath: string): string | undefined {
  // The route's path is canonical (lowercase, route-address.ts) and matched in any case: so is the rule's.
  const inside = (p: string) => p.toLowerCase() === routePath || p.toLowerCase().startsWith(`${routePath}/`);
  if (typeof m['exact'] === 'string' && !inside(m['exact'])) return `path ${m['exact']} is outside the route's path ${routePath}, so the rule could never match`;
  if (typeof m['prefix'] === 'string' && !inside(m['prefix']) && !routePath.startsWith(m['prefix'].toLowerCase())) {
    return `path prefix ${m['prefix']} does not overlap the route's path ${routePath}, so the rule could never match`;
  }
  if (typeof m['regex'] === 'string') return 'a path regex cannot be combined with the route\'s own path; put the rule on a route without a path';
  return undefined;
}

/** Rule destinations follow the route rules: weights all or none, integers 0–100, summing to 100. */
function checkRuleWeights(destinations: readonly unknown[], what: string, ruleSpan: SourceSpan, ctx: CheckContext): void {
  const list = destinations.map((d, i) => ({ d: asMap(d), span: ctx.at(destinations, i) }));
  const names = new Set<string>();
  for (const { d, span } of list) {
    const name = String(d['name']);
    if (names.has(name)) ctx.errors.push(new ToolError('DUPLICATE_DESTINATION', `route ${what}: app "${name}" is listed twice`, { span }));
    names.add(name);
  }
  const weighted = list.filter(({ d }) => d['weight'] !== undefined);
  if (weighted.length === 0) return;
  if (weighted.length !== list.length) {
    const unweighted = list.find(({ d }) => d['weight'] === undefined);
    ctx.errors.push(new ToolError('WEIGHTS', `route ${what}: Destinations cannot contain both weighted and unweighted destinations`, { span: unweighted?.span ?? ruleSpan, hint: 'give every destination a weight, or none' }));
    return;
  }
  let sum = 0;
  for (const { d, span } of weighted) {
    const w = d['weight'];
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100) {
      ctx.errors.push(new ToolError('WEIGHTS', `route ${what}: weight of "${String(d['name'])}" must be an integer from 0 to 100 (got ${String(w)})`, { span }));
      return;
    }
    sum += w;
  }
  if (sum !== 100) ctx.errors.push(new ToolError('WEIGHTS', `route ${what}: weights sum to ${sum}, they must sum to 100`, { span: ruleSpan }));
}

/** App-level extension keys: circuit-breaker durations and endpoint ports. */
export function checkAppExtensions(app: Record<string, unknown>, name: string, ctx: CheckContext): void {
  const cb = app['circuit-breaker'];
  if (isMap(cb)) {
    for (const key of ['interval', 'base-ejection-time']) {
      const value = cb[key];
      if (typeof value !== 'string') continue;
      const parsed = parseDuration(value);
      if (!parsed.ok) ctx.errors.push(new ToolError('DURATION', `app "${name}": circuit-breaker ${key}: ${parsed.message}`, { span: ctx.at(cb, key) }));
    }
  }
  const endpoints = Array.isArray(app['endpoints']) ? (app['endpoints'] as unknown[]) : [];
  endpoints.forEach((raw, i) => {
    if (typeof raw !== 'string') return;
    const parsed = parseEndpoint(raw);
    if (!parsed.ok) ctx.errors.push(new ToolError('TRAFFIC_INVALID', `app "${name}": endpoint "${raw}": ${parsed.message}`, { span: ctx.at(endpoints, i) }));
  });
}

export type ParsedEndpoint =
  | { readonly ok: true; readonly address: string; readonly port: number | undefined; readonly ip: boolean }
  | { readonly ok: false; readonly message: string };

/** `ip-or-host[:port]`, IPv6 in brackets when it has a port. */
export function parseEndpoint(text: string): ParsedEndpoint {
  let address = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    address = bracket[1] as string;
    portText = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [address, portText] = text.split(':') as [string, string];
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) return { ok: false, message: `port ${portText} must be from 1 to 65535` };
  }
  // As Istio (Go's netip) reads addresses: no leading zeros in IPv4 octets, no IPv6 zone.
  if (/^[\d.]+$/.test(address) && address.split('.').length === 4) {
    return isIPv4(address) ? { ok: true, address, port, ip: true } : { ok: false, message: 'is not a valid IPv4 address (octets 0-255, no leading zeros)' };
  }
  if (address.includes(':')) {
    return isIPv6(address) && !address.includes('%') ? { ok: true, address: address.toLowerCase(), port, ip: true } : { ok: false, message: 'is not a valid IPv6 address' };
  }
  if (/^\d+(\.\d+)*$/.test(address)) return { ok: false, message: 'is neither an IP address nor a host name' };
  if (!address.includes('.')) return { ok: false, message: 'a host name endpoint must be fully qualified (contain a dot)' };
  return { ok: true, address: address.toLowerCase(), port, ip: false };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asMap(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

// ---------------------------------------------------------------------------------------------
// The parser: the manifest's shape → typed values (traffic.ts)

/** Where the parsed values are written, for the spans the typed values carry (undefined: not from a file). */
export interface SpanLookup {
  readonly at: (container: object, key: string | number) => SourceSpan | undefined;
  readonly keyAt: (container: object, key: string | number) => SourceSpan | undefined;
}

/** A route entry's control keys (or the state's `controls`, which keeps them as written) → RouteControls. */
export function parseRouteControls(raw: Readonly<Record<string, unknown>>, where?: SpanLookup): RouteControls {
  const out: Writable<RouteControls> = parseRequestControls(raw);
  const mirror = raw['mirror'];
  if (isMap(mirror) && typeof mirror['name'] === 'string') out.mirror = withPercent({ app: mirror['name'] }, mirror);
  const methods = raw['methods'];
  if (Array.isArray(methods)) out.methods = methods.map(String);
  const tls = raw['tls'];
  if (isMap(tls) && typeof tls['credential-name'] === 'string') out.tls = { credentialName: tls['credential-name'], httpsRedirect: tls['https-redirect'] === true };
  const rules = raw['rules'];
  if (Array.isArray(rules)) out.rules = rules.flatMap((rule, i) => (isMap(rule) ? [parseRule(rule, where?.at(rules, i))] : []));
  if (where) {
    const spans: Partial<Record<ControlKey, SourceSpan>> = {};
    for (const key of CONTROL_KEYS) {
      if (!(key in out) && !(key === 'timeout' && 'timeoutMs' in out)) continue;
      const span = where.keyAt(raw, key);
      if (span) spans[key] = span;
    }
    if (Object.keys(spans).length > 0) out.spans = spans as ControlSpans;
  }
  return out;
}

function parseRequestControls(raw: Readonly<Record<string, unknown>>): Writable<RequestControls> {
  const out: Writable<RequestControls> = {};
  const timeout = durationMs(raw['timeout']);
  if (timeout !== undefined) out.timeoutMs = timeout;
  const retries = raw['retries'];
  if (isMap(retries)) {
    const policy: Writable<RetryPolicy> = {};
    if (typeof retries['attempts'] === 'number') policy.attempts = retries['attempts'];
    const perTry = durationMs(retries['per-try-timeout']);
    if (perTry !== undefined) policy.perTryTimeoutMs = perTry;
    if (Array.isArray(retries['retry-on'])) policy.retryOn = (retries['retry-on'] as unknown[]).map(String);
    out.retries = policy;
  }
  const fault = raw['fault'];
  if (isMap(fault)) {
    const parsed: Writable<FaultInjection> = {};
    const delay = fault['delay'];
    const fixed = isMap(delay) ? durationMs(delay['fixed']) : undefined;
    if (isMap(delay) && fixed !== undefined) parsed.delay = withPercent({ fixedMs: fixed }, delay);
    const abort = fault['abort'];
    if (isMap(abort) && typeof abort['http-status'] === 'number') parsed.abort = withPercent({ httpStatus: abort['http-status'] }, abort);
    if (parsed.delay || parsed.abort) out.fault = parsed;
  }
  return out;
}

function parseRule(rule: Readonly<Record<string, unknown>>, span: SourceSpan | undefined): MatchRule {
  const list = Array.isArray(rule['destinations']) ? (rule['destinations'] as unknown[]) : [];
  const destinations = list.filter(isMap).map((d) => (typeof d['weight'] === 'number' ? { app: String(d['name']), weight: d['weight'] } : { app: String(d['name']) }));
  const out: Writable<MatchRule> = { ...parseRequestControls(rule), match: parseMatch(asMap(rule['match'])), destinations };
  if (span) out.span = span;
  return out;
}

function parseMatch(match: Readonly<Record<string, unknown>>): RequestMatch {
  const out: Writable<RequestMatch> = { headers: namedMatches(match['headers']), queryParams: namedMatches(match['query-params']) };
  const method = parseStringMatch(match['method']);
  if (method) out.method = method;
  const path = parseStringMatch(match['path']);
  if (path) out.path = path;
  return out;
}

function namedMatches(value: unknown): NamedMatch[] {
  const out: NamedMatch[] = [];
  for (const [name, m] of Object.entries(asMap(value))) {
    const match = parseStringMatch(m);
    if (match) out.push({ name, match });
  }
  return out;
}

/** `{exact | prefix | regex: TEXT}` (the schema allows exactly one). */
export function parseStringMatch(value: unknown): StringMatch | undefined {
  if (!isMap(value)) return undefined;
  for (const type of ['exact', 'prefix', 'regex'] as const) {
    const text = value[type];
    if (typeof text === 'string') return { type, value: text };
  }
  return undefined;
}

const ALGORITHMS: readonly LoadBalancingAlgorithm[] = ['round-robin', 'least-connection', 'hash'];

/** cf's route `options` (strings, as Cloud Controller stores them) → LoadBalancing; undefined when they set none. */
export function parseLoadBalancing(options: Readonly<Record<string, string>>): LoadBalancing | undefined {
  const out: Writable<LoadBalancing> = {};
  const algorithm = options['loadbalancing'];
  if ((ALGORITHMS as readonly (string | undefined)[]).includes(algorithm)) out.algorithm = algorithm as LoadBalancingAlgorithm;
  if (options['hash_header'] !== undefined) out.hashHeader = options['hash_header'];
  const balance = options['hash_balance'] !== undefined ? Number(options['hash_balance']) : Number.NaN;
  if (Number.isFinite(balance)) out.hashBalance = balance;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** An app's extension keys (`service`, `version`, `circuit-breaker`, `endpoints`) → AppExtensions. */
export function parseAppExtensions(app: Readonly<Record<string, unknown>>): AppExtensions {
  const out: Writable<AppExtensions> = {};
  if (typeof app['service'] === 'string') out.service = app['service'];
  if (typeof app['version'] === 'string') out.version = app['version'];
  const cb = app['circuit-breaker'];
  if (isMap(cb)) {
    const breaker: Writable<CircuitBreaker> = {};
    const count = (key: string, set: (n: number) => void) => {
      if (typeof cb[key] === 'number') set(cb[key]);
    };
    count('max-connections', (n) => (breaker.maxConnections = n));
    count('max-pending-requests', (n) => (breaker.maxPendingRequests = n));
    count('max-requests-per-connection', (n) => (breaker.maxRequestsPerConnection = n));
    count('consecutive-errors', (n) => (breaker.consecutiveErrors = n));
    const interval = durationMs(cb['interval']);
    if (interval !== undefined) breaker.intervalMs = interval;
    const ejection = durationMs(cb['base-ejection-time']);
    if (ejection !== undefined) breaker.baseEjectionTimeMs = ejection;
    count('max-ejection-percent', (n) => (breaker.maxEjectionPercent = n));
    out.circuitBreaker = breaker;
  }
  const endpoints = app['endpoints'];
  if (Array.isArray(endpoints)) {
    out.endpoints = endpoints.flatMap((raw): Endpoint[] => {
      const parsed = parseEndpoint(String(raw));
      if (!parsed.ok) return [];
      return [parsed.port !== undefined ? { address: parsed.address, port: parsed.port, ip: parsed.ip } : { address: parsed.address, ip: parsed.ip }];
    });
  }
  return out;
}

function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = parseDuration(value);
  return parsed.ok ? parsed.ms : undefined;
}

function withPercent<T extends object>(value: T, container: Readonly<Record<string, unknown>>): T & { percent?: number } {
  return typeof container['percent'] === 'number' ? { ...value, percent: container['percent'] } : value;
}

// ---------------------------------------------------------------------------------------------
// The way back: typed values → the manifest's shape (what the state stores)

/** RouteControls → the control keys of a route entry, durations in canonical Go form; parseRouteControls reads it back to the same values. */
export function toManifestControls(controls: RouteControls): Record<string, unknown> {
  const out = manifestRequestControls(controls);
  if (controls.mirror) out['mirror'] = withManifestPercent({ name: controls.mirror.app }, controls.mirror.percent);
  if (controls.methods) out['methods'] = [...controls.methods];
  if (controls.tls) out['tls'] = controls.tls.httpsRedirect ? { 'credential-name': controls.tls.credentialName, 'https-redirect': true } : { 'credential-name': controls.tls.credentialName };
  if (controls.rules) out['rules'] = controls.rules.map(manifestRule);
  return out;
}

function manifestRequestControls(controls: RequestControls): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (controls.timeoutMs !== undefined) out['timeout'] = formatDuration(controls.timeoutMs);
  const r = controls.retries;
  if (r) {
    const retries: Record<string, unknown> = {};
    if (r.attempts !== undefined) retries['attempts'] = r.attempts;
    if (r.perTryTimeoutMs !== undefined) retries['per-try-timeout'] = formatDuration(r.perTryTimeoutMs);
    if (r.retryOn !== undefined) retries['retry-on'] = [...r.retryOn];
    out['retries'] = retries;
  }
  const f = controls.fault;
  if (f) {
    const fault: Record<string, unknown> = {};
    if (f.delay) fault['delay'] = withManifestPercent({ fixed: formatDuration(f.delay.fixedMs) }, f.delay.percent);
    if (f.abort) fault['abort'] = withManifestPercent({ 'http-status': f.abort.httpStatus }, f.abort.percent);
    out['fault'] = fault;
  }
  return out;
}

function manifestRule(rule: MatchRule): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  const named = (list: readonly NamedMatch[]) => Object.fromEntries(list.map((m) => [m.name, manifestStringMatch(m.match)]));
  if (rule.match.headers.length > 0) match['headers'] = named(rule.match.headers);
  if (rule.match.queryParams.length > 0) match['query-params'] = named(rule.match.queryParams);
  if (rule.match.method) match['method'] = manifestStringMatch(rule.match.method);
  if (rule.match.path) match['path'] = manifestStringMatch(rule.match.path);
  const destinations = rule.destinations.map((d) => (d.weight !== undefined ? { name: d.app, weight: d.weight } : { name: d.app }));
  return { ...manifestRequestControls(rule), match, destinations };
}

function manifestStringMatch(m: StringMatch): Record<string, string> {
  return { [m.type]: m.value };
}

function withManifestPercent(value: Record<string, unknown>, percent: number | undefined): Record<string, unknown> {
  return percent !== undefined ? { ...value, percent } : value;
}

/** LoadBalancing → cf's route `options` (strings). */
export function toRouteOptions(lb: LoadBalancing | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (lb?.hashBalance !== undefined) out['hash_balance'] = String(lb.hashBalance);
  if (lb?.hashHeader !== undefined) out['hash_header'] = lb.hashHeader;
  if (lb?.algorithm !== undefined) out['loadbalancing'] = lb.algorithm;
  return out;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
