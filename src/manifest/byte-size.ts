/**
 * Sizes as Cloud Controller reads them (CAPI 1.235.0 = cloud_controller_ng dd2f354f,
 * lib/cloud_controller/app_manifest/byte_converter.rb and lib/cloud_controller/byte_quantity.rb):
 * - blank (empty or only spaces) means "not given";
 * - the text must start with an optional `-` and digits (`\A-?\d+(?:\.\d+)?`), else "is not a number";
 * - once stripped at both ends it must be a number and one unit, `B` or K, M, G, T each optionally
 *   followed by `i` and/or `B`, any case (`/^(-?\d+(?:\.\d+)?)([KMGT]i?B?|B)$/i`), else "must use a
 *   supported unit" — so `1GiB` and `512mb` are sizes, `1 G` and `512` are not;
 * - every unit is binary (K = KB = KiB = 1024) and the value is truncated to whole bytes, then to whole
 *   megabytes for memory and disk.
 */
export type ByteSize =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly problem: 'not a number' | 'unit' }
  | { readonly ok: 'blank' };

const UNITS: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseByteSize(text: string): ByteSize {
  if (text.trim() === '') return { ok: 'blank' };
  if (!/^-?\d+(?:\.\d+)?/.test(text)) return { ok: false, problem: 'not a number' };
  // Ruby's `^`/`$` anchor at line ends, so a first line of the stripped text that is a size is enough.
  const match = /^(-?\d+(?:\.\d+)?)([KMGT]i?B?|B)$/im.exec(text.trim());
  if (!match) return { ok: false, problem: 'unit' };
  const unit = UNITS[(match[2] as string)[0]?.toUpperCase() ?? 'B'] ?? 1;
  return { ok: true, bytes: Math.trunc(Number(match[1]) * unit) };
}

/** Whole megabytes, as ByteQuantity.to_megabytes truncates. */
export function megabytes(bytes: number): number {
  return Math.trunc(bytes / 1024 ** 2);
}

export const UNIT_MESSAGE = 'must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB';

/** The largest log rate Cloud Controller stores (BaseMessage::MAX_DB_BIGINT, app/messages/base_message.rb). */
export const MAX_DB_BIGINT = 2 ** 63 - 1;
