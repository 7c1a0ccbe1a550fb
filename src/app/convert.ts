import type { SourceFile } from '../diagnostics/source-file.ts';
import type { Warning } from '../diagnostics/tool-error.ts';
import type { IstioOptions } from '../istio/options.ts';
import { loadManifest, type VarFlag } from '../manifest/load.ts';
import type { Manifest } from '../manifest/types.ts';
import type { ParseYamlOptions } from '../manifest/parse-yaml.ts';
import type { Resource } from '../resource/resource.ts';
import { buildRouteTable, type RouteTable, type RoutingOptions } from '../routing/route-table.ts';
import type { Target } from '../target/target.ts';
import { targetFor } from './targets.ts';

export interface ConvertInput {
  readonly manifests: readonly SourceFile[];
  readonly varsFiles: readonly SourceFile[];
  readonly vars: readonly VarFlag[];
  readonly routing: RoutingOptions;
  readonly istio: IstioOptions;
  readonly limits?: ParseYamlOptions | undefined;
}

export interface ConvertResult {
  readonly manifest: Manifest;
  readonly table: RouteTable;
  readonly resources: readonly Resource[];
  readonly warnings: readonly Warning[];
  /** The target that made the resources. */
  readonly target: Target;
}

/** manifest text → model → route table → the target's resources. No I/O: the CLI reads and writes. */
export function convertManifests(input: ConvertInput, emit?: (resource: Resource) => void): ConvertResult {
  const loaded = loadManifest({ manifests: input.manifests, varsFiles: input.varsFiles, vars: input.vars, limits: input.limits, internalDomains: input.routing.internalDomains });
  const routed = buildRouteTable(loaded.manifest, input.routing);
  const target = targetFor(input);
  const translated = target.translate(routed.table, emit);
  return {
    manifest: loaded.manifest,
    table: routed.table,
    resources: translated.resources,
    warnings: [...loaded.warnings, ...routed.warnings, ...translated.warnings],
    target,
  };
}
