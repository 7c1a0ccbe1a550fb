/**
 * A named text that positions point into. Offsets are kept while computing; they become
 * line and column only when a message is printed (eemeli/yaml's LineCounter idea).
 */
export class SourceFile {
  readonly name: string;
  readonly text: string;
  #lineStarts: number[] | undefined;

  constructor(name: string, text: string) {
    this.name = name;
    this.text = text;
  }

  /** 1-based line and column (columns count UTF-16 code units, as editors mostly do). */
  linePos(offset: number): { line: number; col: number } {
    const starts = this.#starts();
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - (starts[lo] ?? 0) + 1 };
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.#starts();
    const start = starts[line - 1];
    if (start === undefined) return '';
    const next = starts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text[end - 1] === '\r') end -= 1;
    return this.text.slice(start, Math.max(start, end));
  }

  #starts(): number[] {
    if (this.#lineStarts) return this.#lineStarts;
    const starts = [0];
    const text = this.text;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.#lineStarts = starts;
    return starts;
  }
}

/** A span of a source file: [start, end) in UTF-16 offsets. */
export interface SourceSpan {
  readonly source: SourceFile;
  readonly start: number;
  readonly end: number;
}

export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function locate(span: SourceSpan): Location {
  const { line, col } = span.source.linePos(span.start);
  return { file: span.source.name, line, col };
}
