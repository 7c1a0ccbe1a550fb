import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderState } from '../../app/resource-changes.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { render } from '../../render/render.ts';
import { writeDirectory } from '../../sinks/directory-sink.ts';
import { readState } from '../../state/index.ts';
import type { CommandContext } from '../context.ts';
import { parseFormat } from '../options.ts';
import { requireLocalState, stateDirFor, translateSettings, type DeliveryFlags } from './state-common.ts';

/** `render [--output yaml|json] [-o DIR]`: the whole configuration of the current state, as convert prints a manifest's. */
export async function renderCommand(ctx: CommandContext, flags: DeliveryFlags): Promise<void> {
  const format = parseFormat(flags.output ?? 'yaml');
  if (flags.outputDir !== undefined && ['json', 'yaml'].includes(flags.outputDir) && !existsSync(resolve(ctx.io.cwd, flags.outputDir))) {
    throw new ToolError('USAGE', `-o takes a directory; "${flags.outputDir}" looks like a format`, { hint: `use --output ${flags.outputDir} for the format, or -o ./${flags.outputDir} for a directory of that name` });
  }
  await requireLocalState(ctx, flags);
  const state = await readState(stateDirFor(ctx, flags));
  const result = renderState(state, translateSettings(flags, state.settings));
  ctx.warn(result.warnings);
  // Unlike the changing commands, render writes a directory only when asked on the command line.
  if (flags.outputDir !== undefined) {
    const dir = resolve(ctx.io.cwd, flags.outputDir);
    const report = await writeDirectory(dir, result.resources, format);
    ctx.info(`${flags.outputDir}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed`);
    return;
  }
  ctx.io.stdout.write(render(result.resources, format));
}
