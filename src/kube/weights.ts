import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../resource/resource.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { JsonPatchOp, KubeClient } from './client.ts';
import type { KubeObject } from './kinds.ts';

/**
 * Live weight changes: GET the VirtualService, then a JSON patch that touches only `weight` fields of one
 * route, guarded by a `test` on metadata.resourceVersion. Nothing else is sent, so fields and routes that
 * other tools own (Argo Rollouts' managed routes, a retries block) stay exactly as they are, and no
 * field manager takes over `spec.http` the way a server-side apply would.
 */

export interface HttpRouteDestination {
  readonly destination?: { readonly host?: string; readonly subset?: string; readonly port?: { readonly number?: number } };
  readonly weight?: number;
  readonly [key: string]: unknown;
}

export interface HttpRoute {
  readonly name?: string;
  readonly route?: readonly HttpRouteDestination[];
  readonly [key: string]: unknown;
}

/** A route's index in spec.http, its name, or a predicate. */
export type RouteMatcher = number | string | ((route: HttpRoute, index: number) => boolean);

/** Key of the weights map: the destination host, or `host#subset` when the destination has a subset. */
export function weightKey(host: string, subset?: string | undefined): string {
  return subset === undefined || subset === '' ? host : `${host}#${subset}`;
}

export interface PatchRouteWeightsOptions {
  readonly namespace: string;
  readonly vsName: string;
  readonly apiVersion?: string | undefined;
  readonly match: RouteMatcher;
  /** weightKey(host, subset) → new weight. Destinations not in the map keep their weight. */
  readonly weights: ReadonlyMap<string, number>;
  /** Attempts when the object changes between read and patch (default 5, as client-go's DefaultRetry). */
  readonly maxAttempts?: number | undefined;
  readonly dryRun?: boolean | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface WeightChange {
  readonly key: string;
  readonly from: number | undefined;
  readonly to: number;
}

export interface PatchRouteWeightsResult {
  /** False when every weight already had its value (nothing was sent). */
  readonly changed: boolean;
  readonly routeIndex: number;
  readonly changes: readonly WeightChange[];
  readonly resourceVersion: string | undefined;
  readonly attempts: number;
  /** The patch that was sent (or would be, for a no-op, empty). */
  readonly ops: readonly JsonPatchOp[];
}

function findRoute(http: readonly HttpRoute[], match: RouteMatcher): number {
  if (typeof match === 'number') return match >= 0 && match < http.length ? match : -1;
  if (typeof match === 'string') return http.findIndex((r) => r.name === match);
  return http.findIndex((r, i) => match(r, i));
}

function computeOps(vs: KubeObject, opts: PatchRouteWeightsOptions): { ops: JsonPatchOp[]; index: number; changes: WeightChange[] } {
  const spec = (vs.spec ?? {}) as { http?: HttpRoute[] };
  const http = Array.isArray(spec.http) ? spec.http : [];
  const index = findRoute(http, opts.match);
  const where = `VirtualService ${opts.namespace}/${opts.vsName}`;
  if (index === -1) {
    const names = http.map((r, i) => r.name ?? `#${i}`).join(', ');
    throw new ToolError('NOT_FOUND', `${where} has no HTTP route matching ${typeof opts.match === 'function' ? 'the selection' : JSON.stringify(opts.match)}`, {
      hint: http.length > 0 ? `its routes: ${names}` : 'it has no HTTP routes',
    });
  }
  const route = http[index]?.route ?? [];
  const keys = route.map((d) => weightKey(d.destination?.host ?? '', d.destination?.subset));
  const ops: JsonPatchOp[] = [];
  const changes: WeightChange[] = [];
  for (const [key, weight] of opts.weights) {
    if (!Number.isInteger(weight) || weight < 0) {
      throw new ToolError('WEIGHTS', `weight ${weight} for ${key} is not a non-negative integer`);
    }
    const hits = keys.flatMap((k, j) => (k === key ? [j] : []));
    if (hits.length !== 1) {
      throw new ToolError('NOT_FOUND', `route ${index} of ${where} has ${hits.length === 0 ? 'no' : 'more than one'} destination ${key}`, {
        hint: `its destinations: ${keys.join(', ') || 'none'}`,
      });
    }
    const j = hits[0] as number;
    const current = route[j]?.weight;
    if (current === weight) continue;
    // `add` sets the member whether or not it exists; `replace` would fail on a destination without weight.
    ops.push({ op: current === undefined ? 'add' : 'replace', path: `/spec/http/${index}/route/${j}/weight`, value: weight });
    changes.push({ key, from: current, to: weight });
  }
  return { ops, index, changes };
}

function isRace(err: unknown): boolean {
  if (!(err instanceof ToolError)) return false;
  if (err.code === 'API_CONFLICT') return true;
  // A failed `test` op is 422 from the apiserver (patch.go: NewGenericServerResponse(422, …)).
  return err.code === 'API_REJECTED' && err.message.includes('/metadata/resourceVersion');
}

export async function patchRouteWeights(client: KubeClient, opts: PatchRouteWeightsOptions): Promise<PatchRouteWeightsResult> {
  const ref = { apiVersion: opts.apiVersion ?? 'networking.istio.io/v1', kind: 'VirtualService', namespace: opts.namespace, name: opts.vsName };
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    const live = await client.get(ref);
    if (!live) {
      throw new ToolError('NOT_FOUND', `VirtualService ${opts.namespace}/${opts.vsName} does not exist`, { hint: 'deliver the routes first (push or convert --target kubernetes)' });
    }
    const { ops, index, changes } = computeOps(live, opts);
    const rv = live.metadata.resourceVersion;
    if (ops.length === 0) return { changed: false, routeIndex: index, changes, resourceVersion: rv, attempts: attempt, ops };
    const patch: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, ...ops];
    try {
      const updated = await client.jsonPatch(ref, patch, { dryRun: opts.dryRun });
      return { changed: true, routeIndex: index, changes, resourceVersion: updated.metadata.resourceVersion, attempts: attempt, ops: patch };
    } catch (err) {
      if (!isRace(err) || attempt >= maxAttempts) throw err;
      opts.log?.(`VirtualService ${opts.namespace}/${opts.vsName} changed while patching; reading it again (attempt ${attempt + 1} of ${maxAttempts})`);
    }
  }
}

