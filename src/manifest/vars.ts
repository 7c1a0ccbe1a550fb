import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { goFormatFloat } from './cli-values.ts';
import type { SpanIndex } from './span-index.ts';
import { closest } from './suggest.ts';

/**
 * Values for `((name))` placeholders: vars files in order, then `--var`s, later ones winning (cf CLI
 * v8.18.4 util/manifestparser/parser.go `InterpolateManifest`). A plain Map works; VarValues also
 * remembers where each value was written, for hints.
 */
export type Vars = ReadonlyMap<string, unknown>;

/** Where a var's value was written: its map and key in a vars file (or `--var NAME`), with that file's spans. */
export interface VarOrigin {
  readonly container: object;
  readonly key: string;
  readonly spans: SpanIndex;
  readonly file: string;
}

export class VarValues extends Map<string, unknown> {
  readonly origins = new Map<string, VarOrigin>();
}

// bosh-cli v6.4.1 (the version cf CLI v8.18.4 pins in go.mod) director/template/template.go:
// `\(\((!?[-/\.\w\pL]+)\)\)`, and the anchored form for a whole value.
const VAR_PATTERN = /\(\((!?[-/.\w\p{L}]+)\)\)/gu;
const WHOLE_VAR = /^\(\((!?[-/.\w\p{L}]+)\)\)$/u;

/** Keys whose value is a boolean in cf or cfmesh: a var that is a boolean there is meant to be one. */
const BOOLEAN_KEYS = new Set([
  'no-route', 'no_route', 'random-route', 'random_route', 'default-route', 'default_route', 'no-hostname', 'https-redirect',
  'ssh', 'revisions', 'service-binding-k8s', 'file-based-vcap-services',
]);

export interface InterpolateResult {
  readonly value: unknown;
  readonly errors: readonly ToolError[];
  readonly warnings: readonly Warning[];
  /** Span starts of values that still hold a placeholder (an undefined var): later errors there depend on it. */
  readonly unresolved: ReadonlySet<number>;
}

export interface InterpolateOptions {
  /** The vars could not all be read (a bad vars file): undefined ones are not reported again. */
  readonly incomplete?: boolean | undefined;
  /**
   * False when no string of `value` can hold a `((`: its text has none and no backslash (a
   * double-quoted escape, `\x28` or an escaped line break, is the only way YAML makes one out of
   * text without it). Then nothing is walked.
   */
  readonly mayHaveVars?: boolean | undefined;
}

/**
 * Replaces ((vars)) as the cf CLI does with bosh-cli v6.4.1's template (director/template/template.go,
 * static_vars.go, and go-patch's pointer.go/find_op.go vendored there):
 * - a whole-value var keeps its YAML type; inside a larger string only strings and integers may be
 *   substituted ("Invalid type ..."); a value is not interpolated again; map keys are interpolated too;
 * - vars named with dots (`a.b: x` in a vars file, `--var a.b=x`) are nested maps (`processed`);
 * - `((a.b.c))` looks up var `a`, then `/b/c` in it as a go-patch pointer: a number indexes a list
 *   (negative from the end), else a map key; when that fails it is tried again with every index read
 *   as a map key (so `((m.1))` reads key "1" of a map), and the second failure is the error;
 * - an undefined var is reported by its first name part, all of them in one error, sorted, in cf's words
 *   (`Expected to find variables: a, b`), each also at its position; so is a top-level `variables:`
 *   definition whose var is not given (template.go `FoundVars`).
 */
