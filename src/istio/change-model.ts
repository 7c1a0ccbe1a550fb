import { resourceId, type Resource } from '../resource/resource.ts';
import type { ChangeModel } from '../target/target.ts';
import { mayBeHashed } from './names.ts';
import type { IstioOptions } from './options.ts';
import { appTarget } from './targets.ts';
import { sortResources } from './translate.ts';

/**
 * How Istio's resources depend on the routes: VirtualServices and internal-host ServiceEntries per
 * FQDN; DestinationRules and endpoint ServiceEntries per service host (every app of a service, every
 * route to one of them); the Gateway from the routes that make listeners.
 */
export function istioChangeModel(options: IstioOptions): ChangeModel {
  return {
    placement: (app, info) => {
      const t = appTarget(app, info, options);
      return { service: t.service, host: t.host };
    },
    derived: mayBeHashed,
    builtWhole,
    withReferences,
  };
}

function builtWhole(resource: Resource, fqdns: ReadonlySet<string>, hosts: ReadonlySet<string>): boolean {
  const spec = resource.spec;
  switch (resource.kind) {
    case 'VirtualService':
      return fqdns.has(firstHost(spec['hosts']));
    case 'ServiceEntry': {
      const host = firstHost(spec['hosts']);
      return fqdns.has(host) || hosts.has(host);
    }
    case 'DestinationRule':
      return hosts.has(String(spec['host']));
    default:
      return true;
  }
}

function firstHost(hosts: unknown): string {
  return Array.isArray(hosts) && typeof hosts[0] === 'string' ? hosts[0] : '';
}

/**
 * The changed resources plus what they refer to (their Gateway, the DestinationRules defining the
 * subsets they name), so that what a command prints stands on its own: `| kubectl apply -f -` and
 * any checker see no dangling reference. Unchanged extras apply as "unchanged".
 */
function withReferences(changed: readonly Resource[], context: readonly Resource[]): Resource[] {
  const ids = new Set(changed.map(resourceId));
  const gateways = new Set<string>();
  const hosts = new Set<string>();
  for (const r of changed) {
    if (r.kind !== 'VirtualService') continue;
    for (const g of (r.spec['gateways'] as string[] | undefined) ?? []) if (g !== 'mesh') gateways.add(g.includes('/') ? g : `${r.metadata.namespace ?? ''}/${g}`);
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o['host'] === 'string' && typeof o['subset'] === 'string') hosts.add(o['host']);
        for (const v of Object.values(o)) visit(v);
      }
    };
    visit(r.spec);
  }
  const extra = context.filter(
    (r) =>
      !ids.has(resourceId(r)) &&
      ((r.kind === 'Gateway' && gateways.has(`${r.metadata.namespace ?? ''}/${r.metadata.name}`)) || (r.kind === 'DestinationRule' && hosts.has(String(r.spec['host'])))),
  );
  return extra.length === 0 ? [...changed] : sortResources([...changed, ...extra]);
}
