import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import type { AppInfo, Route, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { destinationRules, hostPlans, loadBalancerPolicy } from './destination-rules.ts';
import { objectName } from './names.ts';
import { networkingApi, securityApi, type IstioOptions } from './options.ts';
import { appTarget } from './targets.ts';

/**
 * The Istio policies a Gateway API bundle still needs (docs/adr/0017-gateway-api-target.md): what
 * Gateway API has no field for but Istio applies to Gateway API traffic as to any other (a
 * DestinationRule applies to every proxy's cluster for its host, the Gateway API gateway's
 * included: Istio 1.30.3 pilot/pkg/networking/core/cluster_builder.go applyDestinationRule):
 * a DestinationRule per destination host for cf's load-balancing options, circuit breakers and the
 * HTTP/2 upgrade, and the `--mtls` PeerAuthentication.
 *
 * A backendRef names a Service, never a subset of one, so load balancing can only be the host's:
 * - the routes to a host that set an option agree: it is the host's policy; routes to the host that
 *   set none get it too, which a warning says (cf balances them round-robin);
 * - they disagree: refused at the routes (the Istio target gives each route a subset of its own).
 */
export function gatewayApiPolicies(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions, warnings: Warning[]): { resources: Resource[]; errors: ToolError[] } {
  const errors: ToolError[] = [];
  const hostOf = (app: string) => appTarget(app, apps.get(app), options).host;
  const routesTo = new Map<string, Route[]>();
  for (const route of table.routes) {
    const names = [...route.destinations.map((d) => d.app), ...(route.controls.rules ?? []).flatMap((r) => r.destinations.map((d) => d.app))];
    for (const host of new Set(names.map(hostOf))) routesTo.set(host, [...(routesTo.get(host) ?? []), route]);
    const balance = route.loadBalancing?.hashBalance;
    if (balance !== undefined && balance !== 0) {
      warnings.push({ code: 'LOSSY', message: `route ${route.key}: option hash_balance=${balance} has no Istio equivalent (a DestinationRule cannot set Envoy's hash_balance_factor); hashing on ${route.loadBalancing?.hashHeader ?? 'the header'} is not load-bounded`, span: route.span });
    }
  }
  const balancers = new Map<string, Record<string, unknown>>();
  for (const [host, routes] of [...routesTo.entries()].sort((a, b) => compare(a[0], b[0]))) {
    const policies = new Map<string, { route: Route; loadBalancer: Record<string, unknown> }>();
    for (const route of routes) {
      const p = loadBalancerPolicy(route.loadBalancing);
      if (p && !policies.has(p.key)) policies.set(p.key, { route, loadBalancer: p.loadBalancer });
    }
    if (policies.size > 1) {
      for (const { route } of policies.values()) {
        errors.push(
          new ToolError('TARGET_UNSUPPORTED', `route ${route.key}: its load-balancing option differs from another route's to ${host}; with Gateway API, Istio balances per Service, and a per-route policy needs a subset of the Service, which a backendRef cannot name`, {
            span: route.span,
            hint: 'give every route to the app the same options, or convert with --api istio, which supports it',
          }),
        );
      }
      continue;
    }
    const only = [...policies.values()][0];
    if (!only) continue;
    balancers.set(host, only.loadBalancer);
    const without = routes.filter((r) => loadBalancerPolicy(r.loadBalancing) === undefined);
    if (without.length > 0) {
      warnings.push({
        code: 'LOSSY',
        message: `route ${only.route.key}: its load-balancing option applies to every route to ${host} with Gateway API (Istio balances per Service; a backendRef cannot name a subset), so route ${without[0]?.key ?? ''}${without.length > 1 ? ` and ${without.length - 1} more` : ''} balance the same way`,
        span: only.route.span,
        hint: 'give those routes the same option to make it explicit, or convert with --api istio',
      });
    }
  }
  // Breakers, h2 and mTLS as the Istio target plans them, without per-route subsets.
  const plain: RouteTable = { routes: table.routes.map((r) => ({ ...r, loadBalancing: undefined })), apps: table.apps };
  const plans = hostPlans(plain, apps, options, []);
  const resources = destinationRules(plans, apps, options).map((dr) => {
    const lb = balancers.get(String(dr.spec['host']));
    if (!lb) return dr;
    balancers.delete(String(dr.spec['host']));
    return { ...dr, spec: withLoadBalancer(dr.spec, lb) };
  });
  for (const [host, lb] of balancers) {
    resources.push({ apiVersion: networkingApi(options), kind: 'DestinationRule', metadata: { name: objectName(host), namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, spec: withLoadBalancer({ host }, lb) });
  }
  if (options.mtls === 'strict' || options.mtls === 'istio-mutual') {
    resources.push({ apiVersion: securityApi(options), kind: 'PeerAuthentication', metadata: { name: 'default', namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, spec: { mtls: { mode: 'STRICT' } } });
  }
  return { resources: resources.sort((a, b) => compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name)), errors };
}

/** The host's trafficPolicy with the load balancer first, as destination-rules.ts orders its fields. */
function withLoadBalancer(spec: Readonly<Record<string, unknown>>, loadBalancer: Record<string, unknown>): Record<string, unknown> {
  const policy = (spec['trafficPolicy'] ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { host: spec['host'], trafficPolicy: { loadBalancer, ...policy } };
  if (spec['subsets'] !== undefined) out['subsets'] = spec['subsets'];
  return out;
}

/** The kinds gatewayApiPolicies may emit, for a whole-state prune. */
export function gatewayApiPolicyKinds(options: IstioOptions): { apiVersion: string; kind: string }[] {
  return [
    { apiVersion: networkingApi(options), kind: 'DestinationRule' },
    { apiVersion: securityApi(options), kind: 'PeerAuthentication' },
  ];
}
