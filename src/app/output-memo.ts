/**
 * `convert -o DIR` on a directory that is already up to date skips the conversion (docs/adr/0018).
 *
 * `convertManifests` is a pure function of its input (the manifest and vars texts, `--var`s and the
 * resolved options) and of cfmesh's own code, and the directory's files are a function of its result
 * and the format. So a run that finishes records in DIR's index a key, the SHA-256 of all of that
 * (the code as the digest of the running bundle), with the warnings it printed; the next run with the
 * same key, whose files are still byte for byte what the index records, prints the same warnings and
 * reports every file unchanged without parsing anything. Anything that cannot be keyed exactly (a
 * warning about a text that is not one of the inputs, an option that is not plain data) records no
 * memo, and the next run does the whole work, as it always may.
 */
import { createHash } from 'node:crypto';
import type { SourceFile } from '../diagnostics/source-file.ts';
import type { Warning, WarningCode } from '../diagnostics/tool-error.ts';
import type { ConvertInput } from './convert.ts';

/** Bumped when what the key covers, or the memo's shape, changes. */
const MEMO_VERSION = 1;

/** The key of a conversion into files of `format`, by the program whose code digest is `build`; undefined when an input is not plain data. */
export function conversionKey(build: string, input: ConvertInput, format: string): string | undefined {
  const options = canonical({ memo: MEMO_VERSION, build, format, routing: input.routing, istio: input.istio, limits: input.limits ?? null, vars: input.vars });
  if (options === undefined) return undefined;
  const hash = createHash('sha256').update(options);
  for (const [kind, sources] of [['manifest', input.manifests], ['vars', input.varsFiles]] as const) {
    for (const source of sources) hash.update(`\0${kind}\0${source.name}\0${source.text.length}\0`).update(source.text, 'utf8');
  }
  return hash.digest('hex');
}

interface StoredWarning {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  /** [which input ('m' manifest, 'v' vars file), its index, start, end] */
  readonly span?: readonly [string, number, number, number];
}

/** The warnings as JSON for the memo; undefined when one points into a text that is not an input. */
export function storeWarnings(warnings: readonly Warning[], input: ConvertInput): StoredWarning[] | undefined {
  const out: StoredWarning[] = [];
  for (const w of warnings) {
    let span: StoredWarning['span'];
    if (w.span) {
      const m = input.manifests.indexOf(w.span.source);
      const v = m === -1 ? input.varsFiles.indexOf(w.span.source) : -1;
      if (m === -1 && v === -1) return undefined;
      span = [m !== -1 ? 'm' : 'v', m !== -1 ? m : v, w.span.start, w.span.end];
    }
    out.push({ code: w.code, message: w.message, ...(w.hint !== undefined ? { hint: w.hint } : {}), ...(span ? { span } : {}) });
  }
  return out;
}

/** The warnings a memo recorded, pointing into this run's inputs (the same texts: the key says so); undefined when the data is not what storeWarnings writes. */
export function restoreWarnings(data: unknown, input: ConvertInput): Warning[] | undefined {
  if (!Array.isArray(data)) return undefined;
  const out: Warning[] = [];
  for (const item of data as unknown[]) {
    const w = item as Partial<Record<keyof StoredWarning, unknown>>;
    if (typeof w !== 'object' || w === null || typeof w.code !== 'string' || typeof w.message !== 'string') return undefined;
    if (w.hint !== undefined && typeof w.hint !== 'string') return undefined;
    let source: SourceFile | undefined;
    let start = 0;
    let end = 0;
    if (w.span !== undefined) {
      const span = w.span as unknown[];
      if (!Array.isArray(span) || span.length !== 4 || !span.slice(1).every((n) => Number.isInteger(n) && (n as number) >= 0)) return undefined;
      const list = span[0] === 'm' ? input.manifests : span[0] === 'v' ? input.varsFiles : undefined;
      source = list?.[span[1] as number];
      [start, end] = [span[2] as number, span[3] as number];
      if (!source || end < start || end > source.text.length) return undefined;
    }
    out.push({ code: w.code as WarningCode, message: w.message, ...(w.hint !== undefined ? { hint: w.hint as string } : {}), ...(source ? { span: { source, start, end } } : {}) });
  }
  return out;
}

/**
 * JSON with every object's keys sorted and undefined properties dropped; undefined when anything is
 * not plain data (a Map, a Set, a class instance, a function, a non-finite number, a cycle), which
 * JSON would flatten into something another value could equal.
 */
function canonical(value: unknown): string | undefined {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v !== 'object') throw new NotPlain();
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : walk(x)));
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new NotPlain();
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[key];
      if (x !== undefined) out[key] = walk(x);
    }
    return out;
  };
  try {
    return JSON.stringify(walk(value));
  } catch (error) {
    // a cycle: the walk recursed until the stack ran out (no memo, the whole work is done)
    if (error instanceof NotPlain || error instanceof RangeError) return undefined;
    throw error;
  }
}

class NotPlain extends Error {}
