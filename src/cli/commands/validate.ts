import { ToolError } from '../../diagnostics/tool-error.ts';
import { parseReportFormat, problemsOf, renderReport, type ReportFormat } from '../../ui/report.ts';
import type { CommandContext } from '../context.ts';
import { loadAndConvert, type ManifestFlags } from './convert.ts';
import type { TranslateFlags } from '../options.ts';
import { collectOutcome, reportFiles, reportPaths } from './report.ts';

export interface ValidateFlags extends ManifestFlags, TranslateFlags {
  readonly json?: boolean | undefined;
  readonly output?: string | undefined;
  readonly strict?: boolean | undefined;
}

/**
 * `cfmesh validate [manifest.yml...] [-f manifest.yml]... [--output FORMAT | --json]`: every check
 * of convert, no configuration. `text` (the default) prints the diagnostics on stderr as every
 * command does; any other format puts the verdict and every diagnostic on stdout (validate's only
 * product), whatever happens; the exit code still tells.
 */
export async function validateCommand(ctx: CommandContext, flags: ValidateFlags, positional: readonly string[] = []): Promise<void> {
  if (flags.json && flags.output !== undefined && flags.output !== 'json') {
    throw new ToolError('USAGE', `--json is --output json; it cannot go with --output ${flags.output}`);
  }
  const format: ReportFormat = flags.json ? 'json' : parseReportFormat('--output', flags.output ?? 'text');
  if (format === 'text') {
    const result = await loadAndConvert(ctx, flags, {}, positional);
    ctx.warn(result.warnings);
    const routes = result.table.routes.length;
    ctx.info(`${ctx.c.green('OK')} ${result.files.join(', ')}: ${result.manifest.apps.length} app(s), ${routes} route(s), ${result.resources.length} Istio resource(s)`);
    return;
  }
  // Warnings are part of the report; --strict turns them into the STRICT error after the run.
  const outcome = await collectOutcome(ctx, async (c) => c.warn((await loadAndConvert(c, flags, {}, positional)).warnings), { print: false, strict: false });
  const problems = problemsOf(outcome.warnings, outcome.failure, flags.strict === true);
  const files = reportFiles(ctx.io.cwd, positional, flags.file);
  ctx.io.stdout.write(renderReport(format, { command: 'validate', files, problems }, reportPaths(ctx)));
  if (outcome.failure) throw outcome.failure.with({ reported: true });
  if (problems.some((p) => p.severity === 'error')) throw new ToolError('STRICT', 'warnings under --strict', { reported: true });
}
