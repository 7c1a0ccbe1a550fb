// fast-check generators for the conformance property: random manifest descriptions that cf (and
// cfmesh's extension rules) accept, and random requests aimed at them. The pools of hosts, paths
// and names are small on purpose, so that routes collide the way real foundations do: one host
// with several paths, a wildcard over an exact host, `/docs` beside `/Docs/`, an app with 0
// instances on a path of a live host, weights, methods, TLS redirects, rules, TCP ports.
//
// Route paths are ones Cloud Controller accepts (cloud_controller_ng app/models/runtime/route.rb
// `validate_path`: a URI path per Ruby's RFC 3986 parser, so `%C3%A9` escapes and sub-delims such as
// `*` are fine; not `/` alone, no `?`).
//
// Left out, because gorouter and Envoy differ on them whatever the configuration (no translation
// can make them agree, so they would only hide real defects):
// - dot segments (`/a/../b`, `/./`): Envoy resolves them (normalize_path, RFC 3986), gorouter
//   routes the raw escaped path;
// - percent-encoded unreserved characters (`/%61pi`): Envoy decodes them (Istio's BASE
//   normalization), gorouter matches the escaped form;
// - backslashes (Envoy turns them into `/`), raw non-ASCII and invalid escapes (`%zz`), lower-case
//   methods (Envoy's RBAC refuses them), empty or IP Host headers, a Host with a trailing dot;
// - `//` in a path (an empty trie segment in gorouter, a literal in Envoy; rare and not a route cf
//   can register).
// Kept, because both routers treat them alike or a translation can make them agree: letter case
// in hosts and paths, a trailing slash, `%2F` and other escapes of reserved or non-ASCII bytes (kept
// escaped by both: Istio's escaped-slash action is KEEP_UNCHANGED), query strings, `:80`/`:8080`
// in the Host header.
import fc from 'fast-check';
import { cfView } from './cloud-controller.ts';
import type { AppDesc, AppRouteDesc, ControlsDesc, ManifestDesc, RequestDesc, RuleDesc, TopRouteDesc } from './manifest-desc.ts';

/** A request as generated: TCP connections to a route written without a port name the route (its port comes from cfmesh). */
export type GeneratedRequest = RequestDesc | { readonly kind: 'tcp-route'; readonly route: string };

export interface ConformanceCase {
  readonly manifest: ManifestDesc;
  readonly requests: readonly GeneratedRequest[];
}

const APP_NAMES = ['api', 'web', 'shop', 'docs', 'cart', 'auth', 'pay', 'db'] as const;
const HTTP_HOSTS = ['api.example.com', 'www.example.com', 'shop.example.com', 'a.b.example.com', '*.example.com', '*.b.example.com', 'api.example.org'] as const;
const PATHS = ['/v1', '/docs', '/api', '/v1/users', '/api/v2', '/caf%C3%A9'] as const;
// orders-db.example.com: issue 11's example of a port that moves when a route is added (see the
// TCP port property in conformance.test.ts).
const TCP_HOSTS = ['db.example.com', 'cache.example.com', 'mq.example.com', 'orders-db.example.com'] as const;
const TCP_PORTS = [2000, 2001, 5432, 30000] as const;
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE'] as const;
const DEFAULT_DOMAIN = 'apps.example.com';

type G = fc.GeneratorValue;

const pick = <T>(g: G, values: readonly T[]): T => g(fc.constantFrom, ...values);
const chance = (g: G, percent: number): boolean => g(fc.integer, { min: 1, max: 100 }) <= percent;

/** A spelling of a route path that gorouter maps to the same key (case, one trailing slash, hex case). */
function pathSpelling(g: G, path: string): string {
  switch (pick(g, ['same', 'same', 'capital', 'upper', 'slash', 'lowerhex'] as const)) {
    case 'same':
      return path;
    case 'capital':
      return path.replace(/\/([a-z])/g, (_, c: string) => `/${c.toUpperCase()}`);
    case 'upper':
      return path.toUpperCase();
    case 'slash':
      return `${path}/`;
    case 'lowerhex':
      return path.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  }
}

/** Integers 0..100 summing to exactly 100. */
function weights(g: G, n: number): number[] {
  const cuts = [...Array.from({ length: n - 1 }, () => g(fc.integer, { min: 0, max: 100 }))].sort((a, b) => a - b);
  const points = [0, ...cuts, 100];
  return points.slice(1).map((p, i) => p - (points[i] as number));
}

