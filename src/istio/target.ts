import type { Target } from '../target/target.ts';
import { istioChangeModel } from './change-model.ts';
import { istioLive } from './live.ts';
import { networkingApi, securityApi, type IstioOptions } from './options.ts';
import { sortResources, translate } from './translate.ts';

/** The Istio target: the route table as networking.istio.io and security.istio.io resources. */
export function istioTarget(options: IstioOptions): Target {
  const networking = networkingApi(options);
  const security = securityApi(options);
  return {
    label: 'Istio',
    translate: (table, emit) => translate(table, options, emit),
    sort: sortResources,
    kinds: [
      { apiVersion: networking, kind: 'Gateway' },
      { apiVersion: networking, kind: 'VirtualService' },
      { apiVersion: networking, kind: 'DestinationRule' },
      { apiVersion: networking, kind: 'ServiceEntry' },
      { apiVersion: networking, kind: 'WorkloadEntry' },
      { apiVersion: security, kind: 'PeerAuthentication' },
      { apiVersion: security, kind: 'AuthorizationPolicy' },
    ],
    crdHints: {
      group: () => 'install Istio (istioctl install, or the istio/base Helm chart) or choose a context whose cluster runs Istio',
      // networking.istio.io/v1 is served from Istio 1.22 (ADR 0003).
      version: (_group, served) => (served.includes('v1beta1') ? 'this Istio is older than 1.22: pass --istio-api v1beta1' : 'upgrade Istio or choose another --istio-api'),
      kind: () => 'install the matching Istio CRDs',
    },
    changes: istioChangeModel(options),
    live: istioLive(options),
  };
}
