import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { routeKey, routeUrl } from './route-address.ts';
import type { Manifest } from './types.ts';

export interface RuleContext {
  readonly manifest: Manifest;
  readonly errors: ToolError[];
  readonly warnings: Warning[];
}

export type Rule = (ctx: RuleContext) => void;

/** Every app has a name (cf: "Found an application with no name specified."). */
const appNamesPresent: Rule = ({ manifest, errors }) => {
  manifest.apps.forEach((app, i) => {
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

/** A process type appears once per app (CC: Process "X" may only be present once). */
const processTypesUnique: Rule = ({ manifest, errors }) => {
  for (const app of manifest.apps) {
    const processes = Array.isArray(app.data['processes']) ? (app.data['processes'] as Record<string, unknown>[]) : [];
    const seen = new Set<unknown>();
    for (const process of processes) {
      const type = process?.['type'];
      if (type === undefined) continue;
      if (seen.has(type)) errors.push(new ToolError('SCHEMA', `app "${app.name}": Process "${String(type)}" may only be present once`, { span: app.span }));
      seen.add(type);
    }
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
const weightedRoutes: Rule = ({ manifest, errors }) => {
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
    const names = new Set<string>();
    for (const dest of route.destinations) {
      const app = apps.get(dest.app);
      if (!app) {
        errors.push(new ToolError('UNKNOWN_APP', `route ${url}: destination "${dest.app}" is not an app in the manifest`, { span: dest.span, hint: suggest(dest.app, [...apps.keys()]) }));
      } else if (app.noRoute) {
        errors.push(new ToolError('ROUTE_CONFLICT', `route ${url}: destination "${dest.app}" has no-route: true`, { span: dest.span, hint: 'remove no-route from the app or the destination from the route' }));
      }
      if (names.has(dest.app)) errors.push(new ToolError('DUPLICATE_DESTINATION', `route ${url}: app "${dest.app}" is listed twice`, { span: dest.span }));
      names.add(dest.app);
      if (route.protocol === 'tcp' && dest.protocol !== undefined) {
        errors.push(new ToolError('ROUTE_INVALID', `route ${url}: a TCP route's destination has no protocol (got ${dest.protocol})`, { span: dest.span }));
      }
    }
    const weighted = route.destinations.filter((d) => d.weight !== undefined);
    if (weighted.length === 0) continue;
    if (weighted.length !== route.destinations.length) {
      const unweighted = route.destinations.find((d) => d.weight === undefined);
      errors.push(new ToolError('WEIGHTS', `route ${url}: Destinations cannot contain both weighted and unweighted destinations`, { span: unweighted?.span ?? route.span, hint: 'give every destination a weight, or none' }));
      continue;
    }
    let bad = false;
    for (const dest of weighted) {
      const w = dest.weight as number;
      if (!Number.isInteger(w) || w < 0 || w > 100) {
        errors.push(new ToolError('WEIGHTS', `route ${url}: weight of "${dest.app}" must be an integer from 0 to 100 (got ${w})`, { span: dest.span }));
        bad = true;
      }
    }
    if (bad) continue;
    const sum = weighted.reduce((s, d) => s + (d.weight as number), 0);
    if (sum !== 100) {
      errors.push(new ToolError('WEIGHTS', `route ${url}: weights sum to ${sum}, they must sum to 100`, { span: route.span, hint: `weights: ${weighted.map((d) => `${d.app}=${d.weight}`).join(', ')}` }));
    }
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
  const apps = new Map(manifest.apps.map((a) => [a.name, a]));
  const entries = [...manifest.routes, ...manifest.apps.filter((a) => !a.noRoute).flatMap((a) => a.routes)];
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
    const service = app.data['service'];
    const version = app.data['version'];
    if (typeof service !== 'string' && typeof version !== 'string') continue;
    const key = typeof service === 'string' ? service : app.name;
    byService.set(key, [...(byService.get(key) ?? []), app]);
  }
  for (const [service, apps] of byService) {
    const seen = new Map<string, string>();
    for (const app of apps) {
      const version = typeof app.data['version'] === 'string' ? app.data['version'] : undefined;
      if (version === undefined && apps.length > 1) {
        errors.push(new ToolError('ROUTE_CONFLICT', `app "${app.name}" is one of ${apps.length} apps of service "${service}" but has no version`, { span: app.span, hint: 'give each app of the service a distinct `version:`' }));
        continue;
      }
      const other = version !== undefined ? seen.get(version) : undefined;
      if (other !== undefined) errors.push(new ToolError('ROUTE_CONFLICT', `apps "${other}" and "${app.name}" are both version "${version}" of service "${service}"`, { span: app.span }));
      if (version !== undefined) seen.set(version, app.name);
    }
    const external = apps.filter((a) => Array.isArray(a.data['endpoints']));
    if (external.length > 0 && external.length < apps.length) {
      const app = apps.find((a) => !Array.isArray(a.data['endpoints'])) as (typeof apps)[number];
      errors.push(new ToolError('ROUTE_CONFLICT', `service "${service}": app "${app.name}" has no endpoints while "${(external[0] as (typeof apps)[number]).name}" has; one host cannot be both a Kubernetes Service and a list of outside endpoints`, { span: app.span, hint: 'give every version `endpoints:`, or none' }));
    }
  }
};

export const RULES: readonly Rule[] = [
  appNamesPresent,
  appNamesUnique,
  processTypesUnique,
  noRouteIgnoresRoutes,
  weightedRoutes,
  appRoutesAgreeWithWeightedRoutes,
  referencedAppsExist,
  serviceVersions,
];

export function checkRules(manifest: Manifest, rules: readonly Rule[] = RULES): { errors: ToolError[]; warnings: Warning[] } {
  const ctx: RuleContext = { manifest, errors: [], warnings: [] };
  for (const rule of rules) rule(ctx);
  return { errors: ctx.errors, warnings: ctx.warnings };
}

/** "did you mean" for a misspelt app name: the closest name within a small edit distance. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? `did you mean "${best}"?` : candidates.length > 0 && candidates.length <= 5 ? `apps in the manifest: ${candidates.join(', ')}` : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 10) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
