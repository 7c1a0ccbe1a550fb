import {
  Composer,
  Lexer,
  Parser,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  type Alias,
  type Document,
  type Node,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { SourceFile, SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { prescanTokens } from './prescan.ts';
import { SpanIndex } from './span-index.ts';
import { duplicateKeyWarnings, plainData, readYamlDirect, scalarKeyIdentity } from './yaml-direct.ts';

export interface ParseYamlOptions {
  /** How many nodes alias expansion may add in all (billion-laughs guard). */
  readonly maxAliasNodes?: number;
  /** Nesting depth beyond which the input is refused. */
  readonly maxDepth?: number;
  /** How many content tokens a file may have (memory and time guard; see maxTokensFor). */
  readonly maxTokens?: number;
  /** false: read with the yaml library even what the direct reader reads (the tests compare both). */
  readonly direct?: boolean;
}

export interface ParsedYaml {
  readonly value: unknown;
  readonly spans: SpanIndex;
  readonly errors: readonly ToolError[];
  /** Problems that do not stop the manifest from being read (a second YAML document, a duplicate key). */
  readonly warnings?: readonly Warning[] | undefined;
  /** How far the work went (the tests bound it instead of timing it). */
  readonly work?: ParseWork | undefined;
}

export interface ParseWork {
  /** Content tokens the pre-scan counted (stops one past the limit). */
  readonly prescanned: number;
  /** Lexemes the yaml library's lexer produced (0 when the pre-scan refused the input). */
  readonly lexemes: number;
  /** Whether documents were composed into nodes (the yaml library's document model was built). */
  readonly composed: boolean;
  /** Whether the direct reader (yaml-direct.ts) read the text, so that the library never ran. */
  readonly direct?: boolean | undefined;
}

const DEFAULT_MAX_ALIAS_NODES = 100_000;
const DEFAULT_MAX_DEPTH = 256;
/**
 * The yaml library needs about 1 KB of memory and 10 µs per item of a collection, so 10 MB of `x,`
 * in a flow sequence (5M items) took 90 s and then aborted Node with out-of-memory. So the content
 * tokens (scalars, indicators, anchors, tags: not spaces, newlines or comments) are counted first,
 * and a manifest with more than one per 8 bytes of the input limit is refused: 4,194,304 with the
 * default 32 MiB. A 40,000-app manifest (7.1 MB) has 1.9M; `--max-input-size` raises both limits.
 */
export function maxTokensFor(maxInputBytes: number): number {
  return Math.floor(maxInputBytes / 8);
}
const DEFAULT_MAX_TOKENS = maxTokensFor(32 * 1024 * 1024);
/** More tags or anchors than this in front of one node is refused before composing (a node has one of each). */
const MAX_PROPS_IN_A_ROW = 64;

/**
 * Parses YAML as cf's parser (gopkg.in/yaml.v2 v2.4.0, which cf CLI v8.18.4 pins) reads it: YAML 1.1
 * scalars (`yes` is true), merge keys applied in order as met, several `<<` keys in one map allowed,
 * later writes winning, and a `<<` with a list of maps merged so that earlier maps take precedence. A
 * key written twice in one map is accepted with its last value, as non-strict yaml.v2 reads it
 * (decode.go `mapping` sets the key again; only UnmarshalStrict refuses it), and warned at both places.
 * Only the first document counts (yaml.v2 Unmarshal parses one): later ones are ignored, their syntax
 * errors too. Returns plain data plus a span index; never throws for bad input.
 */
export function parseYaml(source: SourceFile, options: ParseYamlOptions = {}): ParsedYaml {
  const spans = new SpanIndex();
  const errors: ToolError[] = [];
  const warnings: Warning[] = [];
  const span = (start: number, end: number): SourceSpan => ({ source, start, end });

  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // The yaml library's parser (text → CST) is iterative, but its composer (CST → nodes) recurses once
  // per nesting level and overflows the stack on `[[[[...` tens of thousands deep, and it is
  // quadratic in a run of tags (`!a !a !a ...`). So the CST is checked first, without recursion, and
  // only a CST within the limits is composed.
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const tooLarge = (at: number) =>
    new ToolError('INPUT_TOO_LARGE', `more than ${maxTokens} YAML tokens; a manifest this size is refused to keep memory and time bounded`, {
      span: span(at, at + 1),
      hint: 'raise the limit with --max-input-size (one token per 8 bytes), or split the manifest into several -f files',
    });
  // First a pass over the characters alone (prescan.ts): a flood of tokens is refused before the
  // lexer, which costs far more per token, ever runs.
  const pre = prescanTokens(source.text, maxTokens);
  if (pre.overAt !== undefined) {
    errors.push(tooLarge(pre.overAt));
    return { value: null, spans, errors, work: { prescanned: pre.tokens, lexemes: 0, composed: false } };
  }
  // Most manifests are read directly into plain data (yaml-direct.ts), with the same result; what
  // that reader declines (and every input with an error) goes through the library below.
  const directSpans = new SpanIndex();
  const direct = options.direct === false ? undefined : readYamlDirect(source, directSpans, { maxDepth, maxAliasNodes: options.maxAliasNodes ?? DEFAULT_MAX_ALIAS_NODES, maxTokens });
  if (direct) return { value: direct.value, spans: directSpans, errors, warnings: [...direct.warnings], work: { prescanned: pre.tokens, lexemes: 0, composed: false, direct: true } };
  const tokens: ReturnType<Parser['end']> extends Generator<infer T> ? T[] : never = [];
  const parser = new Parser();
  let content = 0;
  let lexemes = 0;
  for (const lexeme of new Lexer().lex(source.text)) {
    lexemes++;
    if (!isLayout(lexeme) && ++content > maxTokens) {
      errors.push(tooLarge(parser.offset));
      return { value: null, spans, errors, work: { prescanned: pre.tokens, lexemes, composed: false } };
    }
    for (const token of parser.next(lexeme)) tokens.push(token);
  }
  const work: ParseWork = { prescanned: pre.tokens, lexemes, composed: true };
  for (const token of parser.end()) tokens.push(token);
  const limit = checkTokenLimits(tokens, maxDepth);
  if (limit) {
    errors.push(new ToolError('YAML_SYNTAX', limit.message, { span: span(limit.offset, limit.offset + 1), hint: limit.hint }));
    return { value: null, spans, errors, work: { ...work, composed: false } };
  }
  let list: Document.Parsed[];
  try {
    // uniqueKeys: the library compares every key with every earlier one (quadratic in the size of a
    // map); duplicates are found below in one pass instead.
    const composer = new Composer({ version: '1.1', merge: false, strict: true, uniqueKeys: false });
    list = [...composer.compose(tokens, false, source.text.length)];
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    errors.push(new ToolError('YAML_SYNTAX', 'the input is nested too deeply to read', { span: span(0, 1), hint: 'a manifest is never this deep; check the file' }));
    return { value: null, spans, errors, work };
  }
  // yaml.v2 stops after the first document: what follows is not even parsed.
  for (const doc of list.slice(0, 1)) {
    for (const error of doc.errors) {
      const [start, end] = error.pos;
      // The library turns a stack overflow while composing a collection into this code (compose-node.js).
      if (error.code === 'RESOURCE_EXHAUSTION') {
        errors.push(new ToolError('YAML_SYNTAX', 'the input is nested too deeply to read', { span: span(start, Math.max(end, start + 1)), hint: 'a manifest is never this deep; check the file' }));
        continue;
      }
      errors.push(new ToolError('YAML_SYNTAX', firstLine(error.message), { span: span(start, Math.max(end, start + 1)), hint: syntaxHint(source.text, start, error.message) }));
    }
  }
  // cf's parser (yaml.v2 Unmarshal) reads the first document and ignores the rest: a trailing `---`
  // is fine, and a second document with content is ignored with a warning rather than refused.
  const extra = list.slice(1).find((d) => d.contents !== null && d.contents !== undefined && !(isScalar(d.contents) && (d.contents as Scalar).value === null));
  if (extra) {
    const at = extra.contents?.range?.[0] ?? extra.range?.[0] ?? 0;
    warnings.push({
      code: 'LOSSY',
      message: 'a manifest holds one YAML document; the documents after the first are ignored (as cf ignores them)',
      span: span(at, at + 1),
      hint: 'remove the `---` separator and what follows, or split the file',
    });
  }
  if (errors.length > 0 || list.length === 0) return { value: null, spans, errors, warnings, work };

  const doc = list[0] as NonNullable<(typeof list)[number]>;
  const maxAliasNodes = options.maxAliasNodes ?? DEFAULT_MAX_ALIAS_NODES;
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

  let targets: Map<Alias, Node | undefined> | undefined;
  const resolveAlias = (alias: Alias): Node | undefined => (targets ??= aliasTargets(doc)).get(alias);

  const sizeOf = (node: Node | null | undefined, depth: number): number => {
    if (!node) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (depth > maxDepth) return 1;
    let size = 1;
    if (isAlias(node)) size = sizeOf(resolveAlias(node), depth + 1);
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
      const target = resolveAlias(node as Alias);
      if (!target) {
        const name = (node as Alias).source;
        stop(new ToolError('YAML_SYNTAX', `unknown alias *${name}`, { span: nodeSpan(node, at), hint: aliasHint(name) }));
      }
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
    // Keys written in this map (merged ones may be overridden); checked once, where the map is written.
    const written = viaAlias ? undefined : new Map<unknown, SourceSpan>();
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const keySpan = nodeSpan(keyNode, mapSpan);
      if (written && !isMergeKey(keyNode)) {
        const identity = keyIdentity(keyNode);
        const first = identity === undefined ? undefined : written.get(identity);
        if (first) warnings.push(...duplicateKeyWarnings(source.text, keySpan, first));
        if (identity !== undefined) written.set(identity, keySpan);
      }
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
      const word = boolWord(valueNode);
      if (word) spans.setBoolWord(out, key, word);
    }
    return out;
  };

  try {
    const value = convert(doc?.contents as Node | null, 0, span(0, 1), false);
    return { value: errors.length > 0 ? null : value, spans, errors, warnings, work };
  } catch (error) {
    if (error instanceof Stop) return { value: null, spans, errors, warnings, work };
    throw error;
  }
}

/** A boolean written as a YAML 1.1 word other than true/false (`no`, `On`, `y`), as its text. */
function boolWord(node: Node | null): string | undefined {
  if (!isScalar(node)) return undefined;
  const scalar = node as Scalar;
  if (typeof scalar.value !== 'boolean' || scalar.type !== 'PLAIN' || typeof scalar.source !== 'string') return undefined;
  return /^(true|false)$/i.test(scalar.source) ? undefined : scalar.source;
}

/** `route: *.example.com` unquoted is an alias to an anchor named `.example.com`. */
function aliasHint(name: string): string | undefined {
  return name.startsWith('.') || name.includes('.')
    ? `a value that starts with * is a YAML alias; quote it: "*${name}"`
    : `a value that starts with * is a YAML alias to an anchor &${name}; quote it if you meant the text`;
}

/** Hints for syntax errors whose cause is easy to miss. */
function syntaxHint(text: string, start: number, message: string): string | undefined {
  if (/alias/i.test(message) && text[start] === '*') {
    const name = /^\*([^\s,\]}]*)/.exec(text.slice(start, start + 300))?.[1] ?? '';
    return aliasHint(name);
  }
  return undefined;
}

