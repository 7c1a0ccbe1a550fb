/**
 * How the cf CLI reads a manifest value into one of its typed fields. `cf push` v8 parses the manifest
 * with yaml.v2 twice (bosh-cli's template, then util/manifestparser's structs) and sends Cloud
 * Controller what it marshals back, so a value's type there is the field's type:
 * - a string field takes any scalar as its text (`name: 123` is the app "123"; yaml.v2 v2.4.0
 *   decode.go `scalar`, reflect.String case);
 * - an int field takes an integer, and a float truncated towards zero (`instances: 2.9` is 2; same
 *   function, reflect.Int case, float64 branch); a string or a boolean is a type error;
 * - a bool field takes only a boolean.
 * A null is the field's zero value. Collections into scalar fields are type errors (the schema refuses them).
 */

/** A scalar as a CLI string field holds it; undefined for null and collections. */
export function cliString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return goNumberText(value);
  return undefined;
}

/** A number as a CLI int field holds it (floats truncated); undefined for anything else. */
export function cliInteger(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Math.abs(value) > 9.223372036854776e18) return undefined;
  return Math.trunc(value);
}

export function cliBool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * yaml.v2 writes an integer in decimal and a float with strconv.FormatFloat(f, 'g', -1, 64)
 * (encode.go `floatv`); a float that is whole, such as 2.0, is therefore written `2` and read back as
 * an integer. cfmesh's parser gives both as a JS number, so integers print as integers, and
 * fractions, exponents and infinities as Go prints them.
 */
export function goNumberText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);
  return goFormatFloat(value);
}

/** strconv.FormatFloat(f, 'g', -1, 64): shortest digits, in %e form when the exponent is < -4 or >= 6 (ftoa.go: `if shortest { eprec = 6 }`). */
export function goFormatFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, expText] = value.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(value);
}
