/**
 * Which Istio resources a state change changed. Translating the whole state twice would cost
 * O(routes) objects per command; instead only the routes that can influence a changed resource are
 * translated, before and after, found through the queries of a StateView (answered from a state in
 * memory, or from the state file without parsing it whole: src/state/lines.ts):
 *   - F, the FQDNs whose VirtualService (ServiceEntry, method policies) may change: those of the
 *     changed routes, and those of every route to an app of a service whose plan may change (a
 *     DestinationRule is per service host and depends on every route to every app of the service:
 *     its load-balancing subsets, which VirtualServices of other hosts name, and its HTTP/2 upgrade);
 *   - every route of F, and, for every app these routes send to, every app of its service and every
 *     route to those apps, so that each DestinationRule (and endpoint ServiceEntry) that a changed
 *     VirtualService refers to is built whole;
 *   - the routes the Gateway is made from (first HTTP route, first per TCP port, every tls host).
 * Only resources built whole are compared: per-FQDN kinds of F, per-service-host kinds of those
 * services, the Gateway. A test checks the result against a full translation on random changes
 * (test/state/resource-changes.test.ts).
 */
import type { Warning } from '../diagnostics/tool-error.ts';
import type { IstioOptions } from '../istio/options.ts';
import type { Resource } from '../resource/resource.ts';
import { resourceId } from '../resource/resource.ts';
import { wildcardChain } from '../routing/hosts.ts';
import { isInternal, type RoutingOptions } from '../routing/route-table.ts';
import { emptyState, routeKey } from '../state/format.ts';
import type { AppRecord, RouteRecord, State } from '../state/types.ts';
import { appsOfRoute, changedRecords, hasTls, stateView, type ChangeSeeds, type StateView } from '../state/view.ts';
import type { Target } from '../target/target.ts';
import { appInfo, stateToTable } from './state-model.ts';
import { targetFor } from './targets.ts';

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
  const translated = targetFor(settings).translate(table.table);
  return { resources: translated.resources, warnings: [...table.warnings, ...translated.warnings] };
}

/** Changes between two states in memory; `full` translates both whole (for tests). */
export function resourceChanges(before: State, after: State, settings: TranslateSettings, full = false): ResourceChanges {
  if (full) return compareResources(renderState(before, settings), renderState(after, settings));
  const routes = changedRecords(before.routes, after.routes).keys();
  const apps = [...changedRecords(before.apps, after.apps).keys()].filter((name) => !sameApp(before.apps[name], after.apps[name]));
  return changesBetween(stateView(before), stateView(after), { routes, apps }, settings);
}

/** The route table of some routes of a view, with their apps and `members` (the apps whose whole service is in play). */
function partialTable(view: StateView, records: readonly RouteRecord[], members: ReadonlySet<string>, settings: TranslateSettings) {
  const routes: Record<string, RouteRecord> = {};
  for (const route of records) routes[routeKey(route)] = route;
  const appRecords: Record<string, AppRecord> = {};
  const want = new Set(members);
  for (const route of Object.values(routes)) for (const app of appsOfRoute(route)) want.add(app);
  for (const name of want) {
    const app = view.app(name);
    if (app) appRecords[name] = app;
  }
  return stateToTable({ ...emptyState(), routes, apps: appRecords, settings: view.settings }, settings.routing);
}

/** Changes between two views of a state, given what differs between them. */
export function changesBetween(before: StateView, after: StateView, seeds: ChangeSeeds, settings: TranslateSettings): ResourceChanges {
  const views = [before, after];
  const target = targetFor(settings);
  const internal = (fqdn: string) => isInternal(fqdn, settings.routing.internalDomains);
  const fqdns = new Set<string>();
  const changedApps = new Set<string>(seeds.apps);
  for (const key of seeds.routes) {
    for (const view of views) {
      const route = view.route(key);
      if (!route) continue;
      fqdns.add(route.fqdn);
      for (const app of appsOfRoute(route)) changedApps.add(app);
    }
  }
  if (fqdns.size === 0 && changedApps.size === 0) return { changes: [], warnings: [], context: [] };
  // VirtualServices naming a service whose DestinationRule may change: those whose part for that
  // service does change (hostsChangedThrough), not every host one of its apps is on.
  for (const fqdn of hostsChangedThrough(views, serviceMembers(views, changedApps, target), fqdns, target, settings)) fqdns.add(fqdn);
  // A host's VirtualService also holds the routes of the wildcard hosts it falls back to (istio
  // translate.ts virtualService): a change on `*.S` changes every host below S, and each host is
  // built with its wildcard chain.
  const wildcards = new Set([...fqdns].filter((f) => f.startsWith('*.')).map((f) => f.slice(2)));
  if (wildcards.size > 0) for (const view of views) for (const route of view.routesUnder(wildcards)) fqdns.add(route.fqdn);
  // The hosts above a changed one may change too: the HTTPS server of a tls host without HTTP routes
  // of its own serves its nearest live wildcard's routes (translate.ts gatewaysOf), so which
  // VirtualService binds to it follows the hosts of its chain. Building those needs every route of
  // every tls host and of their chains (the whole tls picture is small: gatewayRoutes has it).
  for (const fqdn of [...fqdns]) for (const wildcard of wildcardChain(fqdn)) fqdns.add(wildcard);
  const built = new Set(fqdns);
  for (const view of views) {
    for (const route of view.gatewayRoutes(internal)) {
      if (!hasTls(route)) continue;
      built.add(route.fqdn);
      for (const wildcard of wildcardChain(route.fqdn)) built.add(wildcard);
    }
  }
  // Every app those VirtualServices send to, with its whole service, and every route to them.
  const apps = new Set<string>(changedApps);
  for (const view of views) for (const route of view.routesOf(built)) for (const app of appsOfRoute(route)) apps.add(app);
  const members = serviceMembers(views, apps, target);
  const hosts = new Set<string>();
  for (const view of views) for (const name of members) hosts.add(placementOf(view, name, target).host);

  const partial = (view: StateView) => {
    const table = partialTable(view, [...view.routesOf(built), ...view.routesTo(members), ...view.gatewayRoutes(internal)], members, settings);
    const translated = target.translate(table.table);
    const resources = translated.resources.filter((r) => target.changes.builtWhole(r, fqdns, hosts));
    return { resources, warnings: [...table.warnings, ...translated.warnings] };
  };
  return compareResources(partial(before), partial(after));
}

