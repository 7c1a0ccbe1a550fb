import { ToolError } from '../diagnostics/tool-error.ts';

/**
 * cf v8 per-route options (RFC0027, Cloud Controller `route_options_message.rb`): `loadbalancing`
 * round-robin | least-connection | hash; with hash, `hash_header` is required and `hash_balance`
 * allowed; the hash keys only with hash.
 */
export const ROUTE_OPTION_KEYS = ['loadbalancing', 'hash_header', 'hash_balance'] as const;
const LOADBALANCING = ['round-robin', 'least-connection', 'hash'];

/** Checks a route's whole option set, as Cloud Controller does after a change; throws USAGE. */
export function validateRouteOptions(options: Readonly<Record<string, string>>, url: string): void {
  for (const key of Object.keys(options)) {
    if (!(ROUTE_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new ToolError('USAGE', `route ${url}: unknown route option '${key}'`, { hint: `route options are ${ROUTE_OPTION_KEYS.join(', ')}` });
    }
  }
  const lb = options['loadbalancing'];
  if (lb !== undefined && !LOADBALANCING.includes(lb)) {
    throw new ToolError('USAGE', `route ${url}: Loadbalancing must be one of 'round-robin, least-connection, hash' if present (got '${lb}')`);
  }
  const hashKeys = ['hash_header', 'hash_balance'].filter((k) => options[k] !== undefined);
  if (lb === 'hash' && options['hash_header'] === undefined) {
    throw new ToolError('USAGE', `route ${url}: Hash header must be present if loadbalancing is set to hash.`, { hint: 'add -o hash_header=HEADER' });
  }
  // Hash options beside another algorithm are refused; without any `loadbalancing` Cloud Controller
  // accepts them (cloud_controller_ng 3bbba906 `app/messages/route_options_message.rb`
  // validate_hash_options_with_loadbalancing: only when loadbalancing is present and not hash).
  // They have no effect then: routing/route-table.ts keeps them, the translation ignores them.
  if (lb !== undefined && lb !== 'hash' && hashKeys.length > 0) {
    throw new ToolError('USAGE', `route ${url}: ${hashKeys.map((k) => (k === 'hash_header' ? 'Hash header' : 'Hash balance')).join(' and ')} can only be set when loadbalancing is hash`, {
      hint: `remove them with ${hashKeys.map((k) => `-r ${k}`).join(' ')}`,
    });
  }
  const header = options['hash_header'];
  if (header !== undefined && header.length > 128) throw new ToolError('USAGE', `route ${url}: Hash header must be at most 128 characters`);
  const balance = options['hash_balance'];
  if (balance !== undefined) {
    const value = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(balance) ? Number(balance) : Number.NaN;
    if (balance.length > 16) throw new ToolError('USAGE', `route ${url}: Hash balance must be at most 16 characters`);
    if (Number.isNaN(value)) throw new ToolError('USAGE', `route ${url}: Hash balance must be a numeric value (got '${balance}')`);
    if (!(value === 0 || (value >= 1.1 && value <= 10))) throw new ToolError('USAGE', `route ${url}: Hash balance must be either 0 or between 1.1 and 10.0 (got '${balance}')`);
  }
}
