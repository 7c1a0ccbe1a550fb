// What Cloud Controller makes of a manifest description: the apps' running web instances and the
// route mappings (route → destinations), before any router sees them. Both routing models start
// here: gorouter-model.ts registers these mappings as gorouter would, and inventory.ts deploys the
// same instances to Kubernetes. Sources:
//   CC  = cloudfoundry/cloud_controller_ng @ 3bbba9069894b1b74652c7b88fdfd4171136c8c4 (main, 2026-08-20;
//         the mirror has no tags, and these files have not changed in the releases routing-release
//         v0.317.0 ships beside)
import type { AppDesc, ControlsDesc, ManifestDesc, RuleDesc } from './manifest-desc.ts';

/** cf's default destination port for an app (CC: a route destination's port defaults to 8080). */
export const DEFAULT_APP_PORT = 8080;

/**
 * Running web instances of an app, as Cloud Controller sets them on a fresh push.
 * - CC app/messages/app_manifest_message.rb `process_scale_attribute_mappings` builds the web
 *   process's scale message from the app-level `instances` (lines 171-186), and
 *   `process_attributes` (lines 194-207) REPLACES it wholesale with the `processes` entry of type
 *   `web` when there is one (`process_attributes = [yield(web.first)] unless web.empty?`): the
 *   app-level `instances` then no longer applies, even when the web entry sets no `instances`.
 * - A scale message without `instances` leaves the process as it is; a new process starts at the
 *   column default, 1 (CC db/migrations/20140402183459_change_app_instances_default.rb
 *   `set_column_default :instances, 1`; app/models/runtime/process_model.rb line 26).
 * Choice: the model describes a first push (an app that already runs keeps its current count when
 * the web entry has no `instances`).
 */
export function webInstances(app: AppDesc): number {
  const web = app.processes?.find((p) => p.type === 'web');
  if (web) return web.instances ?? 1;
  return app.instances ?? 1;
}

export interface ParsedRoute {
  readonly fqdn: string;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
  readonly protocol: 'http' | 'tcp';
}

/**
 * `[scheme://]host.domain[:port][/path]` as CC lib/cloud_controller/app_manifest/manifest_route.rb
 * `parse` reads it (Addressable heuristic_parse: a port makes a TCP route, `tcp://` too; the path is
 * kept as written, percent-escapes included). The host is lowercased here; gorouter lowercases the
 * whole route key anyway (route/uris.go `RouteKey`). The generator only writes routes CC accepts.
 */
export function parseCfRoute(route: string, protocol: string | undefined): ParsedRoute {
  const m = /^(?:([a-z]+):\/\/)?([^/:]+)(?::(\d+))?(\/.*)?$/i.exec(route);
  if (!m) throw new Error(`model: route ${route} is not one the generator writes`);
  const scheme = m[1]?.toLowerCase();
  const fqdn = (m[2] as string).toLowerCase();
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  const tcp = protocol === 'tcp' || scheme === 'tcp' || port !== undefined;
  return tcp ? { fqdn, port, protocol: 'tcp' } : { fqdn, path: m[4], protocol: 'http' };
}

export interface CfDestination {
  readonly app: string;
  /** The port on the app instances (destination `port`, else the app's `port`, else 8080). */
  readonly port: number;
  readonly weight?: number | undefined;
  readonly instances: number;
}

/** One route as CC holds it: identity host+domain+path (HTTP) or host+port (TCP), and its destinations. */
export interface CfRoute {
  /** Identity as cf shows it: `host.domain/path`, `host.domain:port`, or `tcp://host.domain` (port-less). */
  readonly url: string;
  readonly protocol: 'http' | 'tcp';
  readonly fqdn: string;
  /** As written (case and trailing slash kept): gorouter normalises it, CC does not. */
  readonly path?: string | undefined;
  /** A TCP route's written port; port-less TCP routes get theirs from the platform. */
  readonly port?: number | undefined;
  readonly controls: ControlsDesc;
  /** True when the top-level route gave weights (cfmesh's extension). */
  readonly weighted: boolean;
  readonly destinations: readonly CfDestination[];
}

export interface CfApp {
  readonly name: string;
  readonly port: number;
  readonly instances: number;
}

export interface CfView {
  readonly apps: ReadonlyMap<string, CfApp>;
  readonly routes: readonly CfRoute[];
}

