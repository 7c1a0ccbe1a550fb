import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import type { UnparsedRoute } from './normalize.ts';
import { routeKey, routeUrl } from './route-address.ts';
import { suggest } from './suggest.ts';
import type { DestinationSpec, Manifest } from './types.ts';

export { suggest } from './suggest.ts';

export interface RuleContext {
  readonly manifest: Manifest;
  readonly errors: ToolError[];
  readonly warnings: Warning[];
  /** Top-level routes whose `route` did not parse: their destinations are checked all the same. */
  readonly unparsed?: readonly UnparsedRoute[] | undefined;
}

export type Rule = (ctx: RuleContext) => void;

/** Every app has a name (cf: "Found an application with no name specified."). */
const appNamesPresent: Rule = ({ manifest, errors }) => {
  manifest.apps.forEach((app, i) => {
    const written = app.data['name'];
    if (typeof written === 'object' && written !== null) return; // a list or map: the schema has refused it
    if (app.name.trim() === '') {
      errors.push(new ToolError('APP_NAME', `Found an application with no name specified (application ${i + 1})`, { span: app.span, hint: 'add `name: APP` to the app' }));
    }
  });
};

/** App names are unique across every -f file. */
const appNamesUnique: Rule = ({ manifest, errors }) => {
  const first = new Map<string, (typeof manifest.apps)[number]>();
  for (const app of manifest.apps) {
    if (!app.name) continue;
    const earlier = first.get(app.name);
    if (earlier) {
      const where = earlier.span.source.linePos(earlier.span.start);
      errors.push(new ToolError('DUPLICATE_APP', `app "${app.name}" is defined twice (first at ${earlier.span.source.name}:${where.line}:${where.col})`, { span: app.span, hint: 'app names must be unique across all -f files' }));
    } else first.set(app.name, app);
  }
};

/** `no-route: true` wins over the app's own routes, as in cf; say so. */
const noRouteIgnoresRoutes: Rule = ({ manifest, warnings }) => {
  for (const app of manifest.apps) {
    if (app.noRoute && app.routes.length > 0) {
      warnings.push({ code: 'NO_ROUTE', message: `app "${app.name}" has no-route: true, so its ${app.routes.length} route(s) are not mapped (as cf does)`, span: app.span });
    }
  }
};

/** Top-level routes: destinations name apps that exist, once each, and weights follow the cf rules. */
const weightedRoutes: Rule = ({ manifest, errors, unparsed }) => {
  const apps = new Map(manifest.apps.map((a) => [a.name, a]));
  const seenRoutes = new Map<string, (typeof manifest.routes)[number]>();
  for (const route of manifest.routes) {
    const url = routeUrl(route.address);
    const key = routeKey(route.address);
    const earlier = seenRoutes.get(key);
    if (earlier) {
      const where = earlier.span.source.linePos(earlier.span.start);
      errors.push(new ToolError('ROUTE_CONFLICT', `route ${url} is listed twice in routes: (first at ${earlier.span.source.name}:${where.line}:${where.col})`, { span: route.span, hint: 'merge the destinations into one entry' }));
      continue;
    }
    seenRoutes.set(key, route);
    checkDestinations(url, route.destinations, route.span, apps, errors, route.protocol === 'tcp');
  }
  // A route whose address is refused still has destinations of its own to check (one bad route must
  // not hide the problems of its destinations).
  for (const route of unparsed ?? []) checkDestinations(route.label, route.destinations, route.span, apps, errors, false);
};