const RULE_MATCHES: readonly RuleDesc['match'][] = [
  { headers: { 'x-canary': { exact: '1' } } },
  { headers: { 'x-user': { prefix: 'a' } } },
  { method: { exact: 'POST' } },
  { queryParams: { debug: { exact: '1' } } },
  { headers: { 'user-agent': { regex: '.*(iPhone|iPad).*' } } },
];

function ruleList(g: G, apps: readonly string[]): RuleDesc[] {
  const n = g(fc.integer, { min: 1, max: 2 });
  const matches = g(fc.shuffledSubarray, [...RULE_MATCHES], { minLength: n, maxLength: n }) as RuleDesc['match'][];
  return matches.map((match) => {
    const k = g(fc.integer, { min: 1, max: Math.min(2, apps.length) });
    const names = g(fc.shuffledSubarray, [...apps], { minLength: k, maxLength: k }) as string[];
    const w = k > 1 && chance(g, 50) ? weights(g, k) : undefined;
    return { match, destinations: names.map((name, i) => (w ? { name, weight: w[i] as number } : { name })) };
  });
}

function controls(g: G, apps: readonly string[]): ControlsDesc | undefined {
  const out: { methods?: string[]; rules?: RuleDesc[] } = {};
  if (chance(g, 30)) out.methods = g(fc.shuffledSubarray, ['GET', 'POST', 'PUT', 'HEAD'], { minLength: 1, maxLength: 3 }) as string[];
  if (chance(g, 25)) out.rules = ruleList(g, apps);
  return Object.keys(out).length > 0 ? out : undefined;
}

interface MutableApp {
  name: string;
  instances?: number;
  processes?: AppDesc['processes'];
  port?: number;
  service?: string;
  version?: string;
  routes: AppRouteDesc[];
}

/**
 * A manifest description cf accepts and cfmesh's extension rules allow: unique app names (DNS
 * labels), routes CC parses, weights 0..100 summing to 100 on top-level routes only (never also
 * mapped by an app, so no mapping disagrees with them), `tls` on one route per host, rules with
 * distinct matches, one TCP route per port, versions `v1`/`v2` of one service.
 */
