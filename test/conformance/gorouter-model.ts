// An executable model of where Cloud Foundry sends a request: gorouter for HTTP, cf-tcp-router for
// TCP, plus the meaning cfmesh's manifest extension gives weights, `methods`, `rules` and
// `tls.https-redirect` on top of gorouter's choice. Every rule cites the line it comes from:
//   GR  = cloudfoundry/gorouter @ 5174c184566bddac55a2fa42da4f67088de2c097 (pinned by routing-release v0.317.0)
//   TCP = cloudfoundry/cf-tcp-router @ 5431d45dbc75444defab57046ffbef2737101e47 (pinned by routing-release v0.317.0)
//   Go  = Go's net/url (url.go `setPath`, `EscapedPath`, `validEncoded`; pkg.go.dev/net/url#URL.EscapedPath)
//   EXT = cfmesh's manifest extension as docs/traffic.md and the brief of issue 11 define it
// The registry is built from CC's route mappings (cloud-controller.ts), which is what route_emitter
// turns into gorouter registrations for the RUNNING instances of each destination.
import { RE2JS } from 're2js';
import { cfView, type CfDestination, type CfRoute, type CfView } from './cloud-controller.ts';
import type { ControlsDesc, HttpRequestDesc, ManifestDesc, RequestDesc, RuleDesc, StringMatchDesc } from './manifest-desc.ts';
import { appTarget, refusedOutcome, splitOutcome, statusOutcome, type Outcome, type Target } from './outcome.ts';

/** A gorouter pool: one route key, the mappings (manifest routes) registered under it, and its endpoints. */
interface Pool {
  readonly key: string;
  /** Manifest routes whose key is this one (`/docs` and `/Docs/` are one pool). */
  readonly routes: CfRoute[];
  /** Every manifest route with this key, running or not: whose controls (EXT) the key has. */
  readonly spellings: CfRoute[];
  /** Destinations with running instances; an (app, port) registered twice is one set of endpoints. */
  readonly endpoints: Map<string, CfDestination>;
}

export interface GorouterModel {
  readonly view: CfView;
  readonly pools: ReadonlyMap<string, Pool>;
  /** Every prefix (by path segment) of a registered key: the trie's nodes. */
  readonly nodes: ReadonlySet<string>;
  /** Lowercased hosts that have at least one live pool (for the https-redirect rule). */
  readonly liveHosts: ReadonlySet<string>;
  /** https-redirect per lowercased host (EXT: TLS belongs to the host). */
  readonly redirectHosts: ReadonlySet<string>;
  /** Hosts with `tls` (a certificate): where HTTPS is served (EXT). */
  readonly tlsHosts: ReadonlySet<string>;
  /** TCP: gateway port → the route listening there. */
  readonly tcpByPort: ReadonlyMap<number, CfRoute>;
}

/**
 * GR route/uris.go `RouteKey` (lines 29-35): lowercase, cut at the first `?`. The trie then stores
 * and walks `Uri.String()` (lines 25-27), which trims ONE trailing `/` (container/trie.go `Insert`
 * line 83, `MatchUri` line 48): so `/docs/` and `/Docs` are one key.
 */
export function routeKey(uri: string): string {
  let key = uri.toLowerCase();
  const q = key.indexOf('?');
  if (q >= 0) key = key.slice(0, q);
  return key;
}

function trieString(uri: string): string {
  const s = uri.endsWith('/') ? uri.slice(0, -1) : uri;
  return s.startsWith('/') ? s.slice(1) : s;
}

/**
 * GR route/uris.go `NextWildcard` (lines 14-23): drop a leading `*.`, then replace everything up
 * to the first `.` by `*.`: `a.b.example.com/x` → `*.b.example.com/x` → `*.example.com/x` →
 * `*.com/x` → error. The path is kept (it is part of the string).
 */
export function nextWildcard(uri: string): string | undefined {
  const rest = uri.startsWith('*.') ? uri.slice(2) : uri;
  const i = rest.indexOf('.');
  if (i === -1) return undefined;
  return `*.${rest.slice(i + 1)}`;
}

/** GR handlers/helpers.go `hostWithoutPort` (lines 37-47): everything before the first `:`. */
export function hostWithoutPort(host: string): string {
  const i = host.indexOf(':');
  return i >= 0 ? host.slice(0, i) : host;
}

