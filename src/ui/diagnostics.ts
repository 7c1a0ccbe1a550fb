import { Chalk, type ChalkInstance } from 'chalk';
import { locate, type SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import type { Io } from './io.ts';

export interface UiOptions {
  readonly color?: boolean | undefined;
  readonly quiet?: boolean | undefined;
}

/** Colour only on a terminal, never with NO_COLOR, --no-color or TERM=dumb (chalk ignores NO_COLOR). */
export function colorFor(io: Io, wanted: boolean | undefined): ChalkInstance {
  const env = io.env;
  const off = wanted === false || (env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb' || !io.stderr.isTTY;
  return new Chalk({ level: off ? 0 : 1 });
}

/**
 * `file:line:col: error CODE message`, then a code frame with a caret and an optional hint — the
 * first line is what editors and grep understand (eemeli/yaml prettifyError).
 */
export function formatDiagnostic(
  severity: 'error' | 'warning',
  item: { readonly code: string; readonly message: string; readonly span?: SourceSpan | undefined; readonly hint?: string | undefined },
  c: ChalkInstance,
): string {
  const label = severity === 'error' ? c.red.bold('error') : c.yellow.bold('warning');
  const where = item.span ? `${formatLocation(item.span)}: ` : '';
  let out = `${c.bold(where)}${label} ${c.dim(item.code)} ${item.message}\n`;
  if (item.span) out += codeFrame(item.span, c);
  if (item.hint) out += `  ${c.cyan('hint:')} ${item.hint}\n`;
  return out;
}

export function formatLocation(span: SourceSpan): string {
  const { file, line, col } = locate(span);
  return `${file}:${line}:${col}`;
}

export function codeFrame(span: SourceSpan, c: ChalkInstance): string {
  const { line, col } = span.source.linePos(span.start);
  const text = span.source.lineText(line);
  if (text.length === 0 && line > span.source.text.split('\n').length) return '';
  const width = String(line).length;
  const pad = ' '.repeat(width);
  let out = '';
  if (line > 1) {
    const prev = span.source.lineText(line - 1);
    if (prev.trim() !== '') out += c.dim(`  ${String(line - 1).padStart(width)} | ${clip(prev, col).text}\n`);
  }
  const clipped = clip(text, col);
  const endLine = span.source.linePos(Math.max(span.start, span.end - 1)).line;
  const rawLength = endLine === line ? Math.max(1, span.end - span.start) : Math.max(1, text.length - col + 1);
  const caretLength = Math.max(1, Math.min(rawLength, clipped.text.length - clipped.col + 1));
  out += `  ${String(line).padStart(width)} | ${clipped.text}\n`;
  out += `  ${pad} | ${' '.repeat(Math.max(0, clipped.col - 1))}${c.red('^'.repeat(caretLength))}\n`;
  return out;
}

/** Long lines are cut to 80 columns around the caret, as eemeli/yaml does. */
function clip(text: string, col: number): { text: string; col: number } {
  const clean = text.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
  if (clean.length <= 80) return { text: clean, col };
  const start = Math.max(0, Math.min(col - 40, clean.length - 80));
  const prefix = start > 0 ? '…' : '';
  const suffix = start + 80 < clean.length ? '…' : '';
  return { text: `${prefix}${clean.slice(start, start + 80)}${suffix}`, col: col - start + prefix.length };
}

/** Warnings first, then every error (details before their summary: the most important line comes last). */
export function printProblems(io: Io, c: ChalkInstance, warnings: readonly Warning[], error?: ToolError, options: UiOptions = {}): void {
  if (!options.quiet) for (const w of warnings) io.stderr.write(formatDiagnostic('warning', w, c));
  if (!error) return;
  const leaves = flatten(error);
  for (const e of leaves) io.stderr.write(formatDiagnostic('error', e, c));
  if (leaves.length > 1) {
    io.stderr.write(`${c.red.bold(`${leaves.length} errors`)}${warnings.length > 0 && !options.quiet ? `, ${warnings.length} warning(s)` : ''}\n`);
  }
}

/**
 * The errors to print, in order. A summary made by failWith ("N problems found") gives way to its
 * details; an error that has details of its own (undefined vars: one per var, with its position)
 * prints them and then itself, so cf's one-line message still comes last.
 */
export function flatten(error: ToolError): ToolError[] {
  if (error.details.length === 0) return [error];
  const inner = error.details.flatMap((d) => flatten(d));
  if (isSummary(error)) return inner;
  return [...inner, new ToolError(error.code, error.message, { hint: error.hint })];
}

export function isSummary(error: ToolError): boolean {
  return error.summary;
}

/** Machine-readable diagnostics for `--json`. */
export function diagnosticJson(item: { readonly code: string; readonly message: string; readonly span?: SourceSpan | undefined; readonly hint?: string | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = { code: item.code, message: item.message, ...(item.span ? locate(item.span) : {}) };
  if (item.hint) out['hint'] = item.hint;
  return out;
}
