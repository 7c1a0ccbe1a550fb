import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { SpanIndex } from './span-index.ts';

/** Values for `((name))` placeholders: vars files in order, then `--var`s, later ones winning (cf). */
export type Vars = ReadonlyMap<string, unknown>;

// BOSH's interpolation pattern (bosh-cli director/template/template.go), which the cf CLI uses.
const VAR_PATTERN = /\(\((!?[-/.\w\p{L}]+)\)\)/gu;
const WHOLE_VAR = /^\(\((!?[-/.\w\p{L}]+)\)\)$/u;

export interface InterpolateResult {
  readonly value: unknown;
  readonly errors: readonly ToolError[];
}

/**
 * Replaces ((vars)) as the cf CLI does (BOSH template rules): a whole-value var keeps its YAML type;
 * inside a larger string only strings and integers may be substituted; a value is not interpolated
 * again; `((a.b))` reads key `b` of var `a`. Every undefined var is reported in one error, sorted,
 * with cf's wording, and each occurrence also with its position.
 */
export function interpolateVars(value: unknown, spans: SpanIndex, vars: Vars): InterpolateResult {
  const missing = new Map<string, SourceSpan | undefined>();
  const errors: ToolError[] = [];

  const lookup = (rawName: string): { found: boolean; value?: unknown } => {
    const name = rawName.startsWith('!') ? rawName.slice(1) : rawName;
    if (vars.has(name)) return { found: true, value: vars.get(name) };
    const [head, ...rest] = name.split('.');
    if (head === undefined || rest.length === 0 || !vars.has(head)) return { found: false };
    let current: unknown = vars.get(head);
    for (const key of rest) {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !(key in current)) return { found: false };
      current = (current as Record<string, unknown>)[key];
    }
    return { found: true, value: current };
  };

  const substitute = (text: string, span: SourceSpan | undefined): unknown => {
    if (!text.includes('((')) return text;
    const whole = WHOLE_VAR.exec(text);
    if (whole) {
      const name = whole[1] as string;
      const found = lookup(name);
      if (!found.found) {
        noteMissing(name, span);
        return text;
      }
      return found.value;
    }
    return text.replace(VAR_PATTERN, (match, name: string) => {
      const found = lookup(name);
      if (!found.found) {
        noteMissing(name, span);
        return match;
      }
      const v = found.value;
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return String(v);
      errors.push(
        new ToolError(
          'VAR_TYPE',
          `Invalid type '${goTypeName(v)}' for value '${goValue(v)}' and variable '${bare(name)}'. Supported types for interpolation within a string are integers and strings.`,
          { span },
        ),
      );
      return match;
    });
  };

  const noteMissing = (name: string, span: SourceSpan | undefined) => {
    const key = bare(name);
    if (!missing.has(key)) missing.set(key, span);
  };

  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        node[i] = typeof item === 'string' ? substitute(item, spans.entry(node, i)?.value) : walk(item);
      }
      return node;
    }
    if (typeof node === 'object' && node !== null) {
      const map = node as Record<string, unknown>;
      for (const key of Object.keys(map)) {
        const entry = spans.entry(map, key);
        let item = map[key];
        item = typeof item === 'string' ? substitute(item, entry?.value) : walk(item);
        const newKey = key.includes('((') ? substitute(key, entry?.key ?? entry?.value) : key;
        if (typeof newKey === 'string' && newKey !== key) {
          delete map[key];
          map[newKey] = item;
          if (entry) spans.setEntry(map, newKey, entry.value, entry.key);
        } else {
          map[key] = item;
        }
      }
      return map;
    }
    return node;
  };

  const result = typeof value === 'string' ? substitute(value, undefined) : walk(value);
  if (missing.size > 0) {
    const names = [...missing.keys()].sort();
    const located = names.map((name) => new ToolError('UNDEFINED_VARS', `variable "${name}" is not defined`, { span: missing.get(name) }));
    errors.unshift(
      new ToolError('UNDEFINED_VARS', `Expected to find variables: ${names.join(', ')}`, {
        hint: 'give each with --var NAME=VALUE or in a --vars-file',
        details: located,
      }),
    );
  }
  return { value: result, errors };
}

function bare(name: string): string {
  return name.startsWith('!') ? name.slice(1) : name;
}

function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'float64';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[interface {}]interface {}';
}

function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Parses `--var name=value`: both parts non-empty; the value is read as YAML, so `n=2` is the integer 2. */
export function splitVarFlag(flag: string): { name: string; text: string } {
  const at = flag.indexOf('=');
  const name = at > 0 ? flag.slice(0, at) : '';
  const text = at > 0 ? flag.slice(at + 1) : '';
  if (!name || !text) {
    throw new ToolError('USAGE', `Expected var '${flag}' to be in format 'name=value'`);
  }
  return { name, text };
}
