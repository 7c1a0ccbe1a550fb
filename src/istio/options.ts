import { ToolError } from '../diagnostics/tool-error.ts';

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
  /**
   * The output API (`--api`): these options are read by both targets (namespace, gateway, service
   * host template, port); `gateway-api` chooses the Gateway API target (src/gateway-api/), which
   * also reads `gatewayClass`. Undefined: istio. app/targets.ts decides.
   */
  readonly api?: 'istio' | 'gateway-api' | undefined;
  /** `--gateway-class`: the GatewayClass of the Gateway the Gateway API target emits (default istio). */
  readonly gatewayClass?: string | undefined;
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

/** `--istio-api`: a usage error (exit 2) for anything else. */
export function parseIstioApi(value: string): IstioApiVersion {
  if (value === 'v1' || value === 'v1beta1' || value === 'v1alpha3') return value;
  throw new ToolError('USAGE', `--istio-api must be v1, v1beta1 or v1alpha3 (got "${value}")`, { hint: 'v1 needs Istio 1.22 or newer; v1beta1 works from 1.5' });
}

/** `--mtls`: a usage error (exit 2) for anything else. */
export function parseMtls(value: string): MtlsMode {
  if (value === 'off' || value === 'strict' || value === 'istio-mutual') return value;
  throw new ToolError('USAGE', `--mtls must be off, strict or istio-mutual (got "${value}")`, { hint: 'strict adds a STRICT PeerAuthentication; istio-mutual also forces ISTIO_MUTUAL in DestinationRules' });
}

/** The help of the flags that only the Istio target reads (cli/program.ts). */
export const ISTIO_FLAG_HELP = {
  istioApi: 'networking.istio.io version: v1 (default), v1beta1 or v1alpha3',
  mtls: 'off (default: Istio auto mTLS), strict (STRICT PeerAuthentication) or istio-mutual (also ISTIO_MUTUAL clients)',
} as const;
