/**
 * A fast count of YAML content tokens, run on the raw text before the yaml library's lexer: one
 * character loop, no allocation. The lexer needs about 0.7 µs per lexeme (a 10 MB block sequence of
 * 2.5 million items took 9 s to lex on a 2-core machine before any node was composed), so input that
 * is over the token limit is refused here, having cost one pass over its characters.
 *
 * The count follows the lexer's content lexemes (test/core/parse-yaml.test.ts compares them): a plain
 * scalar is two (a marker and its text), a quoted scalar one, a block scalar three (header, marker,
 * text), each indicator (`-`, `?`, `:`, `[`, `]`, `{`, `}`, `,`), anchor, alias, tag, directive and
 * document marker one; spaces, line breaks and comments none. It never looks inside quoted or block
 * scalars. The lexer's own count still applies to what passes.
 */
export interface PrescanResult {
  /** Content tokens counted (up to the limit and one more). */
  readonly tokens: number;
  /** Where the count went over the limit; undefined when it did not. */
  readonly overAt: number | undefined;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;

export function prescanTokens(text: string, maxTokens: number): PrescanResult {
  const n = text.length;
  let tokens = 0;
  let i = 0;
  let flow = 0;
  let blockIndent = -1; // >= 0 while inside a block scalar: lines more indented than this are its content
  let plainEndedLine = false;
  let plainLineIndent = 0;
  const blank = (c: number) => c === SPACE || c === LF || c === TAB || c === CR || c !== c; // c !== c: past the end (NaN)
  const flowIndicator = (c: number) => c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
  const add = (k: number, at: number): boolean => {
    tokens += k;
    return tokens > maxTokens ? ((overAt = at), true) : false;
  };
  let overAt: number | undefined;

  while (i < n) {
    // Line start: indentation.
    const lineStart = i;
    let indent = 0;
    while (i < n && text.charCodeAt(i) === SPACE) {
      i++;
      indent++;
    }
    const first = text.charCodeAt(i);
    const emptyLine = i >= n || first === LF || first === CR;
    if (blockIndent >= 0) {
      if (emptyLine || indent > blockIndent) {
        while (i < n && text.charCodeAt(i) !== LF) i++;
        i++;
        continue;
      }
      blockIndent = -1;
    }
    if (emptyLine) {
      i++;
      continue;
    }
    // A more indented line after one that ended in a plain scalar continues that scalar (block context).
    const continuation = flow === 0 && plainEndedLine && indent > plainLineIndent && first !== HASH;
    if (!continuation) plainEndedLine = false;
    let lineHasPlainOnly = continuation;
    let uncountedPlain = false;
    let atTokenStart = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === LF) {
        i++;
        break;
      }
      if (c === SPACE || c === TAB || c === CR) {
        i++;
        atTokenStart = true;
        continue;
      }
      if (c === HASH && atTokenStart) {
        while (i < n && text.charCodeAt(i) !== LF) i++;
        continue;
      }
      const next = text.charCodeAt(i + 1);
      if (i === lineStart && (c === 0x25 /* % */ || ((c === 0x2d || c === 0x2e) && next === c && text.charCodeAt(i + 2) === c && blank(text.charCodeAt(i + 3))))) {
        if (add(1, i)) return { tokens, overAt };
        plainEndedLine = false;
        if (c === 0x25) while (i < n && text.charCodeAt(i) !== LF) i++;
        else i += 3;
        continue;
      }
      if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
        if (add(1, i)) return { tokens, overAt };
        i++;
        while (i < n) {
          const q = text.charCodeAt(i);
          if (c === 0x22 && q === 0x5c /* \ */) i += 2;
          else if (q === c) {
            if (c === 0x27 && text.charCodeAt(i + 1) === 0x27) i += 2;
            else {
              i++;
              break;
            }
          } else i++;
        }
        plainEndedLine = false;
        lineHasPlainOnly = false;
        atTokenStart = false;
        continue;
      }
      if (flowIndicator(c)) {
        if (add(1, i)) return { tokens, overAt };
        if (c === 0x5b || c === 0x7b) flow++;
        else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
        i++;
        plainEndedLine = false;
        lineHasPlainOnly = false;
        atTokenStart = true;
        continue;
      }
      if ((c === 0x2d || c === 0x3f || c === 0x3a) && (blank(next) || (flow > 0 && c === 0x3a && flowIndicator(next)))) {
        // A key on a more indented line: it did not continue the scalar above after all.
        if (add(uncountedPlain && c === 0x3a ? 3 : 1, i)) return { tokens, overAt };
        uncountedPlain = false;
        i++;
        plainEndedLine = false;
        lineHasPlainOnly = false;
        atTokenStart = true;
        continue;
      }
      if (atTokenStart && (c === 0x26 /* & */ || c === 0x21 /* ! */ || c === 0x2a /* * */)) {
        if (add(1, i)) return { tokens, overAt };
        while (i < n && !blank(text.charCodeAt(i)) && !(flow > 0 && flowIndicator(text.charCodeAt(i)))) i++;
        atTokenStart = true;
        lineHasPlainOnly = false;
        continue;
      }
      if (atTokenStart && flow === 0 && (c === 0x7c /* | */ || c === 0x3e /* > */)) {
        if (add(3, i)) return { tokens, overAt };
        while (i < n && text.charCodeAt(i) !== LF) i++;
        blockIndent = indent;
        plainEndedLine = false;
        continue;
      }
      // A plain scalar: up to `: `, ` #`, the line end, or (in flow) a flow indicator.
      if (!(continuation && lineHasPlainOnly)) {
        if (add(2, i)) return { tokens, overAt };
      } else uncountedPlain = true;
      while (i < n) {
        const p = text.charCodeAt(i);
        if (p === LF) break;
        if (p === 0x3a && (blank(text.charCodeAt(i + 1)) || (flow > 0 && flowIndicator(text.charCodeAt(i + 1))))) break;
        if ((p === SPACE || p === TAB) && text.charCodeAt(i + 1) === HASH) break;
        if (flow > 0 && flowIndicator(p)) break;
        i++;
      }
      plainEndedLine = true;
      plainLineIndent = continuation ? plainLineIndent : indent;
      atTokenStart = false;
    }
  }
  return { tokens, overAt };
}