function routeUrl(p: ParsedRoute): string {
  if (p.protocol === 'tcp') return p.port === undefined ? `tcp://${p.fqdn}` : `${p.fqdn}:${p.port}`;
  return `${p.fqdn}${p.path ?? ''}`;
}

/**
 * The manifest's route mappings as CC would hold them after `cf push`:
 * - every app route entry maps the route to the app's web process on the app's port;
 * - cfmesh's top-level `routes:` entries map their destinations (with `weight` and `port`);
 * - a destination is (app, port): the same app twice on one route with different ports is two
 *   destinations (CC route destinations are unique per app, process type and port);
 * - `no-route: true` maps nothing for the app (CC app_manifest_message.rb `no_route`);
 * - an app with no route at all gets the default route `<name>.<default domain>` (cf CLI v8 push
 *   turns the default route on for every app without `routes`, `no-route` or `random-route`).
 *   cfmesh's extension also counts an app as routed when a top-level route or a rule names it
 *   (src/routing/route-table.ts `routed`), so neither gets a default route (a cfmesh choice; cf
 *   has no such routes).
 * Controls of one route written in several places are merged key by key (the generator never
 * writes two different values for one key).
 */
export function cfView(desc: ManifestDesc): CfView {
  const apps = new Map<string, CfApp>();
  for (const a of desc.apps) apps.set(a.name, { name: a.name, port: a.port ?? DEFAULT_APP_PORT, instances: webInstances(a) });
  interface Draft {
    parsed: ParsedRoute;
    controls: Record<string, unknown>;
    weighted: boolean;
    destinations: Map<string, { app: string; port: number; weight?: number | undefined }>;
  }
  const drafts = new Map<string, Draft>();
  const draftFor = (route: string, protocol: string | undefined): Draft => {
    const parsed = parseCfRoute(route, protocol);
    const url = routeUrl(parsed);
    let d = drafts.get(url);
    if (!d) {
      d = { parsed, controls: {}, weighted: false, destinations: new Map() };
      drafts.set(url, d);
    }
    return d;
  };
  const merge = (d: Draft, controls: ControlsDesc | undefined) => {
    for (const [k, v] of Object.entries(controls ?? {})) if (v !== undefined && !(k in d.controls)) d.controls[k] = v;
  };
  const portOf = (app: string, port: number | undefined) => port ?? apps.get(app)?.port ?? DEFAULT_APP_PORT;
  const routed = new Set<string>();
  const ruleApps = (rules: readonly RuleDesc[] | undefined) => (rules ?? []).flatMap((r) => r.destinations.map((d) => d.name));

  for (const r of desc.routes) {
    const d = draftFor(r.route, r.protocol);
    merge(d, r.controls);
    if (r.destinations.some((x) => x.weight !== undefined)) d.weighted = true;
    for (const x of r.destinations) {
      const port = portOf(x.name, x.port);
      d.destinations.set(`${x.name}:${port}`, { app: x.name, port, weight: x.weight });
      routed.add(x.name);
    }
    for (const name of ruleApps(r.controls?.rules)) routed.add(name);
  }
  for (const a of desc.apps) {
    if (a.noRoute) continue;
    for (const r of a.routes ?? []) {
      const d = draftFor(r.route, r.protocol);
      merge(d, r.controls);
      const port = portOf(a.name, undefined);
      if (!d.destinations.has(`${a.name}:${port}`)) d.destinations.set(`${a.name}:${port}`, { app: a.name, port });
      routed.add(a.name);
      for (const name of ruleApps(r.controls?.rules)) routed.add(name);
    }
  }
  if (desc.defaultDomain !== undefined) {
    for (const a of desc.apps) {
      if (a.noRoute || routed.has(a.name)) continue;
      const d = draftFor(`${a.name}.${desc.defaultDomain}`, undefined);
      const port = portOf(a.name, undefined);
      d.destinations.set(`${a.name}:${port}`, { app: a.name, port });
    }
  }
  const routes: CfRoute[] = [...drafts.entries()].map(([url, d]) => ({
    url,
    protocol: d.parsed.protocol,
    fqdn: d.parsed.fqdn,
    path: d.parsed.path,
    port: d.parsed.port,
    controls: d.controls as ControlsDesc,
    weighted: d.weighted,
    destinations: [...d.destinations.values()].map((x) => ({ ...x, instances: apps.get(x.app)?.instances ?? 0 })),
  }));
  return { apps, routes };
}
