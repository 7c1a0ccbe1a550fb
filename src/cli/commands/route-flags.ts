import { routeTarget, type RouteTarget } from '../../app/route-target.ts';
import { parseRouteOptionFlag } from '../../app/route-options.ts';
import { parsePort } from '../options.ts';

export interface RouteFlags {
  readonly hostname?: string | undefined;
  readonly path?: string | undefined;
  readonly port?: string | undefined;
}

export function targetFrom(domain: string, flags: RouteFlags): RouteTarget {
  return routeTarget(domain, { hostname: flags.hostname, path: flags.path, port: flags.port !== undefined ? parsePort('--port', flags.port) : undefined });
}

/** `-o key=value`, repeatable, into a record (later wins). */
export function routeOptionsFrom(values: readonly string[] | undefined, target: RouteTarget): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of values ?? []) {
    const [k, v] = parseRouteOptionFlag(text, target);
    out[k] = v;
  }
  return out;
}