/**
 * Go's `URL.EscapedPath` for a request-target path: the raw form as sent when it is a valid
 * encoding (url.go `setPath` keeps it as RawPath when it differs from Go's own escaping, and
 * `EscapedPath` returns RawPath when `validEncoded` and it unescapes to Path). For the inputs the
 * generator writes (RFC 3986 pchars and well-formed %XX) that is the raw path itself; anything else
 * is outside the model and throws, so a generator bug cannot pass silently.
 */
export function escapedPath(rawPath: string): string {
  if (!/^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@[\]/]|%[0-9A-Fa-f]{2})*)?$/.test(rawPath)) {
    throw new Error(`model: request path ${JSON.stringify(rawPath)} is not a valid escaped path (outside the model)`);
  }
  return rawPath === '' ? '/' : rawPath;
}

/**
 * Registers every route mapping the way route_emitter and gorouter do:
 * - only RUNNING instances are registered, and a pool exists only while it has endpoints: GR
 *   registry/registry.go `register` creates the pool on the first endpoint (lines 114-139) and
 *   `unregister` deletes it with its last one (lines 195-204; `EmptyPoolResponseCode503` with a
 *   timeout would delay that, but routing-release v0.317.0 jobs/gorouter/spec lines 553-559 default
 *   `empty_pool_timeout` to 0s: "gorouter will remove empty pools"). So a route whose every destination has 0 instances is not in the
 *   registry at all, and its requests fall through to a less specific route.
 * - endpoints are keyed by address (GR route/pool.go `Put`, `p.index[endpoint.CanonicalAddr()]`,
 *   lines 257-300): the same instance registered for `/docs` and `/Docs/` is one endpoint.
 * - TCP: cf-tcp-router writes one HAProxy frontend per port with one `server` line per backend
 *   (TCP configurer/haproxy/config_marshaller.go `marshalHAProxyFrontend`, lines 38-75); a port
 *   without backends has no frontend.
 * `tcpPorts` gives the ports the platform allocated to TCP routes written without one (cf: a
 * router-group port); it comes from cfmesh's own allocation, which another property checks.
 */
export function buildGorouter(desc: ManifestDesc, tcpPorts: ReadonlyMap<string, number> = new Map()): GorouterModel {
  const view = cfView(desc);
  const pools = new Map<string, Pool>();
  const tcpByPort = new Map<number, CfRoute>();
  const redirectHosts = new Set<string>();
  const tlsHosts = new Set<string>();
  const spellings = new Map<string, CfRoute[]>();
  for (const route of view.routes) {
    if (route.protocol !== 'tcp') {
      const key = trieString(routeKey(`${route.fqdn}${route.path ?? ''}`));
      spellings.set(key, [...(spellings.get(key) ?? []), route]);
    }
  }
  for (const route of view.routes) {
    if (route.protocol !== 'tcp' && route.controls.tls) tlsHosts.add(route.fqdn);
    const live = route.destinations.filter((d) => d.instances > 0);
    if (route.protocol === 'tcp') {
      const port = route.port ?? tcpPorts.get(route.url);
      if (port === undefined) throw new Error(`model: no platform port for ${route.url}`);
      if (live.length > 0) tcpByPort.set(port, route);
      continue;
    }
    // EXT: TLS belongs to the host (docs/traffic.md "TLS belongs to the host"): a host redirects
    // when any of its routes asks for it (cfmesh refuses routes of one host that disagree).
    if (route.controls.tls?.httpsRedirect) redirectHosts.add(route.fqdn);
    if (live.length === 0) continue;
    const key = trieString(routeKey(`${route.fqdn}${route.path ?? ''}`));
    let pool = pools.get(key);
    if (!pool) {
      pool = { key, routes: [], spellings: spellings.get(key) ?? [], endpoints: new Map() };
      pools.set(key, pool);
    }
    pool.routes.push(route);
    for (const d of live) if (!pool.endpoints.has(`${d.app}:${d.port}`)) pool.endpoints.set(`${d.app}:${d.port}`, d);
  }
  const nodes = new Set<string>();
  const liveHosts = new Set<string>();
  for (const key of pools.keys()) {
    const segments = key.split('/');
    liveHosts.add(segments[0] as string);
    for (let i = 1; i <= segments.length; i++) nodes.add(segments.slice(0, i).join('/'));
  }
  return { view, pools, nodes, liveHosts, redirectHosts, tlsHosts, tcpByPort };
}

