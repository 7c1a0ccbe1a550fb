import { convertManifests } from '../../app/convert.ts';
import { DEFAULT_MAX_INPUT_BYTES, readSources } from '../../app/read-inputs.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { splitVarFlag } from '../../manifest/vars.ts';
import { render } from '../../render/render.ts';
import { writeDirectory } from '../../sinks/directory-sink.ts';
import type { CommandContext } from '../context.ts';
import { istioOptions, parseFormat, parseSize, routingOptions, type TranslateFlags } from '../options.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ManifestFlags {
  readonly file?: string[] | undefined;
  readonly var?: string[] | undefined;
  readonly varsFile?: string[] | undefined;
  readonly maxInputSize?: string | undefined;
}

export interface ConvertFlags extends ManifestFlags, TranslateFlags {
  readonly output?: string | undefined;
  readonly outputDir?: string | undefined;
}

export async function loadAndConvert(ctx: CommandContext, flags: ManifestFlags & TranslateFlags) {
  const files = flags.file ?? [];
  if (files.length === 0) throw new ToolError('USAGE', 'no manifest given', { hint: 'pass -f manifest.yml (or -f - for stdin)' });
  const vars = (flags.var ?? []).map(splitVarFlag);
  const routing = routingOptions(flags);
  const istio = istioOptions(flags);
  const max = flags.maxInputSize !== undefined ? parseSize('--max-input-size', flags.maxInputSize) : DEFAULT_MAX_INPUT_BYTES;
  const manifests = await readSources(ctx.io, files, max);
  const varsFiles = await readSources(ctx.io, flags.varsFile ?? [], max);
  return convertManifests({ manifests, varsFiles, vars, routing, istio });
}

/** `cfmesh convert -f manifest.yml [-o DIR]`: print (or write) the Istio configuration. */
export async function convertCommand(ctx: CommandContext, flags: ConvertFlags): Promise<void> {
  const format = parseFormat(flags.output ?? 'yaml');
  if (flags.outputDir !== undefined && ['json', 'yaml'].includes(flags.outputDir) && !existsSync(resolve(ctx.io.cwd, flags.outputDir))) {
    throw new ToolError('USAGE', `-o takes a directory; "${flags.outputDir}" looks like a format`, { hint: `use --output ${flags.outputDir} for the format, or -o ./${flags.outputDir} for a directory of that name` });
  }
  const result = await loadAndConvert(ctx, flags);
  ctx.warn(result.warnings);
  if (flags.outputDir !== undefined) {
    const dir = resolve(ctx.io.cwd, flags.outputDir);
    const report = writeDirectory(dir, result.resources, format);
    ctx.info(`${flags.outputDir}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`);
    return;
  }
  ctx.io.stdout.write(render(result.resources, format));
}
