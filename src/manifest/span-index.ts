import type { SourceFile, SourceSpan } from '../diagnostics/source-file.ts';

export type PathSegment = string | number;

interface Entry {
  readonly key?: SourceSpan | undefined;
  readonly value: SourceSpan;
}

/** Maps with more entries than this get a key → entry table the first time one is looked up. */
const SCAN_LIMIT = 12;

/**
 * Where each part of a loaded manifest came from. The manifest is plain data (merge keys and aliases
 * resolved, vars interpolated); this index maps each container, and each of its entries, back to the
 * YAML text, so a schema error at `/applications/0/routes/1` can point at its line and column.
 *
 * Two stores, one meaning. `setContainer`/`setEntry` keep SourceSpan objects (any caller). The YAML
 * reader (yaml-direct.ts) writes offsets instead, one record per container in a shared Int32Array —
 * `[start, end, entries, keyBase]` then `[valueStart, valueEnd]` per list item or
 * `[keyStart, keyEnd, valueStart, valueEnd]` per map entry, keys in a parallel array — and spans are
 * made only when asked for. A 40,000-app manifest has about two million entries: as objects they were
 * a large part of the memory a convert needed. Semantics are those of a Map per container: the last
 * write of a key wins (a duplicate key, a merge overriding a written key), and list entries are found
 * by number, map entries by string. Entries set with `setEntry` after the reader (vars renaming a
 * key) come later, so they win.
 */
export class SpanIndex {
  readonly #containers = new WeakMap<object, SourceSpan>();
  readonly #entries = new WeakMap<object, Map<PathSegment, Entry>>();
  readonly #boolWords = new WeakMap<object, Map<PathSegment, string>>();
  // The reader's records.
  #source: SourceFile | undefined;
  // Each recorded container carries its record's offset under this index's own symbol, as a
  // non-enumerable property (invisible to Object.keys, JSON, spread, structuredClone and
  // deepStrictEqual): a WeakMap of 300,000 containers cost ~0.5 s of a 40,000-app convert in its
  // sets and the collector's ephemeron work; a property is ~4x cheaper to set and to read.
  readonly #record = Symbol('cfmesh.span-record');
  #data = new Int32Array(0);
  #used = 0;
  readonly #keys: string[] = [];
  readonly #tables = new WeakMap<object, Map<string, number>>();

  setContainer(container: object, span: SourceSpan): void {
    this.#containers.set(container, span);
  }

  setEntry(container: object, key: PathSegment, value: SourceSpan, keySpan?: SourceSpan): void {
    let entries = this.#entries.get(container);
    if (!entries) {
      entries = new Map();
      this.#entries.set(container, entries);
    }
    entries.set(key, { key: keySpan, value });
  }

  /** Notes that the entry's value is a boolean written as a YAML 1.1 word other than true/false (`no`, `On`). */
  setBoolWord(container: object, key: PathSegment, word: string): void {
    let words = this.#boolWords.get(container);
    if (!words) {
      words = new Map();
      this.#boolWords.set(container, words);
    }
    words.set(key, word);
  }

  /** The word a boolean entry was written as, when it is not true/false. */
  boolWord(container: object, key: PathSegment): string | undefined {
    return this.#boolWords.get(container)?.get(key);
  }

  container(container: object): SourceSpan | undefined {
    const span = this.#containers.get(container);
    if (span) return span;
    const at = this.#recordOf(container);
    if (at === undefined) return undefined;
    return this.#span(this.#data[at] as number, this.#data[at + 1] as number);
  }

