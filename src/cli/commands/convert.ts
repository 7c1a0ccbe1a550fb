import { convertManifests } from '../../app/convert.ts';
import { DEFAULT_MAX_INPUT_BYTES, readSources } from '../../app/read-inputs.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { maxTokensFor } from '../../manifest/parse-yaml.ts';
import { splitVarFlag } from '../../manifest/vars.ts';
import { render } from '../../render/render.ts';
import { writeDirectory } from '../../sinks/directory-sink.ts';
import type { CommandContext } from '../context.ts';
import { istioOptions, parseFormat, parseSize, routingOptions, type TranslateFlags } from '../options.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyToCluster, loadKubeTarget, parseTarget, postToEndpoint, type DeliveryFlags } from '../delivery.ts';

export interface ManifestFlags {
  readonly file?: string[] | undefined;
  readonly var?: string[] | undefined;
  readonly varsFile?: string[] | undefined;
  readonly maxInputSize?: string | undefined;
}

export interface ConvertFlags extends ManifestFlags, TranslateFlags, DeliveryFlags {
  readonly output?: string | undefined;
  readonly outputDir?: string | undefined;
  readonly apply?: boolean | undefined;
}

export async function loadAndConvert(ctx: CommandContext, flags: ManifestFlags & TranslateFlags, stored: { namespace?: string } = {}) {
  const files = flags.file ?? [];
  if (files.length === 0) throw new ToolError('USAGE', 'no manifest given', { hint: 'pass -f manifest.yml (or -f - for stdin)' });
  const vars = (flags.var ?? []).map(splitVarFlag);
  const routing = routingOptions(flags);
  const istio = istioOptions(flags, stored);
  const max = flags.maxInputSize !== undefined ? parseSize('--max-input-size', flags.maxInputSize) : DEFAULT_MAX_INPUT_BYTES;
  const manifests = await readSources(ctx.io, files, max);
  const varsFiles = await readSources(ctx.io, flags.varsFile ?? [], max);
  return convertManifests({ manifests, varsFiles, vars, routing, istio, limits: { maxTokens: maxTokensFor(max) } });
}

/** `cfmesh convert -f manifest.yml [-o DIR]`: print (or write) the Istio configuration. */
export async function convertCommand(ctx: CommandContext, flags: ConvertFlags): Promise<void> {
  const target = flags.apply ? 'kubernetes' : parseTarget(flags);
  if (flags.apply && flags.target !== undefined && flags.target !== 'kubernetes') throw new ToolError('USAGE', `--apply means --target kubernetes; it cannot go with --target ${flags.target}`);
  if (target !== 'local' && flags.outputDir !== undefined) throw new ToolError('USAGE', `-o DIR writes files; it cannot go with --target ${target}`);
  if (target === 'kubernetes') {
    const config = await loadKubeTarget(ctx, flags);
    const result = await loadAndConvert(ctx, flags, { namespace: config.namespace });
    ctx.warn(result.warnings);
    await applyToCluster(ctx, config, result.resources, flags, { prune: true });
    return;
  }
  if (target === 'http') {
    const result = await loadAndConvert(ctx, flags);
    ctx.warn(result.warnings);
    await postToEndpoint(ctx, result.resources, flags, flags.output !== undefined ? parseFormat(flags.output) : undefined);
    return;
  }
  const format = parseFormat(flags.output ?? 'yaml');
  if (flags.outputDir !== undefined && ['json', 'yaml'].includes(flags.outputDir) && !existsSync(resolve(ctx.io.cwd, flags.outputDir))) {
    throw new ToolError('USAGE', `-o takes a directory; "${flags.outputDir}" looks like a format`, { hint: `use --output ${flags.outputDir} for the format, or -o ./${flags.outputDir} for a directory of that name` });
  }
  const result = await loadAndConvert(ctx, flags);
  ctx.warn(result.warnings);
  if (flags.outputDir !== undefined) {
    const dir = resolve(ctx.io.cwd, flags.outputDir);
    const dryRun = flags.dryRun !== undefined && flags.dryRun !== false;
    const report = await writeDirectory(dir, result.resources, format, { dryRun });
    if (dryRun) {
      for (const name of report.written) ctx.io.stdout.write(`would write ${join(flags.outputDir, name)}\n`);
      for (const name of report.removed) ctx.io.stdout.write(`would remove ${join(flags.outputDir, name)}\n`);
    }
    ctx.info(`${flags.outputDir}: ${report.written.length} ${dryRun ? 'to write' : 'written'}, ${report.unchanged.length} unchanged, ${report.removed.length} ${dryRun ? 'to remove' : 'removed'}`);
    return;
  }
  ctx.io.stdout.write(render(result.resources, format));
}
