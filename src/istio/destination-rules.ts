import type { Warning } from '../diagnostics/tool-error.ts';
import { formatDuration } from '../manifest/duration.ts';
import type { CircuitBreaker, LoadBalancing } from '../manifest/traffic.ts';
import type { Resource } from '../resource/resource.ts';
import type { AppInfo, Route, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { dnsLabel, objectName } from './names.ts';
import { networkingApi, type IstioOptions } from './options.ts';
import { appTarget } from './targets.ts';
import { mirrorOf, unreachable } from './traffic.ts';

/**
 * What each destination host needs in its DestinationRule, planned before any VirtualService is
 * written so a subset is referenced only if it is defined, and defined only if it is needed:
 * - version subsets (`name: v1`, `labels: {version: v1}`) for apps that are versions of a service;
 * - cf route `options` (load balancing), which cf sets per ROUTE while Istio sets it per HOST: when
 *   every route to a host asks for the same policy it goes on the host; otherwise each route with a
 *   policy sends its traffic to a subset of its own (the app's labels plus that policy), so two
 *   routes to one app with different options both hold;
 * - circuit breakers (app `circuit-breaker`) on the host, or on the version's subsets;
 * - HTTP/2 upgrades for http2 destinations, and ISTIO_MUTUAL under `--mtls istio-mutual`.
 */
export interface HostPlans {
  readonly hosts: ReadonlyMap<string, HostPlan>;
  /** The subset a destination of `app` on `route` uses (undefined: the whole host). */
  subsetFor(app: string, route: Route | undefined): string | undefined;
}

interface SubsetPlan {
  readonly version: string | undefined;
  readonly loadBalancer: Record<string, unknown> | undefined;
}

interface HostPlan {
  readonly host: string;
  loadBalancer: Record<string, unknown> | undefined;
  http2: boolean;
  readonly subsets: Map<string, SubsetPlan>;
  /** Circuit breakers by version ('' for the app that is the whole host). */
  readonly breakers: Map<string, CircuitBreaker>;
}

interface Policy {
  readonly key: string;
  readonly slug: string;
  readonly loadBalancer: Record<string, unknown>;
}

/** cf's load-balancing option → an Istio load balancer (undefined when the route sets none). */
export function loadBalancerPolicy(lb: LoadBalancing | undefined): Policy | undefined {
  const algorithm = lb?.algorithm;
  switch (algorithm) {
    case undefined:
      return undefined;
    case 'round-robin':
      return { key: 'round-robin', slug: 'round-robin', loadBalancer: { simple: 'ROUND_ROBIN' } };
    case 'least-connection':
      return { key: 'least-connection', slug: 'least-request', loadBalancer: { simple: 'LEAST_REQUEST' } };
    case 'hash': {
      const header = (lb?.hashHeader ?? '').toLowerCase();
      const slug = `hash-${header.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`.replace(/-+$/, '');
      return { key: `hash:${header}`, slug, loadBalancer: { consistentHash: { httpHeaderName: header } } };
    }
    default:
      return unreachable(algorithm);
  }
}

export function hostPlans(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions, warnings: Warning[]): HostPlans {
  const hosts = new Map<string, HostPlan>();
  const planFor = (host: string): HostPlan => {
    let plan = hosts.get(host);
    if (!plan) {
      plan = { host, loadBalancer: undefined, http2: false, subsets: new Map(), breakers: new Map() };
      hosts.set(host, plan);
    }
    return plan;
  };
  const target = (app: string) => appTarget(app, apps.get(app), options);
  const policies = new Map<Route, Policy | undefined>();
  // Per host: the first route to it, and whether every route to it has that route's policy key.
  const usesByHost = new Map<string, { readonly first: Route; readonly only: string; mixed: boolean }>();
  const routed: { app: string; route: Route }[] = [];

  for (const route of table.routes) {
    const policy = loadBalancerPolicy(route.loadBalancing);
    if (policy !== undefined) policies.set(route, policy); // (a route not in it has none)
    // hash_balance 0 means no load bound (CC route_options_message.rb), which is what Istio does.
    const balance = route.loadBalancing?.hashBalance;
    if (balance !== undefined && balance !== 0) {
      warnings.push({
        code: 'LOSSY',
        message: `route ${route.key}: option hash_balance=${balance} has no Istio equivalent (a DestinationRule cannot set Envoy's hash_balance_factor); hashing on ${route.loadBalancing?.hashHeader ?? 'the header'} is not load-bounded`,
        span: route.span,
      });
    }
    // The route's destinations, then its rules' (in that order).
    const key = policy?.key ?? '';
    const uses = (app: string) => {
      const t = target(app);
      planFor(t.host);
      const seen = usesByHost.get(t.host);
      if (!seen) usesByHost.set(t.host, { first: route, only: key, mixed: false });
      else if (seen.only !== key) seen.mixed = true;
      routed.push({ app, route });
    };
    for (const d of route.destinations) uses(d.app);
    for (const rule of route.controls.rules ?? []) for (const d of rule.destinations) uses(d.app);
    for (const d of route.destinations) if (d.protocol === 'http2') planFor(target(d.app).host).http2 = true;
    const mirror = mirrorOf(route.controls);
    if (mirror) {
      const t = target(mirror.app);
      const plan = planFor(t.host);
      if (t.version !== undefined) plan.subsets.set(t.version, { version: t.version, loadBalancer: undefined });
    }
  }
  // One policy for every route to the host: it belongs to the host itself.
  // (the first route to the host stands for all of them; finding it by a search of every routed
  // destination per host was quadratic when many hosts have a policy)
  for (const [host, uses] of usesByHost) {
    if (!uses.mixed && uses.only !== '') {
      (hosts.get(host) as HostPlan).loadBalancer = policies.get(uses.first)?.loadBalancer;
    }
  }
  // Subset names: a version's subset is named after the version; a route's load-balancing subset
  // after its policy (`hash-x-user`). Two different subsets of one host that would share a name
  // (`X-User` and `x_user` both slug to `hash-x-user`, or a version named like a policy subset) get
  // a hash of what they select, so no subset ever silently serves another's routes.
  const identity = (version: string | undefined, policy: Policy | undefined) => `${version ?? ''}\u0000${policy?.key ?? ''}`;
  const desired = (version: string | undefined, policy: Policy | undefined) => (policy ? dnsLabel(version !== undefined ? `${version}-${policy.slug}` : policy.slug) : version);
  const wants = new Map<string, Map<string, Set<string>>>(); // host → desired name → identities
  const want = (host: string, version: string | undefined, policy: Policy | undefined) => {
    const name = desired(version, policy);
    if (name === undefined) return;
    const names = wants.get(host) ?? new Map<string, Set<string>>();
    wants.set(host, names);
    const ids = names.get(name) ?? new Set<string>();
    names.set(name, ids);
    ids.add(identity(version, policy));
  };
  const usePolicy = (host: string, policy: Policy | undefined) => (policy && hosts.get(host)?.loadBalancer === undefined ? policy : undefined);
  // A destination of no version on a route of no policy wants no subset (most of them): skipped.
  const plain = ({ app, route }: { app: string; route: Route }) => policies.get(route) === undefined && target(app).version === undefined;
  for (const entry of routed) {
    if (plain(entry)) continue;
    const t = target(entry.app);
    want(t.host, t.version, usePolicy(t.host, policies.get(entry.route)));
  }
  const subsetName = (app: string, route: Route | undefined): string | undefined => {
    const t = target(app);
    const policy = usePolicy(t.host, route ? policies.get(route) : undefined);
    const name = desired(t.version, policy);
    if (name === undefined) return undefined;
    const ids = wants.get(t.host)?.get(name);
    if (!ids || ids.size <= 1 || policy === undefined) return name;
    return dnsLabel(`${name}-${shortHash(identity(t.version, policy))}`);
  };
  for (const entry of routed) {
    if (plain(entry)) continue;
    const { app, route } = entry;
    const name = subsetName(app, route);
    if (name === undefined) continue;
    const t = target(app);
    const policy = usePolicy(t.host, policies.get(route));
    const plan = hosts.get(t.host) as HostPlan;
    plan.subsets.set(name, { version: t.version, loadBalancer: policy?.loadBalancer });
  }
  // Circuit breakers protect the app from every client in the mesh, routed by cfmesh or not.
  for (const info of [...apps.values()].sort((a, b) => compare(a.name, b.name))) {
    const cb = info.circuitBreaker;
    if (!cb) continue;
    const t = target(info.name);
    const plan = planFor(t.host);
    plan.breakers.set(t.version ?? '', cb);
    if (t.version !== undefined && !plan.subsets.has(t.version)) plan.subsets.set(t.version, { version: t.version, loadBalancer: undefined });
  }
  // With no version and no policy anywhere, no destination has a subset: asked per destination of
  // every VirtualService, the answer needs no lookups then.
  const none = policies.size === 0 && ![...apps.values()].some((a) => a.version !== undefined);
  return { hosts, subsetFor: none ? () => undefined : subsetName };
}

/** One DestinationRule per host that needs one; never an empty trafficPolicy. */
export function destinationRules(plans: HostPlans, _apps: ReadonlyMap<string, AppInfo>, options: IstioOptions): Resource[] {
  const out: Resource[] = [];
  const mutual = options.mtls === 'istio-mutual';
  // (a host that needs nothing gets no DestinationRule: left out before sorting, most hosts are so)
  const needed = [...plans.hosts.values()].filter((p) => mutual || p.loadBalancer !== undefined || p.http2 || p.subsets.size > 0 || p.breakers.size > 0);
  for (const plan of needed.sort((a, b) => compare(a.host, b.host))) {
    const top = trafficPolicy(plan.loadBalancer, plan.breakers.get(''), plan.http2, mutual);
    const subsets = [...plan.subsets.entries()].sort((a, b) => compare(a[0], b[0])).map(([name, s]) => {
      const subset: Record<string, unknown> = { name };
      if (s.version !== undefined) subset['labels'] = { version: s.version };
      // A subset's connectionPool replaces the host's whole, so it repeats the HTTP/2 upgrade.
      const breaker = s.version !== undefined ? plan.breakers.get(s.version) : undefined;
      const policy = trafficPolicy(s.loadBalancer, breaker, plan.http2 && breaker !== undefined, false);
      if (policy) subset['trafficPolicy'] = policy;
      return subset;
    });
    if (!top && subsets.length === 0) continue;
    const spec: Record<string, unknown> = { host: plan.host };
    if (top) spec['trafficPolicy'] = top;
    if (subsets.length > 0) spec['subsets'] = subsets;
    out.push({ apiVersion: networkingApi(options), kind: 'DestinationRule', metadata: { name: objectName(plan.host), namespace: options.namespace, labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } }, spec });
  }
  return out;
}