/**
 * GR registry/container/trie.go `MatchUri` (lines 47-80): walk the key segment by segment
 * (`strings.Cut(key, "/")`) while a child node exists, remembering the deepest node whose pool has
 * endpoints: the longest registered prefix by whole segments, so `/api` matches `/api/x` but never
 * `/apiary`. (The fallback to an empty pool at the last node, lines 74-77, cannot happen here:
 * empty pools are not in the registry, see `buildGorouter`.)
 */
function matchUri(model: GorouterModel, uri: string): Pool | undefined {
  const segments = trieString(uri).split('/');
  let last: Pool | undefined;
  for (let i = 1; i <= segments.length; i++) {
    const key = segments.slice(0, i).join('/');
    if (!model.nodes.has(key)) break;
    last = model.pools.get(key) ?? last;
  }
  return last;
}

/** GR registry/registry.go `lookup` (lines 220-232): RouteKey, MatchUri, then the NextWildcard walk. */
export function lookupPool(model: GorouterModel, uri: string): Pool | undefined {
  let key: string | undefined = routeKey(uri);
  let pool = matchUri(model, key);
  while (!pool && key !== undefined) {
    key = nextWildcard(key);
    if (key !== undefined) pool = matchUri(model, key);
  }
  return pool;
}

function splitTarget(target: string): { path: string; query: string | undefined } {
  const q = target.indexOf('?');
  return q >= 0 ? { path: target.slice(0, q), query: target.slice(q + 1) } : { path: target, query: undefined };
}

/** The first value of each query parameter, as written (the generator writes plain tokens). */
function queryParams(query: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (query ?? '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    if (!out.has(name)) out.set(name, eq >= 0 ? part.slice(eq + 1) : '');
  }
  return out;
}

/** EXT: a match value `exact` (equal), `prefix` (starts with) or `regex` (RE2, the whole value). */
function stringMatches(m: StringMatchDesc, value: string | undefined): boolean {
  if (value === undefined) return false;
  if ('exact' in m) return value === m.exact;
  if ('prefix' in m) return value.startsWith(m.prefix);
  return RE2JS.compile(m.regex).matches(value);
}

/** EXT docs/traffic.md `rules`: every condition of the match must hold (headers by lowercased name). */
function ruleMatches(rule: RuleDesc, request: HttpRequestDesc, query: Map<string, string>): boolean {
  for (const [name, m] of Object.entries(rule.match.headers ?? {})) if (!stringMatches(m, request.headers[name.toLowerCase()])) return false;
  if (rule.match.method && !stringMatches(rule.match.method, request.method)) return false;
  for (const [name, m] of Object.entries(rule.match.queryParams ?? {})) if (!stringMatches(m, query.get(name))) return false;
  return true;
}

/**
 * Shares over destinations. gorouter balances per endpoint (round robin or least connection over
 * the pool's endpoints, GR route/pool.go `Endpoints` lines 378-391), so each destination's share is
 * ∝ its running instances. EXT: explicit weights replace that: shares ∝ weight over the
 * destinations that have instances (a weighted destination with 0 instances serves nothing).
 * Ambiguous case, choice: when every destination with instances has weight 0, the route still has
 * endpoints and gorouter would serve it, so it is split by instances.
 */
function shareOut(destinations: readonly { app: string; port: number; instances: number; weight?: number | undefined }[], weighted: boolean, trace: string[]): Outcome {
  const live = destinations.filter((d) => d.instances > 0);
  const byWeight = weighted && live.some((d) => (d.weight ?? 0) > 0);
  const parts = live.map((d) => ({ target: appTarget(d.app, d.port) as Target, weight: byWeight ? (d.weight ?? 0) : d.instances }));
  trace.push(byWeight ? `split by weight over live destinations: ${parts.map((p) => `${p.target}×${p.weight}`).join(' ')}` : `split by instances: ${parts.map((p) => `${p.target}×${p.weight}`).join(' ')}`);
  return splitOutcome(parts, trace);
}

/**
 * EXT: the routes that gorouter keys alike (`/docs`, `/Docs/`) are one route, so the key has the
 * controls of every one of them, whether its own destinations run or not (cfmesh says so with a
 * NOTICE, and refuses two of them that set one control differently).
 */
function poolControls(pool: Pool): ControlsDesc {
  const out: Record<string, unknown> = {};
  for (const r of pool.spellings) for (const [k, v] of Object.entries(r.controls)) if (!(k in out)) out[k] = v;
  return out as ControlsDesc;
}

