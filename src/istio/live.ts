import { ToolError } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type JsonPatchOp } from '../resource/resource.ts';
import type { LiveDestination, LiveObject, LiveRoute, LiveRoutes } from '../target/live.ts';
import { networkingApi, type IstioOptions } from './options.ts';

/**
 * The cluster as the state, for Istio: the routes live VirtualServices serve (cfmesh's and other
 * tools'), and the weights-only JSON patch (docs/adr/0005, 0012). cfmesh names each HTTP entry after
 * its route (translate.ts: `host/path`, `host/path rule-N`, `host/path methods`, `host https-redirect`,
 * `… (fallback for host)`); an entry of another tool is read by its `uri` match.
 */
export function istioLive(options: IstioOptions): LiveRoutes {
  return {
    kinds: [{ apiVersion: networkingApi(options), kind: 'VirtualService' }],
    read: (objects) => readVirtualServices(objects, options),
    weightPatch: (object, route, weights) => weightOps(object, route.rule, weights).ops,
  };
}

interface HttpRouteDestination {
  readonly destination?: { readonly host?: string; readonly subset?: string; readonly port?: { readonly number?: number } };
  readonly weight?: number;
}

interface HttpRoute {
  readonly name?: string;
  readonly match?: unknown;
  readonly route?: readonly HttpRouteDestination[];
}

interface VirtualServiceSpec {
  readonly hosts?: readonly string[];
  readonly http?: readonly HttpRoute[];
  readonly tcp?: readonly { readonly match?: readonly { readonly port?: number }[]; readonly route?: readonly HttpRouteDestination[] }[];
}

/** Key of a destination in a weight patch: the host, or `host#subset` when the destination has a subset. */
export function weightKey(host: string, subset?: string | undefined): string {
  return subset === undefined || subset === '' ? host : `${host}#${subset}`;
}

/** HTTP routes of every VirtualService first (by object name, host, entry), then TCP routes (by port). */
function readVirtualServices(objects: readonly LiveObject[], options: IstioOptions): LiveRoute[] {
  const services = objects.filter((o) => o.kind === 'VirtualService').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const http: LiveRoute[] = [];
  const tcp: LiveRoute[] = [];
  for (const vs of services) {
    const spec = (vs['spec'] ?? {}) as VirtualServiceSpec;
    const object = { apiVersion: vs.apiVersion, kind: vs.kind, name: vs.metadata.name };
    const managers = [...new Set((vs.metadata.managedFields ?? []).map((m) => m.manager ?? '').filter((m) => m !== ''))].sort();
    const managedBy = vs.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ? 'cfmesh' : managers.join(',') || 'unknown';
    const destinations = (list: readonly HttpRouteDestination[] | undefined): LiveDestination[] =>
      (list ?? []).map((d) => {
        const host = d.destination?.host ?? '';
        const subset = d.destination?.subset;
        return { app: appOfHost(host, options), subset, port: d.destination?.port?.number, weight: d.weight, key: weightKey(host, subset) };
      });
    for (const fqdn of spec.hosts ?? []) {
      (spec.http ?? []).forEach((rule, index) => {
        const path = rulePath(fqdn, rule);
        if (path === null) return;
        http.push({ fqdn, protocol: 'http', path, destinations: destinations(rule.route), managedBy, object, rule: rule.name ?? index, own: rule.name === `${fqdn}${path ?? ''}` });
      });
    }
    for (const fqdn of spec.hosts ?? []) {
      (spec.tcp ?? []).forEach((rule, index) => {
        for (const port of (rule.match ?? []).flatMap((m) => (typeof m.port === 'number' ? [m.port] : []))) {
          tcp.push({ fqdn, protocol: 'tcp', port, destinations: destinations(rule.route), managedBy, object, rule: index, own: false });
        }
      });
    }
  }
  return [...http, ...tcp];
}

