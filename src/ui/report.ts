/**
 * The diagnostics of one validate or convert run, in the formats CI systems read: `json` (cfmesh's
 * own, `validate --json`), `github` (workflow commands, shown as annotations), `sarif` (SARIF 2.1.0,
 * for code scanning) and `junit` (JUnit XML, shown as a test report by GitLab and Jenkins).
 * Renderers are pure: the same problems, files and root give the same bytes.
 */
import path from 'node:path';
import type { SourceSpan } from '../diagnostics/source-file.ts';
import type { ErrorCode, Warning, WarningCode } from '../diagnostics/tool-error.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import { CODE_HELP } from './codes.ts';
import { flatten } from './diagnostics.ts';

export const REPORT_FORMATS = ['text', 'json', 'github', 'sarif', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface Location {
  /** As the user named it (relative to the working directory, or absolute), `<stdin>` for stdin. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Where the span ends: the position just after it (line and column as above). */
  readonly endLine: number;
  readonly endCol: number;
}

export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly code: ErrorCode | WarningCode;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly location?: Location | undefined;
}

export interface Report {
  /** `validate` or `convert`: names the test suite and the SARIF run's command. */
  readonly command: string;
  /** The manifest files read, as named (each is a JUnit test case, with or without problems). */
  readonly files: readonly string[];
  readonly problems: readonly Problem[];
}

/** Where report paths are relative to: the repository root (see repositoryRoot in cli/commands/report.ts). */
export interface ReportPaths {
  readonly cwd: string;
  readonly root: string;
}

function locationOf(span: SourceSpan | undefined): Location | undefined {
  if (!span) return undefined;
  const start = span.source.linePos(span.start);
  const end = span.source.linePos(Math.max(span.start, span.end));
  return { file: span.source.name, line: start.line, col: start.col, endLine: end.line, endCol: end.col };
}

/**
 * The problems of a run: its warnings, then every error of its failure (details before their
 * summary, as printed), then, when it succeeded with warnings under --strict, the STRICT error that
 * fails it.
 */