export function interpolateVars(value: unknown, spans: SpanIndex, vars: Vars, options: InterpolateOptions = {}): InterpolateResult {
  const missing = new Map<string, SourceSpan | undefined>();
  const errors: ToolError[] = [];
  const warnings: Warning[] = [];
  const unresolved = new Set<number>();
  const processed = processVars(vars);
  const origins = vars instanceof VarValues ? vars.origins : undefined;

  type Found = { readonly found: true; readonly value: unknown } | { readonly found: false; readonly error?: string };
  const lookup = (name: string): Found => {
    const parts = name.split('.');
    const head = parts[0] as string;
    if (!processed.has(head)) return { found: false };
    const base = processed.get(head);
    if (parts.length === 1) return { found: true, value: base };
    const tokens = parts.slice(1).join('/').split('/');
    const first = findPointer(base, tokens, true);
    if (first.ok) return { found: true, value: first.value };
    const second = findPointer(base, tokens, false);
    return second.ok ? { found: true, value: second.value } : { found: false, error: second.error };
  };

  const noteMissing = (name: string, span: SourceSpan | undefined) => {
    if (span) unresolved.add(span.start);
    const head = bare(name).split('.')[0] as string;
    if (!missing.has(head)) missing.set(head, span);
  };

  const hintFor = (name: string): string | undefined => {
    const origin = origins?.get(bare(name).split('.')[0] as string);
    if (!origin) return undefined;
    const word = origin.spans.boolWord(origin.container, origin.key);
    return word ? `${origin.file} has \`${origin.key}: ${word}\`, which YAML 1.1 (as cf reads it) takes for ${word.match(/^(y|yes|on|true)$/i) ? 'true' : 'false'}; quote it ("${word}") to keep the text` : undefined;
  };

  const substitute = (text: string, span: SourceSpan | undefined, key?: string): unknown => {
    if (!text.includes('((')) return text;
    const whole = WHOLE_VAR.exec(text);
    if (whole) {
      const name = bare(whole[1] as string);
      const found = lookup(name);
      if (found.found) {
        // `no` in a vars file is false to cf's YAML 1.1 reader: say so where it lands as a value cf reads as text.
        const hint = typeof found.value === 'boolean' ? hintFor(name) : undefined;
        if (hint && span && !(key !== undefined && BOOLEAN_KEYS.has(key))) {
          warnings.push({ code: 'LOSSY', message: `((${name})) is the boolean ${String(found.value)} here, not the text`, span, hint });
        }
        return found.value;
      }
      if (found.error !== undefined) errors.push(new ToolError('UNDEFINED_VARS', `Finding variable '${name}': ${found.error}`, { span }));
      else noteMissing(name, span);
      if (span) unresolved.add(span.start);
      return text;
    }
    let out = text;
    for (const match of text.matchAll(VAR_PATTERN)) {
      const name = bare(match[1] as string);
      const found = lookup(name);
      if (!found.found) {
        if (found.error !== undefined) errors.push(new ToolError('UNDEFINED_VARS', `Finding variable '${name}': ${found.error}`, { span }));
        else noteMissing(name, span);
        if (span) unresolved.add(span.start);
        continue;
      }
      const v = found.value;
      if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) {
        const textValue = typeof v === 'string' ? v : v.toFixed(0);
        out = out.split(`((${name}))`).join(textValue).split(`((!${name}))`).join(textValue);
        continue;
      }
      errors.push(
        new ToolError(
          'VAR_TYPE',
          `Invalid type '${goTypeName(v)}' for value '${goValue(v)}' and variable '${name}'. Supported types for interpolation within a string are integers and strings.`,
          { span, hint: typeof v === 'boolean' ? hintFor(name) : undefined },
        ),
      );
      if (span) unresolved.add(span.start);
    }
    return out;
  };

  // Containers are changed in place. A span is looked up only where a `((` is (most manifests have
  // none: looking up every entry's span was a tenth of loading 40,000 apps).
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (typeof item === 'string') {
          if (item.includes('((')) node[i] = substitute(item, spans.entry(node, i)?.value);
        } else if (typeof item === 'object' && item !== null) walk(item);
      }
      return node;
    }
    if (typeof node === 'object' && node !== null) {
      const map = node as Record<string, unknown>;
      for (const key of Object.keys(map)) {
        let item = map[key];
        if (typeof item === 'string') {
          if (item.includes('((')) item = substitute(item, spans.entry(map, key)?.value, key);
        } else if (typeof item === 'object' && item !== null) walk(item);
        if (!key.includes('((')) {
          map[key] = item;
          continue;
        }
        const entry = spans.entry(map, key);
        const newKey = substitute(key, entry?.key ?? entry?.value);
        const keyText = typeof newKey === 'string' ? newKey : newKey === null ? 'null' : typeof newKey === 'object' ? JSON.stringify(newKey) : String(newKey);
        if (keyText !== key) {
          delete map[key];
          map[keyText] = item;
          if (entry) spans.setEntry(map, keyText, entry.value, entry.key);
        } else {
          map[key] = item;
        }
      }
      return map;
    }
    return node;
  };

  const result = typeof value === 'string' ? substitute(value, undefined) : options.mayHaveVars === false ? value : walk(value);
  checkDefinitions(result, spans, processed, noteMissing, errors);
  if (missing.size > 0 && !options.incomplete) {
    const names = [...missing.keys()].sort();
    const known = [...processed.keys()];
    const located = names.map((name) => {
      const near = closest(name, known);
      return new ToolError('UNDEFINED_VARS', `variable "${name}" is not defined`, { span: missing.get(name), hint: near ? `did you mean "${near}"?` : undefined });
    });
    errors.unshift(
      new ToolError('UNDEFINED_VARS', `Expected to find variables: ${names.join(', ')}`, {
        hint: 'give each with --var NAME=VALUE or in a --vars-file',
        details: located,
      }),
    );
  }
  return { value: result, errors, warnings, unresolved };
}

/**
 * StaticVariables#processed (static_vars.go): a var named `a.b` becomes key `b` of a map `a`. (bosh
 * replaces an intermediate map when two dotted names share it, in Go's random map order; cfmesh merges.)
 */
