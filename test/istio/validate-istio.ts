/**
 * Test-side checker: proves that every document cfmesh emits is valid Istio (1.30.3) configuration, and that it
 * follows cfmesh's own product rules. It needs only `crd-schemas.json` (committed), never `/work/shared`.
 *
 *   validateIstio(resources)     -> Problem[]   (empty means valid)
 *   assertValidIstio(resources)  -> throws AssertionError listing every problem
 *
 * Problem.rule prefixes:
 *   meta/...     top-level shape, apiVersion, metadata name/namespace/labels/annotations
 *   schema/...   CRD openAPIV3Schema (ajv), unknown fields are errors (istioctl validate parses spec strictly)
 *   cel          CRD `x-kubernetes-validations` (all 24 rule texts of these kinds re-implemented; see crd-schema.ts)
 *   go/...       Istio Go validation (webhook / `istioctl validate`, research/istio.md part b), incl. warnings
 *   IST0xxx      `istioctl analyze` equivalents computed across the resource set
 *   cfmesh/...   cfmesh product rules (stricter than Istio): explicit integer route weights summing to exactly 100
 *                (a lone destination may omit its weight), one VirtualService per host across the set, at most one
 *                catch-all http rule and it is last, lower-case match header names, consistentHash sets a key,
 *                label app.kubernetes.io/managed-by=cfmesh on every resource
 *
 * Cross-resource (`istioctl analyze` equivalents within the set): IST0101 VS gateway exists (bare names and
 * `ns/name` in a namespace the set emits Gateways into; other `ns/name` refs are external and skipped), IST0101
 * every destination/mirror subset is defined by a DestinationRule for that host (short names resolved in the
 * resource's namespace), IST0132 VS hosts covered by the bound gateway's server hosts, IST0145 no two Gateways
 * with the same selector + port (+ bind) and a host written the same in both, IST0130/IST0131 unreachable rules / ineffective
 * matches (implication-based: an earlier match that matches a superset of a later match shadows it).
 *
 * Checked, beyond schema + CEL (research/istio.md part b; Istio 1.30.3 pkg/config/validation):
 *   hosts (FQDN / wildcard-domain / partial-wildcard / `*` only on gateway-bound VSs / overlapping hosts), gateway
 *   references, durations (>= 1ms, whole ms; tcp.idleTimeout may be 0s), weights (>= 0, not all zero), RE2 regexes
 *   (compiled with re2js, <= 1024 chars, non-empty), retries (retryOn tokens / Go-known status codes, no spaces,
 *   attempts 0 + policy), fault (abort 200..600, gRPC names, http2Error / exponentialDelay unsupported,
 *   percentages), one of route / redirect / directResponse, redirect / rewrite / directResponse / mirror rules,
 *   header-operation and match header names, JWT-claim routing only when gateway-bound, TCP/TLS route shape and SNI
 *   subset, exportTo; Gateway servers / port names / protocols / bind / targetPort / hosts / TLS placement and mode
 *   rules; DestinationRule subsets, trafficPolicy / connectionPool / portLevelSettings emptiness, outlier detection,
 *   consistentHash / maglev / locality / warmup, client TLS; ServiceEntry resolution, endpoints, ports, addresses;
 *   WorkloadEntry address / ports / labels; PeerAuthentication and AuthorizationPolicy rule shape, targetRefs.
 *   Istio *warnings* are reported as problems too (cfmesh output must validate clean), e.g. IST0002 deprecations,
 *   `consecutiveErrors`, httpsRedirect on non-HTTP ports, PASSTHROUGH with certificates, selectors without labels.
 *
 * Deliberately NOT checked (need a cluster, mesh config or are irrelevant to what cfmesh emits):
 *   - existence of Services/pods/secrets (IST0101 host, IST0173/0174, IST0161, IST0162), injection, IST0112 ports
 *   - IST0134 (SE TCP ports without addresses: depends on DNS auto-allocation in mesh config)
 *   - delegate VS merge semantics (b.8 match-subset rules), exportTo visibility between namespaces,
 *     IST0128 (DR SIMPLE/MUTUAL without caCertificates), TLS cipher-suite / min-version warnings
 *   - header value `%...%` format-expression syntax (only control characters are checked), the authority-set-once
 *     rule, corsPolicy details other than allowOrigins regexes
 *   - Sidecar Go rules (only schema + CEL), AuthorizationPolicy `when` value syntax per key and path templates
 *   - IST0109 is subsumed by cfmesh's stricter one-VirtualService-per-host rule
 */
import { AssertionError } from 'node:assert';
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import type { Resource } from '../../src/resource/resource.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/resource/resource.ts';
import { kindInfo, parseGoDuration, pointerToPath, validateSpecSchema } from './crd-schema.ts';

export interface Problem {
  /** `Kind/namespace/name` */
  readonly id: string;
  /** dotted path inside the object, e.g. `spec.http[0].route[1].weight` */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

type Obj = Readonly<Record<string, unknown>>;
type Report = (path: string, rule: string, message: string) => void;

// ---------------------------------------------------------------------------------------------------------------
// small helpers

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const has = (o: unknown, k: string): boolean => isObj(o) && Object.hasOwn(o, k) && o[k] !== null && o[k] !== undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const sub = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : pointerToPath(path, `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Istio's DNS-1123 label check (agent/validation.go) accepts upper case. */
const ISTIO_DNS_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export const isDnsLabel = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);
const isIstioDnsLabel = (s: string): boolean => s.length <= 63 && ISTIO_DNS_LABEL.test(s);
export const isDnsSubdomain = (s: string): boolean =>
  s.length > 0 && s.length <= 253 && s.split('.').every((l) => DNS1123_LABEL.test(l));

export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}
export const isLabelValue = (v: string): boolean => v === '' || (v.length <= 63 && QUALIFIED_NAME.test(v));

function isCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(ip);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}
const isIpOrCidr = (s: string): boolean => isIP(s) !== 0 || isCidr(s);

/** Istio ValidateFQDN-style label list check: DNS-1123 labels, optional trailing dot, TLD not all digits. */
function dnsLabelsError(domain: string): string | undefined {
  const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const labels = d.split('.');
  const bad = labels.find((l) => !isIstioDnsLabel(l));
  if (bad !== undefined) return `domain name "${domain}" invalid (label "${bad}" invalid)`;
  const tld = labels[labels.length - 1] ?? '';
  if (/^\d+$/.test(tld)) return `domain name "${domain}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  return undefined;
}

export function fqdnError(host: string): string | undefined {
  if (host.length === 0 || host.length > 255) return `domain name "${host}" must be 1..255 characters`;
  return dnsLabelsError(host);
}

/** Istio ValidateWildcardDomain: `*`, `*foo`, `*-foo` only in the first label, the rest DNS-1123. */
export function wildcardDomainError(host: string): string | undefined {
  if (host.length === 0 || host.length > 255) return `domain name "${host}" must be 1..255 characters`;
  const dot = host.indexOf('.');
  const first = dot >= 0 ? host.slice(0, dot) : host;
  const rest = dot >= 0 ? host.slice(dot + 1) : '';
  if (rest !== '') {
    const e = dnsLabelsError(rest);
    if (e !== undefined) return e;
  }
  const wildcardOk = first === '*' || (/^\*[-a-zA-Z0-9]*[a-zA-Z0-9]$/.test(first) && first.length <= 63);
  if (!wildcardOk && !isIstioDnsLabel(first)) return `domain name "${host}" invalid (label "${first}" invalid)`;
  return undefined;
}

/** Istio ValidatePartialWildCard: `*` must be the whole host or a leading `*.`. */
function partialWildcardError(host: string): string | undefined {
  if (!host.includes('*')) return undefined;
  if (host === '*' || (host.startsWith('*.') && !host.slice(1).includes('*'))) return undefined;
  return `partial wildcard "${host}" not allowed`;
}

/** host.Name.Matches: do two (possibly wildcard) host names overlap? */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw) {
    const as = a.slice(1);
    const bs = b.slice(1);
    return as.endsWith(bs) || bs.endsWith(as);
  }
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return false;
}

/** host.Name.SubsetOf: is every name matched by `a` also matched by `b`? */
export function hostSubsetOf(a: string, b: string): boolean {
  if (a === b || b === '*') return true;
  if (!b.startsWith('*')) return false;
  const suffix = b.slice(1);
  return a.startsWith('*') ? a.slice(1).endsWith(suffix) : a.endsWith(suffix);
}

/** Short names resolve in the namespace of the resource that uses them. */
export function fqdn(host: string, namespace: string): string {
  if (host.includes('.') || host.includes('*') || isIP(host) !== 0) return host.endsWith('.') ? host.slice(0, -1) : host;
  return `${host}.${namespace}.svc.cluster.local`;
}

const MS = 1_000_000n;
function checkDuration(v: unknown, path: string, report: Report, allowZero = false): void {
  if (v === undefined || v === null) return;
  const ns = typeof v === 'string' ? parseGoDuration(v) : undefined;
  if (ns === undefined) {
    report(path, 'go/duration', `invalid duration ${JSON.stringify(v)} (Go duration string such as "10s", "250ms")`);
    return;
  }
  if (allowZero && ns === 0n) return;
  if (ns < MS) report(path, 'go/duration', `duration must be greater than 1ms (got ${String(v)})`);
  else if (ns % MS !== 0n) report(path, 'go/duration', `only durations to ms precision are supported (got ${String(v)})`);
}

