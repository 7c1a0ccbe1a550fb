import type { Protocol, RouteAddress } from './types.ts';

export type ParsedRoute =
  | { readonly ok: true; readonly address: RouteAddress; readonly protocol: Protocol }
  | { readonly ok: false; readonly message: string; readonly hint?: string; /** The part of the route at fault, when it is the path. */ readonly part?: 'path' };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_PATH = 128;
const MAX_FQDN = 253;

/**
 * Parses a route as Cloud Controller does (manifest_route.rb, route_create_message.rb):
 * `[scheme://]host.domain[:port][/path]` with scheme http, https, tcp (tcp only with a port) or none;
 * a path starts with `/`, is not `/` alone, has no `?`, at most 128 characters; a port makes a TCP
 * route, which has no path; `protocol` decides when given. Host labels must also be valid for Istio
 * (DNS-1123), since a route that Envoy cannot match is of no use.
 */
export function parseRoute(route: string, protocol: Protocol | undefined): ParsedRoute {
  const text = route.trim();
  const match = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/:?#\s]*)(?::([^/]*))?(\/.*)?$/.exec(text);
  if (!match || text !== route || text.length === 0) {
    return { ok: false, message: `The route '${route}' is not a properly formed URL` };
  }
  const scheme = match[1]?.toLowerCase();
  const host = (match[2] ?? '').toLowerCase();
  const portText = match[3];
  const path = match[4];

  if (scheme !== undefined && !['http', 'https', 'tcp'].includes(scheme)) {
    return { ok: false, message: `The route '${route}' is not a properly formed URL: scheme '${scheme}' is not http, https or tcp` };
  }
  const hostProblem = checkHostname(host, route);
  if (hostProblem) return hostProblem;

  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { ok: false, message: `route '${route}': port '${portText}' must be a number from 1 to 65535` };
    }
    port = Number(portText);
  }
  const isTcp = protocol === 'tcp' || (protocol === undefined && port !== undefined) || scheme === 'tcp';
  if (isTcp) {
    if (path !== undefined) return { ok: false, message: `route '${route}': Paths are not supported for TCP routes.`, part: 'path' };
    if (scheme === 'http' || scheme === 'https') return { ok: false, message: `route '${route}': a route with a port is a TCP route and cannot use ${scheme}://` };
    if (protocol !== undefined && protocol !== 'tcp') return { ok: false, message: `route '${route}': Routes with protocol '${protocol}' do not support ports.` };
    if (host.startsWith('*.')) return { ok: false, message: `route '${route}': Hosts are not supported for TCP routes.` };
    // Cloud Controller refuses `tcp://host` without a port: Addressable's heuristic parse gives no port
    // and `manifest_route.rb` calls it "not a properly formed URL" (cloud_controller_ng 3bbba906
    // `lib/cloud_controller/app_manifest/manifest_route.rb` `valid?`: a tcp scheme needs a port).
    if (scheme === 'tcp' && port === undefined) {
      return { ok: false, message: `The route '${route}' is not a properly formed URL`, hint: `a tcp:// route needs a port (${host}:PORT); or write the host with \`protocol: tcp\` to have cfmesh allocate one` };
    }
    // `protocol: tcp` without a port: cfmesh allocates one (routing/tcp-ports.ts), as CC picks a free port of the router group.
    if (port === undefined) return { ok: true, address: { fqdn: host, tcp: true }, protocol: 'tcp' };
    return { ok: true, address: { fqdn: host, port }, protocol: 'tcp' };
  }
  if (port !== undefined) return { ok: false, message: `route '${route}': Routes with protocol 'http' do not support ports.` };
  let canonical: string | undefined;
  if (path !== undefined) {
    const problem = checkPath(path, route);
    if (problem) return problem;
    canonical = canonicalPath(path);
  }
  return { ok: true, address: { fqdn: host, path: canonical }, protocol: protocol ?? 'http1' };
}

/**
 * A route path as Cloud Controller accepts it (cloud_controller_ng 3bbba906 `app/models/runtime/route.rb`
 * `validate_path`: it must parse as the path of `pathcheck://HOST/PATH` with the uri gem's RFC 3986
 * parser (`lib/utils/uri_utils.rb` `is_uri?`, uri 1.1.1 in Gemfile.lock), start with `/`, not be `/`
 * alone, hold no `?`, be at most 128 characters). So a path is RFC 3986 `pchar`s and `%XX` escapes
 * between slashes; `#` would begin a fragment that no request path can carry, so it is refused too.
 */