export function buildManifest(g: G): ManifestDesc {
  const names = g(fc.shuffledSubarray, [...APP_NAMES], { minLength: 1, maxLength: 4 }) as string[];
  const apps: MutableApp[] = names.map((name) => {
    const app: MutableApp = { name, routes: [] };
    const instances = pick(g, [undefined, 0, 1, 1, 2, 3]);
    if (instances !== undefined) app.instances = instances;
    switch (pick(g, ['none', 'none', 'none', 'web', 'web-without-instances', 'worker'] as const)) {
      case 'web':
        app.processes = [{ type: 'web', instances: pick(g, [0, 1, 2, 4]) }];
        break;
      case 'web-without-instances':
        app.processes = [{ type: 'web' }];
        break;
      case 'worker':
        app.processes = [{ type: 'worker', instances: 2 }];
        break;
      case 'none':
        break;
    }
    if (chance(g, 15)) app.port = 9000;
    return app;
  });
  if (apps.length >= 2 && chance(g, 20)) {
    (apps[0] as MutableApp).service = 'catalog';
    (apps[0] as MutableApp).version = 'v1';
    (apps[1] as MutableApp).service = 'catalog';
    (apps[1] as MutableApp).version = 'v2';
  }
  const routes: TopRouteDesc[] = [];
  const used = new Set<string>();
  const nSlots = g(fc.integer, { min: 1, max: 4 });
  const withControls: { ref: { controls?: ControlsDesc }; host: string }[] = [];
  for (let i = 0; i < nSlots; i++) {
    const host = pick(g, HTTP_HOSTS);
    const path = pick(g, [undefined, undefined, ...PATHS]);
    const slot = `${host}${(path ?? '').toLowerCase()}`;
    if (used.has(slot)) continue;
    used.add(slot);
    const hostSpelling = chance(g, 10) ? host.replace(/^[a-z]/, (c) => c.toUpperCase()) : host;
    const url = (p: string | undefined) => `${hostSpelling}${p ?? ''}`;
    const loadbalancing = chance(g, 10) ? pick(g, ['round-robin', 'least-connection'] as const) : undefined;
    const kind = pick(g, ['apps', 'apps', 'top', 'weighted'] as const);
    if (kind === 'apps') {
      const k = g(fc.integer, { min: 1, max: Math.min(2, apps.length) });
      const mappers = g(fc.shuffledSubarray, apps, { minLength: k, maxLength: k }) as MutableApp[];
      mappers.forEach((app, j) => {
        const r: { route: string; controls?: ControlsDesc; loadbalancing?: AppRouteDesc['loadbalancing'] } = { route: url(path !== undefined && j > 0 ? pathSpelling(g, path) : path) };
        if (j === 0) {
          const c = controls(g, names);
          if (c) r.controls = c;
          if (loadbalancing) r.loadbalancing = loadbalancing;
          withControls.push({ ref: r, host });
        }
        app.routes.push(r);
      });
    } else {
      const k = g(fc.integer, { min: 1, max: Math.min(3, apps.length) });
      const dests = g(fc.shuffledSubarray, names, { minLength: k, maxLength: k }) as string[];
      const w = kind === 'weighted' ? weights(g, k) : undefined;
      const destinations: { name: string; weight?: number; port?: number }[] = dests.map((name, j) => (w ? { name, weight: w[j] as number } : { name }));
      // cf: the same app twice on one route with different ports is two destinations
      if (!w && chance(g, 10)) destinations.push({ name: dests[0] as string, port: 9001 });
      const r: { route: string; destinations: typeof destinations; controls?: ControlsDesc; loadbalancing?: AppRouteDesc['loadbalancing'] } = { route: url(path), destinations };
      const c = controls(g, names);
      if (c) r.controls = c;
      if (loadbalancing) r.loadbalancing = loadbalancing;
      withControls.push({ ref: r, host });
      routes.push(r);
      // an unweighted top-level route may also be mapped by an app of its own
      if (!w && chance(g, 25)) {
        const extra = pick(g, apps);
        extra.routes.push({ route: url(path !== undefined ? pathSpelling(g, path) : undefined) });
      }
    }
  }
  // TLS belongs to the host: one route of the host carries it.
  const tlsHosts = new Set<string>();
  for (const w of withControls) {
    if (tlsHosts.has(w.host) || !chance(g, 20)) continue;
    tlsHosts.add(w.host);
    const slug = w.host.replace(/\*/g, 'wildcard').replace(/\./g, '-');
    w.ref.controls = { ...(w.ref.controls ?? {}), tls: { credentialName: `cert-${slug}`, httpsRedirect: chance(g, 70) } };
  }
  // TCP routes, one per port.
  const nTcp = pick(g, [0, 0, 1, 2]);
  const ports = g(fc.shuffledSubarray, [...TCP_PORTS], { minLength: nTcp, maxLength: nTcp }) as number[];
  const tcpHosts = g(fc.shuffledSubarray, [...TCP_HOSTS], { minLength: nTcp, maxLength: nTcp }) as string[];
  for (let i = 0; i < nTcp; i++) {
    const portless = chance(g, 40);
    // A route written without a port (`protocol: tcp`) is cfmesh's extension: it gets a gateway port.
    const route = portless ? (tcpHosts[i] as string) : `${tcpHosts[i]}:${ports[i]}`;
    if (chance(g, 50)) {
      const app = pick(g, apps);
      app.routes.push(portless ? { route, protocol: 'tcp' } : { route });
    } else {
      const k = g(fc.integer, { min: 1, max: Math.min(2, apps.length) });
      const dests = g(fc.shuffledSubarray, names, { minLength: k, maxLength: k }) as string[];
      const w = k > 1 && chance(g, 50) ? weights(g, k) : undefined;
      const r: TopRouteDesc = { route, destinations: dests.map((name, j) => (w ? { name, weight: w[j] as number } : { name })) };
      routes.push(portless ? { ...r, protocol: 'tcp' } : r);
    }
  }
  const desc: { apps: AppDesc[]; routes: TopRouteDesc[]; defaultDomain?: string } = { apps: apps.map(finishApp), routes };
  if (chance(g, 30)) desc.defaultDomain = DEFAULT_DOMAIN;
  return desc;
}

function finishApp(a: MutableApp): AppDesc {
  const out: { -readonly [K in keyof AppDesc]: AppDesc[K] } = { name: a.name };
  if (a.instances !== undefined) out.instances = a.instances;
  if (a.processes) out.processes = a.processes;
  if (a.port !== undefined) out.port = a.port;
  if (a.service !== undefined) out.service = a.service;
  if (a.version !== undefined) out.version = a.version;
  if (a.routes.length > 0) out.routes = a.routes;
  return out;
}

