/**
 * The state file's layout: one JSON document (jq reads it, JSON.parse reads it), written one record
 * per line so that a command that changes one route reads, and rewrites, only the lines it needs
 * (docs/adr/0009-state-lines.md):
 *
 *   {"version":1,
 *   "apps":{
 *   "a":{"instances":1,"name":"a"},
 *   "b":{"instances":2,"name":"b"}
 *   },
 *   "randomRouteHosts":{
 *   },
 *   "routes":{
 *   "a.example.com":{"destinations":[{"app":"a"}],...}
 *   },
 *   "settings":{},
 *   "tcpPorts":{
 *   },
 *   "digest":"crc32:0a1b2c3d"}
 *
 * "version" first, "digest" last, the other members in code-unit order; the record sections one
 * entry per line in code-unit order of their keys; any other member on one line. The digest is the
 * CRC-32 of every byte before its line: a file whose digest matches is byte for byte as cfmesh wrote
 * it, so its lines can be trusted without parsing them all. Any other file (hand-edited, damaged,
 * or compact from an earlier build) is read whole and checked, and written back in this layout.
 */
import * as zlib from 'node:zlib';

/** zlib's CRC-32 (Node 20.15+, 22.2+), or the same sum in JavaScript on the Node 22 releases before it. */
const crc32: (data: Uint8Array | string, value?: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : crc32Js;

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib), continuing from `value`. */
export function crc32Js(data: Uint8Array | string, value = 0): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = ~value;
  for (let i = 0; i < bytes.length; i++) crc = (crc >>> 8) ^ (crcTable[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return ~crc >>> 0;
}

/** Top-level members written one entry per line. */
export const RECORD_SECTIONS = ['apps', 'randomRouteHosts', 'routes', 'tcpPorts'] as const;
export type RecordSection = (typeof RECORD_SECTIONS)[number];
const IS_SECTION: ReadonlySet<string> = new Set(RECORD_SECTIONS);
/** The member that carries the digest; never part of the state. */
export const DIGEST_KEY = 'digest';

const NL = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One entry of a record section: `"key":value`. */
function entryText(key: string, valueText: string): string {
  return `${JSON.stringify(key)}:${valueText}`;
}

function digestLine(crc: number): string {
  return `"${DIGEST_KEY}":"crc32:${(crc >>> 0).toString(16).padStart(8, '0')}"}\n`;
}

/**
 * The file text for a state whose members are already canonical (sorted keys, JSON-safe values):
 * `version` is written first, every other member in code-unit order.
 */
export function writeLines(version: number, members: Readonly<Record<string, unknown>>): string {
  let out = `{"version":${JSON.stringify(version)},\n`;
  for (const name of Object.keys(members).sort(byCodeUnit)) {
    if (name === DIGEST_KEY || name === 'version') continue;
    const value = members[name];
    if (IS_SECTION.has(name) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort(byCodeUnit);
      out += `${JSON.stringify(name)}:{\n`;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        out += `${i > 0 ? ',\n' : ''}${entryText(key, JSON.stringify(record[key]))}`;
      }
      out += keys.length > 0 ? '\n},\n' : '},\n';
    } else {
      out += `${JSON.stringify(name)}:${JSON.stringify(value)},\n`;
    }
  }
  return out + digestLine(crc32(out));
}

/** Whether `buf` ends in a digest line that matches it: the file is byte for byte as cfmesh wrote it. */
export function hasValidDigest(buf: Buffer): boolean {
  if (buf.length < 2 || buf[buf.length - 1] !== NL) return false;
  const lastStart = buf.lastIndexOf(NL, buf.length - 2) + 1;
  const m = /^"digest":"crc32:([0-9a-f]{8})"\}$/.exec(buf.toString('latin1', lastStart, buf.length - 1));
  return m !== null && Number.parseInt(m[1] as string, 16) === crc32(buf.subarray(0, lastStart));
}

interface Range {
  readonly start: number;
  readonly end: number;
}

/** An entry of a record section: its line without the separating comma, and where its value starts. */
export interface Entry extends Range {
  readonly valueStart: number;
}

/** A one-line member: `line` without the trailing comma, `valueStart` after `"name":`. */
interface Member {
  readonly line: Range;
  readonly valueStart: number;
}