export function problemsOf(warnings: readonly Warning[], failure: ToolError | undefined, strict: boolean): Problem[] {
  const out: Problem[] = warnings.map((w) => ({ severity: 'warning', code: w.code, message: w.message, hint: w.hint, location: locationOf(w.span) }));
  if (failure) {
    for (const e of flatten(failure)) out.push({ severity: 'error', code: e.code, message: e.message, hint: e.hint, location: locationOf(e.span) });
  } else if (strict && warnings.length > 0) {
    out.push({ severity: 'error', code: 'STRICT', message: `${warnings.length} warning(s) and --strict is set` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// json: validate --json's shape ({valid, errors, warnings}), unchanged

function jsonItem(p: Problem): Record<string, unknown> {
  const out: Record<string, unknown> = { code: p.code, message: p.message };
  if (p.location) Object.assign(out, { file: p.location.file, line: p.location.line, col: p.location.col });
  if (p.hint) out['hint'] = p.hint;
  return out;
}

export function renderJson(report: Report): string {
  const errors = report.problems.filter((p) => p.severity === 'error').map(jsonItem);
  const warnings = report.problems.filter((p) => p.severity === 'warning').map(jsonItem);
  return `${JSON.stringify({ valid: errors.length === 0, errors, warnings }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// paths

/**
 * A file's path relative to the repository root, with `/` separators; undefined for stdin. A file
 * outside the root keeps its absolute path (`absolute: true`).
 */
export function repoPath(file: string, paths: ReportPaths): { path: string; absolute: boolean } | undefined {
  if (file === '<stdin>') return undefined;
  const abs = path.resolve(paths.cwd, file);
  const rel = path.relative(paths.root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { path: abs.split(path.sep).join('/'), absolute: true };
  return { path: rel.split(path.sep).join('/'), absolute: false };
}

const withHint = (p: Problem) => (p.hint ? `${p.message}\nhint: ${p.hint}` : p.message);

// ---------------------------------------------------------------------------------------------
// github: workflow commands

/**
 * Escaping as the Actions toolkit writes commands and the runner reads them back: in the message,
 * `%`, CR and LF; in a property value also `:` and `,` (actions/toolkit packages/core/src/command.ts
 * escapeData/escapeProperty, @actions/core 3.0.1 at commit 4b9afa4c; actions/runner v2.336.0
 * src/Runner.Common/ActionCommand.cs _escapeDataMappings/_escapePropertyMappings, TryParseV2).
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `::error file=F,line=L,col=C,title=CODE::message` per problem (`::warning` for warnings), paths
 * relative to the repository root as annotations need them. The runner reads these commands from
 * stdout and stderr alike (actions/runner v2.336.0 src/Runner.Worker/Handlers/ScriptHandler.cs: one
 * OutputManager per stream), so `convert --report github` can keep stdout for the configuration.
 */
export function renderGithub(report: Report, paths: ReportPaths): string {
  let out = '';
  for (const p of report.problems) {
    const props: string[] = [];
    const file = p.location && repoPath(p.location.file, paths);
    if (p.location && file) props.push(`file=${escapeProperty(file.path)}`, `line=${p.location.line}`, `col=${p.location.col}`);
    props.push(`title=${escapeProperty(p.code)}`);
    const where = p.location && !file ? `${p.location.file}:${p.location.line}:${p.location.col}: ` : '';
    out += `::${p.severity} ${props.join(',')}::${escapeData(`${where}${withHint(p)}`)}\n`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// sarif: SARIF 2.1.0

/** The base id of repository-relative URIs, as GitHub code scanning's examples name it. */
export const SRCROOT = '%SRCROOT%';

function fileUri(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/**
 * One run of tool `cfmesh`, a rule per code that occurs (id = the code, its summary and help text),
 * a result per problem. Locations are relative to the repository root (`uriBaseId: %SRCROOT%`);
 * columns count UTF-16 code units, as cfmesh's do; regions end where the problem's span ends
 * (endColumn is the column after it, as SARIF §3.30 defines). A problem without a file (stdin, or a
 * run-wide one such as STRICT) has no location. No time, host or absolute path of the root is
 * written, so the same input gives the same bytes anywhere.
 */
export function renderSarif(report: Report, paths: ReportPaths): string {
  const codes = [...new Set(report.problems.map((p) => p.code))].sort();
  const rules = codes.map((code) => {
    const help = CODE_HELP[code];
    const level = report.problems.find((p) => p.code === code)?.severity ?? 'error';
    return {
      id: code,
      shortDescription: { text: help.summary },
      fullDescription: { text: `${help.summary} ${help.help}` },
      help: { text: help.help },
      defaultConfiguration: { level },
    };
  });
  const results = report.problems.map((p) => {
    const result: Record<string, unknown> = { ruleId: p.code, ruleIndex: codes.indexOf(p.code), level: p.severity, message: { text: withHint(p) } };
    const file = p.location && repoPath(p.location.file, paths);
    if (p.location && file) {
      const region: Record<string, number> = { startLine: p.location.line, startColumn: p.location.col };
      if (p.location.endLine > p.location.line || p.location.endCol > p.location.col) Object.assign(region, { endLine: p.location.endLine, endColumn: p.location.endCol });
      const artifactLocation = file.absolute ? { uri: `file://${fileUri(file.path.startsWith('/') ? file.path : `/${file.path}`)}` } : { uri: fileUri(file.path), uriBaseId: SRCROOT };
      result['locations'] = [{ physicalLocation: { artifactLocation, region } }];
    }
    return result;
  });
  const log = {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'cfmesh', rules } },
        automationDetails: { id: `cfmesh ${report.command}/` },
        originalUriBaseIds: { [SRCROOT]: { description: { text: 'The repository root: the nearest directory at or above the working directory that holds .git, else the working directory.' } } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// junit: JUnit XML

/** Characters XML 1.0 cannot carry, even as references (§2.2 Char): replaced by U+FFFD. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlText(s: string): string {
  return s.replace(NOT_XML, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function problemLine(p: Problem): string {
  const where = p.location ? `${p.location.file}:${p.location.line}:${p.location.col}: ` : '';
  return `${where}${p.severity} ${p.code} ${p.message}`;
}

/**
 * One test suite (`cfmesh validate` or `cfmesh convert`), one test case per manifest file (and per
 * other file a problem is in, such as a vars file), a `<failure>` per error in it (type = the code),
 * its warnings as the case's `<system-out>`; problems in no file make a case of their own named after
 * the suite. `file` is relative to the repository root (GitLab links it). GitLab reads testsuites >
 * testsuite > testcase and shows every failure's text (gitlab lib/gitlab/ci/parsers/test/junit.rb);
 * Jenkins shows the first failure of a case as its error (jenkinsci/junit-plugin CaseResult.java,
 * getError/getErrorMessage), so a case's first failure is its first error as cfmesh prints them.
 */
export function renderJunit(report: Report, paths: ReportPaths): string {
  const suite = `cfmesh ${report.command}`;
  const cases = new Map<string, Problem[]>();
  for (const f of report.files) cases.set(f, []);
  const loose: Problem[] = [];
  for (const p of report.problems) {
    if (!p.location) loose.push(p);
    else cases.set(p.location.file, [...(cases.get(p.location.file) ?? []), p]);
  }
  const entries: { name: string; file?: string | undefined; problems: Problem[] }[] = [...cases].map(([file, problems]) => {
    const rel = repoPath(file, paths);
    return { name: rel?.path ?? file, file: rel?.path, problems };
  });
  if (loose.length > 0) entries.push({ name: suite, problems: loose });
  const failed = entries.filter((e) => e.problems.some((p) => p.severity === 'error')).length;
  let body = '';
  for (const e of entries) {
    const errors = e.problems.filter((p) => p.severity === 'error');
    const warnings = e.problems.filter((p) => p.severity === 'warning');
    const attrs = `classname="${xmlAttr(`cfmesh.${report.command}`)}" name="${xmlAttr(e.name)}"${e.file ? ` file="${xmlAttr(e.file)}"` : ''} time="0"`;
    if (errors.length === 0 && warnings.length === 0) {
      body += `    <testcase ${attrs}/>\n`;
      continue;
    }
    body += `    <testcase ${attrs}>\n`;
    for (const p of errors) body += `      <failure type="${xmlAttr(p.code)}" message="${xmlAttr(problemLine(p))}">${xmlText(p.hint ? `${problemLine(p)}\nhint: ${p.hint}` : problemLine(p))}</failure>\n`;
    if (warnings.length > 0) body += `      <system-out>${xmlText(warnings.map((p) => (p.hint ? `${problemLine(p)}\nhint: ${p.hint}` : problemLine(p))).join('\n'))}</system-out>\n`;
    body += '    </testcase>\n';
  }
  const counts = `tests="${entries.length}" failures="${failed}" errors="0"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlAttr(suite)}" ${counts}>\n  <testsuite name="${xmlAttr(suite)}" ${counts} skipped="0">\n${body}  </testsuite>\n</testsuites>\n`;
}

export function renderReport(format: Exclude<ReportFormat, 'text'>, report: Report, paths: ReportPaths): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'github':
      return renderGithub(report, paths);
    case 'sarif':
      return renderSarif(report, paths);
    case 'junit':
      return renderJunit(report, paths);
  }
}

export function parseReportFormat(flag: string, value: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new ToolError('USAGE', `${flag} must be ${REPORT_FORMATS.slice(0, -1).join(', ')} or ${REPORT_FORMATS.at(-1)} (got "${value}")`, {
    hint: 'github: workflow commands (annotations); sarif: code scanning; junit: test reports (GitLab, Jenkins)',
  });
}
