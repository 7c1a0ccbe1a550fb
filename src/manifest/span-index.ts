import type { SourceSpan } from '../diagnostics/source-file.ts';

export type PathSegment = string | number;

interface Entry {
  readonly key?: SourceSpan | undefined;
  readonly value: SourceSpan;
}

/**
 * Where each part of a loaded manifest came from. The manifest is plain data (merge keys and aliases
 * resolved, vars interpolated); this index maps each container, and each of its entries, back to the
 * YAML text, so a schema error at `/applications/0/routes/1` can point at its line and column.
 */
export class SpanIndex {
  readonly #containers = new WeakMap<object, SourceSpan>();
  readonly #entries = new WeakMap<object, Map<PathSegment, Entry>>();
  readonly #boolWords = new WeakMap<object, Map<PathSegment, string>>();

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
    return this.#containers.get(container);
  }

  entry(container: object, key: PathSegment): Entry | undefined {
    return this.#entries.get(container)?.get(key);
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
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
