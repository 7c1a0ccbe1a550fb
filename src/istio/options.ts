export type IstioApiVersion = 'v1' | 'v1beta1' | 'v1alpha3';

export interface IstioOptions {
  readonly namespace: string;
  /**
   * The ingress Gateway external routes bind to: a NAME cfmesh emits, or `NAMESPACE/NAME` of an
   * existing Gateway it does not own (none is emitted; see existingGateway).
   */
  readonly gateway: string;
  readonly apiVersion: IstioApiVersion;
  /** Destination host per app; `{app}`, `{namespace}` (and `{service}`, `{version}`) are replaced. */
  readonly serviceHostTemplate: string;
  readonly defaultPort: number;
  /**
   * mTLS: `off` (default; Istio's auto mTLS decides), `strict` (a namespace-wide STRICT
   * PeerAuthentication), `istio-mutual` (that, plus clients forced to ISTIO_MUTUAL in every
   * DestinationRule cfmesh emits).
   */
  readonly mtls?: MtlsMode | undefined;
  /** Namespace of the ingress gateway workload (default istio-system): where `credentialName` secrets must live. */
  readonly gatewayNamespace?: string | undefined;
  /**
   * Labels of the ingress gateway pods the Gateway selects (`--gateway-selector KEY=VALUE`). Default
   * `istio: ingressgateway`, the label of istioctl's default profile; the Helm `istio/gateway` chart
   * labels its pods `istio: <release name>`, e.g. `istio: ingress`.
   */
  readonly gatewaySelector?: Readonly<Record<string, string>> | undefined;
}

export const DEFAULT_GATEWAY_SELECTOR: Readonly<Record<string, string>> = { istio: 'ingressgateway' };

export function gatewaySelector(options: IstioOptions): Record<string, string> {
  const selector = options.gatewaySelector ?? DEFAULT_GATEWAY_SELECTOR;
  const out: Record<string, string> = {};
  for (const key of Object.keys(selector).sort()) out[key] = selector[key] as string;
  return out;
}

export type MtlsMode = 'off' | 'strict' | 'istio-mutual';
export const DEFAULT_GATEWAY_NAMESPACE = 'istio-system';

export const DEFAULT_ISTIO_OPTIONS: IstioOptions = {
  namespace: 'default',
  gateway: 'cloudfoundry-ingress',
  apiVersion: 'v1',
  serviceHostTemplate: '{app}.{namespace}.svc.cluster.local',
  defaultPort: 8080,
};

export function networkingApi(options: IstioOptions): string {
  return `networking.istio.io/${options.apiVersion}`;
}

/** security.istio.io never served v1alpha3; its oldest API that older meshes read is v1beta1. */
export function securityApi(options: IstioOptions): string {
  return `security.istio.io/${options.apiVersion === 'v1' ? 'v1' : 'v1beta1'}`;
}

/** `NAMESPACE/NAME` of an existing Gateway cfmesh binds to but does not emit, or undefined. */
export function existingGateway(options: IstioOptions): { readonly namespace: string; readonly name: string } | undefined {
  const slash = options.gateway.indexOf('/');
  return slash < 0 ? undefined : { namespace: options.gateway.slice(0, slash), name: options.gateway.slice(slash + 1) };
}
