/**
 * Where a value is in a JSON text: the offsets of the member `path` names (object keys and array
 * indexes), found by scanning the text, not by parsing it into values. Only asked for when a check of a
 * hand-edited state has found a problem, so a scan from the start per problem is cheap enough.
 * A key given twice counts as JSON.parse counts it: the last one.
 */
export type JsonPath = readonly (string | number)[];

export interface JsonRange {
  readonly start: number;
  readonly end: number;
}

/** The value at `path` (or, with `part: 'key'`, its key); undefined when the text does not have it. */
export function locateJson(text: string, path: JsonPath, part: 'value' | 'key' = 'value'): JsonRange | undefined {
  let pos = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  let key: JsonRange | undefined;
  for (const segment of path) {
    const found = typeof segment === 'number' ? arrayItem(text, pos, segment) : objectMember(text, pos, segment);
    if (!found) return undefined;
    key = found.key;
    pos = found.value;
  }
  if (part === 'key' && key) return key;
  const end = valueEnd(text, pos);
  return end === undefined ? undefined : { start: pos, end };
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    pos++;
  }
  return pos;
}

/** The end (exclusive) of the string starting at `pos` (a quote). */
function stringEnd(text: string, pos: number): number | undefined {
  for (let i = pos + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return undefined;
}

/** The end (exclusive) of the JSON value starting at `pos`. */
function valueEnd(text: string, pos: number): number | undefined {
  const c = text.charCodeAt(pos);
  if (c === 0x22) return stringEnd(text, pos);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let i = pos; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 0x22) {
        const e = stringEnd(text, i);
        if (e === undefined) return undefined;
        i = e - 1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return undefined;
  }
  let i = pos;
  while (i < text.length && !/[\s,}\]]/.test(text.charAt(i))) i++;
  return i > pos ? i : undefined;
}

function objectMember(text: string, pos: number, name: string): { key: JsonRange; value: number } | undefined {
  if (text.charCodeAt(pos) !== 0x7b) return undefined;
  let i = skipSpace(text, pos + 1);
  let found: { key: JsonRange; value: number } | undefined;
  while (i < text.length && text.charCodeAt(i) !== 0x7d) {
    if (text.charCodeAt(i) !== 0x22) return found;
    const keyEnd = stringEnd(text, i);
    if (keyEnd === undefined) return found;
    let decoded: unknown;
    try {
      decoded = JSON.parse(text.slice(i, keyEnd));
    } catch {
      return found;
    }
    const colon = skipSpace(text, keyEnd);
    if (text.charCodeAt(colon) !== 0x3a) return found;
    const value = skipSpace(text, colon + 1);
    if (decoded === name) found = { key: { start: i, end: keyEnd }, value };
    const end = valueEnd(text, value);
    if (end === undefined) return found;
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1);
  }
  return found;
}

function arrayItem(text: string, pos: number, index: number): { key: JsonRange; value: number } | undefined {
  if (text.charCodeAt(pos) !== 0x5b) return undefined;
  let i = skipSpace(text, pos + 1);
  for (let n = 0; i < text.length && text.charCodeAt(i) !== 0x5d; n++) {
    const end = valueEnd(text, i);
    if (end === undefined) return undefined;
    if (n === index) return { key: { start: i, end }, value: i };
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1);
  }
  return undefined;
}
