import { ToolError } from '../diagnostics/tool-error.ts';

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The whole unprivileged range: wide enough that hashed ports rarely collide, so they stay put. */
export const DEFAULT_TCP_PORT_RANGE: PortRange = { from: 1024, to: 65535 };

export interface TcpPortRequest {
  /** The route's identity (`tcp://FQDN` for a route written without a port). */
  readonly key: string;
  /** The port written in the manifest, if any. */
  readonly port?: number | undefined;
}

/**
 * Ports for TCP routes written without one, in the spirit of cf's TCP router (a dedicated gateway
 * port per route): recorded ports (`alreadyAssigned`, from the state) are kept; every other route
 * gets FNV-1a(key) mapped into `range`, probing upward (wrapping) past ports already taken by
 * written ports, recorded ports and earlier routes in key order. The result depends only on the
 * inputs, so `convert` stays reproducible, and a route keeps its port as long as no other route
 * took its slot first. Pure; throws USAGE when the range is full.
 */
export function allocateTcpPorts(routes: readonly TcpPortRequest[], range: PortRange, alreadyAssigned: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const taken = new Set<number>(routes.flatMap((r) => (r.port !== undefined ? [r.port] : [])));
  const out = new Map<string, number>();
  const pending = [...new Set(routes.filter((r) => r.port === undefined).map((r) => r.key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rest: string[] = [];
  for (const key of pending) {
    const recorded = alreadyAssigned.get(key);
    if (recorded !== undefined && !taken.has(recorded)) {
      out.set(key, recorded);
      taken.add(recorded);
    } else rest.push(key);
  }
  const size = range.to - range.from + 1;
  for (const key of rest) {
    let slot = fnv1a(key) % size;
    let tries = 0;
    while (taken.has(range.from + slot)) {
      if (++tries >= size) throw new ToolError('USAGE', `no free TCP port left in ${range.from}-${range.to} for route ${key}`, { hint: 'widen --tcp-port-range, or write ports on the routes' });
      slot = (slot + 1) % size;
    }
    out.set(key, range.from + slot);
    taken.add(range.from + slot);
  }
  return out;
}

/** `1024-2047` → a range; USAGE error otherwise. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1 || to > 65535 || from > to) throw new ToolError('USAGE', `--tcp-port-range must be FROM-TO with 1 ≤ FROM ≤ TO ≤ 65535 (got "${text}")`, { hint: 'e.g. --tcp-port-range 1024-2047' });
  return { from, to };
}

function fnv1a(text: string): number {
  let h = 2166136261;
  for (const ch of text) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}
