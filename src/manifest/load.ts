import { SourceFile, type SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { normalizeManifest } from './normalize.ts';
import { parseYaml, type ParseYamlOptions } from './parse-yaml.ts';
import { checkRules } from './rules.ts';
import { validateSchema } from './schema.ts';
import type { Manifest } from './types.ts';
import { interpolateVars, type Vars } from './vars.ts';

export interface VarFlag {
  readonly name: string;
  readonly text: string;
}

export interface LoadInput {
  /** One or more manifests; later files add apps and routes. */
  readonly manifests: readonly SourceFile[];
  readonly varsFiles?: readonly SourceFile[];
  readonly vars?: readonly VarFlag[];
  readonly limits?: ParseYamlOptions;
}

export interface LoadResult {
  readonly manifest: Manifest;
  readonly warnings: readonly Warning[];
}

/**
 * read text → parse (merge keys, aliases) → ((vars)) → schema → normalize → rules.
 * Pure: text in, model and warnings out. Every problem of every file is collected and thrown at
 * once (a ToolError with details); warnings found on the way ride along on the error too.
 */
export function loadManifest(input: LoadInput): LoadResult {
  const vars = buildVars(input.varsFiles ?? [], input.vars ?? [], input.limits);
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const apps: Manifest['apps'][number][] = [];
  const routes: Manifest['routes'][number][] = [];

  for (const source of input.manifests) {
    const fileSpan: SourceSpan = { source, start: 0, end: 0 };
    const parsed = parseYaml(source, input.limits);
    warnings.push(...(parsed.warnings ?? []));
    if (parsed.errors.length > 0) {
      errors.push(...parsed.errors);
      continue;
    }
    const interpolated = interpolateVars(parsed.value, parsed.spans, vars);
    if (interpolated.errors.length > 0) {
      errors.push(...interpolated.errors);
      continue;
    }
    const value = interpolated.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(new ToolError('SCHEMA', 'Manifest must have at least one application.', { span: fileSpan, hint: 'a manifest is a map with an `applications:` list' }));
      continue;
    }
    const schemaErrors = validateSchema(value, parsed.spans, fileSpan);
    if (schemaErrors.length > 0) {
      errors.push(...schemaErrors);
      continue;
    }
    const normalized = normalizeManifest(value, parsed.spans, fileSpan);
    warnings.push(...normalized.warnings);
    errors.push(...normalized.errors);
    apps.push(...normalized.manifest.apps);
    routes.push(...normalized.manifest.routes);
  }
  if (errors.length === 0) {
    const manifest: Manifest = { apps, routes };
    const checked = checkRules(manifest);
    warnings.push(...checked.warnings);
    errors.push(...checked.errors);
    if (errors.length === 0) return { manifest, warnings };
  }
  throw withWarnings(sortByPosition(errors, input.manifests), warnings);
}

/** Errors in reading order: by file as given, then by offset; errors without a position last. */
function sortByPosition(errors: readonly ToolError[], files: readonly SourceFile[]): ToolError[] {
  const order = (e: ToolError) => (e.span ? files.indexOf(e.span.source) : files.length);
  return [...errors].sort((a, b) => order(a) - order(b) || (a.span?.start ?? Infinity) - (b.span?.start ?? Infinity));
}

function withWarnings(errors: ToolError[], warnings: Warning[]): ToolError {
  try {
    failWith(errors);
  } catch (error) {
    if (error instanceof ToolError) {
      (error as ToolError & { warnings?: readonly Warning[] }).warnings = warnings;
      return error;
    }
    throw error;
  }
}

/** Vars files in order, later keys overriding earlier ones, then `--var`s on top (cf parser.go). */
export function buildVars(files: readonly SourceFile[], flags: readonly VarFlag[], limits?: ParseYamlOptions): Vars {
  const vars = new Map<string, unknown>();
  for (const file of files) {
    const parsed = parseYaml(file, limits);
    const first = parsed.errors[0];
    if (first) {
      throw new ToolError('VARS_FILE', `The option --vars-file expects a valid YAML file. ${first.message}`, { span: first.span });
    }
    const value = parsed.value;
    if (value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ToolError('VARS_FILE', `The option --vars-file expects a valid YAML file. ${file.name} is not a map of variable names to values`, {
        span: { source: file, start: 0, end: 1 },
      });
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) vars.set(k, v);
  }
  for (const flag of flags) {
    vars.set(flag.name, parseVarValue(flag));
  }
  return vars;
}

function parseVarValue(flag: VarFlag): unknown {
  // BOSH var_kv.go reads the value as YAML, so `--var n=2` is the integer 2; a value YAML cannot read stays a string.
  const parsed = parseYaml(new SourceFile(`--var ${flag.name}`, flag.text));
  return parsed.errors.length > 0 ? flag.text : parsed.value;
}
