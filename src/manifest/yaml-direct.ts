/**
 * A direct reader for the YAML that manifests are made of: text → plain values and compact spans in
 * one pass, with no token list, syntax tree or document model in between (docs/adr/0018-performance-at-scale.md).
 *
 * It gives exactly what parse-yaml.ts gives through the yaml library (values, spans, bool words,
 * duplicate-key warnings, in the same order), or it declines: anything it does not read with
 * certainty, including every input the library would report an error or warning for, returns
 * undefined and parse-yaml.ts reads the text with the library as before. What it reads:
 *   - block mappings and sequences (compact `- key: v` and `- - x` too, a sequence under a key at the
 *     key's column), single-line flow collections;
 *   - plain scalars on one line, resolved by the yaml library's own YAML 1.1 tags; single- and
 *     double-quoted scalars on one line; literal and folded block scalars (`|`, `|-`, `>`, `>-`);
 *   - comments, a leading `---`, trailing document markers with nothing after them;
 *   - anchors on values and collections, aliases, merge keys (`<<: *a`, `<<: [*a, *b]`, inline maps).
 * It declines, among others: tabs, carriage returns and other control characters, multi-line plain or
 * quoted scalars and flow collections, `|+`/`>+` and indentation indicators, tags, directives,
 * explicit keys, a second document, an anchor name defined twice, an alias before its anchor.
 *
 * The differential tests (test/core/yaml-direct.test.ts) read every fixture, generated manifests and
 * random YAML both ways and compare everything parseYaml returns.
 */
import { Schema, isScalar } from 'yaml';
import type { SourceFile, SourceSpan } from '../diagnostics/source-file.ts';
import type { Warning } from '../diagnostics/tool-error.ts';
import type { SpanIndex } from './span-index.ts';

export interface DirectOptions {
  readonly maxDepth: number;
  readonly maxAliasNodes: number;
  readonly maxTokens: number;
}

export interface DirectResult {
  readonly value: unknown;
  readonly warnings: readonly Warning[];
  /** Content tokens, counted as the yaml library's lexer counts them. */
  readonly tokens: number;
}

/** Thrown (one instance) to give up: parse-yaml.ts then reads the text with the library. */
const DECLINE = new Error('declined');

export function readYamlDirect(source: SourceFile, spans: SpanIndex, options: DirectOptions): DirectResult | undefined {
  const text = source.text;
  // Characters whose handling differs between YAML versions or needs the full lexer: tabs, CR,
  // other C0/C1 controls (NEL is a YAML 1.1 line break), BOM, the Unicode line separators.
  if (UNUSUAL.test(text)) return undefined;
  const reader = new Reader(source, spans, options);
  try {
    const value = reader.document();
    if (reader.tokens > options.maxTokens - TOKEN_MARGIN) return undefined;
    return { value, warnings: reader.warnings, tokens: reader.tokens };
  } catch (error) {
    if (error === DECLINE) return undefined;
    if (error instanceof RangeError) return undefined; // a stack overflow on a deep input: the library path reports it
    throw error;
  }
}

// eslint-disable-next-line no-control-regex
const UNUSUAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** The token count is checked with a margin: near the limit, the library's own count decides. */
const TOKEN_MARGIN = 8;
/** Implicit keys longer than this are left to the library (it refuses keys over 1024 characters). */
const MAX_KEY_LENGTH = 1000;

const SP = 0x20;
const LF = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

// ---------------------------------------------------------------------------------------------
// Plain scalars, as the yaml library resolves them (YAML 1.1 schema, default tags in order).

// The merge tag (`<<`) has `default: 'key'`: it applies at keys only, where the reader handles it.
type ScalarResolve = (value: string, onError: (message: string) => void, options: unknown) => unknown;
const TAGS = new Schema({ schema: 'yaml-1.1', resolveKnownTags: false }).tags
  .filter((t) => t.default === true && t.test !== undefined)
  .map((t) => ({ test: t.test as RegExp, resolve: t.resolve as unknown as ScalarResolve }));
const RESOLVE_OPTIONS = { intAsBigInt: false };
/** Only plain scalars starting with one of these can resolve to anything but a string (test/core/yaml-direct.test.ts checks). */
const MAYBE_TYPED = new Set('~nNyYtTfFoOeE0123456789-+.'.split('').map((c) => c.charCodeAt(0)));
const resolved = new Map<string, unknown>();

/** The value the yaml library gives a plain scalar that is not a key `<<` (a Date for a timestamp). */
export function resolvePlain(source: string): unknown {
  if (source === '') return null;
  if (!MAYBE_TYPED.has(source.charCodeAt(0))) return source;
  const known = resolved.get(source);
  if (known !== undefined || resolved.has(source)) return known;
  let value: unknown = source;
  for (const tag of TAGS) {
    if (!tag.test.test(source)) continue;
    const res = tag.resolve(source, () => {
      throw DECLINE;
    }, RESOLVE_OPTIONS);
    value = isScalar(res) ? res.value : res;
    break;
  }
  if (resolved.size < 4096) resolved.set(source, value);
  return value;
}

// yaml.v2 (cf's parser) reads a plain scalar as a number only in these forms; eemeli/yaml's YAML 1.1
// schema is looser (`.` is NaN there, `12:30` is sexagesimal 750), so anything else stays a string.
const V2_INT = /^[-+]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/;
const V2_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const V2_SPECIAL = /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;

