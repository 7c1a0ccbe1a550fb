import { ToolError, type Warning } from '../../diagnostics/tool-error.ts';
import { diagnosticJson, flatten } from '../../ui/diagnostics.ts';
import type { CommandContext } from '../context.ts';
import { loadAndConvert, type ManifestFlags } from './convert.ts';
import type { TranslateFlags } from '../options.ts';

export interface ValidateFlags extends ManifestFlags, TranslateFlags {
  readonly json?: boolean | undefined;
  readonly strict?: boolean | undefined;
}

/** `cfmesh validate [manifest.yml...] [-f manifest.yml]... [--json]`: every check of convert, no output but the verdict. */
export async function validateCommand(ctx: CommandContext, flags: ValidateFlags, positional: readonly string[] = []): Promise<void> {
  if (!flags.json) {
    const result = await loadAndConvert(ctx, flags, {}, positional);
    ctx.warn(result.warnings);
    const routes = result.table.routes.length;
    ctx.info(`${ctx.c.green('OK')} ${result.files.join(', ')}: ${result.manifest.apps.length} app(s), ${routes} route(s), ${result.resources.length} Istio resource(s)`);
    return;
  }
  // --json: the verdict and every diagnostic on stdout, whatever happens; the exit code still tells.
  let warnings: readonly Warning[] = [];
  let failure: ToolError | undefined;
  try {
    const result = await loadAndConvert(ctx, flags, {}, positional);
    warnings = result.warnings;
  } catch (error) {
    if (!(error instanceof ToolError) || error.code === 'USAGE') throw error;
    failure = error;
    warnings = error.warnings;
  }
  const errors = failure ? flatten(failure).map(diagnosticJson) : [];
  if (!failure && flags.strict && warnings.length > 0) {
    errors.push({ code: 'STRICT', message: `${warnings.length} warning(s) and --strict is set` });
  }
  ctx.io.stdout.write(`${JSON.stringify({ valid: errors.length === 0, errors, warnings: warnings.map(diagnosticJson) }, null, 2)}\n`);
  if (failure) throw failure.with({ reported: true });
  if (errors.length > 0) throw new ToolError('STRICT', 'warnings under --strict', { reported: true });
}
