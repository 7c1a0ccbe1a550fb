// THE one place the conformance suite calls cfmesh. cfmesh's signatures are changing (issue 11);
// when they do, this file is the only one to adapt. It runs cfmesh in-process on manifest text, the
// way `cfmesh convert -f manifest.yml [--default-domain D]` does (src/app/convert.ts), renders the
// result as cfmesh prints it, and parses that text back: the Istio model judges what cfmesh emits,
// not its internal objects.
import { parseAllDocuments } from 'yaml';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { ToolError, type Warning } from '../../src/diagnostics/tool-error.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { translate } from '../../src/istio/translate.ts';
import { translateGatewayApi } from '../../src/gateway-api/translate.ts';
import { DEFAULT_GATEWAY_CLASS } from '../../src/gateway-api/options.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import { renderYaml } from '../../src/render/render.ts';
import { buildRouteTable, DEFAULT_INTERNAL_DOMAIN } from '../../src/routing/route-table.ts';
import type { KubeObject } from './istio-model.ts';

export interface CfmeshOptions {
  readonly defaultDomain?: string | undefined;
  /** `--service-host-template`. */
  readonly serviceHostTemplate?: string | undefined;
  /** `--gateway-selector KEY=VALUE` (issue 11 item 11). */
  readonly gatewaySelector?: Readonly<Record<string, string>> | undefined;
  /** `--api gateway-api`: the Gateway API target instead of Istio's. */
  readonly api?: 'istio' | 'gateway-api' | undefined;
}

export type CfmeshResult =
  | {
      readonly ok: true;
      /** The emitted bundle, as parsed from cfmesh's YAML output. */
      readonly objects: readonly KubeObject[];
      readonly yaml: string;
      /** Gateway port of every external TCP route, by route (`host:port`, or `tcp://host` when written without one). */
      readonly tcpPorts: ReadonlyMap<string, number>;
      readonly warnings: readonly Warning[];
    }
  | { readonly ok: false; readonly errors: readonly { readonly code: string; readonly message: string }[] };

export function runCfmesh(manifestYaml: string, options: CfmeshOptions = {}): CfmeshResult {
  const istio = {
    ...DEFAULT_ISTIO_OPTIONS,
    ...(options.serviceHostTemplate !== undefined ? { serviceHostTemplate: options.serviceHostTemplate } : {}),
    ...(options.gatewaySelector !== undefined ? { gatewaySelector: options.gatewaySelector } : {}),
  };
  try {
    const loaded = loadManifest({ manifests: [new SourceFile('manifest.yml', manifestYaml)] });
    const routed = buildRouteTable(loaded.manifest, { defaultDomain: options.defaultDomain, internalDomains: [DEFAULT_INTERNAL_DOMAIN] });
    const translated = options.api === 'gateway-api' ? translateGatewayApi(routed.table, { ...istio, gatewayClass: DEFAULT_GATEWAY_CLASS }) : translate(routed.table, istio);
    const yaml = renderYaml(translated.resources);
    const objects = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
    const tcpPorts = new Map<string, number>();
    for (const r of routed.table.routes) if (r.protocol === 'tcp' && !r.internal && r.port !== undefined) tcpPorts.set(r.key, r.port);
    return { ok: true, objects, yaml, tcpPorts, warnings: [...loaded.warnings, ...routed.warnings, ...translated.warnings] };
  } catch (error) {
    if (error instanceof ToolError) return { ok: false, errors: error.all.map((e) => ({ code: e.code, message: e.message })) };
    throw error;
  }
}
