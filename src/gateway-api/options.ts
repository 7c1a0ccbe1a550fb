import { ToolError } from '../diagnostics/tool-error.ts';
import type { IstioOptions } from '../istio/options.ts';

/**
 * The Gateway API target's options: the Istio target's (namespace, `--gateway`, the service host
 * template, the app port, `--mtls` for the policies Istio still applies) plus the GatewayClass the
 * emitted Gateway names (`--gateway-class`, default `istio`, the class Istio's controller creates:
 * Istio 1.30.3 pilot/pkg/features/pilot.go `PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME`, default "istio").
 */
export interface GatewayApiOptions extends IstioOptions {
  readonly gatewayClass: string;
}

export const DEFAULT_GATEWAY_CLASS = 'istio';

/** The output APIs (`--api`). */
export type TargetApi = 'istio' | 'gateway-api';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The standard channel's kinds, served as v1 from Gateway API v1.0 (ReferenceGrant as v1beta1). */
export const GATEWAY_API_V1 = `${GATEWAY_API_GROUP}/v1`;
export const REFERENCE_GRANT_API = `${GATEWAY_API_GROUP}/v1beta1`;
/** TCPRoute is in the experimental channel only (v1.5.1 experimental/gateway.networking.k8s.io_tcproutes.yaml). */
export const TCP_ROUTE_API = `${GATEWAY_API_GROUP}/v1alpha2`;

/** `--api`: a usage error (exit 2) for anything else. */
export function parseTargetApi(value: string): TargetApi {
  if (value === 'istio' || value === 'gateway-api') return value;
  throw new ToolError('USAGE', `--api must be istio or gateway-api (got "${value}")`, { hint: 'istio: Istio VirtualServices; gateway-api: gateway.networking.k8s.io HTTPRoutes' });
}

const CLASS = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `--gateway-class`: a Kubernetes object name (a GatewayClass's). */
export function parseGatewayClass(value: string): string {
  if (!CLASS.test(value) || value.length > 253) throw new ToolError('USAGE', `--gateway-class must be the name of a GatewayClass (got "${value}")`, { hint: 'e.g. istio (Istio), eg (Envoy Gateway), contour' });
  return value;
}

export const GATEWAY_API_FLAG_HELP = {
  api: 'output API: istio (default: Istio VirtualServices) or gateway-api (gateway.networking.k8s.io HTTPRoutes)',
  gatewayClass: 'with --api gateway-api: the GatewayClass of the emitted Gateway (default istio)',
} as const;
