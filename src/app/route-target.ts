import { ToolError } from '../diagnostics/tool-error.ts';
import { parseRoute } from '../manifest/route-address.ts';
import { routeProblems } from '../routing/route-table.ts';
import { routeKey } from '../state/format.ts';

/** A route named the way cf commands name it: DOMAIN plus --hostname, --path or --port. */
export interface RouteTarget {
  readonly fqdn: string;
  readonly host?: string | undefined;
  readonly domain: string;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
  readonly key: string;
  readonly url: string;
}

export interface RouteTargetFlags {
  readonly hostname?: string | undefined;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
}

/**
 * Builds and checks the route from cf's arguments: `--path` gets a leading `/` when it has none (cf
 * `command/flag/route_path.go`); `--port` makes a TCP route, which has neither host nor path. A bad
 * value is a usage error naming the argument.
 */
export function routeTarget(domainArg: string, flags: RouteTargetFlags): RouteTarget {
  if (flags.port !== undefined && flags.path !== undefined) {
    throw new ToolError('USAGE', 'Incorrect Usage: The following arguments cannot be used together: --path, --port', { hint: '--port names a TCP route, which has no path' });
  }
  if (flags.port !== undefined && flags.hostname !== undefined) {
    throw new ToolError('USAGE', 'Incorrect Usage: The following arguments cannot be used together: --hostname, --port', { hint: '--port names a TCP route, which has no host name' });
  }
  const domain = domainArg.toLowerCase().replace(/\.$/, '');
  const host = flags.hostname === undefined ? undefined : flags.hostname.toLowerCase();
  if (host === '') throw new ToolError('USAGE', '--hostname cannot be empty', { hint: 'leave --hostname out for a route on the domain itself' });
  const path = flags.path === undefined ? undefined : flags.path.startsWith('/') ? flags.path : `/${flags.path}`;
  const fqdn = host === undefined ? domain : `${host}.${domain}`;
  const text = `${fqdn}${flags.port !== undefined ? `:${flags.port}` : ''}${path ?? ''}`;
  const parsed = parseRoute(text, flags.port !== undefined ? 'tcp' : undefined);
  if (!parsed.ok) {
    const what = host !== undefined && !/^[a-z0-9*]([-a-z0-9]*[a-z0-9])?$/.test(host) ? `--hostname '${flags.hostname}'` : path !== undefined && parsed.part === 'path' ? `--path '${flags.path}'` : `domain '${domainArg}'`;
    throw new ToolError('USAGE', `${what} does not make a valid route: ${parsed.message}`, { hint: parsed.hint });
  }
  const address = parsed.address;
  const key = routeKey({ fqdn: address.fqdn, path: address.path, port: address.port });
  return { fqdn: address.fqdn, host, domain, path: address.path, port: address.port, key, url: key };
}

/** The route rules of the manifest (routing/route-table.ts routeProblems) for a route a command names; ROUTE_INVALID. */
export function checkRouteTarget(target: RouteTarget, internalDomains: readonly string[]): void {
  const [problem] = routeProblems({ fqdn: target.fqdn, path: target.path, port: target.port, protocol: target.port !== undefined ? 'tcp' : 'http' }, internalDomains);
  if (problem) throw new ToolError('ROUTE_INVALID', `For route '${target.url}': ${problem.message}`, { hint: problem.hint });
}
