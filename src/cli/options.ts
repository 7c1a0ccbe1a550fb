import { ToolError } from '../diagnostics/tool-error.ts';
import { parseGatewayClass, parseTargetApi } from '../gateway-api/options.ts';
import { DEFAULT_ISTIO_OPTIONS, parseIstioApi, parseMtls, type IstioOptions } from '../istio/options.ts';
import type { OutputFormat } from '../render/render.ts';
import { DEFAULT_INTERNAL_DOMAIN, type RoutingOptions } from '../routing/route-table.ts';
import { parsePortRange } from '../routing/tcp-ports.ts';

/** Flag values are checked here, at the edge, into typed values; a bad one is a usage error (exit 2). */
const usage = (message: string, hint?: string) => new ToolError('USAGE', message, { hint });

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

export function parseWeight(value: string): number {
  if (!/^\d{1,3}$/.test(value) || Number(value) > 100) throw usage(`--weight must be an integer from 0 to 100 (got "${value}")`);
  return Number(value);
}

export function parsePort(flag: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw usage(`${flag} must be a port from 1 to 65535 (got "${value}")`);
  return Number(value);
}


export function parseFormat(value: string): OutputFormat {
  if (value === 'yaml' || value === 'json') return value;
  throw usage(`--output must be yaml or json (got "${value}")`);
}

export function parseLabel(flag: string, value: string): string {
  if (!LABEL.test(value) || value.length > 63) throw usage(`${flag} must be a DNS label: lowercase letters, digits and '-' (got "${value}")`);
  return value;
}

/**
 * `--gateway NAME` (the Gateway cfmesh emits) or `--gateway NAMESPACE/NAME` (an existing Gateway a
 * platform team owns: routes bind to it and cfmesh emits none).
 */
export function parseGateway(value: string): string {
  const slash = value.indexOf('/');
  if (slash < 0) return parseLabel('--gateway', value);
  const namespace = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (!LABEL.test(namespace) || namespace.length > 63 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw usage(`--gateway must be NAME or NAMESPACE/NAME of a Gateway (got "${value}")`, 'e.g. --gateway istio-ingress/public');
  }
  return `${namespace}/${name}`;
}

export function parseDomain(flag: string, value: string): string {
  const lower = value.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(lower)) throw usage(`${flag} must be a domain name such as example.com (got "${value}")`);
  return lower;
}

export function parseServiceHostTemplate(value: string): string {
  const unknown = [...value.matchAll(/\{(\w*)\}/g)].map((m) => m[1]).filter((n) => !['app', 'namespace', 'service', 'version'].includes(n ?? ''));
  if (unknown.length > 0) throw usage(`--service-host-template: unknown placeholder {${unknown[0]}}`, 'placeholders: {app}, {namespace}, {service}, {version}');
  if (!value.includes('{app}') && !value.includes('{service}')) throw usage('--service-host-template must contain {app} or {service}', "e.g. '{app}.service.consul'");
  const sample = value.replace(/\{\w+\}/g, 'x');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(sample)) throw usage(`--service-host-template must give a DNS name (got "${value}")`);
  return value;
}

/** Sizes like 64MiB, 10M, 1048576. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!m) throw usage(`${flag} must be a size such as 64MiB (got "${value}")`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * factor);
}

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export interface TranslateFlags {
  readonly defaultDomain?: string | undefined;
  readonly internalDomain?: string[] | undefined;
  readonly gateway?: string | undefined;
  readonly namespace?: string | undefined;
  readonly serviceHostTemplate?: string | undefined;
  readonly istioApi?: string | undefined;
  readonly mtls?: string | undefined;
  readonly gatewayNamespace?: string | undefined;
  readonly tcpPortRange?: string | undefined;
  /** `--gateway-selector KEY=VALUE`, repeatable. */
  readonly gatewaySelector?: string[] | undefined;
  /** `--api istio|gateway-api`. */
  readonly api?: string | undefined;
  /** `--gateway-class NAME` (with --api gateway-api). */
  readonly gatewayClass?: string | undefined;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * `--gateway-selector istio=ingress` (repeatable) → the Gateway's selector. Keys and values are
 * Kubernetes label syntax (apimachinery validation: name ≤ 63 with an optional DNS prefix, value ≤ 63).
 */
export function parseGatewaySelector(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of values) {
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    const value = eq < 0 ? '' : text.slice(eq + 1);
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    if (eq < 0 || !LABEL_KEY.test(key) || name.length > 63 || !LABEL_VALUE.test(value) || value.length > 63) {
      throw usage(`--gateway-selector must be KEY=VALUE with Kubernetes label syntax (got "${text}")`, 'e.g. --gateway-selector istio=ingress for the Helm istio/gateway chart');
    }
    if (key in out && out[key] !== value) throw usage(`--gateway-selector gives ${key} twice (${out[key]} and ${value})`);
    out[key] = value;
  }
  return out;
}


/** Settings from flags over stored settings over defaults. */
export function routingOptions(flags: TranslateFlags, stored: Partial<RoutingOptions> = {}): RoutingOptions {
  const defaultDomain = flags.defaultDomain !== undefined ? parseDomain('--default-domain', flags.defaultDomain) : stored.defaultDomain;
  const internalDomains = flags.internalDomain?.length
    ? flags.internalDomain.map((d) => parseDomain('--internal-domain', d))
    : (stored.internalDomains ?? [DEFAULT_INTERNAL_DOMAIN]);
  const tcpPortRange = flags.tcpPortRange !== undefined ? parsePortRange(flags.tcpPortRange) : stored.tcpPortRange;
  return tcpPortRange ? { defaultDomain, internalDomains, tcpPortRange } : { defaultDomain, internalDomains };
}

export function istioOptions(flags: TranslateFlags, stored: Partial<IstioOptions> = {}): IstioOptions {
  return {
    namespace: flags.namespace !== undefined ? parseLabel('--namespace', flags.namespace) : (stored.namespace ?? DEFAULT_ISTIO_OPTIONS.namespace),
    gateway: flags.gateway !== undefined ? parseGateway(flags.gateway) : (stored.gateway ?? DEFAULT_ISTIO_OPTIONS.gateway),
    apiVersion: flags.istioApi !== undefined ? parseIstioApi(flags.istioApi) : (stored.apiVersion ?? DEFAULT_ISTIO_OPTIONS.apiVersion),
    serviceHostTemplate:
      flags.serviceHostTemplate !== undefined ? parseServiceHostTemplate(flags.serviceHostTemplate) : (stored.serviceHostTemplate ?? DEFAULT_ISTIO_OPTIONS.serviceHostTemplate),
    defaultPort: stored.defaultPort ?? DEFAULT_ISTIO_OPTIONS.defaultPort,
    mtls: flags.mtls !== undefined ? parseMtls(flags.mtls) : (stored.mtls ?? 'off'),
    gatewayNamespace: flags.gatewayNamespace !== undefined ? parseLabel('--gateway-namespace', flags.gatewayNamespace) : stored.gatewayNamespace,
    gatewaySelector: flags.gatewaySelector?.length ? parseGatewaySelector(flags.gatewaySelector) : stored.gatewaySelector,
    api: flags.api !== undefined ? parseTargetApi(flags.api) : stored.api,
    gatewayClass: flags.gatewayClass !== undefined ? parseGatewayClass(flags.gatewayClass) : stored.gatewayClass,
  };
}
