import { istioChangeModel } from '../istio/change-model.ts';
import { gatewayApiPolicyKinds } from '../istio/gateway-api-policies.ts';
import { resourceId, type Resource } from '../resource/resource.ts';
import type { ChangeModel, Target } from '../target/target.ts';
import { gatewayApiLive } from './live.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_V1, REFERENCE_GRANT_API, TCP_ROUTE_API, type GatewayApiOptions } from './options.ts';
import { sortGatewayApi, translateGatewayApi } from './translate.ts';

/**
 * The Gateway API target: the route table as gateway.networking.k8s.io resources (Gateway API
 * v1.5.1), plus the Istio policies that Gateway API has no field for (docs/adr/0017).
 * Channels: Gateway, HTTPRoute and ReferenceGrant are in the standard channel; TCPRoute only in
 * the experimental one.
 */
export function gatewayApiTarget(options: GatewayApiOptions): Target {
  return {
    label: 'Gateway API',
    translate: (table) => translateGatewayApi(table, options),
    sort: sortGatewayApi,
    kinds: [
      { apiVersion: GATEWAY_API_V1, kind: 'Gateway' },
      { apiVersion: GATEWAY_API_V1, kind: 'HTTPRoute' },
      { apiVersion: TCP_ROUTE_API, kind: 'TCPRoute' },
      { apiVersion: REFERENCE_GRANT_API, kind: 'ReferenceGrant' },
      ...gatewayApiPolicyKinds(options),
    ],
    crdHints: {
      group: (group) =>
        group === GATEWAY_API_GROUP
          ? 'install the Gateway API CRDs v1.5.1: kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml (experimental-install.yaml for TCPRoute)'
          : 'install Istio (istioctl install, or the istio/base Helm chart): Istio applies the load-balancing, circuit-breaker and mTLS policies',
      version: (group, served) => {
        if (group !== GATEWAY_API_GROUP) return 'upgrade Istio or choose another --istio-api';
        // v1 served but not v1alpha2: the standard channel, which has no TCPRoute.
        if (served.includes('v1')) return 'TCP routes need TCPRoute, which only the experimental channel serves: install experimental-install.yaml of Gateway API v1.5.1';
        return `install the Gateway API CRDs v1.0 or newer (v1.5.1 tested): the emitted kinds are ${GATEWAY_API_V1}`;
      },
      kind: (kind, group) =>
        group === GATEWAY_API_GROUP
          ? kind === 'TCPRoute'
            ? 'TCPRoute is in the experimental channel only: install experimental-install.yaml of Gateway API v1.5.1'
            : `install the Gateway API v1.5.1 standard CRDs, which serve ${kind}`
          : 'install the matching Istio CRDs',
    },
    // Gateway API v1.4.0 made HTTPRoute rule names standard (v1.3.0: mirror percentages, v1.2.0:
    // timeouts): kubernetes-sigs/gateway-api config/crd/standard/…_httproutes.yaml at each tag.
    crdVersions: [
      {
        crd: 'httproutes.gateway.networking.k8s.io',
        group: GATEWAY_API_GROUP,
        annotation: 'gateway.networking.k8s.io/bundle-version',
        atLeast: 'v1.4.0',
        hint: 'older HTTPRoute CRDs drop rule names (v1.4), mirror percentages (v1.3) and timeouts (v1.2) without an error: install the Gateway API CRDs v1.4.0 or newer (v1.5.1 tested)',
      },
    ],
    changes: gatewayApiChangeModel(options),
    live: gatewayApiLive(),
  };
}

/**
 * How the resources depend on routes: an HTTPRoute belongs to its host (and holds its wildcard
 * hosts' routes, as a VirtualService does, so change sets widen the same way), a TCPRoute to its
 * route; the Gateway and ReferenceGrants are made from every route; the Istio policies are the
 * Istio target's (istio/change-model.ts).
 */
function gatewayApiChangeModel(options: GatewayApiOptions): ChangeModel {
  const istio = istioChangeModel(options);
  return {
    placement: istio.placement,
    derived: istio.derived,
    builtWhole: (resource, fqdns, hosts) => {
      if (!resource.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)) return istio.builtWhole(resource, fqdns, hosts);
      if (resource.kind === 'HTTPRoute') return fqdns.has(String((resource.spec['hostnames'] as unknown[] | undefined)?.[0] ?? ''));
      return true;
    },
    withReferences: (changed, context) => {
      const ids = new Set(changed.map(resourceId));
      if (!changed.some((r) => r.kind === 'HTTPRoute' || r.kind === 'TCPRoute')) return [...changed];
      const extra = context.filter((r: Resource) => !ids.has(resourceId(r)) && r.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`) && (r.kind === 'Gateway' || r.kind === 'ReferenceGrant'));
      return extra.length === 0 ? [...changed] : sortGatewayApi([...changed, ...extra]);
    },
  };
}
