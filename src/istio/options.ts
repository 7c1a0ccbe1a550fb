export type IstioApiVersion = 'v1' | 'v1beta1' | 'v1alpha3';

export interface IstioOptions {
  readonly namespace: string;
  /** Name of the ingress Gateway cfmesh emits and binds external routes to. */
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
  /** Namespace of the ingress gateway workload, where its AuthorizationPolicies must live (default istio-system). */
  readonly gatewayNamespace?: string | undefined;
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
