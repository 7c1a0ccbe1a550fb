import { ToolError } from '../diagnostics/tool-error.ts';
import { MIN_TCP_ROUTE_PORT, RESERVED_GATEWAY_PORTS } from '../manifest/route-rules.ts';

export { MIN_TCP_ROUTE_PORT, RESERVED_GATEWAY_PORTS, tcpPortProblem } from '../manifest/route-rules.ts';

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/**
 * cf's TCP router groups reserve ports from 1024 to 65535 (routing-api `docs/02-api-docs.md`
 * reservable_ports, "1024-65535" for default-tcp); cfmesh hands out ports from the whole of it by
 * default: wide enough that hashed ports rarely collide.
 */
export const DEFAULT_TCP_PORT_RANGE: PortRange = { from: 1024, to: 65535 };

export interface TcpPortRequest {
  /** The route's identity (`tcp://FQDN` for a route written without a port). */
  readonly key: string;
  /** The port written in the manifest, if any. */
  readonly port?: number | undefined;
}

export interface TcpPortAllocation {
  readonly ports: Map<string, number>;
  /** Routes whose port would depend on other routes: refused, never moved (see allocateTcpPorts). */
  readonly conflicts: readonly { readonly key: string; readonly port: number; readonly other: string }[];
}

export interface AllocateOptions {
  /** Ports other routes (outside `routes`) hold; never handed out. */
  readonly taken?: ReadonlySet<number> | undefined;
  /**
   * Ports given earlier, by route key (the state commands keep them). When present, allocation is
   * stateful: recorded ports are kept and a new route that collides moves on to the next free port
   * (nobody reaches it yet). When absent (`convert`, which keeps no state), a route's port is a
   * function of its own key alone, and a collision is refused instead of resolved.
   */
  readonly recorded?: ReadonlyMap<string, number> | undefined;
}

/**
 * Ports for TCP routes written without one, in the spirit of cf's TCP router (a dedicated gateway
 * port per route). A route's port is FNV-1a(key) mapped into `range`, skipping the reserved gateway
 * ports: a pure function of the route's own key, so adding or removing another route never moves it
 * (clients of `orders-db` keep reaching `orders-db`). Where that port is not free — another route's
 * written or hashed port — `convert` refuses and asks for a written port, and the state commands,
 * whose earlier routes are pinned by their records, probe upward for the new route.
 */
export function allocateTcpPorts(routes: readonly TcpPortRequest[], range: PortRange, options: AllocateOptions = {}): TcpPortAllocation {
  const written = new Map<number, string>();
  for (const r of routes) if (r.port !== undefined && !written.has(r.port)) written.set(r.port, r.key);
  const holder = new Map<number, string>(written);
  for (const port of options.taken ?? []) if (!holder.has(port)) holder.set(port, 'another route');
  const ports = new Map<string, number>();
  const conflicts: { key: string; port: number; other: string }[] = [];
  const pending = [...new Set(routes.filter((r) => r.port === undefined).map((r) => r.key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rest: string[] = [];
  if (options.recorded) {
    for (const key of pending) {
      const recorded = options.recorded.get(key);
      if (recorded !== undefined && !holder.has(recorded)) {
        ports.set(key, recorded);
        holder.set(recorded, key);
      } else rest.push(key);
    }
  } else rest.push(...pending);
  for (const key of rest) {
    const home = homePort(key, range);
    if (home === undefined) throw new ToolError('USAGE', `no TCP port left in ${range.from}-${range.to} for route ${key}`, { hint: 'widen --tcp-port-range, or write ports on the routes' });
    const other = holder.get(home);
    if (other === undefined) {
      ports.set(key, home);
      holder.set(home, key);
    } else if (!options.recorded) {
      conflicts.push({ key, port: home, other });
    } else {
      const next = probe(home, range, holder);
      if (next === undefined) throw new ToolError('USAGE', `no free TCP port left in ${range.from}-${range.to} for route ${key}`, { hint: 'widen --tcp-port-range, or write ports on the routes' });
      ports.set(key, next);
      holder.set(next, key);
    }
  }
  return { ports, conflicts };
}

/** The port a route's key hashes to: FNV-1a into the range, upward past reserved gateway ports. */
export function homePort(key: string, range: PortRange): number | undefined {
  const size = range.to - range.from + 1;
  let slot = fnv1a(key) % size;
  for (let tries = 0; tries < size; tries++) {
    const port = range.from + slot;
    if (!RESERVED_GATEWAY_PORTS.has(port)) return port;
    slot = (slot + 1) % size;
  }
  return undefined;
}

function probe(start: number, range: PortRange, holder: ReadonlyMap<number, string>): number | undefined {
  const size = range.to - range.from + 1;
  let slot = start - range.from;
  for (let tries = 0; tries < size; tries++) {
    const port = range.from + slot;
    if (!holder.has(port) && !RESERVED_GATEWAY_PORTS.has(port)) return port;
    slot = (slot + 1) % size;
  }
  return undefined;
}

/** `1024-2047` → a range; USAGE error otherwise. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < MIN_TCP_ROUTE_PORT || to > 65535 || from > to) {
    throw new ToolError('USAGE', `--tcp-port-range must be FROM-TO with ${MIN_TCP_ROUTE_PORT} ≤ FROM ≤ TO ≤ 65535 (got "${text}")`, { hint: "cf's router groups reserve 1024-65535; e.g. --tcp-port-range 1024-2047" });
  }
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
