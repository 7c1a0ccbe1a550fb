import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import type { AppInfo, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { objectName } from './names.ts';
import { networkingApi, type IstioOptions } from './options.ts';
import { appPort, appTarget, isKubernetesServiceHost } from './targets.ts';

/**
 * ServiceEntries for destination hosts Istio's Kubernetes registry does not know:
 * - apps with `endpoints` (VMs, a Consul or Eureka registry): one MESH_INTERNAL entry per host lists
 *   them inline, each endpoint labelled with its app's version so the DestinationRule subsets select
 *   it. Resolution is STATIC when every address is an IP (Istio refuses host names there) and DNS
 *   otherwise. Inline endpoints need no WorkloadEntry.
 * - routed apps whose host (from `--service-host-template`, e.g. `{app}.service.consul`) is not a
 *   Kubernetes Service name: Istio has had no Consul registry since 1.8, so without an entry the
 *   host is in no registry and every request to it gets a 503. The entry resolves the host by DNS on
 *   the app's port (the proxy's resolver must answer for it: Consul DNS forwarding, say).
 */
export function serviceEntries(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions): Resource[] {
  const protocolOf = new Map<string, string>();
  const routed = new Set<string>();
  for (const route of table.routes) {
    for (const d of route.destinations) {
      routed.add(d.app);
      const protocol = route.protocol === 'tcp' ? 'TCP' : d.protocol === 'http2' ? 'HTTP2' : 'HTTP';
      if (!protocolOf.has(d.app) || protocol === 'TCP') protocolOf.set(d.app, protocol);
    }
  }
  const byHost = new Map<string, AppInfo[]>();
  for (const info of [...apps.values()].sort((a, b) => compare(a.name, b.name))) {
    const host = appTarget(info.name, info, options).host;
    const external = info.endpoints !== undefined;
    if (!external && (isKubernetesServiceHost(host) || !routed.has(info.name))) continue;
    byHost.set(host, [...(byHost.get(host) ?? []), info]);
  }
  const out: Resource[] = [];
  for (const [host, list] of byHost) {
    const ports = new Map<number, { name: string; protocol: string }>();
    const endpoints: Record<string, unknown>[] = [];
    let allIps = true;
    for (const info of list) {
      const number = appPort(info, options);
      const protocol = protocolOf.get(info.name) ?? 'HTTP';
      const name = `${protocol.toLowerCase()}-${number}`;
      if (!ports.has(number)) ports.set(number, { name, protocol });
      const version = appTarget(info.name, info, options).version;
      for (const parsed of info.endpoints ?? []) {
        allIps &&= parsed.ip;
        const endpoint: Record<string, unknown> = { address: parsed.address };
        if (parsed.port !== undefined && parsed.port !== number) endpoint['ports'] = { [(ports.get(number) as { name: string }).name]: parsed.port };
        if (version !== undefined) endpoint['labels'] = { version };
        endpoints.push(endpoint);
      }
    }
    const spec: Record<string, unknown> = {
      hosts: [host],
      location: 'MESH_INTERNAL',
      ports: [...ports.entries()].sort((a, b) => a[0] - b[0]).map(([number, p]) => ({ number, name: p.name, protocol: p.protocol })),
      resolution: endpoints.length > 0 && allIps ? 'STATIC' : 'DNS',
    };
    if (endpoints.length > 0) spec['endpoints'] = endpoints;
    out.push({ apiVersion: networkingApi(options), kind: 'ServiceEntry', metadata: { name: objectName(host), namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, spec });
  }
  return out;
}

/**
 * ServiceEntries for one host (an internal route's name that is also an app's host, say) merged
 * into one: two objects of one kind and name cannot both be applied, and Istio merges entries of one
 * host anyway. Ports are united; endpoints and resolution come from the entry that lists endpoints.
 */
export function mergeServiceEntries(entries: readonly Resource[]): Resource[] {
  const byName = new Map<string, Resource>();
  for (const entry of entries) {
    const earlier = byName.get(entry.metadata.name);
    if (!earlier) {
      byName.set(entry.metadata.name, entry);
      continue;
    }
    const a = earlier.spec;
    const b = entry.spec;
    const ports = new Map<number, Record<string, unknown>>();
    for (const p of [...((a['ports'] as Record<string, unknown>[]) ?? []), ...((b['ports'] as Record<string, unknown>[]) ?? [])]) {
      const number = p['number'] as number;
      if (!ports.has(number) || p['protocol'] === 'HTTP2') ports.set(number, p);
    }
    const withEndpoints = Array.isArray(b['endpoints']) ? b : a;
    const spec: Record<string, unknown> = { ...a, ports: [...ports.values()].sort((x, y) => (x['number'] as number) - (y['number'] as number)), resolution: withEndpoints['resolution'] };
    if (Array.isArray(withEndpoints['endpoints'])) spec['endpoints'] = withEndpoints['endpoints'];
    byName.set(entry.metadata.name, { ...earlier, spec });
  }
  return [...byName.values()];
}
