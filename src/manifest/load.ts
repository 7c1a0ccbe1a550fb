import { SourceFile, type SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, failWith, type Warning } from '../diagnostics/tool-error.ts';
import { checkCfAttributes } from './cf-rules.ts';
import { normalizeManifest, type UnparsedRoute } from './normalize.ts';
import { routeProblems } from './route-rules.ts';
import { parseYaml, type ParseYamlOptions } from './parse-yaml.ts';
import { RULES, checkRules } from './rules.ts';
import { validateSchema } from './schema.ts';
import { SpanIndex } from './span-index.ts';
import type { Manifest } from './types.ts';
import { interpolateVars, VarValues, type Vars } from './vars.ts';

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
  /** The internal domains (routing options), for Cloud Controller's rules on them (route-rules.ts). */
  readonly internalDomains?: readonly string[] | undefined;
}

export interface LoadResult {
  readonly manifest: Manifest;
  readonly warnings: readonly Warning[];
}

/**
 * read text → parse (merge keys, aliases) → ((vars)) → schema, cf's attribute rules, normalize →
 * rules across files. Pure: text in, model and warnings out.
 *
 * Collect, then fail: every stage runs on what the stage before it could read, so one pass reports
 * every independent problem. Only what depends on an earlier problem is left out: errors inside a
 * node the schema already refused, at a value that still holds an undefined var, and the rules
 * across files when a file could not be read at all. Errors and warnings come sorted by file and
 * position; everything is thrown at once (a ToolError with details), warnings riding along.
 */
export function loadManifest(input: LoadInput): LoadResult {
  const warnings: Warning[] = [];
  const errors: ToolError[] = [];
  const varsRead = buildVarsCollecting(input.varsFiles ?? [], input.vars ?? [], input.limits);
  warnings.push(...varsRead.warnings);
  errors.push(...varsRead.errors);
  const apps: Manifest['apps'][number][] = [];
  const routes: Manifest['routes'][number][] = [];
  const unparsed: UnparsedRoute[] = [];
  const dependents: Dependents[] = [];
  let unreadable = false;

  for (const source of input.manifests) {
    const fileSpan: SourceSpan = { source, start: 0, end: 0 };
    const parsed = parseYaml(source, input.limits);
    warnings.push(...(parsed.warnings ?? []));
    if (parsed.errors.length > 0) {
      errors.push(...parsed.errors);
      unreadable = true;
      continue;
    }
    const mayHaveVars = source.text.includes('((') || source.text.includes('\\');
    const interpolated = interpolateVars(parsed.value, parsed.spans, varsRead.vars, { incomplete: varsRead.errors.length > 0, mayHaveVars });
    errors.push(...interpolated.errors);
    warnings.push(...interpolated.warnings);
    const value = interpolated.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(new ToolError('SCHEMA', 'Manifest must have at least one application.', { span: fileSpan, hint: 'a manifest is a map with an `applications:` list' }));
      unreadable = true;
      continue;
    }
    const dependent = new Dependents(interpolated.unresolved);
    const schemaErrors = dependent.keep(validateSchema(value, parsed.spans, fileSpan));
    dependent.refused(schemaErrors);
    const cf = checkCfAttributes(value, parsed.spans, fileSpan);
    const cfErrors = dependent.keep(cf.errors);
    dependent.refused(cfErrors);
    const normalized = normalizeManifest(value, parsed.spans, fileSpan);
    errors.push(...schemaErrors, ...cfErrors, ...dependent.keep(normalized.errors));
    // Cloud Controller's rules that need the domain, here so that `validate` reports them with the rest.
    const internalDomains = input.internalDomains ?? [];
    const checkRoute = (route: Pick<Manifest['routes'][number], 'address' | 'protocol' | 'span' | 'written'>) => {
      for (const p of routeProblems(route.address, internalDomains, route.protocol === 'tcp' ? 'tcp' : 'http')) {
        errors.push(new ToolError('ROUTE_INVALID', `For route '${route.written ?? route.address.fqdn}': ${p.message}`, { span: route.span, hint: p.hint }));
      }
    };
    for (const app of normalized.manifest.apps) for (const route of app.routes) checkRoute(route);
    for (const route of normalized.manifest.routes) checkRoute(route);
    warnings.push(...cf.warnings, ...normalized.warnings);
    apps.push(...normalized.manifest.apps);
    routes.push(...normalized.manifest.routes);
    unparsed.push(...normalized.unparsed);
    dependents.push(dependent);
  }
  const manifest: Manifest = { apps, routes };
  // Rules across files need every file: with one unreadable, they would report apps as missing.
  if (!unreadable) {
    const checked = checkRules(manifest, RULES, unparsed);
    warnings.push(...checked.warnings);
    errors.push(...checked.errors.filter((e) => dependents.every((d) => d.keep([e]).length > 0)));
  }
  const sortedWarnings = sortByPosition(warnings, input.manifests, input.varsFiles ?? []);
  if (errors.length === 0) return { manifest, warnings: sortedWarnings };
  failWith(sortByPosition(errors, input.manifests, input.varsFiles ?? []), sortedWarnings);
}