export function regexError(re: string): string | undefined {
  if (re === '') return 'regex string match should not be empty';
  if (re.length > 1024) return `regex is too long (${re.length} > 1024 characters)`;
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (e) {
    return `"${re}" is not a valid regex, Istio uses RE2 style regex-based match: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function checkStringMatch(v: unknown, path: string, report: Report, allowEmptyPrefix: boolean): void {
  if (v === null) {
    report(path, 'go/string-match', 'string match must not be null');
    return;
  }
  if (!isObj(v)) return;
  if (has(v, 'regex')) {
    const e = regexError(str(v['regex']));
    if (e !== undefined) report(sub(path, 'regex'), 'go/regex', e);
  }
  if (has(v, 'prefix') && v['prefix'] === '' && !allowEmptyPrefix) {
    report(sub(path, 'prefix'), 'go/string-match', 'prefix string match should not be empty');
  }
}

function checkLabels(v: unknown, path: string, report: Report, rule: string): void {
  for (const [k, val] of Object.entries(obj(v))) {
    if (!isLabelKey(k)) report(sub(path, k), rule, `invalid label key ${JSON.stringify(k)}`);
    if (typeof val !== 'string' || !isLabelValue(val)) report(sub(path, k), rule, `invalid label value ${JSON.stringify(val)}`);
  }
}

function checkPort(v: unknown, path: string, report: Report): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) report(path, 'go/port', `port number ${String(v)} must be in the range 1..65535`);
}

function checkPercentage(v: unknown, path: string, report: Report): void {
  const value = num(obj(v)['value']);
  if (value === undefined) return;
  if (value < 0 || value > 100) report(sub(path, 'value'), 'go/percentage', `percentage ${value} is not in range 0..100`);
  else if (value > 0 && value < 0.0001) report(sub(path, 'value'), 'go/percentage', `percentage ${value} is too small (minimum 0.0001)`);
}

/** validateExportTo (b.14). `~` is allowed for ServiceEntry only. */
function checkExportTo(v: unknown, namespace: string, path: string, report: Report, allowTilde: boolean): void {
  const list = arr(v).map(str);
  if (list.length === 0) return;
  const seen = new Set<string>();
  list.forEach((e, i) => {
    const p = sub(path, i);
    const norm = e === '.' ? namespace : e;
    if (seen.has(norm)) report(p, 'go/export-to', `duplicate entry in exportTo: ${e}`);
    seen.add(norm);
    if (e === '*' || e === '~') {
      if (e === '~' && !allowTilde) report(p, 'go/export-to', 'exportTo "~" is only allowed for ServiceEntry');
      if (list.length > 1) report(p, 'go/export-to', `exportTo "${e}" must be the only entry`);
    } else if (e !== '.' && !isDnsLabel(e)) {
      report(p, 'go/export-to', `exportTo entry "${e}" is not a valid namespace name`);
    }
  });
}

/** validateGatewayNames (VS `gateways`, match `gateways`). */
function checkGatewayNames(v: unknown, path: string, report: Report): void {
  arr(v).forEach((g, i) => {
    const name = str(g);
    const p = sub(path, i);
    if (name === 'mesh') return;
    const parts = name.split('/');
    if (parts.length === 2) {
      const [ns, n] = parts as [string, string];
      if (!isIstioDnsLabel(ns)) report(p, 'go/gateway-name', `invalid gateway namespace "${ns}" in "${name}"`);
      if (!isIstioDnsLabel(n)) report(p, 'go/gateway-name', `invalid gateway name "${n}" in "${name}" (must be a DNS-1123 label)`);
    } else if (parts.length > 2) {
      report(p, 'go/gateway-name', `invalid gateway reference "${name}" (expected <namespace>/<name>)`);
    } else if (name.includes('.')) {
      report(p, 'go/gateway-name', `gateway "${name}" uses the legacy name.namespace form; use <namespace>/<name>`);
    } else if (!isIstioDnsLabel(name)) {
      report(p, 'go/gateway-name', `invalid gateway name "${name}"`);
    }
  });
}

const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const JWT_CLAIM_PREFIX = '@request.auth.claims.';

function headerNameError(name: string): string | undefined {
  if (name === '') return 'header name must not be empty';
  if (PSEUDO_HEADERS.has(name)) return undefined;
  if (name.startsWith(JWT_CLAIM_PREFIX)) return name.length > JWT_CLAIM_PREFIX.length ? undefined : 'empty JWT claim name';
  if (!HEADER_TOKEN.test(name)) return `header name "${name}" is not a valid RFC 7230 token`;
  return undefined;
}

const SUPPORTED_RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/** Codes Go's net/http StatusText knows (Istio accepts a retryOn token when http.StatusText(code) != ""). */
const GO_HTTP_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

const GRPC_STATUS = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

const PROTOCOLS = new Set(['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'HTTP_PROXY', 'TCP', 'TLS', 'MONGO', 'REDIS', 'MYSQL', 'UDP']);
const isProtocol = (p: string): boolean => PROTOCOLS.has(p.toUpperCase());

// ---------------------------------------------------------------------------------------------------------------
// metadata / top level

const GROUP_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  'networking.istio.io': ['v1', 'v1beta1', 'v1alpha3'],
  'security.istio.io': ['v1', 'v1beta1'],
};

function checkTopLevel(r: Resource, report: Report): boolean {
  const raw = r as unknown as Obj;
  for (const k of Object.keys(raw)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(k)) report(k, 'meta/top-level', `unexpected top-level key "${k}"`);
  }
  const info = kindInfo(str(raw['kind']));
  if (!info) {
    report('kind', 'meta/kind', `kind ${JSON.stringify(raw['kind'])} is not an Istio kind cfmesh may emit`);
    return false;
  }
  const [group, version, extra] = str(raw['apiVersion']).split('/');
  const allowed = GROUP_VERSIONS[info.group] ?? [];
  if (group !== info.group || extra !== undefined || version === undefined || !allowed.includes(version) || !info.servedVersions.includes(version)) {
    report('apiVersion', 'meta/api-version', `apiVersion "${str(raw['apiVersion'])}" is not a served version of ${r.kind} (${info.group}/{${info.servedVersions.join(',')}})`);
  }
  const md = raw['metadata'];
  if (!isObj(md)) {
    report('metadata', 'meta/metadata', 'metadata must be an object');
    return true;
  }
  for (const k of Object.keys(md)) {
    if (!['name', 'namespace', 'labels', 'annotations'].includes(k)) report(sub('metadata', k), 'meta/metadata', `unexpected metadata field "${k}"`);
  }
  const name = str(md['name']);
  if (!isDnsSubdomain(name)) report('metadata.name', 'meta/name', `metadata.name "${name}" must be a DNS-1123 subdomain (lower case, <= 253 chars)`);
  if (r.kind === 'Gateway' && !isDnsLabel(name)) {
    report('metadata.name', 'go/gateway-name', `Gateway name "${name}" must be a DNS-1123 label (no dots)`);
  }
  if (has(md, 'namespace') && !isDnsLabel(str(md['namespace']))) {
    report('metadata.namespace', 'meta/namespace', `metadata.namespace "${str(md['namespace'])}" must be a DNS-1123 label`);
  }
  checkLabels(md['labels'], 'metadata.labels', report, 'meta/labels');
  for (const [k, v] of Object.entries(obj(md['annotations']))) {
    if (!isLabelKey(k)) report(sub('metadata.annotations', k), 'meta/annotations', `invalid annotation key ${JSON.stringify(k)}`);
    if (typeof v !== 'string') report(sub('metadata.annotations', k), 'meta/annotations', 'annotation values must be strings');
  }
  if (obj(md['labels'])[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
    report('metadata.labels', 'cfmesh/managed-by', `every resource must carry label ${MANAGED_BY_LABEL}: ${MANAGED_BY_VALUE}`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// VirtualService

interface Dest {
  readonly host: string;
  readonly subset: string;
  readonly path: string;
}

function checkDestination(d: unknown, path: string, report: Report, dests: Dest[]): void {
  if (!isObj(d)) {
    report(path, 'go/destination', 'destination is required');
    return;
  }
  const host = str(d['host']);
  if (host === '*') report(sub(path, 'host'), 'go/host', 'wildcard host * is not allowed as a destination');
  else if (host !== '') {
    const e = wildcardDomainError(host);
    if (e !== undefined && isIP(host) === 0) report(sub(path, 'host'), 'go/host', e);
  }
  if (has(d, 'subset') && !isIstioDnsLabel(str(d['subset']))) {
    report(sub(path, 'subset'), 'go/subset-name', `subset "${str(d['subset'])}" must be a DNS-1123 label`);
  }
  checkPort(obj(d['port'])['number'], `${path}.port.number`, report);
  dests.push({ host, subset: str(d['subset']), path });
}

function checkHeaderOps(h: unknown, path: string, report: Report): void {
  if (!isObj(h)) return;
  for (const dir of ['request', 'response'] as const) {
    const ops = obj(h[dir]);
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(obj(ops[op]))) {
        const p = sub(sub(sub(path, dir), op), name);
        const lower = name.toLowerCase();
        if (name === '') report(p, 'go/header-op', 'header name must not be empty');
        else if (dir === 'request' && name.startsWith(':') && lower !== ':authority') report(p, 'go/header-op', `invalid header name "${name}"`);
        else if (dir === 'response' && (name.startsWith(':') || lower === 'host')) report(p, 'go/header-op', `invalid response header name "${name}"`);
        else if (!name.startsWith(':') && !HEADER_TOKEN.test(name)) report(p, 'go/header-op', `header name "${name}" is not a valid token`);
        if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(str(value))) report(p, 'go/header-op', 'header value contains control characters');
      }
    }
    arr(ops['remove']).forEach((n, i) => {
      const name = str(n);
      if (name === '' || name.startsWith(':') || name.toLowerCase() === 'host') {
        report(sub(sub(sub(path, dir), 'remove'), i), 'go/header-op', `header "${name}" cannot be removed`);
      }
    });
  }
}

function checkRouteDestinations(route: unknown, path: string, report: Report, dests: Dest[], productWeights: boolean): void {
  const list = arr(route);
  let total = 0;
  let allInts = true;
  list.forEach((rd, i) => {
    const p = sub(path, i);
    if (!isObj(rd)) {
      report(p, 'go/destination', 'route destination must not be null');
      return;
    }
    checkDestination(rd['destination'], sub(p, 'destination'), report, dests);
    checkHeaderOps(rd['headers'], sub(p, 'headers'), report);
    const w = rd['weight'];
    if (w !== undefined) {
      if (typeof w !== 'number' || !Number.isInteger(w)) {
        allInts = false;
        report(sub(p, 'weight'), 'cfmesh/weight', `weight must be an integer (got ${JSON.stringify(w)})`);
      } else {
        if (w < 0) report(sub(p, 'weight'), 'go/weight', `weight ${w} < 0`);
        total += w;
      }
    }
  });
  if (list.length > 1 && total === 0) report(path, 'go/weight', 'total destination weight = 0');
  if (!productWeights || !allInts || list.length === 0) return;
  // cfmesh: explicit integer weights summing to exactly 100 (portable to Istio <= 1.14). A lone destination may
  // omit its weight (documented as 100 by every Istio release).
  const lone = list.length === 1 && !has(list[0], 'weight');
  if (!lone && total !== 100) report(path, 'cfmesh/weight-sum', `route weights must sum to exactly 100 (got ${total})`);
  list.forEach((rd, i) => {
    const w = obj(rd)['weight'];
    if (list.length > 1 && w === undefined) report(sub(path, i), 'cfmesh/weight', 'every destination of a split must have an explicit weight');
    if (typeof w === 'number' && w > 100) report(sub(sub(path, i), 'weight'), 'cfmesh/weight', `weight ${w} > 100`);
  });
}

function checkHttpMatch(m: unknown, path: string, report: Report, gatewayBound: boolean): void {
  if (!isObj(m)) {
    report(path, 'go/match', 'match must not be null');
    return;
  }
  checkStringMatch(m['uri'], sub(path, 'uri'), report, true);
  for (const f of ['scheme', 'method', 'authority'] as const) checkStringMatch(m[f], sub(path, f), report, false);
  for (const f of ['headers', 'withoutHeaders'] as const) {
    for (const [name, sm] of Object.entries(obj(m[f]))) {
      const p = sub(sub(path, f), name);
      const e = headerNameError(name);
      if (e !== undefined) report(p, 'go/header-name', e);
      else if (name.startsWith(JWT_CLAIM_PREFIX) && !gatewayBound) {
        report(p, 'go/header-name', 'JWT claim based routing is only supported for gateway-bound virtual services');
      } else if (name !== name.toLowerCase() && !name.startsWith(JWT_CLAIM_PREFIX)) {
        // Istio docs: "The header keys must be lowercase"; Go validation no longer enforces it (it did in 0.x).
        report(p, 'cfmesh/header-lowercase', `header match name "${name}" must be lower case`);
      }
      checkStringMatch(sm, p, report, false);
    }
  }
  for (const [name, sm] of Object.entries(obj(m['queryParams']))) {
    const p = sub(sub(path, 'queryParams'), name);
    if (name === '') report(p, 'go/query-param', 'query parameter name must not be empty');
    checkStringMatch(sm, p, report, false);
  }
  checkPort(m['port'], sub(path, 'port'), report);
  checkLabels(m['sourceLabels'], sub(path, 'sourceLabels'), report, 'go/labels');
  checkGatewayNames(m['gateways'], sub(path, 'gateways'), report);
  if (has(m, 'sourceNamespace') && !isIstioDnsLabel(str(m['sourceNamespace']))) {
    report(sub(path, 'sourceNamespace'), 'go/namespace', `sourceNamespace "${str(m['sourceNamespace'])}" must be a DNS-1123 label`);
  }
}

function checkRetries(r: unknown, path: string, report: Report): void {
  if (!isObj(r)) return;
  const attempts = num(r['attempts']) ?? 0;
  if (attempts < 0) report(sub(path, 'attempts'), 'go/retries', 'attempts cannot be negative');
  if (attempts === 0 && (has(r, 'perTryTimeout') || has(r, 'retryOn') || has(r, 'retryRemoteLocalities'))) {
    report(path, 'go/retries', 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  checkDuration(r['perTryTimeout'], sub(path, 'perTryTimeout'), report);
  checkDuration(r['backoff'], sub(path, 'backoff'), report);
  if (has(r, 'retryOn')) {
    for (const token of str(r['retryOn']).split(',')) {
      const ok = SUPPORTED_RETRY_ON.has(token) || (/^\d+$/.test(token) && GO_HTTP_STATUS.has(Number(token)));
      if (!ok) report(sub(path, 'retryOn'), 'go/retry-on', `${JSON.stringify(token)} is not a valid retryOn policy (no spaces; supported: ${[...SUPPORTED_RETRY_ON].join(', ')} or an HTTP status code)`);
    }
  }
}

function checkFault(f: unknown, path: string, report: Report): void {
  if (!isObj(f)) return;
  if (!has(f, 'abort') && !has(f, 'delay')) report(path, 'go/fault', 'fault must have an abort and/or a delay');
  const abort = f['abort'];
  if (isObj(abort)) {
    checkPercentage(abort['percentage'], sub(sub(path, 'abort'), 'percentage'), report);
    const p = sub(path, 'abort');
    if (has(abort, 'httpStatus')) {
      const s = num(abort['httpStatus']) ?? 0;
      if (s < 200 || s > 600) report(sub(p, 'httpStatus'), 'go/fault', `invalid abort http status ${s} (must be 200..599)`);
    } else if (has(abort, 'grpcStatus')) {
      if (!GRPC_STATUS.has(str(abort['grpcStatus']))) report(sub(p, 'grpcStatus'), 'go/fault', `unknown gRPC status "${str(abort['grpcStatus'])}"`);
    } else if (has(abort, 'http2Error')) {
      report(sub(p, 'http2Error'), 'go/fault', 'HTTP/2 abort fault injection not supported yet');
    } else {
      report(p, 'go/fault', 'abort must set one of httpStatus, grpcStatus');
    }
  }
  const delay = f['delay'];
  if (isObj(delay)) {
    const p = sub(path, 'delay');
    checkPercentage(delay['percentage'], sub(p, 'percentage'), report);
    if (has(delay, 'exponentialDelay')) report(sub(p, 'exponentialDelay'), 'go/fault', 'exponentialDelay is not supported yet');
    if (has(delay, 'percent')) report(sub(p, 'percent'), 'IST0002', 'fault.delay.percent is deprecated; use percentage');
    if (!has(delay, 'fixedDelay') && !has(delay, 'exponentialDelay')) report(p, 'go/fault', 'delay must set fixedDelay');
    checkDuration(delay['fixedDelay'], sub(p, 'fixedDelay'), report);
  }
}

function checkHttpRoute(h: unknown, path: string, report: Report, dests: Dest[], gatewayBound: boolean, isDelegate: boolean): void {
  if (!isObj(h)) {
    report(path, 'go/http', 'http route must not be null');
    return;
  }
  const hasRoute = arr(h['route']).length > 0;
  const actions = [hasRoute, has(h, 'redirect'), has(h, 'directResponse')].filter(Boolean).length;
  if (has(h, 'delegate')) {
    if (isDelegate) report(sub(path, 'delegate'), 'go/delegate', 'a delegate VirtualService cannot delegate again');
    if (hasRoute || has(h, 'redirect')) report(path, 'go/http-action', 'a rule with delegate must not set route or redirect');
  } else if (actions !== 1) {
    report(path, 'go/http-action', `exactly one of route, redirect or directResponse must be set (found ${actions})`);
  }
  if (has(h, 'redirect') && has(h, 'rewrite')) report(path, 'go/http-action', 'rewrite may not be used with redirect');
  if (has(h, 'mirror') && has(h, 'mirrors')) report(path, 'go/http-action', 'specify either mirror or mirrors, not both');
  if (has(h, 'fault') && (has(h, 'redirect') || has(h, 'directResponse'))) {
    report(sub(path, 'fault'), 'go/http-action', 'fault cannot be used with redirect or directResponse');
  }
  arr(h['match']).forEach((m, i) => checkHttpMatch(m, sub(sub(path, 'match'), i), report, gatewayBound));
  checkRouteDestinations(h['route'], sub(path, 'route'), report, dests, true);
  checkHeaderOps(h['headers'], sub(path, 'headers'), report);
  checkRetries(h['retries'], sub(path, 'retries'), report);
  checkFault(h['fault'], sub(path, 'fault'), report);
  checkDuration(h['timeout'], sub(path, 'timeout'), report);
  if (has(h, 'mirror')) checkDestination(h['mirror'], sub(path, 'mirror'), report, dests);
  arr(h['mirrors']).forEach((m, i) => {
    const p = sub(sub(path, 'mirrors'), i);
    checkDestination(obj(m)['destination'], sub(p, 'destination'), report, dests);
    checkPercentage(obj(m)['percentage'], sub(p, 'percentage'), report);
  });
  checkPercentage(h['mirrorPercentage'], sub(path, 'mirrorPercentage'), report);
  if (has(h, 'mirrorPercent')) report(sub(path, 'mirrorPercent'), 'go/deprecated', 'mirrorPercent is deprecated; use mirrorPercentage');
  const redirect = h['redirect'];
  if (isObj(redirect)) {
    const p = sub(path, 'redirect');
    if (!['uri', 'authority', 'scheme', 'port', 'derivePort'].some((k) => has(redirect, k))) {
      report(p, 'go/redirect', 'redirect must specify uri, authority, scheme or port');
    }
    const code = num(redirect['redirectCode']);
    if (code !== undefined && code !== 0 && (code < 300 || code > 399)) report(sub(p, 'redirectCode'), 'go/redirect', `redirect code ${code} must be 3xx`);
    if (has(redirect, 'scheme') && !['http', 'https'].includes(str(redirect['scheme']))) {
      report(sub(p, 'scheme'), 'go/redirect', `redirect scheme must be http or https (got "${str(redirect['scheme'])}")`);
    }
  }
  const rewrite = h['rewrite'];
  if (isObj(rewrite)) {
    const p = sub(path, 'rewrite');
    if (has(rewrite, 'uri') && has(rewrite, 'uriRegexRewrite')) report(p, 'go/rewrite', 'rewrite may only set one of uri and uriRegexRewrite');
    if (!has(rewrite, 'uri') && !has(rewrite, 'uriRegexRewrite') && !has(rewrite, 'authority')) {
      report(p, 'go/rewrite', 'rewrite must specify uri, uriRegexRewrite or authority');
    }
    const rr = rewrite['uriRegexRewrite'];
    if (isObj(rr)) {
      if (!has(rr, 'match') || !has(rr, 'rewrite')) report(sub(p, 'uriRegexRewrite'), 'go/rewrite', 'uriRegexRewrite needs both match and rewrite');
      if (has(rr, 'match')) {
        const e = regexError(str(rr['match']));
        if (e !== undefined) report(sub(sub(p, 'uriRegexRewrite'), 'match'), 'go/regex', e);
      }
    }
  }
  const dr = h['directResponse'];
  if (isObj(dr)) {
    const s = num(dr['status']) ?? 0;
    if (s < 200 || s > 600) report(sub(sub(path, 'directResponse'), 'status'), 'go/direct-response', `directResponse status ${s} must be 200..599`);
    const body = obj(dr['body']);
    const size = Buffer.byteLength(str(body['string'])) + Math.floor((str(body['bytes']).length * 3) / 4);
    if (size > 1024 * 1024) report(sub(sub(path, 'directResponse'), 'body'), 'go/direct-response', 'directResponse body must be < 1MB');
  }
  const cors = obj(h['corsPolicy']);
  arr(cors['allowOrigins']).forEach((o, i) => checkStringMatch(o, sub(sub(sub(path, 'corsPolicy'), 'allowOrigins'), i), report, false));
}

function checkL4Match(m: unknown, path: string, report: Report): void {
  if (!isObj(m)) return;
  arr(m['destinationSubnets']).forEach((s, i) => {
    if (!isIpOrCidr(str(s))) report(sub(sub(path, 'destinationSubnets'), i), 'go/subnet', `"${str(s)}" is not an IP or CIDR`);
  });
  checkPort(m['port'], sub(path, 'port'), report);
  checkLabels(m['sourceLabels'], sub(path, 'sourceLabels'), report, 'go/labels');
  checkGatewayNames(m['gateways'], sub(path, 'gateways'), report);
}

// StringMatch implication for the shadowing analysis: does `a` (earlier) match every value `b` (later) matches?
function stringMatchCovers(a: unknown, b: unknown, ignoreCase = false): boolean {
  if (a === undefined) return true;
  if (!isObj(a) || !isObj(b)) return false;
  const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  if (has(a, 'prefix')) {
    const p = norm(str(a['prefix']));
    if (has(b, 'prefix')) return norm(str(b['prefix'])).startsWith(p);
    if (has(b, 'exact')) return norm(str(b['exact'])).startsWith(p);
    return p === '';
  }
  if (has(a, 'exact')) return has(b, 'exact') && norm(str(a['exact'])) === norm(str(b['exact']));
  if (has(a, 'regex')) {
    const r = str(a['regex']);
    return r === '.*' || (has(b, 'regex') && str(b['regex']) === r);
  }
  return false;
}

function mapCovers(a: unknown, b: unknown): boolean {
  const bm = obj(b);
  return Object.entries(obj(a)).every(([k, v]) => Object.hasOwn(bm, k) && stringMatchCovers(v, bm[k]));
}

const HANDLED_MATCH_KEYS = new Set([
  'uri', 'scheme', 'method', 'authority', 'headers', 'withoutHeaders', 'queryParams', 'port', 'sourceLabels',
  'gateways', 'sourceNamespace', 'ignoreUriCase', 'name', 'statPrefix',
]);

/** Does HTTP match `a` (earlier rule) match every request that `b` (later rule) matches? */
export function matchCovers(a: unknown, b: unknown): boolean {
  const am = obj(a);
  const bm = obj(b);
  if (Object.keys(am).some((k) => !HANDLED_MATCH_KEYS.has(k))) return false;
  const ai = am['ignoreUriCase'] === true;
  const bi = bm['ignoreUriCase'] === true;
  if (am['uri'] !== undefined) {
    if (bm['uri'] === undefined || (bi && !ai)) return false;
    if (!stringMatchCovers(am['uri'], bm['uri'], ai)) return false;
  }
  for (const f of ['scheme', 'method', 'authority'] as const) {
    if (am[f] !== undefined && !stringMatchCovers(am[f], bm[f])) return false;
  }
  if (!mapCovers(am['headers'], bm['headers']) || !mapCovers(am['queryParams'], bm['queryParams'])) return false;
  // withoutHeaders in `a` exclude requests; `a` covers `b` only if `b` excludes at least as much (same entries).
  for (const [k, v] of Object.entries(obj(am['withoutHeaders']))) {
    if (JSON.stringify(obj(bm['withoutHeaders'])[k]) !== JSON.stringify(v)) return false;
  }
  if (am['port'] !== undefined && am['port'] !== bm['port']) return false;
  if (am['sourceNamespace'] !== undefined && am['sourceNamespace'] !== bm['sourceNamespace']) return false;
  const bl = obj(bm['sourceLabels']);
  if (!Object.entries(obj(am['sourceLabels'])).every(([k, v]) => bl[k] === v)) return false;
  if (am['gateways'] !== undefined) {
    const ag = arr(am['gateways']);
    const bg = arr(bm['gateways']);
    if (bg.length === 0 || !bg.every((g) => ag.includes(g))) return false;
  }
  return true;
}

/** A rule that matches every request: no match, or a match entry with no conditions / uri prefix "/" / regex ".*". */
export function isCatchAll(rule: unknown): boolean {
  const matches = arr(obj(rule)['match']);
  if (matches.length === 0) return true;
  return matches.some((m) => {
    const keys = Object.keys(obj(m)).filter((k) => k !== 'name' && k !== 'statPrefix');
    if (keys.length === 0) return true;
    if (keys.length !== 1 || keys[0] !== 'uri') return false;
    const uri = obj(obj(m)['uri']);
    return uri['prefix'] === '/' || uri['prefix'] === '' || uri['regex'] === '.*';
  });
}

function checkRuleOrdering(http: readonly unknown[], report: Report): void {
  const catchAlls = http.map((r, i) => (isCatchAll(r) ? i : -1)).filter((i) => i >= 0);
  if (catchAlls.length > 1) report('spec.http', 'cfmesh/catch-all', `at most one catch-all http rule allowed (found at ${catchAlls.map((i) => `http[${i}]`).join(', ')})`);
  const first = catchAlls[0];
  if (first !== undefined && first !== http.length - 1) report(`spec.http[${first}]`, 'cfmesh/catch-all', 'the catch-all http rule must be the last rule');
  const seenMatches: { readonly rule: number; readonly match: unknown }[] = [];
  http.forEach((rule, i) => {
    const matches = arr(obj(rule)['match']);
    const effective = matches.length === 0 ? [{}] : matches;
    let shadowed = 0;
    effective.forEach((m, j) => {
      const by = seenMatches.find((s) => matchCovers(s.match, m));
      if (by !== undefined) {
        shadowed++;
        if (matches.length > 0) report(`spec.http[${i}].match[${j}]`, 'IST0131', `match is ineffective: already covered by http[${by.rule}]`);
      }
    });
    if (shadowed === effective.length) {
      const by = seenMatches.find((s) => effective.some((m) => matchCovers(s.match, m)));
      report(`spec.http[${i}]`, 'IST0130', `rule is unreachable: every match is covered by an earlier rule (http[${by?.rule ?? '?'}])`);
    }
    for (const m of effective) seenMatches.push({ rule: i, match: m });
  });
}

/** analyzeUnreachableTCPRules / TLSRules: rules after a match-less rule, and repeated identical matches. */
function checkL4Ordering(rules: readonly unknown[], path: string, report: Report): void {
  const seen = new Map<string, number>();
  let empty = -1;
  rules.forEach((rule, i) => {
    const matches = arr(obj(rule)['match']);
    if (empty >= 0) {
      report(`${path}[${i}]`, 'IST0130', `rule is unreachable: ${path}[${empty}] has no match and catches everything`);
      return;
    }
    if (matches.length === 0) {
      empty = i;
      return;
    }
    let dups = 0;
    matches.forEach((m, j) => {
      const key = canonicalJson(m);
      const prev = seen.get(key);
      if (prev !== undefined) {
        dups++;
        report(`${path}[${i}].match[${j}]`, 'IST0131', `match is ineffective: duplicate of a match in ${path}[${prev}]`);
      } else seen.set(key, i);
    });
    if (dups === matches.length) report(`${path}[${i}]`, 'IST0130', 'rule is unreachable: all matches used by prior rules');
  });
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

interface VsInfo {
  readonly res: Resource;
  readonly id: string;
  readonly ns: string;
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly dests: readonly Dest[];
}

function checkVirtualService(r: Resource, ns: string, report: Report): VsInfo {
  const s = r.spec;
  const hosts = arr(s['hosts']).map(str);
  const gateways = arr(s['gateways']).map(str);
  const isDelegate = hosts.length === 0;
  const meshBound = gateways.length === 0 || gateways.includes('mesh');
  // Istio isGateway(): bound to gateways only when `gateways` is non-empty and does not list `mesh`.
  const gatewayBound = gateways.length > 0 && !gateways.includes('mesh');
  const dests: Dest[] = [];
  if (isDelegate) {
    for (const f of ['gateways', 'tls', 'tcp'] as const) {
      if (arr(s[f]).length > 0) report(sub('spec', f), 'go/delegate', `a delegate VirtualService (no hosts) must not set ${f}`);
    }
  }
  hosts.forEach((h, i) => {
    const p = `spec.hosts[${i}]`;
    if (h === '*') {
      if (meshBound) report(p, 'go/host', 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
    } else if (isIP(h) === 0) {
      const e = wildcardDomainError(h);
      if (e !== undefined) report(p, 'go/host', e);
    }
    for (let j = 0; j < i; j++) {
      const other = hosts[j] ?? '';
      if (hostsOverlap(fqdn(other, ns), fqdn(h, ns))) report(p, 'go/host', `duplicate hosts in virtual service: ${other} & ${h}`);
    }
  });
  checkGatewayNames(s['gateways'], 'spec.gateways', report);
  if (arr(s['http']).length + arr(s['tcp']).length + arr(s['tls']).length === 0) {
    report('spec', 'go/vs-empty', 'http, tcp or tls must be provided in virtual service');
  }
  const http = arr(s['http']);
  http.forEach((h, i) => checkHttpRoute(h, `spec.http[${i}]`, report, dests, gatewayBound, isDelegate));
  checkRuleOrdering(http, report);
  arr(s['tcp']).forEach((t, i) => {
    const p = `spec.tcp[${i}]`;
    if (arr(obj(t)['route']).length === 0) report(sub(p, 'route'), 'go/tcp', 'TCP route is required');
    arr(obj(t)['match']).forEach((m, j) => checkL4Match(m, sub(sub(p, 'match'), j), report));
    checkRouteDestinations(obj(t)['route'], sub(p, 'route'), report, dests, true);
  });
  arr(s['tls']).forEach((t, i) => {
    const p = `spec.tls[${i}]`;
    const matches = arr(obj(t)['match']);
    if (matches.length === 0) report(sub(p, 'match'), 'go/tls', 'TLS route must have at least one match condition');
    matches.forEach((m, j) => {
      const mp = sub(sub(p, 'match'), j);
      const sni = arr(obj(m)['sniHosts']).map(str);
      if (sni.length === 0) report(sub(mp, 'sniHosts'), 'go/tls', 'TLS match must have at least one SNI host');
      sni.forEach((h, k) => {
        const e = wildcardDomainError(h);
        if (e !== undefined && isIP(h) === 0) report(sub(sub(mp, 'sniHosts'), k), 'go/host', e);
        else if (!hosts.some((vh) => hostSubsetOf(fqdn(h, ns), fqdn(vh, ns)))) {
          report(sub(sub(mp, 'sniHosts'), k), 'go/tls', `SNI host "${h}" is not a subset of any virtual service host`);
        }
      });
      checkL4Match(m, mp, report);
    });
    if (arr(obj(t)['route']).length === 0) report(sub(p, 'route'), 'go/tls', 'TLS route is required');
    checkRouteDestinations(obj(t)['route'], sub(p, 'route'), report, dests, true);
  });
  checkL4Ordering(arr(s['tcp']), 'spec.tcp', report);
  checkL4Ordering(arr(s['tls']), 'spec.tls', report);
  checkExportTo(s['exportTo'], ns, 'spec.exportTo', report, false);
  return { res: r, id: '', ns, hosts, gateways, dests };
}

// ---------------------------------------------------------------------------------------------------------------
// Gateway

interface GwInfo {
  readonly res: Resource;
  readonly ns: string;
  readonly name: string;
}

/** `[namespace/]dnsName` of Gateway server hosts. */
function splitNsHost(h: string): { readonly ns: string; readonly host: string; readonly parts: number } {
  const parts = h.split('/');
  if (parts.length === 1) return { ns: '*', host: h, parts: 1 };
  return { ns: parts[0] ?? '', host: parts.slice(1).join('/'), parts: parts.length };
}

function checkServerTls(tls: Obj, protocol: string, path: string, report: Report): void {
  const mode = str(tls['mode']) || 'PASSTHROUGH';
  const sources = [
    has(tls, 'credentialName'),
    arr(tls['credentialNames']).length > 0,
    has(tls, 'serverCertificate') || has(tls, 'privateKey'),
    arr(tls['tlsCertificates']).length > 0,
  ].filter(Boolean).length;
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of ['serverCertificate', 'privateKey', 'caCertificates', 'tlsCertificates', 'credentialName', 'credentialNames']) {
      if (has(tls, f)) report(sub(path, f), 'go/gateway-tls', `ISTIO_MUTUAL TLS cannot have associated ${f}`);
    }
  } else if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') {
    if (sources === 0) report(path, 'go/gateway-tls', `${mode} TLS requires a credentialName, credentialNames, tlsCertificates or serverCertificate+privateKey`);
    if (sources > 1) report(path, 'go/gateway-tls', 'only one certificate source may be set');
    if (has(tls, 'serverCertificate') !== has(tls, 'privateKey')) report(path, 'go/gateway-tls', 'serverCertificate and privateKey must be set together');
    const credential = has(tls, 'credentialName') || arr(tls['credentialNames']).length > 0;
    if (mode !== 'SIMPLE' && !credential && !has(tls, 'caCertificates')) {
      report(path, 'go/gateway-tls', `${mode} TLS without credentialName requires caCertificates`);
    }
    if (has(tls, 'caCrl') && (mode === 'SIMPLE' || has(tls, 'credentialName'))) {
      report(sub(path, 'caCrl'), 'go/gateway-tls', 'caCrl cannot be used with SIMPLE mode or credentialName');
    }
  } else if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && sources > 0) {
    report(path, 'go/gateway-tls', `${mode} mode ignores certificates; do not set them`);
  }
  if (tls['httpsRedirect'] === true && protocol !== 'HTTP') {
    report(sub(path, 'httpsRedirect'), 'go/gateway-tls', 'httpsRedirect only applies to HTTP servers');
  }
}

function checkGateway(r: Resource, report: Report): void {
  const servers = arr(r.spec['servers']);
  if (servers.length === 0) report('spec.servers', 'go/gateway', 'gateway must have at least one server');
  checkLabels(r.spec['selector'], 'spec.selector', report, 'go/labels');
  const portNames = new Map<string, number>();
  servers.forEach((srv, i) => {
    const p = `spec.servers[${i}]`;
    const s = obj(srv);
    const port = obj(s['port']);
    const protocol = str(port['protocol']).toUpperCase();
    const number = num(port['number']);
    const bind = str(s['bind']);
    if (number === 0 && !bind.startsWith('unix://')) report(sub(p, 'port.number'), 'go/port', 'port number 0 is only allowed with a unix:// bind');
    else checkPort(number, `${p}.port.number`, report);
    if (has(port, 'protocol') && !isProtocol(str(port['protocol']))) report(`${p}.port.protocol`, 'go/protocol', `unrecognized protocol "${str(port['protocol'])}"`);
    if (has(port, 'targetPort')) report(`${p}.port.targetPort`, 'go/gateway', 'targetPort has no impact on Gateways');
    const name = str(port['name']);
    if (name === '') report(`${p}.port.name`, 'go/gateway', 'port name must be set');
    else if (portNames.has(name)) report(`${p}.port.name`, 'go/gateway', `port names in servers must be unique: duplicate name "${name}" (also servers[${portNames.get(name)}])`);
    else portNames.set(name, i);
    if (bind !== '' && !bind.startsWith('unix://') && isIP(bind) === 0) report(sub(p, 'bind'), 'go/gateway', `bind "${bind}" must be an IP or unix:// address`);
    if (bind.startsWith('unix://') && number !== undefined && number !== 0) report(`${p}.port.number`, 'go/gateway', 'port number must be 0 for a unix domain socket bind');
    const hosts = arr(s['hosts']).map(str);
    if (hosts.length === 0) report(sub(p, 'hosts'), 'go/gateway', 'server config must contain at least one host');
    hosts.forEach((h, j) => {
      const hp = sub(sub(p, 'hosts'), j);
      const { ns, host, parts } = splitNsHost(h);
      if (parts > 2) report(hp, 'go/host', `host "${h}" must be of the form namespace/dnsName`);
      if (ns !== '*' && ns !== '.' && !isIstioDnsLabel(ns)) report(hp, 'go/host', `invalid namespace "${ns}" in host "${h}"`);
      if (host === '*' || isIP(host) !== 0) return;
      if (!host.includes('.')) report(hp, 'go/host', `short names (non FQDN) are not allowed: "${host}"`);
      const e = wildcardDomainError(host) ?? partialWildcardError(host);
      if (e !== undefined) report(hp, 'go/host', e);
    });
    const tls = s['tls'];
    if (protocol === 'HTTPS' || protocol === 'TLS') {
      if (!isObj(tls)) report(p, 'go/gateway-tls', `server config must contain TLS settings for ${protocol} servers`);
    } else if (isObj(tls)) {
      // Plain-text HTTP ports may only carry a passthrough-mode tls block without certificates (i.e. httpsRedirect).
      const mode = str(tls['mode']) || 'PASSTHROUGH';
      const httpFamily = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY'].includes(protocol);
      const passthrough = (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && !['caCertificates', 'privateKey', 'serverCertificate'].some((k) => has(tls, k));
      if (!httpFamily) report(sub(p, 'tls'), 'go/gateway-tls', `server cannot have TLS settings for non HTTPS/TLS ports (${protocol})`);
      else if (!passthrough) report(sub(p, 'tls'), 'go/gateway-tls', 'server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)');
    }
    if (isObj(tls)) checkServerTls(tls, protocol, sub(p, 'tls'), report);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// DestinationRule

function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

function checkLoadBalancer(lb: unknown, path: string, report: Report): void {
  if (!isObj(lb)) return;
  const ch = lb['consistentHash'];
  if (isObj(ch)) {
    const p = sub(path, 'consistentHash');
    // More than one hash key is a CRD oneOf error; none is accepted by Istio but hashes nothing useful.
    const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter((k) => has(ch, k));
    if (keys.length === 0) report(p, 'cfmesh/consistent-hash', 'consistentHash must set a hash key (httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName)');
    if (has(ch, 'httpCookie') && str(obj(ch['httpCookie'])['name']) === '') report(sub(p, 'httpCookie'), 'go/consistent-hash', 'name required for httpCookie');
    if (has(ch, 'minimumRingSize')) {
      report(sub(p, 'minimumRingSize'), 'go/deprecated', 'consistentHash.minimumRingSize is deprecated; use ringHash.minimumRingSize');
      if (has(ch, 'ringHash') || has(ch, 'maglev')) report(p, 'go/consistent-hash', 'minimumRingSize cannot be combined with ringHash or maglev');
    }
    if (has(ch, 'maglev')) {
      const size = num(obj(ch['maglev'])['tableSize']);
      if (size === undefined || !isPrime(size) || size >= 5000011) report(sub(p, 'maglev'), 'go/consistent-hash', `maglev.tableSize must be a prime < 5000011 (got ${String(size)})`);
    }
  }
  const loc = lb['localityLbSetting'];
  if (isObj(loc)) {
    const p = sub(path, 'localityLbSetting');
    if (arr(loc['distribute']).length > 0 && arr(loc['failover']).length > 0) report(p, 'go/locality', 'distribute and failover cannot both be set');
    arr(loc['distribute']).forEach((d, i) => {
      const weights = Object.values(obj(obj(d)['to'])).map((w) => num(w) ?? 0);
      if (weights.some((w) => w < 1 || w > 100) || weights.reduce((a, b) => a + b, 0) !== 100) {
        report(sub(sub(p, 'distribute'), i), 'go/locality', 'locality distribute weights must be 1..100 and sum to 100');
      }
    });
  }
  const warmup = lb['warmup'];
  if (isObj(warmup)) {
    if (!has(warmup, 'duration')) report(sub(path, 'warmup'), 'go/warmup', 'warmup.duration is required');
    if ((num(warmup['minimumPercent']) ?? 0) > 100) report(sub(sub(path, 'warmup'), 'minimumPercent'), 'go/warmup', 'minimumPercent must be <= 100');
    if (has(warmup, 'aggression') && (num(warmup['aggression']) ?? 0) < 1) report(sub(sub(path, 'warmup'), 'aggression'), 'go/warmup', 'aggression must be >= 1');
    checkDuration(warmup['duration'], sub(sub(path, 'warmup'), 'duration'), report);
  }
}

function checkTrafficPolicy(tp: unknown, path: string, report: Report, portLevel = false): void {
  if (!isObj(tp)) return;
  const fields = Object.keys(tp).filter((k) => tp[k] !== undefined && tp[k] !== null);
  if (fields.length === 0 || (portLevel && fields.every((f) => f === 'port'))) {
    report(path, 'go/traffic-policy', portLevel ? 'port traffic policy must have at least one field' : 'traffic policy must have at least one field');
  }
  if (has(tp, 'tunnel') && has(tp, 'proxyProtocol')) report(path, 'go/traffic-policy', 'tunnel and proxyProtocol cannot be combined');
  const cp = tp['connectionPool'];
  if (isObj(cp)) {
    const p = sub(path, 'connectionPool');
    if (!has(cp, 'http') && !has(cp, 'tcp')) report(p, 'go/connection-pool', 'connection pool must have at least one field (http or tcp)');
    const http = obj(cp['http']);
    for (const f of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams']) {
      if ((num(http[f]) ?? 0) < 0) report(sub(sub(p, 'http'), f), 'go/connection-pool', `${f} must be >= 0`);
    }
    if (http['h2UpgradePolicy'] === 'UPGRADE' && http['useClientProtocol'] === true) {
      report(sub(p, 'http'), 'go/connection-pool', 'useClientProtocol must not be true when h2UpgradePolicy is UPGRADE');
    }
    checkDuration(http['idleTimeout'], sub(sub(p, 'http'), 'idleTimeout'), report);
    const tcp = obj(cp['tcp']);
    if ((num(tcp['maxConnections']) ?? 0) < 0) report(sub(sub(p, 'tcp'), 'maxConnections'), 'go/connection-pool', 'maxConnections must be >= 0');
    checkDuration(tcp['connectTimeout'], sub(sub(p, 'tcp'), 'connectTimeout'), report);
    checkDuration(tcp['maxConnectionDuration'], sub(sub(p, 'tcp'), 'maxConnectionDuration'), report);
    checkDuration(tcp['idleTimeout'], sub(sub(p, 'tcp'), 'idleTimeout'), report, true);
  }
  const od = tp['outlierDetection'];
  if (isObj(od)) {
    const p = sub(path, 'outlierDetection');
    if (has(od, 'consecutiveErrors')) report(sub(p, 'consecutiveErrors'), 'go/deprecated', 'outlier detection consecutiveErrors is deprecated; use consecutiveGatewayErrors or consecutive5xxErrors');
    if (has(od, 'consecutiveLocalOriginFailures') && od['splitExternalLocalOriginErrors'] !== true) {
      report(sub(p, 'consecutiveLocalOriginFailures'), 'go/outlier', 'consecutiveLocalOriginFailures requires splitExternalLocalOriginErrors: true');
    }
    for (const f of ['maxEjectionPercent', 'minHealthPercent']) {
      const v = num(od[f]);
      if (v !== undefined && (v < 0 || v > 100)) report(sub(p, f), 'go/outlier', `${f} must be in range 0..100`);
    }
    checkDuration(od['interval'], sub(p, 'interval'), report);
    checkDuration(od['baseEjectionTime'], sub(p, 'baseEjectionTime'), report);
  }
  checkLoadBalancer(tp['loadBalancer'], sub(path, 'loadBalancer'), report);
  const tls = tp['tls'];
  if (isObj(tls)) {
    const p = sub(path, 'tls');
    if (tls['mode'] === 'MUTUAL' && !has(tls, 'credentialName') && (!has(tls, 'clientCertificate') || !has(tls, 'privateKey'))) {
      report(p, 'go/client-tls', 'MUTUAL TLS without credentialName requires clientCertificate and privateKey');
    }
    if (has(tls, 'credentialName')) {
      for (const f of ['clientCertificate', 'privateKey', 'caCertificates', 'caCrl']) {
        if (has(tls, f)) report(sub(p, f), 'go/client-tls', `cannot specify ${f} together with credentialName`);
      }
    }
    if (tls['insecureSkipVerify'] === true && (has(tls, 'caCertificates') || arr(tls['subjectAltNames']).length > 0)) {
      report(p, 'go/client-tls', 'insecureSkipVerify conflicts with caCertificates / subjectAltNames');
    }
  }
  if (!portLevel) {
    arr(tp['portLevelSettings']).forEach((pl, i) => {
      const p = sub(sub(path, 'portLevelSettings'), i);
      if (!has(pl, 'port')) report(p, 'go/traffic-policy', 'port level settings must specify a port');
      checkPort(obj(obj(pl)['port'])['number'], `${p}.port.number`, report);
      checkTrafficPolicy(pl, p, report, true);
    });
  }
}

function checkDestinationRule(r: Resource, ns: string, report: Report): void {
  const s = r.spec;
  const host = str(s['host']);
  if (host === '') report('spec.host', 'go/host', 'host is required');
  else if (isIP(host) === 0) {
    const e = wildcardDomainError(host);
    if (e !== undefined) report('spec.host', 'go/host', e);
  }
  checkTrafficPolicy(s['trafficPolicy'], 'spec.trafficPolicy', report);
  const names = new Set<string>();
  arr(s['subsets']).forEach((ss, i) => {
    const p = `spec.subsets[${i}]`;
    const name = str(obj(ss)['name']);
    if (!isIstioDnsLabel(name)) report(sub(p, 'name'), 'go/subset-name', `subset name "${name}" must be a DNS-1123 label`);
    if (names.has(name)) report(sub(p, 'name'), 'go/subset-name', `duplicate subset name "${name}"`);
    names.add(name);
    checkLabels(obj(ss)['labels'], sub(p, 'labels'), report, 'go/labels');
    checkTrafficPolicy(obj(ss)['trafficPolicy'], sub(p, 'trafficPolicy'), report);
  });
  checkExportTo(s['exportTo'], ns, 'spec.exportTo', report, false);
  if (has(s, 'workloadSelector')) {
    checkLabels(obj(s['workloadSelector'])['matchLabels'], 'spec.workloadSelector.matchLabels', report, 'go/labels');
    const ex = arr(s['exportTo']).map(str);
    if (ex.some((e) => e !== '.' && e !== ns)) report('spec.exportTo', 'go/export-to', 'a DestinationRule with workloadSelector may only be exported to its own namespace');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ServiceEntry / WorkloadEntry

function checkWorkloadEntrySpec(we: Obj, path: string, report: Report, mode: 'workloadentry' | 'static' | 'dns', sePorts?: ReadonlySet<string>): void {
  const address = str(we['address']);
  if (!has(we, 'address')) {
    if (!has(we, 'network')) report(path, 'go/workload-entry', 'address is required');
  } else if (address.startsWith('unix://')) {
    if (arr(Object.keys(obj(we['ports']))).length > 0) report(sub(path, 'ports'), 'go/workload-entry', 'unix endpoints may not include ports');
  } else if (isIP(address) === 0) {
    if (mode === 'static') report(sub(path, 'address'), 'go/service-entry', `endpoint address "${address}" is not a valid IP address (STATIC resolution)`);
    else {
      const e = fqdnError(address);
      if (e !== undefined) report(sub(path, 'address'), 'go/workload-entry', `address "${address}" must be an IP, an FQDN or unix://: ${e}`);
    }
  }
  for (const [name, port] of Object.entries(obj(we['ports']))) {
    const p = sub(sub(path, 'ports'), name);
    if (!isIstioDnsLabel(name)) report(p, 'go/workload-entry', `port name "${name}" must be a DNS-1123 label`);
    checkPort(port, p, report);
    if (sePorts && !sePorts.has(name)) report(p, 'go/service-entry', `endpoint port "${name}" is not defined by the service entry ports`);
  }
  checkLabels(we['labels'], sub(path, 'labels'), report, 'go/labels');
}

function checkServiceEntry(r: Resource, ns: string, report: Report): void {
  const s = r.spec;
  const hosts = arr(s['hosts']).map(str);
  const resolution = str(s['resolution']) || 'NONE';
  hosts.forEach((h, i) => {
    const p = `spec.hosts[${i}]`;
    const e = wildcardDomainError(h);
    if (e !== undefined) report(p, 'go/host', e);
    else if (resolution !== 'DYNAMIC_DNS' && partialWildcardError(h) !== undefined) report(p, 'go/host', partialWildcardError(h) ?? '');
  });
  arr(s['addresses']).forEach((a, i) => {
    if (!isIpOrCidr(str(a))) report(`spec.addresses[${i}]`, 'go/service-entry', `address "${str(a)}" must be an IP or CIDR`);
  });
  const ports = arr(s['ports']);
  const names = new Set<string>();
  ports.forEach((pt, i) => {
    const p = `spec.ports[${i}]`;
    const name = str(obj(pt)['name']);
    if (!isIstioDnsLabel(name)) report(sub(p, 'name'), 'go/service-entry', `port name "${name}" must be a DNS-1123 label`);
    if (names.has(name)) report(sub(p, 'name'), 'go/service-entry', `port names must be unique: "${name}"`);
    names.add(name);
    const proto = str(obj(pt)['protocol']);
    if (proto !== '' && !isProtocol(proto)) report(sub(p, 'protocol'), 'go/protocol', `unrecognized protocol "${proto}"`);
    checkPort(obj(pt)['number'], sub(p, 'number'), report);
    checkPort(obj(pt)['targetPort'], sub(p, 'targetPort'), report);
  });
  const endpoints = arr(s['endpoints']);
  if (resolution === 'STATIC') {
    endpoints.forEach((ep, i) => {
      const p = `spec.endpoints[${i}]`;
      checkWorkloadEntrySpec(obj(ep), p, report, 'static', names);
      if (str(obj(ep)['address']).startsWith('unix://') && ports.length !== 1) report(p, 'go/service-entry', 'unix:// endpoints require exactly one service port');
    });
  } else if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
    if (endpoints.length === 0) {
      hosts.forEach((h, i) => {
        const e = fqdnError(h);
        if (e !== undefined) report(`spec.hosts[${i}]`, 'go/service-entry', `hosts of a DNS service entry without endpoints must be FQDNs: ${e}`);
      });
    }
    endpoints.forEach((ep, i) => checkWorkloadEntrySpec(obj(ep), `spec.endpoints[${i}]`, report, 'dns', names));
  } else if (resolution === 'DYNAMIC_DNS') {
    if (hosts.some((h) => !h.startsWith('*'))) report('spec.hosts', 'go/service-entry', 'DYNAMIC_DNS requires all hosts to be wildcards');
    if (arr(s['addresses']).length > 0) report('spec.addresses', 'go/service-entry', 'DYNAMIC_DNS cannot set addresses');
    if (endpoints.length > 0) report('spec.endpoints', 'go/service-entry', 'DYNAMIC_DNS cannot set endpoints');
    ports.forEach((pt, i) => {
      if (!['HTTP', 'TLS', 'GRPC', 'HTTP2'].includes(str(obj(pt)['protocol']).toUpperCase())) {
        report(`spec.ports[${i}].protocol`, 'go/service-entry', 'DYNAMIC_DNS only supports HTTP, TLS, GRPC and HTTP2 ports');
      }
    });
  }
  if (hosts.length > 1 && resolution !== 'NONE') {
    ports.forEach((pt, i) => {
      const proto = str(obj(pt)['protocol']).toUpperCase();
      if (!['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-WEB', 'TLS', 'HTTP_PROXY'].includes(proto)) {
        report(`spec.ports[${i}]`, 'go/service-entry', 'multiple hosts are only allowed with HTTP/TLS ports unless resolution is NONE');
      }
    });
  }
  checkLabels(obj(s['workloadSelector'])['labels'], 'spec.workloadSelector.labels', report, 'go/labels');
  checkExportTo(s['exportTo'], ns, 'spec.exportTo', report, true);
}

// ---------------------------------------------------------------------------------------------------------------
// Security

function checkSelector(v: unknown, path: string, report: Report): void {
  if (v === undefined || v === null) return;
  const ml = obj(obj(v)['matchLabels']);
  checkLabels(ml, sub(path, 'matchLabels'), report, 'go/labels');
  if (Object.keys(ml).length === 0) report(path, 'go/selector', 'workload selector specified without labels (applies to every workload)');
}

const TARGET_REF_KINDS = new Set(['/Service', 'core/Service', 'networking.istio.io/ServiceEntry', 'gateway.networking.k8s.io/Gateway', 'gateway.networking.k8s.io/GatewayClass']);

function checkTargetRefs(s: Obj, report: Report): void {
  const refs: [string, unknown][] = [];
  if (has(s, 'targetRef')) refs.push(['spec.targetRef', s['targetRef']]);
  arr(s['targetRefs']).forEach((r, i) => refs.push([`spec.targetRefs[${i}]`, r]));
  for (const [p, r] of refs) {
    const ref = obj(r);
    if (str(ref['name']) === '') report(sub(p, 'name'), 'go/target-ref', 'targetRef name must be set');
    if (!TARGET_REF_KINDS.has(`${str(ref['group'])}/${str(ref['kind'])}`)) {
      report(p, 'go/target-ref', `targetRef must be a Service, ServiceEntry, Gateway or GatewayClass (got ${str(ref['group'])}/${str(ref['kind'])})`);
    }
  }
}

function checkPeerAuthentication(r: Resource, report: Report): void {
  const s = r.spec;
  checkSelector(s['selector'], 'spec.selector', report);
  const plm = obj(s['portLevelMtls']);
  if (has(s, 'portLevelMtls') && Object.keys(plm).length === 0) report('spec.portLevelMtls', 'go/peer-authentication', 'portLevelMtls must not be empty');
  if (has(s, 'mtls') && !has(s['mtls'], 'mode')) report('spec.mtls', 'cfmesh/peer-authentication', 'set mtls.mode explicitly (UNSET, DISABLE, PERMISSIVE or STRICT)');
}

const WHEN_KEY_PREFIXES = [
  'request.headers[', 'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'source.serviceAccount',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims[',
  'destination.ip', 'destination.port', 'connection.sni', 'experimental.envoy.filters.',
];

function checkStringList(v: unknown, path: string, report: Report): void {
  arr(v).forEach((e, i) => {
    if (str(e) === '') report(sub(path, i), 'go/authz', 'empty value is not allowed');
  });
}

function checkAuthorizationPolicy(r: Resource, report: Report): void {
  const s = r.spec;
  const action = str(s['action']) || 'ALLOW';
  if (action === 'CUSTOM' && str(obj(s['provider'])['name']) === '') report('spec.provider', 'go/authz', 'CUSTOM action requires provider.name');
  if (action !== 'CUSTOM' && has(s, 'provider')) report('spec.provider', 'go/authz', 'provider is only allowed with the CUSTOM action');
  if ((action === 'DENY' || action === 'CUSTOM') && !Array.isArray(s['rules'])) {
    report('spec.rules', 'go/authz', `${action} action without rules is meaningless (add an empty rule {} to match every request)`);
  }
  if (action === 'CUSTOM') {
    arr(s['rules']).forEach((rule, i) => {
      arr(obj(rule)['from']).forEach((f, j) => {
        for (const k of ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals']) {
          if (arr(obj(obj(f)['source'])[k]).length > 0) report(`spec.rules[${i}].from[${j}].source.${k}`, 'go/authz', `${k} is currently not supported with CUSTOM action`);
        }
      });
      arr(obj(rule)['when']).forEach((c, j) => {
        const key = str(obj(c)['key']);
        if (['source.namespace', 'source.serviceAccount', 'source.principal'].includes(key) || key.startsWith('request.auth.')) {
          report(`spec.rules[${i}].when[${j}].key`, 'go/authz', `${key} is currently not supported with CUSTOM action`);
        }
      });
    });
  }
  checkSelector(s['selector'], 'spec.selector', report);
  checkTargetRefs(s, report);
  arr(s['rules']).forEach((rule, i) => {
    const p = `spec.rules[${i}]`;
    if (!isObj(rule)) {
      report(p, 'go/authz', 'rule must not be null');
      return;
    }
    if (Array.isArray(rule['from']) && rule['from'].length === 0) report(sub(p, 'from'), 'go/authz', '`from` must not be empty');
    arr(rule['from']).forEach((f, j) => {
      const fp = sub(sub(p, 'from'), j);
      const src = obj(f)['source'];
      if (!isObj(src)) report(fp, 'go/authz', '`from.source` must not be nil');
      else if (Object.values(src).every((v) => arr(v).length === 0)) report(sub(fp, 'source'), 'go/authz', '`from.source` must not be empty');
      for (const [k, v] of Object.entries(obj(src))) {
        checkStringList(v, sub(sub(fp, 'source'), k), report);
        if (/ipBlocks$|IpBlocks$/.test(k)) {
          arr(v).forEach((ip, n) => {
            if (!isIpOrCidr(str(ip))) report(sub(sub(sub(fp, 'source'), k), n), 'go/authz', `"${str(ip)}" is not an IP or CIDR`);
          });
        }
      }
    });
    if (Array.isArray(rule['to']) && rule['to'].length === 0) report(sub(p, 'to'), 'go/authz', '`to` must not be empty');
    arr(rule['to']).forEach((t, j) => {
      const tp = sub(sub(p, 'to'), j);
      const op = obj(t)['operation'];
      if (!isObj(op)) report(tp, 'go/authz', '`to.operation` must not be nil');
      else if (Object.values(op).every((v) => arr(v).length === 0)) report(sub(tp, 'operation'), 'go/authz', '`to.operation` must not be empty');
      for (const [k, v] of Object.entries(obj(op))) {
        checkStringList(v, sub(sub(tp, 'operation'), k), report);
        if (k === 'ports' || k === 'notPorts') {
          arr(v).forEach((port, n) => {
            const ps = str(port);
            if (!/^\d+$/.test(ps) || Number(ps) < 1 || Number(ps) > 65535) report(sub(sub(sub(tp, 'operation'), k), n), 'go/authz', `port "${ps}" must be 1..65535`);
          });
        }
      }
    });
    arr(rule['when']).forEach((c, j) => {
      const cp = sub(sub(p, 'when'), j);
      const key = str(obj(c)['key']);
      if (key === '') report(sub(cp, 'key'), 'go/authz', '`key` must not be empty');
      else if (!WHEN_KEY_PREFIXES.some((k) => key === k || (k.endsWith('[') || k.endsWith('.') ? key.startsWith(k) : false))) {
        report(sub(cp, 'key'), 'go/authz', `unknown attribute "${key}"`);
      }
      if (arr(obj(c)['values']).length === 0 && arr(obj(c)['notValues']).length === 0) {
        report(cp, 'go/authz', `at least one of values or notValues must be set for key ${key}`);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// cross-resource checks

function crossChecks(vss: readonly VsInfo[], gws: readonly GwInfo[], drs: readonly Resource[], push: (id: string, path: string, rule: string, message: string) => void): void {
  // cfmesh: one VirtualService per host across the set (also covers IST0109 for mesh-bound VSs).
  const owner = new Map<string, string>();
  for (const vs of vss) {
    vs.hosts.forEach((h, i) => {
      const key = fqdn(h, vs.ns);
      const prev = owner.get(key);
      if (prev !== undefined && prev !== vs.id) push(vs.id, `spec.hosts[${i}]`, 'cfmesh/one-vs-per-host', `host "${h}" is already routed by ${prev}`);
      else owner.set(key, vs.id);
    });
  }

  // IST0101 (gateway) + IST0132.
  const gwByKey = new Map(gws.map((g) => [`${g.ns}/${g.name}`, g]));
  const gwNamespaces = new Set(gws.map((g) => g.ns));
  for (const vs of vss) {
    vs.gateways.forEach((ref, i) => {
      if (ref === 'mesh') return;
      const key = ref.includes('/') ? ref : `${vs.ns}/${ref}`;
      const refNs = key.split('/')[0] ?? '';
      const gw = gwByKey.get(key);
      if (!gw) {
        // `ns/name` pointing at a namespace the set emits no Gateway into is an external gateway (e.g.
        // istio-system/ingressgateway): not checkable here.
        if (refNs === vs.ns || gwNamespaces.has(refNs)) push(vs.id, `spec.gateways[${i}]`, 'IST0101', `referenced gateway "${ref}" not found in the resource set`);
        return;
      }
      const serverHosts = arr(gw.res.spec['servers']).flatMap((srv) => arr(obj(srv)['hosts']).map(str)).map(splitNsHost);
      vs.hosts.forEach((h, j) => {
        const covered = serverHosts.some(({ ns, host }) => {
          const nsOk = ns === '*' || (ns === '.' ? gw.ns === vs.ns : ns === vs.ns);
          return nsOk && hostsOverlap(host, h);
        });
        if (!covered) push(vs.id, `spec.hosts[${j}]`, 'IST0132', `host "${h}" is not defined by any server of gateway ${key}`);
      });
    });
  }

  // IST0101 (subset): every destination subset is defined by a DR for that host in the set.
  const subsetsByHost = drs.map((dr) => ({
    host: fqdn(str(dr.spec['host']), dr.metadata.namespace ?? 'default'),
    subsets: new Set(arr(dr.spec['subsets']).map((s) => str(obj(s)['name']))),
  }));
  for (const vs of vss) {
    for (const d of vs.dests) {
      if (d.subset === '') continue;
      const host = fqdn(d.host, vs.ns);
      const ok = subsetsByHost.some((dr) => hostsOverlap(dr.host, host) && dr.subsets.has(d.subset));
      if (!ok) push(vs.id, sub(d.path, 'subset'), 'IST0101', `subset "${d.subset}" of host "${d.host}" is not defined by any DestinationRule in the set`);
    }
  }

  // IST0145: no two Gateways with the same selector and port where a server of one lists a host, as
  // written, that a server of the other lists with the same bind. Istio 1.30.3
  // pkg/config/analysis/analyzers/gateway/conflictinggateway.go `isGWConflict` ->
  // pilot/pkg/model/gateway.go `CheckDuplicates`: a map lookup of each host string (`ns/` prefix
  // included), so `*.example.com` beside `shop.example.com` is no conflict (Envoy picks the exact SNI
  // first: the conformance model's selectTlsServer). Not copied: CheckDuplicates adds a server's hosts
  // to the other Gateway's known hosts when it finds none, so a later server of the same Gateway can
  // be reported against hosts the other never listed.
  for (let a = 0; a < gws.length; a++) {
    for (let b = a + 1; b < gws.length; b++) {
      const ga = gws[a];
      const gb = gws[b];
      if (!ga || !gb) continue;
      const selA = JSON.stringify(Object.entries(obj(ga.res.spec['selector'])).sort());
      const selB = JSON.stringify(Object.entries(obj(gb.res.spec['selector'])).sort());
      if (selA !== selB) continue;
      arr(ga.res.spec['servers']).forEach((sa) => {
        arr(gb.res.spec['servers']).forEach((sb, j) => {
          const pa = obj(obj(sa)['port'])['number'];
          const pb = obj(obj(sb)['port'])['number'];
          if (pa !== pb || str(obj(sa)['bind']) !== str(obj(sb)['bind'])) return;
          const ha = arr(obj(sa)['hosts']).map((h) => str(h));
          const hb = new Set(arr(obj(sb)['hosts']).map((h) => str(h)));
          const clash = ha.find((x) => hb.has(x));
          if (clash !== undefined) {
            push(`Gateway/${gb.ns}/${gb.name}`, `spec.servers[${j}]`, 'IST0145', `conflicts with Gateway/${ga.ns}/${ga.name}: same selector, port ${String(pa)} and host "${clash}"`);
          }
        });
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public API

const rid = (r: unknown): string => {
  const md = obj(obj(r)['metadata']);
  return `${str(obj(r)['kind'])}/${str(md['namespace'])}/${str(md['name'])}`;
};

export interface ValidateIstioOptions {
  /** Skip (instead of reporting) resources whose apiVersion group is not `*.istio.io`. Default false. */
  readonly ignoreNonIstioKinds?: boolean;
}

/**
 * Validate a set of emitted resources; returns every problem found (empty = valid). Each resource is first
 * normalised through JSON (as it will be serialised), so `undefined`-valued keys are ignored.
 */
export function validateIstio(resources: readonly Resource[], options: ValidateIstioOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const push = (id: string, path: string, rule: string, message: string): void => {
    problems.push({ id, path, rule, message });
  };
  const vss: VsInfo[] = [];
  const gws: GwInfo[] = [];
  const drs: Resource[] = [];
  const seen = new Set<string>();
  for (const raw of resources) {
    const r = (raw === undefined ? raw : JSON.parse(JSON.stringify(raw))) as Resource;
    if (options.ignoreNonIstioKinds === true && !/^[a-z.]*istio\.io\//.test(str(obj(r)['apiVersion']))) continue;
    const id = rid(r);
    const report: Report = (path, rule, message) => push(id, path, rule, message);
    if (!isObj(r)) {
      report('', 'meta/object', 'resource must be an object');
      continue;
    }
    if (seen.has(id)) report('metadata.name', 'meta/duplicate', `duplicate resource ${id} in the set`);
    seen.add(id);
    if (!checkTopLevel(r, report)) continue;
    if (!isObj(r.spec)) {
      report('spec', 'meta/spec', 'spec must be an object');
      continue;
    }
    for (const sp of validateSpecSchema(r.kind, r.spec)) report(sp.path, sp.rule, sp.message);
    const ns = r.metadata.namespace ?? 'default';
    switch (r.kind) {
      case 'VirtualService':
        vss.push({ ...checkVirtualService(r, ns, report), id });
        break;
      case 'Gateway':
        checkGateway(r, report);
        gws.push({ res: r, ns, name: r.metadata.name });
        break;
      case 'DestinationRule':
        checkDestinationRule(r, ns, report);
        drs.push(r);
        break;
      case 'ServiceEntry':
        checkServiceEntry(r, ns, report);
        break;
      case 'WorkloadEntry':
        checkWorkloadEntrySpec(r.spec, 'spec', report, 'workloadentry');
        break;
      case 'PeerAuthentication':
        checkPeerAuthentication(r, report);
        break;
      case 'AuthorizationPolicy':
        checkAuthorizationPolicy(r, report);
        break;
      default:
        // Sidecar: schema + CEL only.
        break;
    }
  }
  crossChecks(vss, gws, drs, push);
  return dedupe(problems);
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.id}\u0000${p.path}\u0000${p.rule}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `  ${p.id} ${p.path}: [${p.rule}] ${p.message}`).join('\n');
}

/** Throws an AssertionError listing every problem; other tests call this on cfmesh's golden outputs. */
export function assertValidIstio(resources: readonly Resource[], options: ValidateIstioOptions = {}): void {
  const problems = validateIstio(resources, options);
  if (problems.length > 0) {
    throw new AssertionError({
      message: `${problems.length} Istio validation problem(s):\n${formatProblems(problems)}`,
      actual: problems,
      expected: [],
      operator: 'validateIstio',
    });
  }
}
