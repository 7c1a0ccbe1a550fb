import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveManifestFiles } from '../../app/read-inputs.ts';
import { ToolError, type Warning } from '../../diagnostics/tool-error.ts';
import { writeFileAtomic } from '../../sinks/atomic-write.ts';
import { parseReportFormat, problemsOf, renderReport, type Report, type ReportFormat, type ReportPaths } from '../../ui/report.ts';
import { contextWith, type CommandContext } from '../context.ts';

/**
 * The root report paths are relative to: the nearest directory at or above the working directory
 * that holds `.git` (a directory, or the file of a worktree or submodule), which is what
 * `git rev-parse --show-toplevel` gives without running git; else the working directory itself.
 * GitHub annotations, code scanning and GitLab's test report all want paths from the repository root.
 */
export function repositoryRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; ) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}

export function reportPaths(ctx: CommandContext): ReportPaths {
  return { cwd: ctx.io.cwd, root: repositoryRoot(ctx.io.cwd) };
}

/** What a run gave: its warnings, and the error it failed with (none when it succeeded). */
export interface Outcome {
  readonly warnings: readonly Warning[];
  readonly failure: ToolError | undefined;
}

/**
 * Runs `work` with a context whose warnings are collected (and printed too with `print`; with
 * `strict` the first warnings fail the run, as --strict does), and catches the error it fails with.
 * Usage errors, Ctrl-C and bugs are not problems of the input: they propagate as usual.
 */
export async function collectOutcome(ctx: CommandContext, work: (ctx: CommandContext) => Promise<void>, options: { print: boolean; strict: boolean }): Promise<Outcome> {
  const warnings: Warning[] = [];
  const collecting = contextWith(ctx, {
    warn: (ws) => {
      warnings.push(...ws);
      if (options.print) ctx.warn(ws);
      else if (options.strict && ws.length > 0) throw new ToolError('STRICT', `${ws.length} warning(s) and --strict is set`, { hint: 'fix the warnings, or drop --strict' });
    },
  });
  try {
    await work(collecting);
    return { warnings, failure: undefined };
  } catch (error) {
    if (!(error instanceof ToolError) || error.code === 'USAGE' || error.code === 'INTERRUPTED' || error.code === 'INTERNAL') throw error;
    const attached = (error as ToolError & { warnings?: readonly Warning[] }).warnings ?? [];
    return { warnings: warnings.length > 0 ? warnings : attached, failure: error };
  }
}

/** The manifest files of a run as its diagnostics name them (`-` is `<stdin>`). */
export function reportFiles(cwd: string, positional: readonly string[], flagged: readonly string[] | undefined): string[] {
  return [...new Set(resolveManifestFiles(cwd, positional, flagged).map((f) => (f === '-' ? '<stdin>' : f)))];
}

export interface ReportFlags {
  readonly file?: string[] | undefined;
  readonly report?: string | undefined;
  readonly reportFile?: string | undefined;
}

/**
 * `convert --report FORMAT [--report-file FILE]`: convert's diagnostics in a CI format. Without
 * --report-file the report takes the place of the text diagnostics on stderr (stdout stays the
 * configuration's); with it, the report goes to FILE (written atomically) and stderr keeps the text.
 * The exit code is convert's own.
 */
export async function runWithReport(ctx: CommandContext, flags: ReportFlags, positional: readonly string[], work: (ctx: CommandContext) => Promise<void>): Promise<void> {
  const format: ReportFormat = parseReportFormat('--report', flags.report ?? 'text');
  if (format === 'text' && flags.reportFile === undefined) return work(ctx);
  if (format === 'text') throw new ToolError('USAGE', '--report-file needs a report format', { hint: 'e.g. --report sarif --report-file cfmesh.sarif' });
  const toFile = flags.reportFile !== undefined;
  const outcome = await collectOutcome(ctx, work, { print: toFile, strict: ctx.flags.strict === true });
  const report: Report = {
    command: 'convert',
    files: reportFiles(ctx.io.cwd, positional, flags.file),
    problems: problemsOf(outcome.warnings, outcome.failure, false),
  };
  const text = renderReport(format, report, reportPaths(ctx));
  if (toFile) {
    const target = path.resolve(ctx.io.cwd, flags.reportFile as string);
    try {
      await writeFileAtomic(target, text, `.${path.basename(target)}.tmp-`, 0o644);
    } catch (error) {
      throw new ToolError('FILE_WRITE', `cannot write the report to ${flags.reportFile}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    ctx.io.stderr.write(text);
  }
  if (outcome.failure) throw toFile ? outcome.failure : outcome.failure.with({ reported: true });
}