/**
 * The hosts, besides `changed`, whose own resources (VirtualService, internal ServiceEntry) change
 * through the services of `members` (every app of those services: serviceMembers). No route of such
 * a host changed, so what can change there is only what the services' plans give its routes to
 * them (a subset name, an upgrade): a host whose routes to them come out the same is unchanged.
 * So the routes to `members` alone are translated, before and after (the services' plans are then
 * whole, since each depends only on the routes to its apps), and each host's resources compared.
 * A host with 500 path routes to 500 apps is then not rebuilt whole (with every route to each of
 * those apps) when one of them changes in a way the host does not see.
 */
function hostsChangedThrough(views: readonly StateView[], members: ReadonlySet<string>, changed: ReadonlySet<string>, target: Target, settings: TranslateSettings): Set<string> {
  const naming = new Set<string>();
  const routesOf = views.map((view) => view.routesTo(members));
  for (const routes of routesOf) for (const route of routes) if (!changed.has(route.fqdn)) naming.add(route.fqdn);
  if (naming.size === 0) return naming;
  let probes: Map<string, { resource: Resource; json: string }>[];
  try {
    probes = views.map((view, i) => {
      const table = partialTable(view, routesOf[i] as RouteRecord[], members, settings);
      const out = new Map<string, { resource: Resource; json: string }>();
      // the resources of those hosts alone (not the ingress's, not a service host's)
      for (const r of target.translate(table.table).resources) {
        if (target.changes.builtWhole(r, naming, NO_NAMES) && !target.changes.builtWhole(r, NO_NAMES, NO_NAMES)) out.set(resourceId(r), { resource: r, json: JSON.stringify(r) });
      }
      return out;
    });
  } catch {
    // a translation error is the whole translation's to report: rebuild every such host
    return naming;
  }
  const [before, after] = probes as [Map<string, { resource: Resource; json: string }>, Map<string, { resource: Resource; json: string }>];
  const differ: Resource[] = [];
  for (const [id, b] of before) if (after.get(id)?.json !== b.json) differ.push(b.resource);
  for (const [id, a] of after) if (!before.has(id)) differ.push(a.resource);
  const out = new Set<string>();
  for (const r of differ) for (const fqdn of naming) if (target.changes.builtWhole(r, new Set([fqdn]), NO_NAMES)) out.add(fqdn);
  return out;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** Where an app's traffic goes: the service it belongs to, and that service's host (asked many times per app: kept per view). */
function placementOf(view: StateView, name: string, target: Target): { readonly service: string; readonly host: string } {
  let known = PLACEMENTS.get(view);
  if (!known || known.target !== target) PLACEMENTS.set(view, (known = { target, byApp: new Map() }));
  let placement = known.byApp.get(name);
  if (!placement) {
    const app = view.app(name);
    known.byApp.set(name, (placement = target.changes.placement(name, app && appInfo(app))));
  }
  return placement;
}

const PLACEMENTS = new WeakMap<StateView, { target: Target; byApp: Map<string, { readonly service: string; readonly host: string }> }>();

/** The service an app is a version of (the target's name for its own when it names none). */
function serviceOf(view: StateView, name: string, target: Target): string {
  return placementOf(view, name, target).service;
}

/**
 * Every app (in either view) that belongs to the service of one of `apps`: the apps naming that
 * service, and the app whose own name gives it. A name the target had to derive (a hashed label)
 * may come from any app's name, so only such a service needs a look at every app's name.
 */
function serviceMembers(views: readonly StateView[], apps: ReadonlySet<string>, target: Target): Set<string> {
  const services = new Set<string>();
  for (const view of views) for (const name of apps) services.add(serviceOf(view, name, target));
  const out = new Set<string>(apps);
  const hashed = [...services].some((s) => target.changes.derived(s));
  for (const view of views) {
    for (const app of view.appsOfServices(services)) out.add(app.name);
    for (const service of services) if (view.app(service) && serviceOf(view, service, target) === service) out.add(service);
    if (hashed) for (const name of view.appNames()) if (services.has(serviceOf(view, name, target))) out.add(name);
  }
  return out;
}

function sameApp(a: AppRecord | undefined, b: AppRecord | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.instances === b.instances && a.port === b.port && a.serviceHost === b.serviceHost && a.version === b.version && JSON.stringify(a.extra) === JSON.stringify(b.extra);
}

function compareResources(
  before: { resources: readonly Resource[]; warnings: readonly Warning[] },
  after: { resources: readonly Resource[]; warnings: readonly Warning[] },
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
 * The changed resources plus what they refer to, so that what a command prints stands on its own
 * (`| kubectl apply -f -` and any checker see no dangling reference): the target knows which.
 */
export function withReferences(changed: readonly Resource[], context: readonly Resource[], settings: Pick<TranslateSettings, 'istio'>): Resource[] {
  return targetFor(settings).changes.withReferences(changed, context);
}
