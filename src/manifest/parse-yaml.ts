import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Alias,
  type Node,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { SourceFile, SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import { SpanIndex } from './span-index.ts';

export interface ParseYamlOptions {
  /** How many nodes alias expansion may add in all (billion-laughs guard). */
  readonly maxAliasNodes?: number;
  /** Nesting depth beyond which the input is refused. */
  readonly maxDepth?: number;
}

export interface ParsedYaml {
  readonly value: unknown;
  readonly spans: SpanIndex;
  readonly errors: readonly ToolError[];
}

const DEFAULT_MAX_ALIAS_NODES = 100_000;
const DEFAULT_MAX_DEPTH = 256;

/**
 * Parses YAML as cf's parser (gopkg.in/yaml.v2) reads it: YAML 1.1 scalars (`yes` is true), merge keys
 * applied in order as met, several `<<` keys in one map allowed, later writes winning, and a `<<`
 * with a list of maps merged so that earlier maps take precedence. Unlike yaml.v2, duplicate keys are
 * errors. Returns plain data plus a span index; never throws for bad input.
 */
export function parseYaml(source: SourceFile, options: ParseYamlOptions = {}): ParsedYaml {
  const spans = new SpanIndex();
  const errors: ToolError[] = [];
  const span = (start: number, end: number): SourceSpan => ({ source, start, end });

  const docs = parseAllDocuments(source.text, {
    version: '1.1',
    merge: false,
    prettyErrors: false,
    strict: true,
    uniqueKeys: (a, b) => sameKey(a, b) && !isMergeKey(a),
  });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    for (const error of doc.errors) {
      const [start, end] = error.pos;
      const code = error.code === 'DUPLICATE_KEY' ? 'DUPLICATE_KEY' : 'YAML_SYNTAX';
      const message =
        code === 'DUPLICATE_KEY'
          ? `duplicate key ${quoteKeyAt(source.text, start, end)}: each key may appear once in a map`
          : firstLine(error.message);
      errors.push(new ToolError(code, message, { span: span(start, Math.max(end, start + 1)) }));
    }
  }
  if (list.length > 1) {
    const second = list[1];
    const at = second?.contents?.range?.[0] ?? second?.range?.[0] ?? 0;
    errors.push(
      new ToolError('YAML_SYNTAX', 'a manifest holds one YAML document; found a second one', {
        span: span(at, at + 1),
        hint: 'remove the `---` separator or split the file',
      }),
    );
  }
  if (errors.length > 0 || list.length === 0) return { value: null, spans, errors };

  const doc = list[0] as NonNullable<(typeof list)[number]>;
  const maxAliasNodes = options.maxAliasNodes ?? DEFAULT_MAX_ALIAS_NODES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let aliasBudget = maxAliasNodes;
  const sizes = new Map<Node, number>();

  class Stop extends Error {}
  const stop = (error: ToolError): never => {
    errors.push(error);
    throw new Stop();
  };

  const nodeSpan = (node: Node | null | undefined, fallback: SourceSpan): SourceSpan => {
    const range = node?.range;
    return range ? span(range[0], Math.max(range[1], range[0] + 1)) : fallback;
  };

  const sizeOf = (node: Node | null | undefined, depth: number): number => {
    if (!node) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (depth > maxDepth) return 1;
    let size = 1;
    if (isAlias(node)) size = sizeOf(node.resolve(doc) as Node | undefined, depth + 1);
    else if (isMap(node)) for (const pair of node.items) size += sizeOf(pair.value as Node, depth + 1) + 1;
    else if (isSeq(node)) for (const item of node.items) size += sizeOf(item as Node, depth + 1);
    sizes.set(node, size);
    return size;
  };

  const convert = (node: Node | null | undefined, depth: number, at: SourceSpan, viaAlias: boolean): unknown => {
    if (depth > maxDepth) {
      stop(new ToolError('YAML_SYNTAX', `nesting deeper than ${maxDepth} levels`, { span: at, hint: 'a manifest is never this deep; check the file' }));
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(doc) as Node | undefined;
      if (!target) stop(new ToolError('YAML_SYNTAX', `unknown alias *${(node as Alias).source}`, { span: nodeSpan(node, at) }));
      aliasBudget -= sizeOf(target, depth);
      if (aliasBudget < 0) {
        stop(
          new ToolError('ALIAS_LIMIT', `aliases expand to more than ${maxAliasNodes} nodes`, {
            span: nodeSpan(node, at),
            hint: 'this looks like an alias bomb; a real manifest stays far below the limit',
          }),
        );
      }
      return convert(target, depth + 1, nodeSpan(node, at), true);
    }
    if (isScalar(node)) return scalarValue(node as Scalar);
    if (isMap(node)) return convertMap(node as YAMLMap, depth, viaAlias);
    if (isSeq(node)) {
      const seq = node as YAMLSeq;
      const out: unknown[] = [];
      spans.setContainer(out, nodeSpan(seq, at));
      seq.items.forEach((item, i) => {
        const itemSpan = nodeSpan(item as Node, nodeSpan(seq, at));
        out.push(convert(item as Node, depth + 1, itemSpan, viaAlias));
        spans.setEntry(out, i, itemSpan);
      });
      return out;
    }
    return null;
  };

  const convertMap = (map: YAMLMap, depth: number, viaAlias: boolean): Record<string, unknown> => {
    const mapSpan = nodeSpan(map, span(0, 1));
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    spans.setContainer(out, mapSpan);
    const assign = (from: Record<string, unknown>) => {
      for (const key of Object.keys(from)) {
        out[key] = from[key];
        const entry = spans.entry(from, key);
        if (entry) spans.setEntry(out, key, entry.value, entry.key);
      }
    };
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const keySpan = nodeSpan(keyNode, mapSpan);
      if (isMergeKey(keyNode)) {
        const sources: Node[] = isSeq(valueNode) ? ((valueNode as YAMLSeq).items as Node[]) : valueNode ? [valueNode] : [];
        // yaml.v2 merges a list of maps from last to first, so that earlier maps take precedence.
        for (const item of isSeq(valueNode) ? [...sources].reverse() : sources) {
          const merged = convert(item, depth + 1, nodeSpan(item, keySpan), viaAlias);
          if (!isPlainMap(merged)) {
            stop(new ToolError('MERGE_KEY', 'a merge key (<<) takes a map or a list of maps', { span: nodeSpan(item, keySpan) }));
          }
          assign(merged as Record<string, unknown>);
        }
        continue;
      }
      const key = keyString(keyNode);
      const valueSpan = nodeSpan(valueNode, keySpan);
      out[key] = convert(valueNode, depth + 1, valueSpan, viaAlias);
      spans.setEntry(out, key, valueSpan, keySpan);
    }
    return out;
  };

  try {
    const value = convert(doc?.contents as Node | null, 0, span(0, 1), false);
    return { value, spans, errors };
  } catch (error) {
    if (error instanceof Stop) return { value: null, spans, errors };
    throw error;
  }
}

