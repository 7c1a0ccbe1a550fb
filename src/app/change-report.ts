/**
 * What a command that changes something did, as data: the one JSON object that `--json` prints on
 * stdout for push, map-route, unmap-route, create-route, delete-route, delete, update-route and
 * target (docs/commands.md "JSON output of changing commands"; schemas/change-report.schema.json).
 * One envelope for every such command, so a script reads routes, weights and resources the same way
 * whatever changed them; a command with more to say adds a key, never changes one.
 */
import type { ApplyReport } from '../kube/apply.ts';
import type { Resource } from '../resource/resource.ts';
import { compare } from '../routing/route-table.ts';
import { emptyState, routeKey } from '../state/format.ts';
import type { AppRecord, RouteRecord } from '../state/types.ts';
import { appsOfRoute, changedRecords, stateView, type ChangeSeeds, type StateView } from '../state/view.ts';
import type { State } from '../state/types.ts';
import type { ResourceChange } from './resource-changes.ts';
import { effectiveDestinations } from './state-model.ts';

/** An app's share of a route, as `routes --json` gives it (explicit weights, or by instances). */
export interface Share {
  readonly app: string;
  readonly weight: number;
}

/** A route whose record or effective weights changed; `null`: the route did not exist (before) or no longer does (after). */
export interface RouteChange {
  /** `host.domain[:port][/path]`, the `url` of `routes --json`. */
  readonly route: string;
  readonly before: readonly Share[] | null;
  readonly after: readonly Share[] | null;
}

export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
}

export interface Changes<T> {
  readonly created: readonly T[];
  readonly changed: readonly T[];
  readonly deleted: readonly T[];
}

/** Something the user should know. `required`: a warning that -q does not hide (it was also told on stderr). */
export interface Notice {
  readonly message: string;
  readonly hint: string | null;
  readonly required: boolean;
}

/** Where the change went. */
export type Delivery =
  | {
      readonly target: 'local';
      /** `--output-dir`: the files written and removed (names inside the directory) and how many were left as they were. */
      readonly outputDir: { readonly path: string; readonly written: readonly string[]; readonly removed: readonly string[]; readonly unchanged: number } | null;
    }
  | { readonly target: 'kubernetes'; readonly server: string; readonly namespace: string };

export interface ChangeReport {
  readonly command: string;
  readonly dryRun: false | 'client' | 'server';
  /** Null when nothing was delivered (a settings change, a declined prompt). */
  readonly delivery: Delivery | null;
  /** The local state file, and whether this command wrote it. */
  readonly state: { readonly path: string; readonly written: boolean };
  readonly routes: readonly RouteChange[];
  readonly apps: Changes<string>;
  /** Created, changed and deleted resources (with a dry run: what would be); never their content. */
  readonly resources: Changes<ResourceRef>;
  /** `target`: the settings before and after (each as `target --json` shows them); null for every other command. */
  readonly settings: { readonly before: Readonly<Record<string, unknown>>; readonly after: Readonly<Record<string, unknown>> } | null;
  readonly notices: readonly Notice[];
}

const NONE: Changes<never> = { created: [], changed: [], deleted: [] };

/** A report of nothing changed yet, for `command` on the state file `statePath`. */
export function emptyReport(command: string, statePath: string): ChangeReport {
  return { command, dryRun: false, delivery: null, state: { path: statePath, written: false }, routes: [], apps: NONE, resources: NONE, settings: null, notices: [] };
}

/** What differs between two whole states, as the seeds of routeChanges and appChanges. */
export function seedsBetween(before: State, after: State): ChangeSeeds {
  return { routes: [...changedRecords(before.routes, after.routes).keys()], apps: [...changedRecords(before.apps, after.apps).keys()] };
}

/** States in memory or views of the state file: routeChanges and appChanges read either. */
export function viewOf(state: State | StateView): StateView {
  return 'route' in state ? state : stateView(state);
}

/**
 * The routes a change touched, by URL: every route whose record differs, and every route to an app
 * whose record differs when its effective shares moved (an app's instances split unweighted routes).
 */