/** The path an entry serves: cfmesh names entries by route (`host/path`); others are read from `match`. null: not a route. */
function rulePath(fqdn: string, rule: HttpRoute): string | undefined | null {
  if (rule.name !== undefined) {
    if (rule.name === fqdn) return undefined;
    if (rule.name.startsWith(`${fqdn}/`) && !rule.name.includes(' ')) return rule.name.slice(fqdn.length);
    if (rule.name.startsWith(`${fqdn} `)) return null; // an entry of a route's (a match rule, its methods, the redirect), not a route
  }
  const matches = Array.isArray(rule.match) ? (rule.match as { uri?: { exact?: string; prefix?: string } }[]) : [];
  if (matches.length === 0) return undefined;
  const uri = matches[0]?.uri;
  const path = uri?.exact ?? uri?.prefix?.replace(/\/$/, '');
  return path && path !== '' ? path : null;
}

/** Host → app, by reading the service host template backwards (`{app}.ns.svc.cluster.local` → app). */
export function appOfHost(host: string, options: IstioOptions): string {
  const pattern = options.serviceHostTemplate
    .split(/(\{\w+\})/)
    .map((part) => {
      if (part === '{app}' || part === '{service}') return '(?<app>[a-z0-9]([-a-z0-9]*[a-z0-9])?)';
      if (part === '{namespace}') return escape(options.namespace);
      if (part === '{version}') return '[a-z0-9-]+';
      return escape(part);
    })
    .join('');
  const m = new RegExp(`^${pattern}$`).exec(host);
  return m?.groups?.['app'] ?? host;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface WeightChange {
  readonly key: string;
  readonly from: number | undefined;
  readonly to: number;
}

/**
 * The JSON patch operations that set the weights of one HTTP entry (its index or name) of a
 * VirtualService, `weight` fields only: `add` where a destination has none (`replace` would fail),
 * nothing for a weight already right. Other entries, `retries`, `match` and every field another tool
 * set are not touched, and cfmesh does not become owner of `spec.http`.
 */
export function weightOps(vs: LiveObject, match: string | number, weights: ReadonlyMap<string, number>): { ops: JsonPatchOp[]; index: number; changes: WeightChange[] } {
  const spec = (vs['spec'] ?? {}) as VirtualServiceSpec;
  const http: readonly HttpRoute[] = Array.isArray(spec.http) ? spec.http : [];
  const index = typeof match === 'number' ? (match >= 0 && match < http.length ? match : -1) : http.findIndex((r) => r.name === match);
  const where = `VirtualService ${vs.metadata.namespace ?? ''}/${vs.metadata.name}`;
  if (index === -1) {
    const names = http.map((r, i) => r.name ?? `#${i}`).join(', ');
    throw new ToolError('NOT_FOUND', `${where} has no HTTP route matching ${JSON.stringify(match)}`, { hint: http.length > 0 ? `its routes: ${names}` : 'it has no HTTP routes' });
  }
  const route: readonly HttpRouteDestination[] = http[index]?.route ?? [];
  const keys = route.map((d) => weightKey(d.destination?.host ?? '', d.destination?.subset));
  const ops: JsonPatchOp[] = [];
  const changes: WeightChange[] = [];
  for (const [key, weight] of weights) {
    if (!Number.isInteger(weight) || weight < 0) throw new ToolError('WEIGHTS', `weight ${weight} for ${key} is not a non-negative integer`);
    const hits = keys.flatMap((k, j) => (k === key ? [j] : []));
    if (hits.length !== 1) {
      throw new ToolError('NOT_FOUND', `route ${index} of ${where} has ${hits.length === 0 ? 'no' : 'more than one'} destination ${key}`, { hint: `its destinations: ${keys.join(', ') || 'none'}` });
    }
    const j = hits[0] as number;
    const current = route[j]?.weight;
    if (current === weight) continue;
    ops.push({ op: current === undefined ? 'add' : 'replace', path: `/spec/http/${index}/route/${j}/weight`, value: weight });
    changes.push({ key, from: current, to: weight });
  }
  return { ops, index, changes };
}
