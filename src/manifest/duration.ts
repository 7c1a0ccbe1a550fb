/**
 * Go-style durations (`time.ParseDuration`: `1s`, `250ms`, `1m30s`, `1.5s`), checked against Istio's
 * rule (agent/validation.go ValidateDuration): at least 1ms and a whole number of milliseconds.
 * Computed in BigInt nanoseconds, so `1.5ms` is exactly 1 500 000ns and refused, never rounded.
 */
export type ParsedDuration = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const PART = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;
/** Istio's durations are protobuf Durations: at most 315 576 000 000 seconds. */
const MAX_MS = 315_576_000_000_000n;

export function parseDuration(text: string): ParsedDuration {
  const bad = { ok: false, message: `"${text}" is not a duration; write it like 1s, 250ms or 1m30s` } as const;
  if (text.length === 0 || text.length > 64) return bad;
  let ns = 0n;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m || m.index !== pos) return bad;
    const whole = m[1] ?? '';
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return bad;
    const unit = UNIT_NS[m[3] as string] as bigint;
    ns += BigInt(whole || '0') * unit;
    if (frac) ns += (BigInt(frac) * unit) / 10n ** BigInt(frac.length) + ((BigInt(frac) * unit) % 10n ** BigInt(frac.length) === 0n ? 0n : 1n);
    pos = PART.lastIndex;
  }
  if (ns < 1_000_000n) return { ok: false, message: `duration "${text}" is below 1ms, the shortest Istio accepts` };
  if (ns % 1_000_000n !== 0n) return { ok: false, message: `duration "${text}" is not a whole number of milliseconds, as Istio requires` };
  const ms = ns / 1_000_000n;
  if (ms > MAX_MS) return { ok: false, message: `duration "${text}" is too long` };
  return { ok: true, ms: Number(ms) };
}

/** The canonical Go form of a whole-millisecond duration: `1s`, `3m`, `1m30s`, `1s500ms`. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('') || '0s';
}

/** A valid duration in canonical form; throws on an invalid one (callers validate first). */
export function canonicalDuration(text: string): string {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return formatDuration(parsed.ms);
}