function processVars(vars: Vars): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, value] of vars) {
    const pieces = name.split('.');
    if (pieces.length === 1) {
      out.set(name, value);
      continue;
    }
    const head = pieces[0] as string;
    let node = out.get(head);
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      node = {};
      out.set(head, node);
    }
    let ref = node as Record<string, unknown>;
    for (const p of pieces.slice(1, -1)) {
      const next = ref[p];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) ref[p] = {};
      ref = ref[p] as Record<string, unknown>;
    }
    ref[pieces[pieces.length - 1] as string] = value;
  }
  return out;
}

type Find = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/**
 * go-patch FindOp on pointer `/t1/t2/...` (pointer.go NewPointerFromString, find_op.go Apply,
 * array_index.go, errs.go): `-` last is "after last index" (refused), an integer is an index
 * (`withIndexes`; on the retry it is a key), anything else a key.
 */
function findPointer(doc: unknown, tokens: readonly string[], withIndexes: boolean): Find {
  let obj = doc;
  const path: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const last = i === tokens.length - 1;
    const index = withIndexes && /^[+-]?\d+$/.test(token) && Math.abs(Number(token)) <= 2 ** 63 ? Number(token) : undefined;
    path.push(index !== undefined ? String(index) : token);
    const at = `/${path.join('/')}`;
    if (withIndexes && last && token === '-') {
      return { ok: false, error: `Expected not to find after last index token in path '/${tokens.join('/')}' (not supported in find operations)` };
    }
    if (index !== undefined) {
      if (!Array.isArray(obj)) return { ok: false, error: `Expected to find an array at path '${at}' but found '${goTypeName(obj)}'` };
      if (index >= obj.length || -index - 1 >= obj.length) {
        return { ok: false, error: `Expected to find array index '${index}' but found array of length '${obj.length}' for path '${at}'` };
      }
      obj = obj[index < 0 ? obj.length + index : index];
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, error: `Expected to find a map at path '${at}' but found '${goTypeName(obj)}'` };
    const map = obj as Record<string, unknown>;
    if (!(token in map)) {
      const keys = Object.keys(map).sort();
      const siblings = keys.length === 0 ? 'found no other map keys' : `found map keys: '${keys.join("', '")}'`;
      return { ok: false, error: `Expected to find a map key '${token}' for path '${at}' (${siblings})` };
    }
    obj = map[token];
  }
  return { ok: true, value: obj };
}

/**
 * A top-level `variables:` list is bosh's variable definitions (template.go `ExtractDefinitions`,
 * `FoundVars`): each must be a map, and the var each one names must be given.
 */
function checkDefinitions(
  root: unknown,
  spans: SpanIndex,
  processed: ReadonlyMap<string, unknown>,
  noteMissing: (name: string, span: SourceSpan | undefined) => void,
  errors: ToolError[],
): void {
  if (typeof root !== 'object' || root === null || Array.isArray(root) || !('variables' in root)) return;
  const defs = (root as Record<string, unknown>)['variables'];
  const where = spans.entry(root, 'variables')?.value;
  if (defs === null) return;
  if (!Array.isArray(defs)) {
    errors.push(new ToolError('SCHEMA', 'variables: the cf CLI reads a top-level `variables:` as bosh variable definitions, a list of {name, type, options}', { span: where }));
    return;
  }
  defs.forEach((def, i) => {
    if (def === null) return;
    const span = spans.entry(defs, i)?.value ?? where;
    if (typeof def !== 'object' || Array.isArray(def)) {
      errors.push(new ToolError('SCHEMA', `variables[${i}]: a bosh variable definition is a map of name, type and options`, { span }));
      return;
    }
    const name = (def as Record<string, unknown>)['name'];
    const text = typeof name === 'string' ? name : typeof name === 'number' || typeof name === 'boolean' ? String(name) : '';
    if (!processed.has(text)) noteMissing(text, spans.entry(def, 'name')?.value ?? span);
  });
}

function bare(name: string): string {
  return name.startsWith('!') ? name.slice(1) : name;
}

/** Go's %T of a value as yaml.v2 decodes it. */
function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[interface {}]interface {}';
}

/** Go's %v of a value as yaml.v2 decodes it. */
function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : goFormatFloat(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (typeof value === 'object') {
    const map = value as Record<string, unknown>;
    return `map[${Object.keys(map).sort().map((k) => `${k}:${goValue(map[k])}`).join(' ')}]`;
  }
  return String(value);
}

/**
 * Parses `--var name=value` as bosh-cli's VarKV.UnmarshalFlag (director/template/var_kv.go at v6.4.1):
 * split at the first `=`, both parts non-empty, each with bosh's message.
 */
export function splitVarFlag(flag: string): { name: string; text: string } {
  const at = flag.indexOf('=');
  if (at === -1) throw new ToolError('USAGE', `Expected var '${flag}' to be in format 'name=value'`);
  const name = flag.slice(0, at);
  const text = flag.slice(at + 1);
  if (!name) throw new ToolError('USAGE', `Expected var '${flag}' to specify non-empty name`);
  if (!text) throw new ToolError('USAGE', `Expected var '${flag}' to specify non-empty value`);
  return { name, text };
}