function isMergeKey(node: unknown): boolean {
  if (!isScalar(node)) return false;
  const scalar = node as Scalar;
  return typeof scalar.value === 'symbol' || (scalar.value === '<<' && scalar.type === 'PLAIN');
}

function sameKey(a: unknown, b: unknown): boolean {
  if (isScalar(a) && isScalar(b)) return keyValue(a as Scalar) === keyValue(b as Scalar);
  return a === b;
}

function keyValue(scalar: Scalar): unknown {
  const value = scalar.value;
  return typeof value === 'symbol' ? '<<' : value;
}

function keyString(node: Node | null): string {
  if (node === null) return '';
  if (isScalar(node)) {
    const value = scalarValue(node as Scalar);
    return value === null ? '' : String(value);
  }
  return String(node);
}

// yaml.v2 (cf's parser) reads a plain scalar as a number only in these forms; eemeli/yaml's YAML 1.1
// schema is looser (`.` is NaN there, `12:30` is sexagesimal 750), so anything else stays a string.
const V2_INT = /^[-+]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/;
const V2_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const V2_SPECIAL = /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;

function scalarValue(scalar: Scalar): unknown {
  const value = scalar.value;
  if (typeof value === 'number' && scalar.type === 'PLAIN' && typeof scalar.source === 'string') {
    const source = scalar.source;
    if (!V2_INT.test(source) && !V2_FLOAT.test(source.replace(/_/g, '')) && !V2_SPECIAL.test(source)) return source;
  }
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return scalar.source ?? value.toISOString();
  if (value instanceof Uint8Array) return scalar.source ?? '';
  if (typeof value === 'symbol') return '<<';
  return value;
}

function isPlainMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

function quoteKeyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start, Math.min(end, start + 60)).split(/[:\n]/)[0]?.trim() ?? '';
  return raw ? `"${raw}"` : 'key';
}
