/**
 * `update-route APP DOMAIN [--hostname H] [--path P] --weight W` with the cluster as the state: the
 * weights are rescaled from what the cluster holds (ADR 0002) and sent as a patch of the weights only,
 * computed by the target on the object as it is and guarded by its resourceVersion (kube/guarded-patch.ts;
 * field manager cfmesh-weights). Deliver first, then commit (ADR 0012): under the state lock the patch
 * is sent, and once the cluster took it the local state's route gets the same weights, so `routes` and
 * the next push or map-route agree with the cluster instead of putting the old weights back.
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { KubeClient } from '../kube/client.ts';
import { patchGuarded } from '../kube/guarded-patch.ts';
import { rescaleWeights } from '../routing/weights.ts';
import { readState, updateState } from '../state/index.ts';
import type { RouteRecord } from '../state/types.ts';
import type { LiveRoute } from '../target/live.ts';
import type { Target } from '../target/target.ts';
import { destinationOfApp, findLiveRoute, liveNames, readLiveRoutes } from './live-routes.ts';
import { setWeights } from './route-ops.ts';
import type { RouteTarget } from './route-target.ts';

export interface LiveWeightRequest {
  readonly app: string;
  readonly route: RouteTarget;
  readonly weight: number;
  readonly namespace: string;
  readonly stateDir: string;
  /** `client`: compute and say what would be patched; `server`: the apiserver's dry run; the local state is never written. */
  readonly dryRun?: 'client' | 'server' | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

/** What the patch did (or would do): the object as kubectl names it, and `app=weight` for each destination. */
export interface WeightPatch {
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly changed: boolean;
  readonly summary: string;
  /** Each destination's weight before and after, named as in `summary` (the local state's app names when they match). */
  readonly before: readonly { readonly app: string; readonly weight: number }[];
  readonly after: readonly { readonly app: string; readonly weight: number }[];
}

/** What became of the local state's route once the cluster took the weights. */
export type LocalOutcome =
  | { readonly kind: 'updated' }
  | { readonly kind: 'no-route' }
  | { readonly kind: 'other-destinations'; readonly local: readonly string[]; readonly live: readonly string[] }
  | { readonly kind: 'refused'; readonly reason: string };

export interface LiveWeightResult {
  readonly patch: WeightPatch;
  /** Undefined for a dry run, which leaves the local state alone. */
  readonly local?: LocalOutcome | undefined;
  /** Whether the local state file was written. */
  readonly written: boolean;
}

/**
 * `onPatched` is told as soon as the cluster took the patch, before the local state is written: if
 * that write then fails, the user has already been told that the cluster has the new weights.
 */
export async function setLiveWeight(kube: KubeClient, target: Target, request: LiveWeightRequest, onPatched: (patch: WeightPatch) => void = () => {}): Promise<LiveWeightResult> {
  const { app, weight } = request;
  const at = request.route;
  if (at.port !== undefined) throw new ToolError('USAGE', 'update-route --weight works on HTTP routes; a TCP route has one destination per port');
  const route = findLiveRoute(await readLiveRoutes(kube, target, request.namespace), at.fqdn, at.path, request.namespace);
  const index = destinationOfApp(route, app);
  const dests = route.destinations;
  if (dests.length === 1 && weight !== 100) {
    throw new ToolError('WEIGHTS', `app '${app}' is the only destination of route ${at.url}; it gets 100`, { hint: 'map another app to the route first' });
  }
  const current = dests.map((d, i) => ({ app: String(i), weight: dests.length === 1 ? 100 : (d.weight ?? 0) }));
  const next = rescaleWeights(current, String(index), weight).map((d) => d.weight);
  const weights = new Map(dests.map((d, i) => [d.key, next[i] as number]));
  const ref = { ...route.object, namespace: request.namespace };
  const described = (names: readonly string[], changed: boolean): WeightPatch => ({
    object: route.object,
    changed,
    summary: names.map((n, i) => `${n}=${next[i]}`).join(', '),
    before: names.map((n, i) => ({ app: n, weight: current[i]?.weight ?? 0 })),
    after: names.map((n, i) => ({ app: n, weight: next[i] as number })),
  });
  const patch = async (dryRun: boolean, names: readonly string[]): Promise<WeightPatch> => {
    const result = await patchGuarded(kube, ref, (live) => target.live.weightPatch(live, route, weights), { dryRun, log: request.log });
    return described(names, result.changed);
  };
  const localRecord = async () => (await readState(request.stateDir)).routes[at.key];
  if (request.dryRun === 'client') {
    return { patch: described(localWeights(await localRecord(), route, next)?.names ?? liveNames(route), true), written: false };
  }
  if (request.dryRun === 'server') {
    return { patch: await patch(true, localWeights(await localRecord(), route, next)?.names ?? liveNames(route)), written: false };
  }
  let sent: WeightPatch | undefined;
  let local: LocalOutcome | undefined;
  let written = false;
  try {
    written = (await updateState(
      request.stateDir,
      async (state) => {
        const record = Object.hasOwn(state.routes, at.key) ? state.routes[at.key] : undefined;
        const matched = localWeights(record, route, next);
        sent = await patch(false, matched?.names ?? liveNames(route));
        onPatched(sent);
        if (!record) {
          local = { kind: 'no-route' };
          return state;
        }
        if (!matched) {
          local = { kind: 'other-destinations', local: record.destinations.map((d) => d.app), live: liveNames(route) };
          return state;
        }
        try {
          const after = setWeights(state, at, matched.weights).state;
          local = { kind: 'updated' };
          return after;
        } catch (error) {
          if (!(error instanceof ToolError)) throw error;
          local = { kind: 'refused', reason: error.message };
          return state;
        }
      },
      { scope: { routes: [at.key], apps: [] } },
    )).changed;
  } catch (error) {
    if (sent && error instanceof ToolError && (error.code === 'FILE_WRITE' || error.code === 'STATE_LOCKED' || error.code === 'STATE_CORRUPT')) {
      throw new ToolError(error.code, `the cluster has the new weights, but the local state could not be written: ${error.message}`, {
        hint: 'run the same update-route again once the state can be written: the cluster already has the weights, and the local state then gets them',
        cause: error,
      });
    }
    throw error;
  }
  return { patch: sent as WeightPatch, local, written };
}

/**
 * The local route's apps matched to the live destinations one to one (as update-route APP finds a live
 * destination), with the new weights by app; undefined when they do not match.
 */
function localWeights(record: RouteRecord | undefined, route: LiveRoute, next: readonly number[]): { names: string[]; weights: Map<string, number> } | undefined {
  if (!record || record.destinations.length !== route.destinations.length) return undefined;
  const names: (string | undefined)[] = route.destinations.map(() => undefined);
  for (const d of record.destinations) {
    let i: number;
    try {
      i = destinationOfApp(route, d.app);
    } catch {
      return undefined;
    }
    if (names[i] !== undefined) return undefined;
    names[i] = d.app;
  }
  const resolved = names as string[];
  return { names: resolved, weights: new Map(resolved.map((n, i) => [n, next[i] as number])) };
}