/**
 * EXT https-redirect: a plain-HTTP request is answered 301 iff the most specific host that has at
 * least one live route (the request's host, then the NextWildcard walk over the host) redirects.
 * A wildcard's redirect therefore never reaches a host that has live routes of its own.
 */
function redirectHostFor(model: GorouterModel, host: string): string | undefined {
  let h: string | undefined = host;
  while (h !== undefined) {
    if (model.liveHosts.has(h)) return h;
    h = nextWildcard(h);
  }
  return undefined;
}

export function decideHttp(model: GorouterModel, request: HttpRequestDesc): Outcome {
  const trace: string[] = [];
  const { path, query } = splitTarget(request.target);
  // GR handlers/lookup.go `lookup` (lines 189-206): uri = hostWithoutPort(r.Host) + r.URL.EscapedPath().
  const host = hostWithoutPort(request.host).toLowerCase();
  const uri = `${host}${escapedPath(path)}`;
  if (request.scheme === 'https') {
    // EXT: HTTPS is served for a host that has `tls`, and for the hosts below a wildcard host that
    // has it (its certificate's name covers them, the way the gateway picks a certificate by SNI:
    // exact name, then the most specific `*.suffix`, which is the NextWildcard walk). Elsewhere the
    // TLS handshake finds no certificate: refused. Over HTTPS there is nothing to redirect.
    let h: string | undefined = host;
    while (h !== undefined && !model.tlsHosts.has(h)) h = nextWildcard(h);
    if (h === undefined) return refusedOutcome([`https: no tls host covers ${host} → refused`]);
    trace.push(`https: certificate of ${h}`);
  }
  const tlsHost = request.scheme === 'https' ? undefined : redirectHostFor(model, host);
  if (tlsHost !== undefined && model.redirectHosts.has(tlsHost)) {
    trace.push(`host ${tlsHost} (most specific with live routes) has https-redirect → 301`);
    return statusOutcome(301, trace);
  }
  const pool = lookupPool(model, uri);
  if (!pool) {
    // GR handlers/lookup.go lines 83-86 → `handleMissingRoute`: 404 unknown_route.
    trace.push(`no pool for ${routeKey(uri)} or any wildcard → 404`);
    return statusOutcome(404, trace);
  }
  trace.push(`pool ${pool.key} (routes ${pool.routes.map((r) => r.url).join(', ')})`);
  const controls = poolControls(pool);
  // EXT `methods`: a method not listed is refused for exactly this route's requests.
  if (controls.methods && !controls.methods.includes(request.method)) {
    trace.push(`method ${request.method} not in ${controls.methods.join(',')} → 405`);
    return statusOutcome(405, trace);
  }
  const params = queryParams(query);
  for (const [i, rule] of (controls.rules ?? []).entries()) {
    if (!ruleMatches(rule, request, params)) continue;
    const dests = rule.destinations.map((d) => {
      const app = model.view.apps.get(d.name);
      return { app: d.name, port: app?.port ?? 8080, instances: app?.instances ?? 0, weight: d.weight };
    });
    // Choice (ambiguous): a rule whose destinations have no running instance captures nothing,
    // like a route without instances; the request goes on to the next rule or the route's own.
    if (!dests.some((d) => d.instances > 0)) {
      trace.push(`rule ${i + 1} matches but has no running instance; skipped`);
      continue;
    }
    trace.push(`rule ${i + 1} matches`);
    return shareOut(dests, dests.some((d) => d.weight !== undefined), trace);
  }
  const weighted = pool.routes.some((r) => r.weighted);
  if (weighted && pool.routes.length > 1) throw new Error(`model: weighted and other mappings share key ${pool.key} (not generated)`);
  return shareOut([...pool.endpoints.values()], weighted, trace);
}

/** TCP: the frontend on the port (TCP config_marshaller.go `bind :%d`), HAProxy's default round robin over its servers. */
export function decideTcp(model: GorouterModel, port: number): Outcome {
  const route = model.tcpByPort.get(port);
  if (!route) return refusedOutcome([`no TCP route with running instances on port ${port} → refused`]);
  const trace = [`TCP route ${route.url} on port ${port}`];
  return shareOut(route.destinations, route.weighted, trace);
}

export function gorouterDecide(model: GorouterModel, request: RequestDesc): Outcome {
  return request.kind === 'tcp' ? decideTcp(model, request.port) : decideHttp(model, request);
}