/**
 * What makes two keys the same, as the library's default check (scalars by value, so `1` and `1.0`
 * are one key but `1` and `"1"` are not); other keys (collections, aliases) are never duplicates.
 */
function keyIdentity(node: Node | null): unknown {
  if (node === null) return 'null:';
  if (!isScalar(node)) return undefined;
  return scalarKeyIdentity((node as Scalar).value);
}

interface LimitProblem {
  readonly offset: number;
  readonly message: string;
  readonly hint: string;
}

/**
 * Walks the CST without recursion: refuses nesting deeper than `maxDepth` and runs of more than
 * MAX_PROPS_IN_A_ROW tags or anchors, at the first offending token.
 */
export function checkTokenLimits(tokens: readonly unknown[], maxDepth: number): LimitProblem | undefined {
  type Tok = { type?: string; offset?: number; start?: unknown; sep?: unknown; end?: unknown; key?: unknown; value?: unknown; items?: unknown; explicitKey?: boolean };
  // `first`: inside the first document, the only one yaml.v2 reads (the limits apply to all).
  const stack: { token: Tok; depth: number; first: boolean }[] = [];
  let documents = 0;
  for (const token of tokens) {
    if (!token || typeof token !== 'object') continue;
    const first = (token as Tok).type === 'document' && ++documents === 1;
    stack.push({ token: token as Tok, depth: 0, first });
  }
  const props = (list: unknown): LimitProblem | undefined => {
    if (!Array.isArray(list)) return undefined;
    let run = 0;
    for (const t of list as Tok[]) {
      if (t?.type === 'tag' || t?.type === 'anchor') {
        run += 1;
        if (run > MAX_PROPS_IN_A_ROW) {
          return { offset: t.offset ?? 0, message: `more than ${MAX_PROPS_IN_A_ROW} tags or anchors on one node`, hint: 'a node takes at most one tag and one anchor' };
        }
      }
    }
    return undefined;
  };
  while (stack.length > 0) {
    const { token, depth, first } = stack.pop() as { token: Tok; depth: number; first: boolean };
    const problem = props(token.start) ?? props(token.sep) ?? props(token.end);
    if (problem) return problem;
    const collection = token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
    const inner = collection ? depth + 1 : depth;
    if (inner > maxDepth) {
      return { offset: token.offset ?? 0, message: `nesting deeper than ${maxDepth} levels`, hint: 'a manifest is never this deep; check the file' };
    }
    if (token.value && typeof token.value === 'object') stack.push({ token: token.value as Tok, depth: inner, first });
    if (token.key && typeof token.key === 'object') stack.push({ token: token.key as Tok, depth: inner, first });
    if (Array.isArray(token.items)) {
      for (const item of token.items as Tok[]) {
        const p = props(item.start) ?? props(item.sep);
        if (p) return p;
        // libyaml (yaml.v2) refuses a block mapping entry that starts with `:` and has no `?`: the
        // scanner makes a VALUE token with no KEY before it (parser.c parse_block_mapping_key).
        if (first && token.type === 'block-map' && !item.explicitKey && (item.key === null || item.key === undefined) && Array.isArray(item.sep)) {
          const colon = (item.sep as Tok[]).find((t) => t.type === 'map-value-ind');
          if (colon) return { offset: colon.offset ?? 0, message: 'did not find expected key', hint: 'a line starts with `:` and has no key before it' };
        }
        if (item.key && typeof item.key === 'object') stack.push({ token: item.key as Tok, depth: inner, first });
        if (item.value && typeof item.value === 'object') stack.push({ token: item.value as Tok, depth: inner, first });
      }
    }
  }
  return undefined;
}