/** Decides which later errors follow from earlier ones (and are left out) in one file. */
class Dependents {
  readonly #unresolved: ReadonlySet<number>;
  readonly #refused: SourceSpan[] = [];

  constructor(unresolved: ReadonlySet<number>) {
    this.#unresolved = unresolved;
  }

  /** Nodes an earlier stage refused: what later stages say inside them follows from that. */
  refused(errors: readonly ToolError[]): void {
    for (const e of errors) if (e.span && e.span.end > e.span.start) this.#refused.push(e.span);
  }

  keep<T extends ToolError>(errors: readonly T[]): T[] {
    return errors.filter((e) => {
      const span = e.span;
      if (!span) return true;
      if (this.#unresolved.has(span.start)) return false;
      return !this.#refused.some((r) => r.source === span.source && span.start >= r.start && span.end <= r.end && span.start < r.end);
    });
  }
}

/** Reading order: by file (manifests as given, then vars files), then by offset; unpositioned last. */
function sortByPosition<T extends { readonly span?: SourceSpan | undefined }>(items: readonly T[], files: readonly SourceFile[], varsFiles: readonly SourceFile[]): T[] {
  const all = [...files, ...varsFiles];
  const order = (e: T) => (e.span ? (all.indexOf(e.span.source) + 1 || all.length + 1) : all.length + 2);
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => order(a.item) - order(b.item) || (a.item.span?.start ?? Infinity) - (b.item.span?.start ?? Infinity) || a.i - b.i)
    .map((x) => x.item);
}

interface VarsRead {
  readonly vars: VarValues;
  readonly errors: readonly ToolError[];
  readonly warnings: readonly Warning[];
}

/**
 * Vars files in order, later keys overriding earlier ones, then `--var`s on top (cf CLI v8.18.4
 * util/manifestparser/parser.go `InterpolateManifest`). Every vars file is read as YAML whether or not
 * a var is used; one that is not YAML, or not a map of names to values, is refused with cf's prefix
 * (invalid_yaml_error.go). A key written twice keeps its last value (yaml.v2), with a warning.
 */
function buildVarsCollecting(files: readonly SourceFile[], flags: readonly VarFlag[], limits?: ParseYamlOptions): VarsRead {
  const vars = new VarValues();
  const errors: ToolError[] = [];
  const warnings: Warning[] = [];
  for (const file of files) {
    const parsed = parseYaml(file, limits);
    warnings.push(...(parsed.warnings ?? []));
    const first = parsed.errors[0];
    if (first) {
      errors.push(new ToolError('VARS_FILE', `The option --vars-file expects a valid YAML file. ${first.message}`, { span: first.span, hint: first.hint }));
      continue;
    }
    const value = parsed.value;
    if (value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      errors.push(
        new ToolError('VARS_FILE', `The option --vars-file expects a valid YAML file. ${file.name} is not a map of variable names to values`, {
          span: parsed.spans.container(value as object) ?? { source: file, start: 0, end: 1 },
        }),
      );
      continue;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      vars.set(k, v);
      vars.origins.set(k, { container: value, key: k, spans: parsed.spans, file: file.name });
    }
  }
  for (const flag of flags) {
    const read = parseVarValue(flag);
    vars.set(flag.name, read.value);
    vars.origins.set(flag.name, { container: read.holder, key: 'v', spans: read.spans, file: `--var ${flag.name}` });
  }
  return { vars, errors, warnings };
}

/** Vars files in order, then `--var`s (kept for callers that want the values alone; throws the first problem). */
export function buildVars(files: readonly SourceFile[], flags: readonly VarFlag[], limits?: ParseYamlOptions): Vars {
  const read = buildVarsCollecting(files, flags, limits);
  if (read.errors.length > 0) failWith(read.errors);
  return read.vars;
}

/**
 * bosh-cli VarKV.UnmarshalFlag (director/template/var_kv.go at v6.4.1) reads the value as YAML, so
 * `--var n=2` is the integer 2, and refuses a value that is not YAML ("Deserializing variables").
 */
function parseVarValue(flag: VarFlag): { value: unknown; holder: object; spans: SpanIndex } {
  const parsed = parseYaml(new SourceFile(`--var ${flag.name}`, flag.text));
  if (parsed.errors.length > 0) {
    throw new ToolError('USAGE', `Deserializing variables '${flag.name}=${flag.text}': ${parsed.errors[0]?.message ?? 'not YAML'}`, {
      hint: 'the value of --var is read as YAML; quote a text value in YAML too, e.g. --var \'x="a: b"\'',
    });
  }
  // The word a boolean was written as (`--var eu=no`), for the hint when it lands in a string.
  const holder = {};
  const spans = new SpanIndex();
  const word = flag.text.trim();
  if (typeof parsed.value === 'boolean' && !/^(true|false)$/i.test(word)) spans.setBoolWord(holder, 'v', word);
  return { value: parsed.value, holder, spans };
}