/** What parse-yaml.ts makes of a scalar: the yaml library's value, read as yaml.v2 reads it. */
export function plainData(value: unknown, type: 'PLAIN' | 'QUOTED', source: string | undefined): unknown {
  if (typeof value === 'number' && type === 'PLAIN' && typeof source === 'string') {
    if (!V2_INT.test(source) && !V2_FLOAT.test(source.replace(/_/g, '')) && !V2_SPECIAL.test(source)) return source;
  }
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return source ?? value.toISOString();
  if (value instanceof Uint8Array) return source ?? '';
  if (typeof value === 'symbol') return '<<';
  return value;
}

/** What makes two scalar keys the same (as the yaml library's default check): see parse-yaml.ts keyIdentity. */
export function scalarKeyIdentity(value: unknown): unknown {
  const v = typeof value === 'symbol' ? '<<' : value;
  if (typeof v === 'number' && Number.isNaN(v)) return undefined;
  if (v instanceof Date) return `date:${v.getTime()}`;
  if (typeof v === 'object' && v !== null) return undefined;
  return `${typeof v}:${String(v)}`;
}

export function duplicateKeyWarnings(text: string, keySpan: SourceSpan, first: SourceSpan): Warning[] {
  const key = quoteKeyAt(text, keySpan.start, keySpan.end);
  return [
    {
      code: 'DUPLICATE_KEY',
      message: `duplicate key ${key}: cf reads the last value (yaml.v2), so this one replaces the one at ${lineCol(first)}`,
      span: keySpan,
      hint: 'remove one of them; --strict refuses duplicate keys',
    },
    { code: 'DUPLICATE_KEY', message: `duplicate key ${key}: this value is replaced by the one at ${lineCol(keySpan)}`, span: first },
  ];
}

function lineCol(at: SourceSpan): string {
  const { line, col } = at.source.linePos(at.start);
  return `${line}:${col}`;
}

function quoteKeyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start, Math.min(end, start + 60)).split(/[:\n]/)[0]?.trim() ?? '';
  return raw ? `"${raw}"` : 'key';
}

// ---------------------------------------------------------------------------------------------

interface Anchor {
  readonly value: unknown;
  readonly size: number;
  readonly cost: number;
  readonly height: number;
}

