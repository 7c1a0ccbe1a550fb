// Route rules of Cloud Controller that need to know the domain or the router group, shared by the
// manifest loader, the route table and the state commands (create-route, map-route).

export const MIN_TCP_ROUTE_PORT = 1024;

/**
 * Ports the gateway's proxy listens on itself, so a route can never have them, as routing-release
 * keeps `reserved_system_component_ports` out of router groups: for Istio, the sidecar and gateway
 * proxy ports (istio.io docs/ops/deployment/application-requirements "Ports used by Istio": 15000
 * Envoy admin, 15001 outbound, 15004 debug, 15006 inbound, 15008/15009 HBONE, 15020 merged
 * telemetry, 15021 health checks, 15053 DNS, 15090 Envoy Prometheus).
 */
export const RESERVED_GATEWAY_PORTS: ReadonlySet<number> = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]);

/** Why a written TCP route port cannot be used, or undefined. */
export function tcpPortProblem(port: number): string | undefined {
  if (port < MIN_TCP_ROUTE_PORT) return `port ${port} is below ${MIN_TCP_ROUTE_PORT}: cf's TCP router groups reserve ports 1024-65535, and the gateway serves HTTP on 80 and HTTPS on 443`;
  if (RESERVED_GATEWAY_PORTS.has(port)) return `port ${port} is one the gateway's proxy uses itself (Istio reserves 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053 and 15090)`;
  return undefined;
}

/**
 * Cloud Controller's route rules that need the domain (cloud_controller_ng 3bbba906
 * `lib/cloud_controller/route_validator.rb`, messages from `app/actions/route_create.rb`): internal
 * domains take no paths, no wildcard hosts and no ports (they are HTTP-only domains); a TCP port is
 * one a router group can reserve (1024-65535) and not one the gateway proxy uses itself.
 * The same rules hold for manifests and for the state commands (create-route, map-route).
 */
export function routeProblems(route: { readonly fqdn: string; readonly path?: string | undefined; readonly port?: number | undefined; readonly protocol: 'http' | 'tcp' }, internalDomains: readonly string[]): { message: string; hint?: string }[];
/** The same, with the protocol given apart from the address (the manifest loader's routes). */
export function routeProblems(route: { readonly fqdn: string; readonly path?: string | undefined; readonly port?: number | undefined }, internalDomains: readonly string[], protocol: 'http' | 'tcp'): { message: string; hint?: string }[];
export function routeProblems(route: { readonly fqdn: string; readonly path?: string | undefined; readonly port?: number | undefined; readonly protocol?: 'http' | 'tcp' }, internalDomains: readonly string[], protocol = route.protocol): { message: string; hint?: string }[] {
  const out: { message: string; hint?: string }[] = [];
  if (isInternal(route.fqdn, internalDomains)) {
    if (route.path !== undefined) out.push({ message: 'Paths are not supported for internal domains.', hint: 'internal routes are reached by host name only; route the path on an external domain' });
    if (route.fqdn.startsWith('*.')) out.push({ message: 'Wildcard hosts are not supported for internal domains.' });
    if (protocol === 'tcp') out.push({ message: "Routes with protocol 'http' do not support ports.", hint: 'internal domains are HTTP domains; an app reaches another app on it by host name' });
    return out;
  }
  if (protocol === 'tcp' && route.port !== undefined) {
    const problem = tcpPortProblem(route.port);
    if (problem) out.push({ message: `Port '${route.port}' is not available: ${problem}.`, hint: 'pick another port' });
  }
  return out;
}

/** Whether a host lies on one of the internal domains (or is one). */
export function isInternal(fqdn: string, internalDomains: readonly string[]): boolean {
  for (const d of internalDomains) {
    // (`fqdn` ends with `.d`: the character before d's last length is a dot)
    if (fqdn === d || (fqdn.length > d.length && fqdn.endsWith(d) && fqdn.charCodeAt(fqdn.length - d.length - 1) === 0x2e)) return true;
  }
  return false;
}