export interface LiveDestination {
  readonly host: string;
  readonly subset?: string | undefined;
  readonly port?: number | undefined;
  readonly weight?: number | undefined;
}

export interface LiveHttpRoute {
  readonly index: number;
  readonly name?: string | undefined;
  /** The route's `match` block as the server holds it. */
  readonly match?: unknown;
  readonly destinations: readonly LiveDestination[];
}

export interface LiveTcpRoute {
  readonly index: number;
  /** The ports the rule matches (a TCP route of cf is one port of the gateway). */
  readonly ports: readonly number[];
  readonly destinations: readonly LiveDestination[];
}

export interface LiveVirtualService {
  readonly name: string;
  readonly namespace: string;
  readonly managedByCfmesh: boolean;
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly http: readonly LiveHttpRoute[];
  readonly tcp: readonly LiveTcpRoute[];
  /** Field managers that own something in the object (e.g. cfmesh, rollouts-controller). */
  readonly managers: readonly string[];
  readonly resourceVersion?: string | undefined;
}

/** Every VirtualService in the namespace, cfmesh's and others', as plain data (sorted by name). */
export async function readLiveRoutes(client: KubeClient, namespace: string, apiVersion = 'networking.istio.io/v1'): Promise<LiveVirtualService[]> {
  const items = await client.list({ apiVersion, kind: 'VirtualService', namespace });
  return items
    .map((vs) => {
      const spec = (vs.spec ?? {}) as { hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; tcp?: { match?: { port?: number }[]; route?: HttpRouteDestination[] }[] };
      return {
        name: vs.metadata.name,
        namespace: vs.metadata.namespace ?? namespace,
        managedByCfmesh: vs.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE,
        hosts: [...(spec.hosts ?? [])],
        gateways: [...(spec.gateways ?? [])],
        http: (spec.http ?? []).map((r, index) => ({
          index,
          name: r.name,
          match: r.match,
          destinations: (r.route ?? []).map((d) => ({
            host: d.destination?.host ?? '',
            subset: d.destination?.subset,
            port: d.destination?.port?.number,
            weight: d.weight,
          })),
        })),
        tcp: (spec.tcp ?? []).map((r, index) => ({
          index,
          ports: (r.match ?? []).flatMap((m) => (typeof m.port === 'number' ? [m.port] : [])),
          destinations: (r.route ?? []).map((d) => ({
            host: d.destination?.host ?? '',
            subset: d.destination?.subset,
            port: d.destination?.port?.number,
            weight: d.weight,
          })),
        })),
        managers: [...new Set((vs.metadata.managedFields ?? []).map((m) => m.manager ?? '').filter((m) => m !== ''))].sort(),
        resourceVersion: vs.metadata.resourceVersion,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