const isEmptyAt = (c: number) => c === SP || c === LF || c !== c; // c !== c: past the end (NaN)
const FLOW_INDICATOR = (c: number) => c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
/** Characters a plain scalar cannot start with (or that this reader leaves to the library there). */
const BAD_PLAIN_START = new Set('?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

class Reader {
  readonly text: string;
  readonly len: number;
  readonly source: SourceFile;
  readonly spans: SpanIndex;
  readonly options: DirectOptions;
  readonly warnings: Warning[] = [];
  tokens = 0;
  /** The work stacks for the records of open containers. */
  readonly stack: number[] = [];
  readonly keys: string[] = [];
  /** Identities of the open maps' keys (checkDuplicate), whether each is a string, and their spans. */
  readonly ids: unknown[] = [];
  readonly idIsString: boolean[] = [];
  readonly idPos: number[] = [];
  readonly keyCache: (string | undefined)[] = new Array<string | undefined>(1024);
  readonly anchors = new Map<string, Anchor | null>();
  /** The alias budget spent so far (parse-yaml.ts aliasBudget). */
  aliasSpent = 0;
  // The node just read ("return registers", to avoid an object per node).
  nStart = 0;
  nEnd = 0;
  nSize = 1;
  nCost = 0;
  nHeight = 0;
  /** The bool word of a plain boolean scalar just read, when it is not true/false. */
  nWord: string | undefined;
  /** Where the last line with content of the node just read ends (after its line break). */
  lineEnd = 0;

  constructor(source: SourceFile, spans: SpanIndex, options: DirectOptions) {
    this.source = source;
    this.text = source.text;
    this.len = source.text.length;
    this.spans = spans;
    this.options = options;
    spans.setSource(source);
    // about 0.4 offsets per character in a typical manifest; untouched pages of the store cost nothing
    spans.expect(Math.ceil(this.len / 2));
  }

  c(i: number): number {
    return this.text.charCodeAt(i);
  }

  span(start: number, end: number): SourceSpan {
    return { source: this.source, start, end };
  }

  /** From the start of a line: skips blank and comment-only lines; the first content character, or len. */
  nextContent(from: number): number {
    const text = this.text;
    let i = from;
    while (i < this.len) {
      let j = i;
      while (text.charCodeAt(j) === SP) j++;
      const c = text.charCodeAt(j);
      if (j >= this.len) return this.len;
      if (c === LF) {
        i = j + 1;
        continue;
      }
      if (c === HASH) {
        const nl = text.indexOf('\n', j);
        if (nl < 0) return this.len;
        i = nl + 1;
        continue;
      }
      return j;
    }
    return this.len;
  }

  /** The column of position p (its line's start found backwards). */
  col(p: number): number {
    return p - (this.text.lastIndexOf('\n', p - 1) + 1);
  }

  /** After content at p: spaces, an optional comment (after a space), then the line break or the end. Sets lineEnd. */
  endLine(p: number): void {
    const text = this.text;
    let i = p;
    while (text.charCodeAt(i) === SP) i++;
    const c = text.charCodeAt(i);
    if (i >= this.len) {
      this.lineEnd = this.len;
      return;
    }
    if (c === LF) {
      this.lineEnd = i + 1;
      return;
    }
    if (c === HASH && i > p) {
      const nl = text.indexOf('\n', i);
      this.lineEnd = nl < 0 ? this.len : nl + 1;
      return;
    }
    throw DECLINE;
  }

  isDocMarker(p: number): boolean {
    const c = this.c(p);
    return (c === DASH || c === 0x2e) && this.c(p + 1) === c && this.c(p + 2) === c && isEmptyAt(this.c(p + 3)) && this.col(p) === 0;
  }

  isSeqEntry(p: number): boolean {
    return this.c(p) === DASH && isEmptyAt(this.c(p + 1));
  }

  document(): unknown {
    let p = this.nextContent(0);
    if (p >= this.len) throw DECLINE;
    this.tokens += 1; // the document start (implicit or `---`)
    if (this.c(p) === 0x25 /* % */) throw DECLINE;
    if (this.isDocMarker(p)) {
      if (this.c(p) !== DASH) throw DECLINE;
      this.endLine(p + 3);
      p = this.nextContent(this.lineEnd);
      if (p >= this.len || this.isDocMarker(p)) throw DECLINE;
    }
    const value = this.blockNode(p, -1, 0);
    if (this.nHeight > this.options.maxDepth - 2) throw DECLINE;
    if (this.nCost > this.options.maxAliasNodes) throw DECLINE;
    // After the document: nothing, or document markers and comments only (empty documents).
    let q = this.nextContent(this.lineEnd);
    while (q < this.len) {
      if (!this.isDocMarker(q)) throw DECLINE;
      this.tokens += 1;
      this.endLine(q + 3);
      q = this.nextContent(this.lineEnd);
    }
    return value;
  }

  /** A node that starts at p, the first content of its line, inside a parent at column `parent`. */
  blockNode(p: number, parent: number, depth: number): unknown {
    if (depth > this.options.maxDepth - 2) throw DECLINE;
    const col = this.col(p);
    if (this.isSeqEntry(p)) return this.blockSeq(p, col, parent, depth);
    if (this.implicitKeyAt(p)) return this.blockMap(p, col, parent, depth);
    const c = this.c(p);
    if (c === 0x7c || c === 0x3e || c === 0x26 /* & on its own line */) throw DECLINE;
    return this.inlineNode(p, parent, depth, false);
  }

  /**
   * Whether an implicit key (`key:` followed by a space or the line end) starts at p: a plain or
   * quoted scalar on this line, then `:`.
   */
  implicitKeyAt(p: number): boolean {
    const text = this.text;
    const c = this.c(p);
    let i: number;
    if (c === DQUOTE || c === SQUOTE) {
      i = this.quotedEnd(p);
      if (i < 0) return false;
      while (text.charCodeAt(i) === SP) i++;
      return text.charCodeAt(i) === COLON && isEmptyAt(text.charCodeAt(i + 1));
    }
    if (BAD_PLAIN_START.has(c) || (c === DASH && isEmptyAt(this.c(p + 1)))) return false;
    for (i = p; i < this.len; i++) {
      const ch = text.charCodeAt(i);
      if (ch === LF) return false;
      if (ch === COLON && isEmptyAt(text.charCodeAt(i + 1))) return true;
      if (ch === SP && text.charCodeAt(i + 1) === HASH) return false;
    }
    return false;
  }

  /** The index after the closing quote of the quoted scalar at p (on this line), or -1. */
  quotedEnd(p: number): number {
    const text = this.text;
    const q = text.charCodeAt(p);
    for (let i = p + 1; i < this.len; i++) {
      const ch = text.charCodeAt(i);
      if (ch === LF) return -1;
      if (q === DQUOTE && ch === 0x5c /* \ */) {
        i++;
        continue;
      }
      if (ch === q) {
        if (q === SQUOTE && text.charCodeAt(i + 1) === SQUOTE) {
          i++;
          continue;
        }
        return i + 1;
      }
    }
    return -1;
  }

  // --- block collections -------------------------------------------------------------------

  blockSeq(p: number, col: number, parent: number, depth: number): unknown {
    const out: unknown[] = [];
    const from = this.stack.length;
    const start = p;
    let size = 1;
    let cost = 0;
    let height = 0;
    let aliases = true;
    for (;;) {
      // p is at `-` (followed by a space or the line end) at column col
      this.tokens += 1;
      let q = p + 1;
      while (this.c(q) === SP) q++;
      let item: unknown;
      const c = this.c(q);
      if (q >= this.len || c === LF || c === HASH) {
        this.endLine(p + 1);
        const next = this.nextContent(this.lineEnd);
        if (next < this.len && this.col(next) > col) item = this.blockNode(next, col, depth + 1);
        else item = this.emptyNode(q);
      } else if (this.isSeqEntry(q)) {
        item = this.blockSeq(q, this.col(q), col, depth + 1);
      } else if (this.implicitKeyAt(q)) {
        item = this.blockMap(q, this.col(q), col, depth + 1);
      } else {
        item = this.inlineNode(q, col, depth + 1, false);
      }
      out.push(item);
      if (!this.lastWasAlias) aliases = false;
      this.stack.push(this.nStart, Math.max(this.nEnd, this.nStart + 1));
      size += this.nSize;
      cost += this.nCost;
      height = Math.max(height, 1 + this.nHeight);
      const lineEnd = this.lineEnd;
      const next = this.nextContent(lineEnd);
      if (next >= this.len) break;
      const nextCol = this.col(next);
      if (nextCol > col) throw DECLINE;
      if (nextCol < col || !this.isSeqEntry(next) || this.isDocMarker(next)) break;
      p = next;
      this.lineEnd = lineEnd;
    }
    const end = this.lineEnd;
    this.checkTrailingComments(end, col, parent);
    this.spans.recordList(out, start, Math.max(end, start + 1), this.stack, from);
    this.stack.length = from;
    this.setNode(start, end, size, cost, height);
    this.listOfAliases = aliases;
    this.lineEnd = end;
    return out;
  }

  blockMap(p: number, col: number, parent: number, depth: number): unknown {
    const out = nullProtoMap();
    const state = this.openMap();
    const start = p;
    for (;;) {
      // p is at an implicit key at column col
      const keyStart = p;
      let keyEnd: number;
      let keyText: string;
      let keyValue: unknown;
      let merge = false;
      const c = this.c(p);
      let i: number;
      if (c === DQUOTE || c === SQUOTE) {
        keyEnd = this.quotedEnd(p);
        keyValue = this.quotedValue(p, keyEnd);
        keyText = keyValue as string;
        i = keyEnd;
        this.tokens += 1;
      } else {
        i = p;
        const text = this.text;
        for (;;) {
          const ch = text.charCodeAt(i);
          if (ch === COLON && isEmptyAt(text.charCodeAt(i + 1))) break;
          i++;
        }
        keyEnd = i;
        while (text.charCodeAt(keyEnd - 1) === SP) keyEnd--;
        const raw = this.keyString(p, keyEnd);
        merge = raw === '<<';
        keyValue = merge ? '<<' : resolvePlain(raw);
        const data = plainData(keyValue, 'PLAIN', raw);
        keyText = data === null ? '' : String(data);
        this.tokens += 2;
      }
      if (keyEnd - keyStart > MAX_KEY_LENGTH) throw DECLINE;
      const keySpanEnd = Math.max(keyEnd, keyStart + 1);
      if (!merge) this.checkDuplicate(state, keyValue, keyStart, keySpanEnd);
      while (this.c(i) === SP) i++;
      // i is at `:` (implicitKeyAt checked it)
      this.tokens += 1;
      let q = i + 1;
      while (this.c(q) === SP) q++;
      const vc = this.c(q);
      let value: unknown;
      if (q >= this.len || vc === LF || vc === HASH) {
        this.endLine(i + 1);
        const next = this.nextContent(this.lineEnd);
        const nextCol = next < this.len ? this.col(next) : -1;
        if (nextCol > col) value = this.blockNode(next, col, depth + 1);
        else if (nextCol === col && this.isSeqEntry(next) && !this.isDocMarker(next)) value = this.blockSeq(next, col, col, depth + 1);
        else value = this.emptyNode(q);
      } else {
        if (this.isSeqEntry(q) || this.implicitKeyAt(q)) throw DECLINE; // `a: - b`, `a: b: c`: errors
        value = this.inlineNode(q, col, depth + 1, true);
      }
      if (merge) this.mergeInto(out, state, value);
      else this.setEntry(out, state, keyText, keyStart, keySpanEnd, value);
      const lineEnd = this.lineEnd;
      const next = this.nextContent(lineEnd);
      if (next >= this.len) break;
      const nextCol = this.col(next);
      if (nextCol > col) throw DECLINE;
      if (nextCol < col || this.isDocMarker(next)) break;
      if (!this.implicitKeyAt(next)) throw DECLINE;
      p = next;
      this.lineEnd = lineEnd;
    }
    const end = this.lineEnd;
    this.checkTrailingComments(end, col, parent);
    this.closeMap(out, state, start, end);
    this.lineEnd = end;
    return out;
  }

  // --- maps (block and flow) -----------------------------------------------------------------

  openMap(): MapState {
    return { from: this.stack.length, keysFrom: this.keys.length, idsFrom: this.ids.length, written: undefined, size: 1, cost: 0, height: 0 };
  }

  /**
   * A key written in the map (the yaml library's value of it): warned when a key with the same
   * identity (parse-yaml.ts keyIdentity) was written before in this map, before its value is read,
   * as parse-yaml.ts does. The identities of the open maps' keys are kept on a shared stack and
   * compared in place, so a map of a few keys costs no allocation.
   */
  checkDuplicate(state: MapState, keyValue: unknown, keyStart: number, keyEnd: number): void {
    // strings stand for themselves; other values by scalarKeyIdentity, kept apart from strings
    const isString = typeof keyValue === 'string';
    const id = isString ? keyValue : scalarKeyIdentity(keyValue);
    if (id === undefined) return;
    const ids = this.ids;
    let first = -1;
    if (state.written) first = state.written.get(`${isString ? 's' : 't'}${id as string}`) ?? -1;
    else {
      for (let k = ids.length - 1; k >= state.idsFrom; k--) {
        if (ids[k] === id && this.idIsString[k] === isString) {
          first = k;
          break;
        }
      }
    }
    if (first >= 0) {
      const keySpan = this.span(keyStart, keyEnd);
      const firstSpan = this.span(this.idPos[2 * first] as number, this.idPos[2 * first + 1] as number);
      this.warnings.push(...duplicateKeyWarnings(this.text, keySpan, firstSpan));
    }
    ids.push(id);
    this.idIsString.push(isString);
    this.idPos.push(keyStart, keyEnd);
    const at = ids.length - 1;
    if (state.written) state.written.set(`${isString ? 's' : 't'}${id as string}`, at);
    else if (at - state.idsFrom >= 32) {
      // a large map: a table from here on (the last position of each identity)
      state.written = new Map();
      for (let k = state.idsFrom; k <= at; k++) state.written.set(`${this.idIsString[k] ? 's' : 't'}${ids[k] as string}`, k);
    }
  }

  /** A plain key's text: the same string object for a key met before (most keys repeat), no copy. */
  keyString(start: number, end: number): string {
    const slot = ((end - start) * 31 + this.text.charCodeAt(start)) & 1023;
    const known = this.keyCache[slot];
    if (known !== undefined && known.length === end - start && this.text.startsWith(known, start)) return known;
    const key = this.text.slice(start, end);
    this.keyCache[slot] = key;
    return key;
  }

  /** One `key: value` written in the map (the node just read is the value). */
  setEntry(out: Record<string, unknown>, state: MapState, key: string, keyStart: number, keyEnd: number, value: unknown): void {
    out[key] = value;
    this.keys.push(key);
    this.stack.push(keyStart, keyEnd, this.nStart, Math.max(this.nEnd, this.nStart + 1));
    if (this.nWord !== undefined) this.spans.setBoolWord(out, key, this.nWord);
    state.size += this.nSize + 1;
    state.cost += this.nCost;
    state.height = Math.max(state.height, 1 + this.nHeight);
  }

  /**
   * `<<: value`: a map (inline or an alias) or a list of maps, merged so that earlier maps of a
   * list take precedence, keys written before or after in this map as they come (parse-yaml.ts).
   */
  mergeInto(out: Record<string, unknown>, state: MapState, value: unknown): void {
    const list = Array.isArray(value) && !this.lastWasAlias;
    // Items of a merged list are converted last to first by the library path: with anything but
    // aliases in it, its warnings would come in another order.
    if (list && !this.listOfAliases) throw DECLINE;
    const sources: unknown[] = list ? [...value].reverse() : [value];
    for (const from of sources) {
      if (typeof from !== 'object' || from === null || Array.isArray(from)) throw DECLINE; // MERGE_KEY: the library path says so
      for (const key of Object.keys(from)) (out as Record<string, unknown>)[key] = (from as Record<string, unknown>)[key];
      this.spans.forEachRecordedEntry(from, (key, ks, ke, vs, ve) => {
        this.keys.push(key);
        this.stack.push(ks, ke, vs, ve);
      });
    }
    // a list of maps is converted item by item at this map's depth + 1, an alias or a map as a value
    state.size += this.nSize + 1;
    state.cost += this.nCost;
    state.height = Math.max(state.height, list ? this.nHeight : 1 + this.nHeight);
  }

  closeMap(out: Record<string, unknown>, state: MapState, start: number, end: number): void {
    this.spans.recordMap(out, start, Math.max(end, start + 1), this.stack, state.from, this.keys, state.keysFrom);
    this.stack.length = state.from;
    this.keys.length = state.keysFrom;
    this.ids.length = state.idsFrom;
    this.idIsString.length = state.idsFrom;
    this.idPos.length = 2 * state.idsFrom;
    this.setNode(start, end, state.size, state.cost, state.height);
  }

  setNode(start: number, end: number, size: number, cost: number, height: number): void {
    this.nStart = start;
    this.nEnd = end;
    this.nSize = size;
    this.nCost = cost;
    this.nHeight = height;
    this.nWord = undefined;
    this.lastWasAlias = false;
    this.listOfAliases = false;
  }

  /** Whether the node just read was an alias (a merge of `*list` is not a merge of a list). */
  lastWasAlias = false;
  /** Whether the node just read was a list of aliases only (see mergeInto). */
  listOfAliases = false;

  /**
   * Comment lines after a collection's last entry belong to it (its end then covers them) when they
   * are indented past the collection it is in, or (at the root) past it: left to the library, which
   * knows the exact rule.
   */
  checkTrailingComments(from: number, col: number, parent: number): void {
    const text = this.text;
    const limit = parent < 0 ? col : parent;
    let i = from;
    while (i < this.len) {
      let j = i;
      while (text.charCodeAt(j) === SP) j++;
      const c = text.charCodeAt(j);
      if (c === HASH) {
        if (j - i > limit) throw DECLINE;
      } else if (c === c && c !== LF) return;
      const nl = text.indexOf('\n', j);
      if (nl < 0) return;
      i = nl + 1;
    }
  }

  /**
   * A node with no content at p (`key:`, `-`): null. Its end, for the collection it closes, is p
   * itself, unless a comment follows (then the line's end, as for any node): the library's range.
   */
  emptyNode(p: number): null {
    // With a comment after it (on its line or the lines below), its end runs on over the comments
    // and the next line's indentation: left to the library.
    if (this.c(p) === HASH) throw DECLINE;
    const next = this.nextContent(p);
    const hash = this.text.indexOf('#', p);
    if (hash >= 0 && hash < next) throw DECLINE; // only blank and comment lines lie between
    if (next < this.len && this.isDocMarker(next)) throw DECLINE;
    // nor with comment lines right above it (in a list item's start, they move its end too)
    const text = this.text;
    for (let line = text.lastIndexOf('\n', p - 1); line > 0; ) {
      const above = text.lastIndexOf('\n', line - 1) + 1;
      let j = above;
      while (text.charCodeAt(j) === SP) j++;
      const c = text.charCodeAt(j);
      if (c === HASH) throw DECLINE;
      if (c !== LF) break;
      line = above - 1;
    }
    this.setNode(p, p, 1, 0, 0);
    this.lineEnd = p;
    return null;
  }

  // --- nodes on one line ------------------------------------------------------------------------

  /**
   * A node that starts at p and ends on this line (or a block scalar, whose lines follow): a scalar,
   * an alias, a flow collection, or an anchored node. `parent` is the column of the collection it is
   * in: a following line indented past it would continue a plain scalar, which is left to the library.
   */
  inlineNode(p: number, parent: number, depth: number, mapValue: boolean): unknown {
    const c = this.c(p);
    let value: unknown;
    if (c === 0x26 /* & */) return this.anchored(p, parent, depth, mapValue);
    if (c === 0x2a /* * */) {
      value = this.alias(p);
      this.endLine(this.nEnd);
    } else if (c === 0x7c || c === 0x3e) {
      return this.blockScalar(p, parent);
    } else if (c === 0x5b || c === 0x7b) {
      value = this.flow(p, depth);
      this.endLine(this.nEnd);
    } else if (c === DQUOTE || c === SQUOTE) {
      const end = this.quotedEnd(p);
      if (end < 0) throw DECLINE;
      value = this.quotedValue(p, end);
      this.tokens += 1;
      this.setNode(p, end, 1, 0, 0);
      this.endLine(end);
    } else {
      value = this.plain(p);
      this.endLine(this.nEnd);
    }
    this.checkNoContinuation(parent);
    return value;
  }

  /** A line after a one-line node that is indented past its collection would continue it (or be an error). */
  checkNoContinuation(parent: number): void {
    const next = this.nextContent(this.lineEnd);
    if (next < this.len && this.col(next) > parent) throw DECLINE;
  }

  plain(p: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(p);
    if (BAD_PLAIN_START.has(c) || (c === DASH && isEmptyAt(text.charCodeAt(p + 1)))) throw DECLINE;
    let i = p;
    let end = p;
    for (; i < this.len; i++) {
      const ch = text.charCodeAt(i);
      if (ch === LF) break;
      if (ch === COLON && isEmptyAt(text.charCodeAt(i + 1))) throw DECLINE;
      if (ch === SP) {
        if (text.charCodeAt(i + 1) === HASH) break;
        continue;
      }
      end = i + 1;
    }
    const raw = text.slice(p, end);
    const value = resolvePlain(raw);
    this.tokens += 2;
    this.setNode(p, end, 1, 0, 0);
    if (typeof value === 'boolean' && !/^(true|false)$/i.test(raw)) this.nWord = raw;
    return plainData(value, 'PLAIN', raw);
  }

  quotedValue(p: number, end: number): string {
    if (end < 0) throw DECLINE;
    const text = this.text;
    if (text.charCodeAt(p) === SQUOTE) {
      const inner = text.slice(p + 1, end - 1);
      return inner.includes("'") ? inner.replace(/''/g, "'") : inner;
    }
    const inner = text.slice(p + 1, end - 1);
    if (!inner.includes('\\')) return inner;
    let out = '';
    for (let i = 0; i < inner.length; i++) {
      const ch = inner[i] as string;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = inner[++i];
      const simple = next === undefined ? undefined : ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      const length = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (length === 0) throw DECLINE;
      const hex = inner.substr(i + 1, length);
      if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) throw DECLINE;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw DECLINE;
      out += String.fromCodePoint(code);
      i += length;
    }
    return out;
  }

  alias(p: number): unknown {
    const text = this.text;
    let i = p + 1;
    while (i < this.len && !ANCHOR_END.has(text.charCodeAt(i))) i++;
    const name = text.slice(p + 1, i);
    const target = name === '' ? undefined : this.anchors.get(name);
    if (!target) throw DECLINE; // unknown, or its node is not finished (a recursive alias)
    // What the library path spends on this alias (its target's nodes, and the aliases inside it,
    // expanded), summed before copying anything: an alias bomb is left to the library's refusal
    // after at most the budget's worth of work here.
    this.aliasSpent += target.size + target.cost;
    if (this.aliasSpent > this.options.maxAliasNodes) throw DECLINE;
    this.tokens += 1;
    const value = this.copy(target.value);
    this.setNode(p, i, target.size, target.size + target.cost, 1 + target.height);
    this.lastWasAlias = true;
    return value;
  }

  /** A fresh copy of an anchored value, with the same spans: what converting the anchored node again gives. */
  copy(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const out = value.map((v) => this.copy(v));
      this.spans.shareRecord(out, value);
      return out;
    }
    const out = nullProtoMap();
    for (const key of Object.keys(value)) out[key] = this.copy((value as Record<string, unknown>)[key]);
    this.spans.shareRecord(out, value);
    return out;
  }

  anchored(p: number, parent: number, depth: number, mapValue: boolean): unknown {
    const text = this.text;
    let i = p + 1;
    while (i < this.len && !ANCHOR_END.has(text.charCodeAt(i))) i++;
    const name = text.slice(p + 1, i);
    if (name === '' || this.anchors.has(name)) throw DECLINE; // an anchor defined twice: left to the library
    this.anchors.set(name, null);
    this.tokens += 1;
    let q = i;
    while (this.c(q) === SP) q++;
    const c = this.c(q);
    let value: unknown;
    if (q === i && q < this.len && c !== LF) throw DECLINE;
    if (q >= this.len || c === LF || c === HASH) {
      // the anchored node is on the next lines: a collection
      this.endLine(i);
      const next = this.nextContent(this.lineEnd);
      const nextCol = next < this.len ? this.col(next) : -1;
      if (nextCol > parent && (this.isSeqEntry(next) || this.implicitKeyAt(next))) value = this.blockNode(next, parent, depth);
      else if (mapValue && nextCol === parent && this.isSeqEntry(next)) value = this.blockSeq(next, parent, parent, depth);
      else throw DECLINE;
    } else {
      if (c === 0x26 || c === 0x2a || c === 0x21 || this.isSeqEntry(q) || this.implicitKeyAt(q)) throw DECLINE;
      value = this.inlineNode(q, parent, depth, mapValue);
    }
    this.anchors.set(name, { value, size: this.nSize, cost: this.nCost, height: this.nHeight });
    return value;
  }

  // --- block scalars ---------------------------------------------------------------------------

  /** `|`, `|-`, `>`, `>-` at p, content on the following lines indented past `parent`. */
  blockScalar(p: number, parent: number): unknown {
    const text = this.text;
    const folded = text.charCodeAt(p) === 0x3e;
    let h = p + 1;
    let strip = false;
    if (text.charCodeAt(h) === DASH) {
      strip = true;
      h++;
    }
    const after = text.charCodeAt(h);
    if (!(h >= this.len || after === SP || after === LF)) throw DECLINE; // `|+`, an indentation digit, or more
    this.endLine(h);
    this.tokens += 3;
    // Content lines: empty lines, and lines indented at least as far as the first content line.
    let line = this.lineEnd;
    let indent = -1;
    const lines: string[] = [];
    let leadingEmpty = 0;
    let end = this.lineEnd;
    let pendingEmpty = 0;
    while (line < this.len) {
      let j = line;
      while (text.charCodeAt(j) === SP) j++;
      const ch = text.charCodeAt(j);
      if (j >= this.len || ch === LF) {
        if (j > line) throw DECLINE; // a line of spaces only
        if (indent < 0) leadingEmpty++;
        else pendingEmpty++;
        line = j + 1;
        continue;
      }
      const k = j - line;
      if (indent < 0) {
        if (k <= parent) break;
        indent = k;
      } else if (k < indent) {
        if (k > parent) throw DECLINE; // less indented than the first line, but still inside
        break;
      }
      const nl = text.indexOf('\n', j);
      const lineStop = nl < 0 ? this.len : nl;
      for (let e = 0; e < pendingEmpty; e++) lines.push('');
      pendingEmpty = 0;
      lines.push(text.slice(line + indent, lineStop));
      end = nl < 0 ? this.len : nl + 1;
      line = end;
    }
    if (indent < 0) throw DECLINE; // no content: left to the library
    let value = '\n'.repeat(leadingEmpty);
    if (!folded) value += lines.join('\n');
    else {
      let sep = '';
      let prevMore = false;
      for (const content of lines) {
        if (content.charCodeAt(0) === SP) {
          if (sep === ' ') sep = '\n';
          else if (!prevMore && sep === '\n') sep = '\n\n';
          value += sep + content;
          sep = '\n';
          prevMore = true;
        } else if (content === '') {
          if (sep === '\n') value += '\n';
          else sep = '\n';
        } else {
          value += sep + content;
          sep = ' ';
          prevMore = false;
        }
      }
    }
    if (!strip) value += '\n';
    this.setNode(p, end, 1, 0, 0);
    this.lineEnd = end;
    this.checkNoContinuation(parent);
    return value;
  }

  // --- flow collections (on one line) -----------------------------------------------------------

  flow(p: number, depth: number): unknown {
    if (depth > this.options.maxDepth - 2) throw DECLINE;
    const text = this.text;
    const isMap = text.charCodeAt(p) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    this.tokens += 1;
    let i = p + 1;
    while (text.charCodeAt(i) === SP) i++;
    if (isMap) {
      const out = nullProtoMap();
      const state = this.openMap();
      if (text.charCodeAt(i) !== close) {
        for (;;) {
          const keyStart = i;
          let keyEnd: number;
          let keyText: string;
          let keyValue: unknown;
          let merge = false;
          const c = text.charCodeAt(i);
          if (c === DQUOTE || c === SQUOTE) {
            keyEnd = this.quotedEnd(i);
            keyValue = this.quotedValue(i, keyEnd);
            keyText = keyValue as string;
            this.tokens += 1;
            i = keyEnd;
          } else {
            keyEnd = this.flowPlainEnd(i);
            const raw = text.slice(i, keyEnd);
            merge = raw === '<<';
            keyValue = merge ? '<<' : resolvePlain(raw);
            const data = plainData(keyValue, 'PLAIN', raw);
            keyText = data === null ? '' : String(data);
            this.tokens += 2;
            i = keyEnd;
          }
          if (keyEnd - keyStart > MAX_KEY_LENGTH) throw DECLINE;
          const keySpanEnd = Math.max(keyEnd, keyStart + 1);
          if (!merge) this.checkDuplicate(state, keyValue, keyStart, keySpanEnd);
          while (text.charCodeAt(i) === SP) i++;
          if (text.charCodeAt(i) !== COLON || text.charCodeAt(i + 1) !== SP) throw DECLINE;
          this.tokens += 1;
          i += 1;
          while (text.charCodeAt(i) === SP) i++;
          const value = this.flowItem(i, depth + 1);
          i = this.nFlowNext;
          if (merge) this.mergeInto(out, state, value);
          else this.setEntry(out, state, keyText, keyStart, keySpanEnd, value);
          i = this.flowSeparator(i, close);
          if (i < 0) break;
        }
        i = this.nFlowNext;
      }
      const end = i + 1;
      this.tokens += 1;
      this.closeMap(out, state, p, end);
      return out;
    }
    const out: unknown[] = [];
    const from = this.stack.length;
    let size = 1;
    let cost = 0;
    let height = 0;
    let aliases = true;
    if (text.charCodeAt(i) !== close) {
      for (;;) {
        const item = this.flowItem(i, depth + 1);
        i = this.nFlowNext;
        if (!this.lastWasAlias) aliases = false;
        out.push(item);
        this.stack.push(this.nStart, Math.max(this.nEnd, this.nStart + 1));
        size += this.nSize;
        cost += this.nCost;
        height = Math.max(height, 1 + this.nHeight);
        if (text.charCodeAt(this.nFlowNext) === COLON) throw DECLINE; // an implicit pair in a list
        i = this.flowSeparator(i, close);
        if (i < 0) break;
      }
      i = this.nFlowNext;
    }
    const end = i + 1;
    this.tokens += 1;
    this.spans.recordList(out, p, end, this.stack, from);
    this.stack.length = from;
    this.setNode(p, end, size, cost, height);
    this.listOfAliases = aliases;
    return out;
  }

  /** Where the next flow item starts after `,` (or -1 at the closing bracket, whose index is then nFlowNext). */
  flowSeparator(i: number, close: number): number {
    const text = this.text;
    let j = i;
    while (text.charCodeAt(j) === SP) j++;
    const c = text.charCodeAt(j);
    if (c === close) {
      this.nFlowNext = j;
      return -1;
    }
    if (c !== 0x2c) throw DECLINE;
    this.tokens += 1;
    j++;
    while (text.charCodeAt(j) === SP) j++;
    const n = text.charCodeAt(j);
    if (n === close || n === 0x2c || n === LF || j >= this.len) throw DECLINE; // a trailing or empty entry
    return j;
  }

  /** Where the flow item just read ends (the index after it). */
  nFlowNext = 0;

  flowItem(i: number, depth: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(i);
    let value: unknown;
    if (c === 0x5b || c === 0x7b) {
      value = this.flow(i, depth);
      this.nFlowNext = this.nEnd;
      return value;
    }
    if (c === DQUOTE || c === SQUOTE) {
      const end = this.quotedEnd(i);
      value = this.quotedValue(i, end);
      this.tokens += 1;
      this.setNode(i, end, 1, 0, 0);
      this.nFlowNext = end;
      return value;
    }
    if (c === 0x2a) {
      value = this.alias(i);
      const e = text.charCodeAt(this.nEnd);
      if (!(e === SP || e === 0x2c || e === 0x5d || e === 0x7d)) throw DECLINE;
      this.nFlowNext = this.nEnd;
      return value;
    }
    if (BAD_PLAIN_START.has(c) || c === DASH || i >= this.len || c === LF) throw DECLINE;
    const end = this.flowPlainEnd(i);
    if (end === i) throw DECLINE;
    const raw = text.slice(i, end);
    const resolvedValue = resolvePlain(raw);
    this.tokens += 2;
    this.setNode(i, end, 1, 0, 0);
    if (typeof resolvedValue === 'boolean' && !/^(true|false)$/i.test(raw)) this.nWord = raw;
    this.nFlowNext = end;
    return plainData(resolvedValue, 'PLAIN', raw);
  }

  /** The end of a plain scalar in a flow collection (trailing spaces excluded); declines a `#` in it. */
  flowPlainEnd(i: number): number {
    const text = this.text;
    const c0 = text.charCodeAt(i);
    if (BAD_PLAIN_START.has(c0) || c0 === DASH) throw DECLINE;
    let end = i;
    for (let j = i; j < this.len; j++) {
      const ch = text.charCodeAt(j);
      if (ch === LF) throw DECLINE;
      if (FLOW_INDICATOR(ch)) return end;
      if (ch === COLON) {
        // `:` ends a plain scalar in a flow collection when a space, an indicator or the line end
        // follows it; otherwise it is part of it (`10.1.2.3:9080`)
        const next = text.charCodeAt(j + 1);
        if (next === SP || FLOW_INDICATOR(next) || next === LF || j + 1 >= this.len) return end;
      }
      if (ch === HASH) throw DECLINE;
      if (ch !== SP) end = j + 1;
    }
    throw DECLINE;
  }
}

interface MapState {
  readonly from: number;
  readonly keysFrom: number;
  readonly idsFrom: number;
  /** For a map of many keys: `s` and a string key, or `t` and scalarKeyIdentity → its last index in `ids`. */
  written: Map<unknown, number> | undefined;
  size: number;
  cost: number;
  height: number;
}

/**
 * A map with no prototype, as parse-yaml.ts makes (a key `__proto__` is an own key), but in V8's fast
 * mode: `Object.create(null)` makes a dictionary-mode object, about four times the memory and three
 * times the time to fill for an app's handful of keys (the keys of every app share one shape here).
 */
function nullProtoMap(): Record<string, unknown> {
  return Object.setPrototypeOf({}, null) as Record<string, unknown>;
}

const ANCHOR_END = new Set(' ,[]{}\n\r\t'.split('').map((c) => c.charCodeAt(0)));

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};