function checkPath(path: string, route: string): ParsedRoute | undefined {
  if (path === '/') return { ok: false, part: 'path', message: `route '${route}': Path cannot be a single '/'.`, hint: `write the route without the trailing slash: ${route.slice(0, -1)}` };
  if (path.length > MAX_PATH) return { ok: false, part: 'path', message: `route '${route}': Path exceeds ${MAX_PATH} characters.` };
  if (path.includes('?')) return { ok: false, part: 'path', message: `route '${route}': Path cannot contain '?'.` };
  const bad = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/.exec(path);
  if (bad) {
    const what = bad[0] === '%' ? "a '%' that is not followed by two hex digits" : bad[0] === ' ' ? 'a space' : `'${bad[0]}'`;
    return { ok: false, part: 'path', message: `route '${route}': Path is invalid: it has ${what}`, hint: "percent-encode it (a space is %20, 'é' is %C3%A9)" };
  }
  if (/\/\/$/.test(path)) return { ok: false, part: 'path', message: `route '${route}': the path ends in an empty segment ('//'), which gorouter and Envoy match differently` };
  return undefined;
}

/**
 * gorouter's route key for a path (gorouter 5174c184, pinned by routing-release v0.317.0:
 * `route/uris.go` `RouteKey` lowercases the whole URI, `String` trims one trailing `/`): `/Docs/` and
 * `/docs` are one route. Escapes stay escaped (and lowercased), as gorouter matches
 * `r.URL.EscapedPath()` (`handlers/lookup.go`).
 */
export function canonicalPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.endsWith('/') ? lower.slice(0, -1) : lower;

}

function checkHostname(host: string, route: string): ParsedRoute | undefined {
  if (host.length === 0) return { ok: false, message: `The route '${route}' is not a properly formed URL: it has no host` };
  if (host.length > MAX_FQDN) return { ok: false, message: `route '${route}': the host name is longer than ${MAX_FQDN} characters` };
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
  if (labels.length < 2) {
    return { ok: false, message: `route '${route}': '${host}' is not a domain name (no dot)`, hint: 'a route is host.domain, e.g. myapp.example.com' };
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as string;
    if (i === 0 && label === '*') continue;
    if (label.length > 63 || !DNS_LABEL.test(label)) {
      const unicode = /[^\x00-\x7f]/.test(label);
      return {
        ok: false,
        message: `route '${route}': '${label}' is not a valid host label (letters, digits and '-', at most 63, not starting or ending with '-')`,
        hint: unicode ? 'write internationalised names in their ASCII (xn--) form' : label.includes('_') ? 'Istio host names cannot contain underscores' : undefined,
      } as ParsedRoute;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1] as string)) {
    return { ok: false, message: `route '${route}': the top-level domain cannot be all digits` };
  }
  return undefined;
}

/** `host.domain[:port][/path]`, as cf renders a route URL. */
export function routeUrl(address: RouteAddress): string {
  if (address.tcp && address.port === undefined) return `tcp://${address.fqdn}`;
  return `${address.fqdn}${address.port !== undefined ? `:${address.port}` : ''}${address.path ?? ''}`;
}

/** Identity: FQDN plus path for HTTP, FQDN plus port for TCP (`tcp://FQDN` for a TCP route whose port is allocated). */
export function routeKey(address: RouteAddress): string {
  return routeUrl(address);
}

/** Splits an FQDN into cf's host and domain, preferring a known domain (as Cloud Controller does). */
export function splitHostDomain(fqdn: string, knownDomains: readonly string[]): { host: string; domain: string } {
  if (knownDomains.includes(fqdn)) return { host: '', domain: fqdn };
  const dot = fqdn.indexOf('.');
  const rest = fqdn.slice(dot + 1);
  if (dot > 0 && knownDomains.includes(rest)) return { host: fqdn.slice(0, dot), domain: rest };
  if (dot > 0 && rest.includes('.')) return { host: fqdn.slice(0, dot), domain: rest };
  return { host: '', domain: fqdn };
}