/** What to change in a section: key → the new value's JSON text, or undefined to remove the entry. */
export type SectionEdits = ReadonlyMap<string, string | undefined>;

/**
 * A state file in this layout whose digest matches, read by line: nothing is parsed until asked for.
 * `open` gives undefined for any other file (the caller reads it whole).
 */
export class StateLines {
  readonly buf: Buffer;
  readonly version: number;
  /** Each record section's content: from its first entry's start to its last entry's end. */
  private readonly sections: ReadonlyMap<string, Range>;
  private readonly members: ReadonlyMap<string, Member>;
  private readonly searches = new Map<string, readonly Entry[]>();
  private readonly stringHits = new Map<string, readonly { readonly at: number; readonly value: string }[]>();

  private constructor(buf: Buffer, version: number, sections: Map<string, Range>, members: Map<string, Member>) {
    this.buf = buf;
    this.version = version;
    this.sections = sections;
    this.members = members;
  }

  static open(buf: Buffer): StateLines | undefined {
    if (buf.length < 2 || buf[buf.length - 1] !== NL) return undefined;
    const lastStart = buf.lastIndexOf(NL, buf.length - 2) + 1;
    const m = /^"digest":"crc32:([0-9a-f]{8})"\}$/.exec(buf.toString('latin1', lastStart, buf.length - 1));
    if (!m || Number.parseInt(m[1] as string, 16) !== crc32(buf.subarray(0, lastStart))) return undefined;
    const firstEnd = buf.indexOf(NL);
    const first = /^\{"version":(\d+),$/.exec(buf.toString('latin1', 0, firstEnd));
    if (!first) return undefined;
    const sections = new Map<string, Range>();
    const members = new Map<string, Member>();
    let pos = firstEnd + 1;
    while (pos < lastStart) {
      if (buf[pos] !== QUOTE) return undefined;
      const nameEnd = stringEnd(buf, pos);
      if (nameEnd < 0 || buf[nameEnd + 1] !== 0x3a /* : */) return undefined;
      const name = decodeKey(buf, pos, nameEnd);
      const valueStart = nameEnd + 2;
      if (IS_SECTION.has(name) && buf[valueStart] === 0x7b /* { */ && buf[valueStart + 1] === NL) {
        const start = valueStart + 2;
        let end = start;
        let close = start;
        if (buf[start] !== 0x7d /* } */) {
          end = buf.indexOf('\n}', start);
          if (end < 0) return undefined;
          close = end + 1;
        }
        if (buf[close + 1] !== 0x2c /* , */ || buf[close + 2] !== NL) return undefined;
        sections.set(name, { start, end });
        pos = close + 3;
      } else {
        const lineEnd = buf.indexOf(NL, pos);
        if (lineEnd < 0 || buf[lineEnd - 1] !== 0x2c) return undefined;
        members.set(name, { line: { start: pos, end: lineEnd - 1 }, valueStart });
        pos = lineEnd + 1;
      }
    }
    if (pos !== lastStart || RECORD_SECTIONS.some((s) => !sections.has(s))) return undefined;
    return new StateLines(buf, Number(first[1]), sections, members);
  }

  /** The JSON text of a one-line member's value. */
  memberText(name: string): string | undefined {
    const member = this.members.get(name);
    return member && this.buf.toString('utf8', member.valueStart, member.line.end);
  }

  /** The JSON text of a whole section (`{...}`), for the small ones read whole. */
  sectionText(name: RecordSection): string {
    const content = this.content(name);
    return `{${this.buf.toString('utf8', content.start, content.end)}}`;
  }

  private content(name: RecordSection): Range {
    return this.sections.get(name) as Range;
  }

  /**
   * The entry of `key` in a section: a binary search, the keys being unique and in code-unit order
   * (as withKeyPrefix and insertionPoint take them). A search of the text for the key's line was a
   * pass over the section per key: a change reaching the 10,000 apps of one route read the apps
   * section 10,000 times (4 s).
   */
  find(name: RecordSection, key: string): Entry | undefined {
    const content = this.content(name);
    let lo = content.start;
    let hi = content.end;
    while (lo < hi) {
      const entry = this.entryAt(name, lo + ((hi - lo) >> 1));
      const order = byCodeUnit(this.key(entry), key);
      if (order === 0) return entry;
      if (order > 0) hi = entry.start;
      else lo = entry.end === content.end ? content.end : entry.end + 2;
    }
    return undefined;
  }