export function routeChanges(before: StateView, after: StateView, seeds: ChangeSeeds): RouteChange[] {
  const keys = new Set(seeds.routes);
  const apps = new Set(seeds.apps);
  if (apps.size > 0) for (const view of [before, after]) for (const route of view.routesTo(apps)) keys.add(routeKey(route));
  const out: RouteChange[] = [];
  for (const key of keys) {
    const b = before.route(key);
    const a = after.route(key);
    if (a === undefined && b === undefined) continue;
    const change: RouteChange = { route: key, before: b ? sharesOf(b, before) : null, after: a ? sharesOf(a, after) : null };
    // A record replaced by an equal one is no change; one left as it was counts when its shares moved.
    if (a !== undefined && b !== undefined && sameRecord(a, b) && JSON.stringify(change.before) === JSON.stringify(change.after)) continue;
    out.push(change);
  }
  return out.sort((x, y) => compare(x.route, y.route));
}

/** Apps created, changed (their record differs) and deleted, by name. */
export function appChanges(before: StateView, after: StateView, seeds: ChangeSeeds): Changes<string> {
  const created: string[] = [];
  const changed: string[] = [];
  const deleted: string[] = [];
  for (const name of new Set(seeds.apps)) {
    const b = before.app(name);
    const a = after.app(name);
    if (b === undefined && a !== undefined) created.push(name);
    else if (a === undefined && b !== undefined) deleted.push(name);
    else if (a !== undefined && b !== undefined && !sameRecord(a, b)) changed.push(name);
  }
  return { created: created.sort(compare), changed: changed.sort(compare), deleted: deleted.sort(compare) };
}

function sameRecord(a: AppRecord | RouteRecord, b: AppRecord | RouteRecord): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function sharesOf(route: RouteRecord, view: StateView): Share[] {
  const apps: Record<string, AppRecord> = {};
  for (const name of appsOfRoute(route)) {
    const app = view.app(name);
    if (app) apps[name] = app;
  }
  return effectiveDestinations(route, { ...emptyState(), apps }).map((d) => ({ app: d.app, weight: d.weight }));
}

function refOf(r: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>): ResourceRef {
  return { apiVersion: r.apiVersion, kind: r.kind, namespace: r.metadata.namespace ?? null, name: r.metadata.name };
}

/** The resources of a state change (app/resource-changes.ts), in output order. */
export function resourcesOf(changes: readonly ResourceChange[]): Changes<ResourceRef> {
  const created: ResourceRef[] = [];
  const changed: ResourceRef[] = [];
  const deleted: ResourceRef[] = [];
  for (const c of changes) {
    if (c.after && !c.before) created.push(refOf(c.after));
    else if (c.after) changed.push(refOf(c.after));
    else if (c.before) deleted.push(refOf(c.before));
  }
  return { created, changed, deleted };
}

/** What the cluster did with a server-side apply: created, configured (changed) and pruned (deleted) objects; unchanged ones are left out. */
export function resourcesApplied(report: ApplyReport): Changes<ResourceRef> {
  const pick = (action: string) => report.items.filter((i) => i.action === action).map((i) => ({ apiVersion: i.apiVersion, kind: i.kind, namespace: i.namespace, name: i.name }));
  return { created: pick('created'), changed: pick('configured'), deleted: pick('pruned') };
}

/** The report as printed: JSON, two-space indent, every object's keys in code-unit order, one trailing newline. */
export function renderChangeReport(report: ChangeReport): string {
  return `${JSON.stringify(sortKeys(report), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compare)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/** `update-route APP ... --weight W` with the cluster as the state (app/live-weights.ts): the patched VirtualService and the route's weights. */
export function liveWeightReport(fields: {
  readonly statePath: string;
  readonly dryRun: false | 'client' | 'server';
  readonly server: string;
  readonly namespace: string;
  readonly route: string;
  readonly patch: { readonly object: { readonly apiVersion: string; readonly kind: string; readonly name: string }; readonly changed: boolean; readonly before: readonly Share[]; readonly after: readonly Share[] };
  readonly written: boolean;
  readonly notices: readonly Notice[];
}): ChangeReport {
  const { patch } = fields;
  const object: ResourceRef = { apiVersion: patch.object.apiVersion, kind: patch.object.kind, namespace: fields.namespace, name: patch.object.name };
  return {
    ...emptyReport('update-route', fields.statePath),
    dryRun: fields.dryRun,
    delivery: { target: 'kubernetes', server: fields.server, namespace: fields.namespace },
    state: { path: fields.statePath, written: fields.written },
    routes: patch.changed ? [{ route: fields.route, before: patch.before, after: patch.after }] : [],
    resources: { ...NONE, changed: patch.changed ? [object] : [] },
    notices: fields.notices,
  };
}
