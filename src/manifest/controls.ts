import { isIPv4, isIPv6 } from 'node:net';
import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type ErrorCode, type Warning } from '../diagnostics/tool-error.ts';
import { parseDuration } from './duration.ts';
import { checkRe2 } from './regex.ts';
import type { AppReference, Protocol, RouteAddress } from './types.ts';

/**
 * Checks of the traffic extension that the schema cannot express, each at its YAML position:
 * durations (Istio: ≥ 1ms, whole milliseconds), RE2 regexes (≤ 1024 characters), retry-on tokens,
 * fault percentages, rule weights and paths, keys that make no sense on a TCP route. The values stay
 * as written in the route's `controls`; istio/ translates them once they are known to be valid.
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
      if (problem) err('SCHEMA', problem, ctx.at(retryOn, i), `known: ${RETRY_ON.join(', ')}, or an HTTP status code`);
    });
    if (retries['attempts'] === 0 && ('per-try-timeout' in retries || 'retry-on' in retries)) {
      err('SCHEMA', 'attempts: 0 turns retries off, so per-try-timeout and retry-on cannot be set (Istio refuses the combination)', ctx.at(retries, 'attempts'));
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
    ctx.errors.push(new ToolError('SCHEMA', `route ${what}: percent ${p} is below 0.0001, the smallest share Istio accepts (other than 0)`, { span: ctx.at(container, 'percent') }));
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
      ctx.errors.push(new ToolError('SCHEMA', `route ${what}: "${name}" is not a valid header name`, { span: ctx.keyAt(headers, name), hint: 'letters, digits and !#$%&\'*+-.^_`|~' }));
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
    ctx.errors.push(new ToolError('SCHEMA', `route ${what}: ${label}: an empty prefix matches everything and Istio refuses it`, { span: ctx.at(m, 'prefix'), hint: 'use regex: ".*" to require the header, or leave the condition out' }));
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
    if (!parsed.ok) ctx.errors.push(new ToolError('SCHEMA', `app "${name}": endpoint "${raw}": ${parsed.message}`, { span: ctx.at(endpoints, i) }));
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