  private lineEnd(start: number, content: Range): number {
    const nl = this.buf.indexOf(NL, start);
    return nl < 0 || nl >= content.end ? content.end : nl - 1;
  }

  /** The entry that holds byte `at` of a section. */
  entryAt(name: RecordSection, at: number): Entry {
    const content = this.content(name);
    const start = Math.max(content.start, this.buf.lastIndexOf(NL, at - 1) + 1);
    const keyEnd = stringEnd(this.buf, start);
    return { start, end: this.lineEnd(start, content), valueStart: keyEnd + 2 };
  }

  /** Every entry of a section, in key order. */
  *entries(name: RecordSection): Generator<Entry> {
    const content = this.content(name);
    for (let start = content.start; start < content.end; ) {
      const entry = this.entryAt(name, start);
      yield entry;
      start = entry.end + 2;
    }
  }

  /**
   * Entries of a section whose line contains `needle` (a superset of what the caller wants: check
   * the value). A needle beginning with a newline matches at the start of an entry's line. Each
   * search is one pass over the section, made once: the views before and after a change ask alike.
   */
  search(name: RecordSection, needle: string): readonly Entry[] {
    const memo = `${name}\0${needle}`;
    const known = this.searches.get(memo);
    if (known) return known;
    const content = this.content(name);
    const skip = needle.startsWith('\n') ? 1 : 0;
    const found: Entry[] = [];
    let at = this.buf.indexOf(needle, content.start - skip);
    while (at >= 0 && at + skip < content.end) {
      const entry = this.entryAt(name, at + skip);
      found.push(entry);
      at = this.buf.indexOf(needle, entry.end);
    }
    this.searches.set(memo, found);
    return found;
  }

  /**
   * Entries of a section whose line holds `prefix` followed at once by a JSON string that `accept`
   * takes (given decoded): `"app":` and the app names wanted. One pass over the section finds every
   * such string once, whatever the number of names asked for then or later (one search per name
   * made a change reaching 500 apps read the routes 500 times).
   */
  searchStrings(name: RecordSection, prefix: string, accept: (value: string) => boolean): Entry[] {
    const memo = `${name}\0${prefix}`;
    let hits = this.stringHits.get(memo);
    if (!hits) {
      const list: { at: number; value: string }[] = [];
      hits = list;
      const content = this.content(name);
      let at = this.buf.indexOf(prefix, content.start);
      while (at >= 0 && at < content.end) {
        const start = at + prefix.length;
        const end = this.buf[start] === QUOTE ? stringEnd(this.buf, start) : -1;
        if (end > 0) list.push({ at, value: decodeKey(this.buf, start, end) });
        at = this.buf.indexOf(prefix, end > 0 ? end : start);
      }
      this.stringHits.set(memo, hits);
    }
    const found: Entry[] = [];
    let last = -1;
    for (const hit of hits) {
      if (hit.at < last || !accept(hit.value)) continue;
      const entry = this.entryAt(name, hit.at);
      found.push(entry);
      last = entry.end;
    }
    return found;
  }

  /** Entries of a section whose key begins with `prefix`: a binary search, the keys being in code-unit order. */
  withKeyPrefix(name: RecordSection, prefix: string): Entry[] {
    const content = this.content(name);
    let lo = content.start;
    let hi = content.end;
    while (lo < hi) {
      const entry = this.entryAt(name, lo + ((hi - lo) >> 1));
      if (byCodeUnit(this.key(entry), prefix) >= 0) hi = entry.start;
      else lo = entry.end === content.end ? content.end : entry.end + 2;
    }
    const found: Entry[] = [];
    while (lo < content.end) {
      const entry = this.entryAt(name, lo);
      if (!this.key(entry).startsWith(prefix)) break;
      found.push(entry);
      lo = entry.end + 2;
    }
    return found;
  }

  key(entry: Entry): string {
    return decodeKey(this.buf, entry.start, entry.valueStart - 2);
  }

  value(entry: Entry): unknown {
    return JSON.parse(this.buf.toString('utf8', entry.valueStart, entry.end));
  }