function checkDestinations(
  url: string,
  destinations: readonly DestinationSpec[],
  routeSpan: DestinationSpec['span'],
  apps: ReadonlyMap<string, Manifest['apps'][number]>,
  errors: ToolError[],
  tcp: boolean,
): void {
  const names = new Set<string>();
  for (const dest of destinations) {
    const app = apps.get(dest.app);
    if (!app) {
      errors.push(new ToolError('UNKNOWN_APP', `route ${url}: destination "${dest.app}" is not an app in the manifest`, { span: dest.span, hint: suggest(dest.app, [...apps.keys()]) }));
    } else if (app.noRoute) {
      errors.push(new ToolError('ROUTE_CONFLICT', `route ${url}: destination "${dest.app}" has no-route: true`, { span: dest.span, hint: 'remove no-route from the app or the destination from the route' }));
    }
    // A destination is an app and a port (Cloud Controller route_destination: app, process type and
    // port), so one app may serve a route on two ports; twice on the same port is a duplicate.
    const id = `${dest.app}\u0000${dest.port ?? ''}`;
    if (names.has(id)) errors.push(new ToolError('DUPLICATE_DESTINATION', `route ${url}: app "${dest.app}" is listed twice${dest.port !== undefined ? ` on port ${dest.port}` : ''}`, { span: dest.span }));
    names.add(id);
    if (tcp && dest.protocol !== undefined) {
      errors.push(new ToolError('ROUTE_INVALID', `route ${url}: a TCP route's destination has no protocol (got ${dest.protocol})`, { span: dest.span }));
    }
  }
  // A destination "has a weight" when the key is written, even with a value the schema refused: the
  // schema has reported that value, and the route is not also told it mixes weighted and unweighted.
  const written = destinations.filter((d) => d.weightSpan !== undefined || d.weight !== undefined);
  if (written.length === 0) return;
  if (written.length !== destinations.length) {
    const unweighted = destinations.find((d) => d.weightSpan === undefined && d.weight === undefined);
    errors.push(new ToolError('WEIGHTS', `route ${url}: Destinations cannot contain both weighted and unweighted destinations`, { span: unweighted?.span ?? routeSpan, hint: 'give every destination a weight, or none' }));
    return;
  }
  if (written.some((d) => typeof d.weight !== 'number')) return;
  let bad = false;
  for (const dest of written) {
    const w = dest.weight as number;
    if (!Number.isInteger(w) || w < 0 || w > 100) {
      errors.push(new ToolError('WEIGHTS', `route ${url}: weight of "${dest.app}" must be an integer from 0 to 100 (got ${w})`, { span: dest.weightSpan ?? dest.span }));
      bad = true;
    }
  }
  if (bad) return;
  const sum = written.reduce((s, d) => s + (d.weight as number), 0);
  if (sum !== 100) {
    errors.push(new ToolError('WEIGHTS', `route ${url}: weights sum to ${sum}, they must sum to 100`, { span: routeSpan, hint: `weights: ${written.map((d) => `${d.app}=${d.weight}`).join(', ')}` }));
  }
}

/**
 * A top-level route with no destinations must be mapped by an app. When it is not, and it looks like
 * an app's own route list that slipped to the top level (no entry has destinations), say so.
 */
const topLevelRoutesHaveDestinations: Rule = ({ manifest, errors }) => {
  const lacking = manifest.routes.filter((r) => r.destinations.length === 0);
  if (lacking.length === 0) return; // (the set of mapped routes below is built only when needed)
  const mapped = new Set(manifest.apps.filter((a) => !a.noRoute).flatMap((a) => a.routes.map((r) => routeKey(r.address))));
  const looksLikeAppRoutes = manifest.routes.length > 0 && manifest.routes.every((r) => r.destinations.length === 0);
  const owner = manifest.apps.filter((a) => !a.hasRoutesKey && a.name);
  for (const route of lacking) {
    if (mapped.has(routeKey(route.address))) continue;
    const hint = looksLikeAppRoutes
      ? `this \`routes:\` is at the top level, where each route needs \`destinations:\`; an app's own routes go inside the app: indent \`routes:\` under \`- name: ${owner.length === 1 ? (owner[0] as Manifest['apps'][number]).name : 'APP'}\``
      : 'add `destinations:` or map it from an app';
    errors.push(new ToolError('ROUTE_INVALID', `route ${routeUrl(route.address)} has no destinations and no app maps it`, { span: route.span, hint }));
  }
};

/** A route mapped by an app and also given weighted destinations must list that app. */
const appRoutesAgreeWithWeightedRoutes: Rule = ({ manifest, errors }) => {
  const weighted = new Map(manifest.routes.filter((r) => r.destinations.some((d) => d.weight !== undefined)).map((r) => [routeKey(r.address), r]));
  for (const app of manifest.apps) {
    if (app.noRoute) continue;
    for (const route of app.routes) {
      const top = weighted.get(routeKey(route.address));
      if (top && !top.destinations.some((d) => d.app === app.name)) {
        errors.push(
          new ToolError('ROUTE_CONFLICT', `app "${app.name}" maps route ${routeUrl(route.address)}, whose weighted destinations do not include it`, {
            span: route.span,
            hint: `add "${app.name}" to that route's destinations (weight 0 keeps it idle), or remove this mapping`,
          }),
        );
      }
    }
  }
};

