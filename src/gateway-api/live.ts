import { ToolError } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type JsonPatchOp } from '../resource/resource.ts';
import type { LiveDestination, LiveObject, LiveRoute, LiveRoutes } from '../target/live.ts';
import { GATEWAY_API_V1, TCP_ROUTE_API } from './options.ts';

/**
 * The cluster as the state, for Gateway API: the routes live HTTPRoutes and TCPRoutes serve
 * (cfmesh's and other tools'), and the weights-only JSON patch of one rule's backendRefs. cfmesh
 * names each rule (HTTPRouteRule `name`, translate.ts): `route-N` is a route's own rule;
 * `…-rule-N`, `…-methods`, `fallback-…` and `https-redirect` belong to a route but are not one. A
 * rule of another tool is read by its first path match.
 */
export function gatewayApiLive(): LiveRoutes {
  return {
    kinds: [
      { apiVersion: GATEWAY_API_V1, kind: 'HTTPRoute' },
      { apiVersion: TCP_ROUTE_API, kind: 'TCPRoute' },
    ],
    read: readRoutes,
    weightPatch: (object, route, weights) => weightOps(object, route.rule, weights),
  };
}

interface BackendRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly weight?: number;
}

interface RouteRule {
  readonly name?: string;
  readonly matches?: readonly { readonly path?: { readonly type?: string; readonly value?: string } }[];
  readonly backendRefs?: readonly BackendRef[];
}

interface RouteSpec {
  readonly hostnames?: readonly string[];
  readonly parentRefs?: readonly { readonly sectionName?: string }[];
  readonly rules?: readonly RouteRule[];
}

/** A backendRef's key in a weight patch: the Service, `namespace/name` when it names a namespace. */
export function backendKey(ref: BackendRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name ?? ''}` : (ref.name ?? '');
}

const byName = (a: LiveObject, b: LiveObject) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

function readRoutes(objects: readonly LiveObject[]): LiveRoute[] {
  const http: LiveRoute[] = [];
  const tcp: LiveRoute[] = [];
  for (const o of [...objects].sort(byName)) {
    const spec = (o['spec'] ?? {}) as RouteSpec;
    const object = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
    const managers = [...new Set((o.metadata.managedFields ?? []).map((m) => m.manager ?? '').filter((m) => m !== ''))].sort();
    const managedBy = o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ? 'cfmesh' : managers.join(',') || 'unknown';
    const destinations = (refs: readonly BackendRef[] | undefined): LiveDestination[] =>
      (refs ?? []).filter((r) => (r.kind ?? 'Service') === 'Service' && (r.group ?? '') === '').map((r) => ({ app: r.name ?? '', port: r.port, weight: r.weight, key: backendKey(r) }));
    if (o.kind === 'HTTPRoute') {
      for (const fqdn of spec.hostnames ?? []) {
        (spec.rules ?? []).forEach((rule, index) => {
          const path = rulePath(rule);
          if (path === null) return;
          http.push({ fqdn, protocol: 'http', path, destinations: destinations(rule.backendRefs), managedBy, object, rule: rule.name ?? index, own: rule.name !== undefined && /^route-\d+$/.test(rule.name) });
        });
      }
    } else if (o.kind === 'TCPRoute') {
      for (const parent of spec.parentRefs ?? []) {
        const m = /^tcp-(\d+)$/.exec(parent.sectionName ?? '');
        if (!m) continue;
        const port = Number(m[1]);
        const named = /^tcp-\d+\.(.+)$/.exec(o.metadata.name);
        (spec.rules ?? []).forEach((rule, index) => {
          tcp.push({ fqdn: named?.[1] ?? o.metadata.name, protocol: 'tcp', port, destinations: destinations(rule.backendRefs), managedBy, object, rule: index, own: false });
        });
      }
    }
  }
  return [...http, ...tcp];
}

/** The path a rule serves (undefined: the catch-all); null: not a route (one of a route's other rules, or no path match cfmesh can read). */
function rulePath(rule: RouteRule): string | undefined | null {
  if (rule.name !== undefined && !/^route-\d+$/.test(rule.name) && /^(route-\d+-|fallback-|https-redirect$)/.test(rule.name)) return null;
  const path = rule.matches?.[0]?.path;
  if (!path) return undefined;
  if ((path.type ?? 'PathPrefix') === 'RegularExpression') return null;
  const value = path.value ?? '/';
  return value === '/' ? undefined : value.replace(/\/$/, '');
}

/**
 * The JSON patch operations that set the weights of one rule (by name or index) of a live
 * HTTPRoute or TCPRoute: `backendRefs[*].weight` only, `add` where a ref has none. Every other
 * field, rule and manager's change is left as it is.
 */
export function weightOps(route: LiveObject, match: string | number, weights: ReadonlyMap<string, number>): JsonPatchOp[] {
  const rules: readonly RouteRule[] = Array.isArray((route['spec'] as RouteSpec | undefined)?.rules) ? ((route['spec'] as RouteSpec).rules as RouteRule[]) : [];
  const index = typeof match === 'number' ? (match >= 0 && match < rules.length ? match : -1) : rules.findIndex((r) => r.name === match);
  const where = `${route.kind} ${route.metadata.namespace ?? ''}/${route.metadata.name}`;
  if (index === -1) throw new ToolError('NOT_FOUND', `${where} has no rule matching ${JSON.stringify(match)}`, { hint: rules.length > 0 ? `its rules: ${rules.map((r, i) => r.name ?? `#${i}`).join(', ')}` : 'it has no rules' });
  const refs = rules[index]?.backendRefs ?? [];
  const keys = refs.map(backendKey);
  const ops: JsonPatchOp[] = [];
  for (const [key, weight] of weights) {
    if (!Number.isInteger(weight) || weight < 0) throw new ToolError('WEIGHTS', `weight ${weight} for ${key} is not a non-negative integer`);
    const hits = keys.flatMap((k, j) => (k === key ? [j] : []));
    if (hits.length !== 1) throw new ToolError('NOT_FOUND', `rule ${index} of ${where} has ${hits.length === 0 ? 'no' : 'more than one'} backend ${key}`, { hint: `its backends: ${keys.join(', ') || 'none'}` });
    const j = hits[0] as number;
    const current = refs[j]?.weight;
    if (current === weight) continue;
    ops.push({ op: current === undefined ? 'add' : 'replace', path: `/spec/rules/${index}/backendRefs/${j}/weight`, value: weight });
  }
  return ops;
}