function trafficPolicy(
  loadBalancer: Record<string, unknown> | undefined,
  breaker: CircuitBreaker | undefined,
  http2: boolean,
  mutual: boolean,
): Record<string, unknown> | undefined {
  const policy: Record<string, unknown> = {};
  if (loadBalancer) policy['loadBalancer'] = loadBalancer;
  const pool = connectionPool(breaker, http2);
  if (pool) policy['connectionPool'] = pool;
  const outlier = outlierDetection(breaker);
  if (outlier) policy['outlierDetection'] = outlier;
  if (mutual) policy['tls'] = { mode: 'ISTIO_MUTUAL' };
  return Object.keys(policy).length > 0 ? policy : undefined;
}

/** circuit-breaker → connectionPool (tcp.maxConnections, http.http1MaxPendingRequests, http.maxRequestsPerConnection). */
function connectionPool(cb: CircuitBreaker | undefined, http2: boolean): Record<string, unknown> | undefined {
  const tcp: Record<string, unknown> = {};
  const http: Record<string, unknown> = {};
  if (cb?.maxConnections !== undefined) tcp['maxConnections'] = cb.maxConnections;
  if (cb?.maxPendingRequests !== undefined) http['http1MaxPendingRequests'] = cb.maxPendingRequests;
  if (cb?.maxRequestsPerConnection !== undefined) http['maxRequestsPerConnection'] = cb.maxRequestsPerConnection;
  if (http2) http['h2UpgradePolicy'] = 'UPGRADE';
  const pool: Record<string, unknown> = {};
  if (Object.keys(tcp).length > 0) pool['tcp'] = tcp;
  if (Object.keys(http).length > 0) pool['http'] = http;
  return Object.keys(pool).length > 0 ? pool : undefined;
}

/** circuit-breaker → outlierDetection; consecutive-errors is consecutive5xxErrors (never the deprecated consecutiveErrors). */
function outlierDetection(cb: CircuitBreaker | undefined): Record<string, unknown> | undefined {
  if (!cb) return undefined;
  const out: Record<string, unknown> = {};
  if (cb.consecutiveErrors !== undefined) out['consecutive5xxErrors'] = cb.consecutiveErrors;
  if (cb.intervalMs !== undefined) out['interval'] = formatDuration(cb.intervalMs);
  if (cb.baseEjectionTimeMs !== undefined) out['baseEjectionTime'] = formatDuration(cb.baseEjectionTimeMs);
  if (cb.maxEjectionPercent !== undefined) out['maxEjectionPercent'] = cb.maxEjectionPercent;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** 8 hex digits of FNV-1a: a short, stable tag for names that would otherwise clash. */
function shortHash(text: string): string {
  let h = 2166136261;
  for (const ch of text) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