/** Apps named by rule destinations and mirrors exist (as destinations must). */
const referencedAppsExist: Rule = ({ manifest, errors }) => {
  const entries = [...manifest.routes, ...manifest.apps.filter((a) => !a.noRoute).flatMap((a) => a.routes)].filter((r) => r.references !== undefined && r.references.length > 0);
  if (entries.length === 0) return;
  const apps = new Map(manifest.apps.map((a) => [a.name, a]));
  for (const route of entries) {
    for (const ref of route.references ?? []) {
      const app = apps.get(ref.app);
      if (!app) {
        errors.push(new ToolError('UNKNOWN_APP', `route ${ref.route}: ${ref.role} "${ref.app}" is not an app in the manifest`, { span: ref.span, hint: suggest(ref.app, [...apps.keys()]) }));
      } else if (app.noRoute && ref.role !== 'mirror') {
        errors.push(new ToolError('ROUTE_CONFLICT', `route ${ref.route}: ${ref.role} "${ref.app}" has no-route: true`, { span: ref.span }));
      }
    }
  }
};

/**
 * Apps that are versions of one service share its host and are told apart by DestinationRule
 * subsets, so within a service each version is taken once and every app has one (an app that names
 * only `service` is the service's one and only workload). Versions either all run in Kubernetes or
 * all have `endpoints`: one host cannot be both a Kubernetes Service and a list of outside endpoints.
 */
const serviceVersions: Rule = ({ manifest, errors }) => {
  const byService = new Map<string, (typeof manifest.apps)[number][]>();
  for (const app of manifest.apps) {
    const { service, version } = app.extensions;
    if (service === undefined && version === undefined) continue;
    const key = service ?? app.name;
    const list = byService.get(key);
    if (list) list.push(app);
    else byService.set(key, [app]);
  }
  for (const [service, apps] of byService) {
    const seen = new Map<string, string>();
    for (const app of apps) {
      const version = app.extensions.version;
      if (version === undefined && apps.length > 1) {
        errors.push(new ToolError('ROUTE_CONFLICT', `app "${app.name}" is one of ${apps.length} apps of service "${service}" but has no version`, { span: app.span, hint: 'give each app of the service a distinct `version:`' }));
        continue;
      }
      const other = version !== undefined ? seen.get(version) : undefined;
      if (other !== undefined) errors.push(new ToolError('ROUTE_CONFLICT', `apps "${other}" and "${app.name}" are both version "${version}" of service "${service}"`, { span: app.span }));
      if (version !== undefined) seen.set(version, app.name);
    }
    const external = apps.filter((a) => a.extensions.endpoints !== undefined);
    if (external.length > 0 && external.length < apps.length) {
      const app = apps.find((a) => a.extensions.endpoints === undefined) as (typeof apps)[number];
      errors.push(new ToolError('ROUTE_CONFLICT', `service "${service}": app "${app.name}" has no endpoints while "${(external[0] as (typeof apps)[number]).name}" has; one host cannot be both a Kubernetes Service and a list of outside endpoints`, { span: app.span, hint: 'give every version `endpoints:`, or none' }));
    }
  }
};

export const RULES: readonly Rule[] = [
  appNamesPresent,
  appNamesUnique,
  noRouteIgnoresRoutes,
  weightedRoutes,
  topLevelRoutesHaveDestinations,
  appRoutesAgreeWithWeightedRoutes,
  referencedAppsExist,
  serviceVersions,
];

export function checkRules(manifest: Manifest, rules: readonly Rule[] = RULES, unparsed?: readonly UnparsedRoute[]): { errors: ToolError[]; warnings: Warning[] } {
  const ctx: RuleContext = { manifest, errors: [], warnings: [], unparsed };
  for (const rule of rules) rule(ctx);
  return { errors: ctx.errors, warnings: ctx.warnings };
}

