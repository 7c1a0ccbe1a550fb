/** What `routes`, `apps` and `route` show: plain data, rendered as a table or as JSON by the CLI. */
import { compare } from '../routing/route-table.ts';
import type { RouteRecord, State } from '../state/types.ts';
import { formatRouteOptions } from './route-options.ts';
import { effectiveDestinations, isWeighted, routeUrlOf } from './state-model.ts';

export interface RouteView {
  readonly url: string;
  readonly host: string;
  readonly domain: string;
  readonly port: number | null;
  readonly path: string | null;
  readonly protocol: 'http' | 'tcp';
  readonly options: Readonly<Record<string, string>>;
  /** The share each app gets (explicit weights, or by instances for an unweighted route). */
  readonly destinations: readonly { readonly app: string; readonly weight: number }[];
  /** True when the weights were set explicitly (push of a weighted route, update-route); false when they follow instances. */
  readonly weighted: boolean;
}

export function routeView(route: RouteRecord, state: State): RouteView {
  return {
    url: routeUrlOf(route),
    host: route.host ?? '',
    domain: route.domain,
    port: route.port ?? null,
    path: route.path ?? null,
    protocol: route.protocol === 'tcp' ? 'tcp' : 'http',
    options: route.options,
    destinations: effectiveDestinations(route, state).map((d) => ({ app: d.app, weight: d.weight })),
    weighted: isWeighted(route),
  };
}

/** Routes by domain, host, path, port: the order `cf routes` lists them in. */
export function routesView(state: State): RouteView[] {
  return Object.values(state.routes)
    .sort((a, b) => compare(a.domain, b.domain) || compare(a.host ?? '', b.host ?? '') || compare(a.path ?? '', b.path ?? '') || (a.port ?? 0) - (b.port ?? 0))
    .map((r) => routeView(r, state));
}

export interface AppView {
  readonly name: string;
  /** Web instances; null where they cannot be known (the cluster's VirtualServices do not say). */
  readonly instances: number | null;
  readonly port: number | null;
  readonly routes: readonly string[];
}

export function appsView(state: State): AppView[] {
  const routesOf = new Map<string, string[]>();
  for (const route of Object.values(state.routes)) {
    for (const d of route.destinations) {
      const list = routesOf.get(d.app) ?? [];
      list.push(routeUrlOf(route));
      routesOf.set(d.app, list);
    }
  }
  return Object.values(state.apps)
    .sort((a, b) => compare(a.name, b.name))
    .map((a) => ({ name: a.name, instances: a.instances, port: a.port ?? null, routes: (routesOf.get(a.name) ?? []).sort(compare) }));
}

/** The `apps` table, the same columns for the local state and the cluster. */
export function formatAppsTable(views: readonly AppView[]): string {
  return formatTable(['name', 'instances', 'port', 'routes'], views.map((v) => [v.name, v.instances === null ? '' : String(v.instances), v.port === null ? '' : String(v.port), v.routes.join(', ')]));
}

/** `reviews-v1 (90%), reviews-v2 (10%)`. */
export function formatDestinations(view: RouteView): string {
  return view.destinations.map((d) => `${d.app} (${d.weight}%)`).join(', ');
}

export { formatRouteOptions };

/** Columns separated by three spaces, as the cf CLI's tables are; no trailing blanks. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