function hostSpelling(g: G, host: string): string {
  switch (pick(g, ['same', 'same', 'upper', 'capital'] as const)) {
    case 'same':
      return host;
    case 'upper':
      return host.toUpperCase();
    case 'capital':
      return host.replace(/(^|\.)([a-z])/g, (_, dot: string, c: string) => `${dot}${c.toUpperCase()}`);
  }
}

function requestPath(g: G, base: string): string {
  switch (pick(g, ['same', 'same', 'upper', 'capital', 'slash', 'extra', 'nonboundary', 'encodedslash', 'lowerhex'] as const)) {
    case 'same':
      return base;
    case 'upper':
      return base.toUpperCase();
    case 'capital':
      return base.replace(/\/([a-z])/g, (_, c: string) => `/${c.toUpperCase()}`);
    case 'slash':
      return base.endsWith('/') ? base : `${base}/`;
    case 'extra':
      return `${base.endsWith('/') ? base : `${base}/`}${pick(g, ['x', 'v1', 'docs', 'users'])}`;
    case 'nonboundary':
      return base === '/' ? '/ary' : `${base.replace(/\/$/, '')}ary`;
    case 'encodedslash':
      return base === '/' ? '/x%2Fy' : `${base.replace(/\/$/, '')}%2Fx`;
    case 'lowerhex':
      return base.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  }
}

/** Requests aimed at the manifest: its hosts (and others under its wildcards), its paths with variants, TCP ports. */
export function buildRequests(g: G, manifest: ManifestDesc): GeneratedRequest[] {
  const view = cfView(manifest);
  const http = view.routes.filter((r) => r.protocol === 'http');
  const tcp = view.routes.filter((r) => r.protocol === 'tcp');
  const hosts = new Set<string>();
  for (const r of http) {
    if (r.fqdn.startsWith('*.')) {
      const domain = r.fqdn.slice(2);
      for (const h of [`foo.${domain}`, `api.${domain}`, `a.b.${domain}`, domain]) hosts.add(h);
    } else hosts.add(r.fqdn);
  }
  hosts.add('unknown.example.net');
  for (const r of tcp) hosts.add(r.fqdn); // HTTP to a host that has TCP routes only
  const hostList = [...hosts].sort();
  const n = g(fc.integer, { min: 4, max: 12 });
  const out: GeneratedRequest[] = [];
  for (let i = 0; i < n; i++) {
    if (chance(g, 15)) {
      const targets: GeneratedRequest[] = [
        ...tcp.map((r): GeneratedRequest => (r.port !== undefined ? { kind: 'tcp', port: r.port } : { kind: 'tcp-route', route: r.url })),
        { kind: 'tcp', port: 2999 },
        { kind: 'tcp', port: pick(g, [...TCP_PORTS]) },
      ];
      out.push(pick(g, targets));
      continue;
    }
    const host = pick(g, hostList);
    const ofHost = http.filter((r) => r.fqdn === host || (r.fqdn.startsWith('*.') && host.endsWith(r.fqdn.slice(1))));
    const paths = [...new Set([...ofHost.map((r) => r.path ?? '/'), '/', '/other', ...http.map((r) => r.path ?? '/')])];
    const path = requestPath(g, pick(g, paths));
    const query = pick(g, ['', '', '', '?q=1', '?debug=1', '?debug=0&q=2']);
    const headerSets: Record<string, string>[] = [{}, {}, { 'x-canary': '1' }, { 'x-user': 'alice' }, { 'user-agent': 'Mozilla/5.0 (iPhone)' }, { 'x-canary': '0', 'x-user': 'bob' }];
    // A quarter over HTTPS (port 443, SNI from the Host header): served where a `tls` host covers it.
    const https = chance(g, 25);
    out.push({
      kind: 'http',
      method: pick(g, METHODS),
      host: `${hostSpelling(g, host)}${pick(g, https ? ['', '', ':443'] : ['', '', ':80', ':8080'])}`,
      target: `${path}${query}`,
      headers: pick(g, headerSets),
      ...(https ? { scheme: 'https' as const } : {}),
    });
  }
  return out;
}

export const conformanceCase: fc.Arbitrary<ConformanceCase> = fc.gen().map((g) => {
  const manifest = buildManifest(g);
  return { manifest, requests: buildRequests(g, manifest) };
});
