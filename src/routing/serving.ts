import type { AppInfo, Destination, Route, RouteTable } from './route-table.ts';
import { largestRemainder } from './weights.ts';

/**
 * The destinations that really carry a route's traffic, with the integer weights (summing to 100)
 * that a target must emit. gorouter only routes to pools with endpoints: an app registers only its
 * running instances (gorouter 5174c184 `registry/container/trie.go` `MatchUri` "Matching pools with
 * endpoints"), so an app with 0 instances serves nothing and a route none of whose apps runs does not
 * exist — its requests go to the less specific route. Returns [] for such a route.
 *
 * - Unweighted (cf's own mappings): shares ∝ instances, already so in `destinations`.
 * - Weighted (the manifest extension): the weights of the apps that run, rescaled to 100
 *   (largest remainder); when those weights are all 0, shares ∝ instances, as gorouter itself would.
 */
export function servingDestinations(destinations: readonly Destination[], weighted: boolean, instancesOf: (app: string) => number): Destination[] {
  const live = destinations.filter((d) => instancesOf(d.app) > 0);
  if (live.length === 0) return [];
  if (!weighted) return live.length === destinations.length ? [...destinations] : live;
  const given = live.map((d) => d.weight);
  const sum = given.reduce((s, w) => s + w, 0);
  const shares = sum === 100 ? given : sum > 0 ? largestRemainder(given) : largestRemainder(live.map((d) => instancesOf(d.app)));
  return live.map((d, i) => ({ ...d, weight: shares[i] as number }));
}

/** What a target needs first from a route table: its apps by name, who serves each route, and the live routes. */
export interface ServingPlan {
  readonly apps: ReadonlyMap<string, AppInfo>;
  readonly instancesOf: (app: string) => number;
  /** servingDestinations of every route; [] for a route none of whose apps runs. */
  readonly serving: ReadonlyMap<Route, Destination[]>;
  /** The routes that carry traffic (a route none of whose apps runs is left out: its requests fall through). */
  readonly live: readonly Route[];
}

export function servingPlan(table: RouteTable): ServingPlan {
  const apps = new Map(table.apps.map((a) => [a.name, a]));
  const instancesOf = (app: string) => apps.get(app)?.instances ?? 1;
  const serving = new Map<Route, Destination[]>();
  for (const route of table.routes) serving.set(route, servingDestinations(route.destinations, route.weighted, instancesOf));
  const live = table.routes.filter((r) => (serving.get(r) as Destination[]).length > 0);
  return { apps, instancesOf, serving, live };
}