  /** Where an entry with `key` goes: the start of the first entry with a greater key, or the content's end. */
  private insertionPoint(name: RecordSection, key: string): number {
    const content = this.content(name);
    let lo = content.start;
    let hi = content.end;
    while (lo < hi) {
      const entry = this.entryAt(name, lo + ((hi - lo) >> 1));
      if (byCodeUnit(this.key(entry), key) > 0) hi = entry.start;
      else lo = entry.end === content.end ? content.end : entry.end + 2;
    }
    return lo;
  }

  /**
   * The file with these entries replaced, added or removed and these one-line members replaced
   * (name → the value's JSON text), with its digest: the same bytes `writeLines` gives for the
   * state so changed.
   */
  splice(edits: ReadonlyMap<RecordSection, SectionEdits>, members: ReadonlyMap<string, string>): Buffer {
    const out: Buffer[] = [];
    let crc = 0;
    let at = 0;
    const emit = (piece: Buffer | string) => {
      const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      out.push(b);
      crc = crc32(b, crc);
    };
    const replacements: { range: Range; text: () => string | Buffer[] }[] = [];
    for (const [name, text] of members) {
      const member = this.members.get(name);
      if (!member) throw new Error(`state file has no member ${name} to replace`);
      replacements.push({ range: member.line, text: () => `${JSON.stringify(name)}:${text}` });
    }
    for (const [name, sectionEdits] of edits) {
      if (sectionEdits.size === 0) continue;
      const content = this.content(name);
      // The content and the newline before the closing brace (present when there are entries).
      const range = { start: content.start, end: content.end > content.start ? content.end + 1 : content.end };
      replacements.push({ range, text: () => this.sectionPieces(name, sectionEdits) });
    }
    replacements.sort((a, b) => a.range.start - b.range.start);
    const lastStart = this.buf.lastIndexOf(NL, this.buf.length - 2) + 1;
    for (const { range, text } of replacements) {
      emit(this.buf.subarray(at, range.start));
      const t = text();
      if (typeof t === 'string') emit(t);
      else for (const piece of t) emit(piece);
      at = range.end;
    }
    emit(this.buf.subarray(at, lastStart));
    emit(digestLine(crc));
    return Buffer.concat(out);
  }

  /** A section's new content (entries joined by ",\n", then "\n" when not empty), as pieces. */
  private sectionPieces(name: RecordSection, sectionEdits: SectionEdits): Buffer[] {
    const content = this.content(name);
    type Edit = { at: number; end: number; key: string; text: string | undefined; replaces: boolean };
    const list: Edit[] = [];
    for (const [key, text] of sectionEdits) {
      const entry = this.find(name, key);
      if (entry) list.push({ at: entry.start, end: entry.end, key, text, replaces: true });
      else if (text !== undefined) {
        const at = this.insertionPoint(name, key);
        list.push({ at, end: at, key, text, replaces: false });
      }
    }
    // New entries before the entry they are inserted in front of, in key order.
    list.sort((a, b) => a.at - b.at || Number(a.replaces) - Number(b.replaces) || byCodeUnit(a.key, b.key));
    const parts: Buffer[] = [];
    let cursor = content.start;
    for (const edit of list) {
      if (edit.at > cursor) parts.push(this.buf.subarray(cursor, edit.at === content.end ? content.end : edit.at - 2));
      if (edit.text !== undefined) parts.push(Buffer.from(entryText(edit.key, edit.text), 'utf8'));
      if (edit.replaces) cursor = edit.end === content.end ? content.end : edit.end + 2;
      else cursor = edit.at;
    }
    if (cursor < content.end) parts.push(this.buf.subarray(cursor, content.end));
    const joined: Buffer[] = [];
    const sep = Buffer.from(',\n');
    parts.forEach((p, i) => {
      if (i > 0) joined.push(sep);
      joined.push(p);
    });
    if (parts.length > 0) joined.push(Buffer.from('\n'));
    return joined;
  }
}

/** The index of the quote that closes the JSON string opening at `start`, or -1. */
function stringEnd(buf: Buffer, start: number): number {
  let i = start;
  for (;;) {
    i = buf.indexOf(QUOTE, i + 1);
    if (i < 0) return -1;
    let backslashes = 0;
    while (buf[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}

function decodeKey(buf: Buffer, start: number, end: number): string {
  const raw = buf.toString('utf8', start, end + 1);
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}
