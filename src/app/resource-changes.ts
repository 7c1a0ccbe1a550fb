/**
 * Which Istio resources a state change changed. Translating the whole state twice would cost
 * O(routes) objects per command; instead only the routes that can influence a changed resource are
 * translated, before and after:
 *   - every route of an FQDN whose routes (or whose apps) changed: one VirtualService (and, for
 *     internal hosts, one ServiceEntry) per FQDN depends on all routes of that FQDN and their apps;
 *   - every route that sends to an app involved in the change (per-app resources such as the http2
 *     DestinationRule, and the subsets per load-balancing policy that VirtualServices of other hosts
 *     name, depend on all routes to that app);
 *   - one representative external route per listener kind (HTTP, each TCP port), so the Gateway comes
 *     out the same as from the whole state.
 * From that translation, per-FQDN resources (VirtualService, ServiceEntry) of FQDNs outside the
 * change are dropped: they were built from a partial set of routes. A test checks the result against
 * a full translation on random changes (test/state/resource-changes.test.ts).
 */
import type { Warning } from '../diagnostics/tool-error.ts';
import type { IstioOptions } from '../istio/options.ts';
import { sortResources, translate } from '../istio/translate.ts';
import type { Resource } from '../render/resource.ts';
import { resourceId } from '../render/resource.ts';
import { isInternal, type RoutingOptions } from '../routing/route-table.ts';
import type { AppRecord, RouteRecord, State } from '../state/types.ts';
import { stateToTable } from './state-model.ts';

export interface ResourceChange {
  readonly id: string;
  readonly before?: Resource | undefined;
  readonly after?: Resource | undefined;
}

export interface ResourceChanges {
  /** Created or changed resources, in output order (the after version), then deleted ones. */
  readonly changes: readonly ResourceChange[];
  readonly warnings: readonly Warning[];
  /** The after-side resources the comparison saw (changed or not): what a changed one may refer to. */
  readonly context: readonly Resource[];
}

export interface TranslateSettings {
  readonly routing: RoutingOptions;
  readonly istio: IstioOptions;
}

/** The whole configuration for a state, as `convert` would give for the equivalent manifest. */
export function renderState(state: State, settings: TranslateSettings): { resources: readonly Resource[]; warnings: Warning[] } {
  const table = stateToTable(state, settings.routing);
  const translated = translate(table.table, settings.istio);
  return { resources: translated.resources, warnings: [...table.warnings, ...translated.warnings] };
}

const PER_HOST_KINDS = new Set(['VirtualService', 'ServiceEntry']);

export function resourceChanges(before: State, after: State, settings: TranslateSettings, full = false): ResourceChanges {
  if (full) return compareResources(renderState(before, settings), renderState(after, settings), undefined);
  const fqdns = new Set<string>();
  const apps = new Set<string>();
  const touch = (route: RouteRecord | undefined) => {
    if (!route) return;
    fqdns.add(route.fqdn);
    for (const d of route.destinations) apps.add(d.app);
  };
  if (before.routes !== after.routes) {
    for (const key in after.routes) if (before.routes[key] !== after.routes[key]) (touch(before.routes[key]), touch(after.routes[key]));
    for (const key in before.routes) if (!Object.hasOwn(after.routes, key)) touch(before.routes[key]);
  }
  const changedApps = new Set<string>();
  if (before.apps !== after.apps) {
    for (const name in after.apps) if (!sameApp(before.apps[name], after.apps[name])) changedApps.add(name);
    for (const name in before.apps) if (!Object.hasOwn(after.apps, name)) changedApps.add(name);
  }
  for (const name of changedApps) apps.add(name);
  // An app's per-app resources (DestinationRule, its subsets per load-balancing policy) depend on
  // every route to it, and every VirtualService sending to it names those subsets: so every route to
  // an affected app is part of the change. One step is enough: the apps this adds have unchanged
  // routes and records, so their own resources cannot have changed.
  if (apps.size > 0) {
    const affected = new Set(apps);
    for (const state of [before, after]) for (const key in state.routes) {
      const route = state.routes[key] as RouteRecord;
      if (route.destinations.some((d) => affected.has(d.app))) touch(route);
    }
  }
  if (fqdns.size === 0 && apps.size === 0) return { changes: [], warnings: [], context: [] };
  const partial = (state: State) => {
    const table = stateToTable(state, settings.routing, subset(state, fqdns, apps, settings.routing));
    const translated = translate(table.table, settings.istio);
    const resources = translated.resources.filter((r) => !PER_HOST_KINDS.has(r.kind) || fqdns.has(hostOf(r)));
    return { resources, warnings: [...table.warnings, ...translated.warnings] };
  };
  return compareResources(partial(before), partial(after), fqdns);
}

function hostOf(resource: Resource): string {
  const hosts = resource.spec['hosts'];
  return Array.isArray(hosts) && typeof hosts[0] === 'string' ? hosts[0] : '';
}

function sameApp(a: AppRecord | undefined, b: AppRecord | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.instances === b.instances && a.port === b.port && a.serviceHost === b.serviceHost && a.version === b.version && JSON.stringify(a.extra) === JSON.stringify(b.extra);
}

function subset(state: State, fqdns: ReadonlySet<string>, apps: ReadonlySet<string>, routing: RoutingOptions): RouteRecord[] {
  const out: RouteRecord[] = [];
  let http = false;
  const tcpPorts = new Set<number>();
  // One tight pass over every route: the only O(routes) step of a command besides reading and writing.
  const routes = Object.values(state.routes);
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i] as RouteRecord;
    const dests = route.destinations;
    let hit = fqdns.has(route.fqdn);
    for (let j = 0; !hit && j < dests.length; j++) hit = apps.has((dests[j] as RouteRecord['destinations'][number]).app);
    if (hit) {
      out.push(route);
      continue;
    }
    if (dests.length === 0) continue;
    if (route.protocol === 'tcp') {
      if (route.port !== undefined && !tcpPorts.has(route.port) && !isInternal(route.fqdn, routing.internalDomains)) {
        tcpPorts.add(route.port);
        out.push(route);
      }
    } else if (!http && !isInternal(route.fqdn, routing.internalDomains)) {
      http = true;
      out.push(route);
    }
  }
  return out;
}

function compareResources(
  before: { resources: readonly Resource[]; warnings: readonly Warning[] },
  after: { resources: readonly Resource[]; warnings: readonly Warning[] },
  _fqdns: ReadonlySet<string> | undefined,
): ResourceChanges {
  const old = new Map<string, { resource: Resource; json: string }>();
  for (const r of before.resources) old.set(resourceId(r), { resource: r, json: JSON.stringify(r) });
  const changes: ResourceChange[] = [];
  const seen = new Set<string>();
  for (const r of after.resources) {
    const id = resourceId(r);
    seen.add(id);
    const prev = old.get(id);
    if (prev && prev.json === JSON.stringify(r)) continue;
    changes.push({ id, before: prev?.resource, after: r });
  }
  for (const [id, prev] of old) if (!seen.has(id)) changes.push({ id, before: prev.resource });
  return { changes, warnings: after.warnings, context: after.resources };
}

/**
 * The changed resources plus what they refer to (their Gateway, the DestinationRules defining the
 * subsets they name), so that what a command prints stands on its own: `| kubectl apply -f -` and
 * any checker see no dangling reference. Unchanged extras apply as "unchanged".
 */
export function withReferences(changed: readonly Resource[], context: readonly Resource[]): Resource[] {
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
