import { parseEndpoint } from '../manifest/controls.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../render/resource.ts';
import type { AppInfo, RouteTable } from '../routing/route-table.ts';
import { compare } from '../routing/route-table.ts';
import { objectName } from './names.ts';
import { networkingApi, type IstioOptions } from './options.ts';
import { appPort, appTarget } from './targets.ts';

/**
 * Apps with `endpoints` run outside Kubernetes (VMs, a Consul or Eureka registry): one MESH_INTERNAL
 * ServiceEntry per host lists them inline, each endpoint labelled with its app's version so the
 * DestinationRule subsets select it. Resolution is STATIC when every address is an IP (Istio
 * refuses host names there) and DNS otherwise. Inline endpoints need no WorkloadEntry.
 */
export function endpointServiceEntries(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions): Resource[] {
  const protocolOf = new Map<string, string>();
  for (const route of table.routes) {
    for (const d of route.destinations) {
      const protocol = route.protocol === 'tcp' ? 'TCP' : d.protocol === 'http2' ? 'HTTP2' : 'HTTP';
      if (!protocolOf.has(d.app) || protocol === 'TCP') protocolOf.set(d.app, protocol);
    }
  }
  const byHost = new Map<string, AppInfo[]>();
  for (const info of [...apps.values()].sort((a, b) => compare(a.name, b.name))) {
    if (!Array.isArray(info.data?.['endpoints'])) continue;
    const host = appTarget(info.name, info, options).host;
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
      for (const raw of info.data?.['endpoints'] as unknown[]) {
        const parsed = parseEndpoint(String(raw));
        if (!parsed.ok) continue;
        allIps &&= parsed.ip;
        const endpoint: Record<string, unknown> = { address: parsed.address };
        if (parsed.port !== undefined && parsed.port !== number) endpoint['ports'] = { [(ports.get(number) as { name: string }).name]: parsed.port };
        if (version !== undefined) endpoint['labels'] = { version };
        endpoints.push(endpoint);
      }
    }
    out.push({
      apiVersion: networkingApi(options),
      kind: 'ServiceEntry',
      metadata: { name: objectName(host), namespace: options.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
      spec: {
        hosts: [host],
        location: 'MESH_INTERNAL',
        ports: [...ports.entries()].sort((a, b) => a[0] - b[0]).map(([number, p]) => ({ number, name: p.name, protocol: p.protocol })),
        resolution: allIps ? 'STATIC' : 'DNS',
        endpoints,
      },
    });
  }
  return out;
}