function isMergeKey(node: unknown): boolean {
  if (!isScalar(node)) return false;
  const scalar = node as Scalar;
  return typeof scalar.value === 'symbol' || (scalar.value === '<<' && scalar.type === 'PLAIN');
}

function keyString(node: Node | null): string {
  if (node === null) return '';
  if (isScalar(node)) {
    const value = scalarValue(node as Scalar);
    return value === null ? '' : String(value);
  }
  return String(node);
}

/** The scalar as yaml.v2 reads it (yaml-direct.ts plainData). */
function scalarValue(scalar: Scalar): unknown {
  return plainData(scalar.value, scalar.type === 'PLAIN' ? 'PLAIN' : 'QUOTED', typeof scalar.source === 'string' ? scalar.source : undefined);
}

function isPlainMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/** Spaces, tabs, newlines and comments: tokens that build no node. */
function isLayout(lexeme: string): boolean {
  const c = lexeme.charCodeAt(0);
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x23 /* # */;
}

/**
 * What each alias of `doc` refers to: the last node before it (in document order) with its anchor,
 * as the library's Alias.resolve finds it (yaml 2.9.1 src/nodes/Alias.ts `resolve`) — which walks
 * the whole document on every call, so a manifest of many aliases was quadratic; one walk here.
 */
export function aliasTargets(doc: Document.Parsed): Map<Alias, Node | undefined> {
  const targets = new Map<Alias, Node | undefined>();
  const latest = new Map<string, Node>();
  visit(doc, {
    Node: (_key, n) => {
      if (isAlias(n)) targets.set(n, latest.get(n.source));
      else if (typeof n.anchor === 'string') latest.set(n.anchor, n);
    },
  });
  return targets;
}