  entry(container: object, key: PathSegment): Entry | undefined {
    const set = this.#entries.get(container)?.get(key);
    if (set) return set;
    const at = this.#recordOf(container);
    if (at === undefined) return undefined;
    const data = this.#data;
    const count = data[at + 2] as number;
    const keyBase = data[at + 3] as number;
    const base = at + 4;
    if (keyBase < 0) {
      // a list: found by number only, as a Map keyed by index would
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= count) return undefined;
      return new RecordedEntry(this.#source as SourceFile, data, base + 2 * key, false);
    }
    if (typeof key !== 'string') return undefined;
    let j = -1;
    if (count <= SCAN_LIMIT) {
      for (let i = count - 1; i >= 0; i--) {
        if (this.#keys[keyBase + i] === key) {
          j = i;
          break;
        }
      }
    } else {
      let table = this.#tables.get(container);
      if (!table) {
        table = new Map();
        for (let i = 0; i < count; i++) table.set(this.#keys[keyBase + i] as string, i);
        this.#tables.set(container, table);
      }
      j = table.get(key) ?? -1;
    }
    if (j < 0) return undefined;
    return new RecordedEntry(this.#source as SourceFile, data, base + 4 * j, true);
  }

  /** The value's span (or the entry's key span with `key: true`), falling back to the deepest known ancestor. */
  at(root: unknown, path: readonly PathSegment[], options: { key?: boolean } = {}): SourceSpan | undefined {
    let current: unknown = root;
    let best: SourceSpan | undefined = isObject(root) ? this.container(root) : undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as PathSegment;
      if (!isObject(current)) break;
      const entry = this.entry(current, segment);
      const last = i === path.length - 1;
      if (entry) best = last && options.key && entry.key ? entry.key : entry.value;
      current = Array.isArray(current) ? current[Number(segment)] : (current as Record<string, unknown>)[segment];
      if (!entry && isObject(current)) best = this.container(current) ?? best;
    }
    return best;
  }

  // --- for the YAML reader -------------------------------------------------------------------

  /** The file the reader's offsets point into (one per index). */
  setSource(source: SourceFile): void {
    this.#source = source;
  }

  /**
   * Records a list read from the text: its span and, per item, `[valueStart, valueEnd]` taken from
   * `stack[from..]` (the reader's work stack, which it then truncates).
   */
  recordList(container: object, start: number, end: number, stack: readonly number[], from: number): void {
    const count = (stack.length - from) >> 1;
    const at = this.#reserve(4 + 2 * count);
    const data = this.#data;
    data[at] = start;
    data[at + 1] = end;
    data[at + 2] = count;
    data[at + 3] = -1;
    for (let i = from, o = at + 4; i < stack.length; i++, o++) data[o] = stack[i] as number;
    this.#setRecord(container, at);
  }

  /** Records a map read from the text: per entry `[keyStart, keyEnd, valueStart, valueEnd]` from `stack[from..]`, its key in `keys[keysFrom..]`. */
  recordMap(container: object, start: number, end: number, stack: readonly number[], from: number, keys: readonly string[], keysFrom: number): void {
    const count = keys.length - keysFrom;
    const at = this.#reserve(4 + 4 * count);
    const data = this.#data;
    data[at] = start;
    data[at + 1] = end;
    data[at + 2] = count;
    data[at + 3] = this.#keys.length;
    for (let i = from, o = at + 4; i < stack.length; i++, o++) data[o] = stack[i] as number;
    for (let i = keysFrom; i < keys.length; i++) this.#keys.push(keys[i] as string);
    this.#setRecord(container, at);
  }

  /** A copy of a recorded container (an alias) has the same spans: it shares the record and the bool words. */
  shareRecord(copy: object, original: object): void {
    const at = this.#recordOf(original);
    if (at !== undefined) this.#setRecord(copy, at);
    const words = this.#boolWords.get(original);
    if (words) this.#boolWords.set(copy, new Map(words));
  }

  /** A recorded map's entries, in the order written (later ones win): for merging it into another map. */
  forEachRecordedEntry(container: object, fn: (key: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void): void {
    const at = this.#recordOf(container);
    if (at === undefined) return;
    const data = this.#data;
    const count = data[at + 2] as number;
    const keyBase = data[at + 3] as number;
    if (keyBase < 0) return;
    for (let i = 0, o = at + 4; i < count; i++, o += 4) fn(this.#keys[keyBase + i] as string, data[o] as number, data[o + 1] as number, data[o + 2] as number, data[o + 3] as number);
  }

  /** Room for about this many offsets (the reader's estimate from the text's length), so the store grows once. */
  expect(n: number): void {
    if (n > this.#data.length) {
      const grown = new Int32Array(n);
      grown.set(this.#data.subarray(0, this.#used));
      this.#data = grown;
    }
  }

  #reserve(n: number): number {
    const at = this.#used;
    if (at + n > this.#data.length) {
      const grown = new Int32Array(Math.max(1024, (at + n) * 2));
      grown.set(this.#data.subarray(0, at));
      this.#data = grown;
    }
    this.#used = at + n;
    return at;
  }

  #recordOf(container: object): number | undefined {
    return (container as Record<symbol, number | undefined>)[this.#record];
  }

  #setRecord(container: object, at: number): void {
    Object.defineProperty(container, this.#record, { value: at, writable: true, configurable: true, enumerable: false });
  }

  #span(start: number, end: number): SourceSpan {
    return { source: this.#source as SourceFile, start, end };
  }
}

/**
 * An entry of a recorded container; its spans are made when read (most lookups read one of them, or
 * none: interpolating vars asks for every entry and uses a span only where it finds `((`).
 */
class RecordedEntry implements Entry {
  readonly #source: SourceFile;
  readonly #data: Int32Array;
  readonly #at: number;
  readonly #hasKey: boolean;

  constructor(source: SourceFile, data: Int32Array, at: number, hasKey: boolean) {
    this.#source = source;
    this.#data = data;
    this.#at = at;
    this.#hasKey = hasKey;
  }

  get key(): SourceSpan | undefined {
    return this.#hasKey ? { source: this.#source, start: this.#data[this.#at] as number, end: this.#data[this.#at + 1] as number } : undefined;
  }

  get value(): SourceSpan {
    const o = this.#hasKey ? this.#at + 2 : this.#at;
    return { source: this.#source, start: this.#data[o] as number, end: this.#data[o + 1] as number };
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
