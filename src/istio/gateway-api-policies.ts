import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import type { AppInfo, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { destinationRules, hostPlans } from './destination-rules.ts';
import { securityApi, type IstioOptions } from './options.ts';
import { appTarget } from './targets.ts';

/**
 * The Istio policies a Gateway API bundle still needs (docs/adr/0017-gateway-api-target.md): what
 * Gateway API has no field for but Istio applies to Gateway API traffic as to any other: a
 * DestinationRule per destination host for cf's load-balancing options, circuit breakers and the
 * HTTP/2 upgrade (Istio 1.30.3 pilot/pkg/networking/core/cluster_builder.go applies a host's
 * DestinationRule to every proxy's cluster for it, the Gateway API gateway's included), and the
 * `--mtls` PeerAuthentication.
 *
 * A backendRef names a Service, never a subset of one, so whatever would need a subset is refused
 * here, at the route: two routes to one app with different load-balancing options (Istio sets the
 * policy per host; the Istio target gives each route a subset of its own).
 */
export function gatewayApiPolicies(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions, warnings: Warning[]): { resources: Resource[]; errors: ToolError[] } {
  const plans = hostPlans(table, apps, options, warnings);
  const errors: ToolError[] = [];
  const told = new Set<string>();
  for (const route of table.routes) {
    for (const app of route.destinations.map((d) => d.app)) {
      const subset = plans.subsetFor(app, route);
      if (subset === undefined || appTarget(app, apps.get(app), options).version !== undefined || told.has(route.key)) continue;
      told.add(route.key);
      errors.push(
        new ToolError('TARGET_UNSUPPORTED', `route ${route.key}: its load-balancing option differs from another route's to app "${app}"; with Gateway API, Istio applies load balancing per Service, and a per-route policy needs a subset of the Service, which a backendRef cannot name`, {
          span: route.span,
          hint: 'give every route to the app the same options, or convert with --api istio, which supports it',
        }),
      );
    }
  }
  const resources = destinationRules(plans, apps, options);
  if (options.mtls === 'strict' || options.mtls === 'istio-mutual') {
    resources.push({ apiVersion: securityApi(options), kind: 'PeerAuthentication', metadata: { name: 'default', namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, spec: { mtls: { mode: 'STRICT' } } });
  }
  return { resources: resources.sort((a, b) => compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name)), errors };
}

/** The kinds gatewayApiPolicies may emit, for a whole-state prune. */
export function gatewayApiPolicyKinds(options: IstioOptions): { apiVersion: string; kind: string }[] {
  return [
    { apiVersion: `networking.istio.io/${options.apiVersion}`, kind: 'DestinationRule' },
    { apiVersion: securityApi(options), kind: 'PeerAuthentication' },
  ];
}
