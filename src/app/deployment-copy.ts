/**
 * The cluster's copy of each canary deployment (docs/adr/0016-canary-deployments.md): with the cluster as
 * the target, every delivery of the state also applies one ConfigMap per deployment in progress,
 * `cfmesh-deployment-<app>`, in the state's ApplySet, holding the deployment and a snapshot of the records
 * its resources are made of. It is delivered and committed with the weights it stands for (deliver first,
 * then commit, ADR 0012), and pruned with the ApplySet once the deployment ends.
 *
 * Before a deployment command changes anything, the cluster's copies are read, and the cluster wins:
 * - a copy the local state does not have, or has at another generation (another machine, or a later CI
 *   job, moved it), replaces the local records of its snapshot;
 * - when the local state did not have that deployment at all, only the resources the snapshot builds
 *   whole (its routes' hosts and its apps' services) and those the command changed are delivered, and
 *   nothing is pruned, so that a machine whose local state knows less never deletes or shrinks what it
 *   does not know;
 * - a deployment the local state has and the cluster does not has ended elsewhere: refused.
 */
import { createHash } from 'node:crypto';
import { ToolError } from '../diagnostics/tool-error.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Resource } from '../resource/resource.ts';
import { compare } from '../routing/route-table.ts';
import { checkApp, checkDeployments, checkRoute, StateFormatError } from '../state/format.ts';
import type { AppRecord, DeploymentRecord, RouteRecord, State } from '../state/types.ts';
import type { TranslateSettings } from './resource-changes.ts';
import { appInfo } from './state-model.ts';
import { targetFor } from './targets.ts';

/** The label that tells the deployment ConfigMaps apart from any other ConfigMap cfmesh might write. */
export const DEPLOYMENT_LABEL = 'cfmesh.io/deployment';
const DATA_KEY = 'deployment.json';

export interface DeploymentCopy {
  readonly app: string;
  readonly deployment: DeploymentRecord;
  readonly apps: Readonly<Record<string, AppRecord>>;
  readonly routes: Readonly<Record<string, RouteRecord>>;
}

/** `cfmesh-deployment-<app as a DNS label>-<hash>`: a valid, stable ConfigMap name for any app name. */
export function deploymentObjectName(app: string): string {
  const label = app.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30).replace(/-+$/, '');
  const hash = createHash('sha256').update(app).digest('hex').slice(0, 8);
  return `cfmesh-deployment-${label === '' ? '' : `${label}-`}${hash}`;
}

/** The records a deployment's resources are built from: its routes, every route on their hosts and to their services, and those routes' apps. */
export function snapshotOf(state: State, app: string, settings: Pick<TranslateSettings, 'istio'>): { apps: Record<string, AppRecord>; routes: Record<string, RouteRecord>; fqdns: Set<string>; hosts: Set<string> } {
  const d = state.deployments?.[app] as DeploymentRecord;
  const placement = targetFor(settings).changes.placement;
  const hostOf = (name: string) => placement(name, state.apps[name] ? appInfo(state.apps[name] as AppRecord) : undefined).host;
  const routes: Record<string, RouteRecord> = {};
  const fqdns = new Set<string>();
  const hosts = new Set<string>();
  const apps = new Set<string>([app, d.canary]);
  for (const name of apps) hosts.add(hostOf(name));
  for (const key of Object.keys(d.routes)) {
    const r = state.routes[key];
    if (r) fqdns.add(r.fqdn);
  }
  // A fixed point: a route joins when it is on one of the hosts or goes to one of the services.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [key, r] of Object.entries(state.routes)) {
      if (Object.hasOwn(routes, key)) continue;
      if (!fqdns.has(r.fqdn) && !r.destinations.some((x) => hosts.has(hostOf(x.app)))) continue;
      routes[key] = r;
      fqdns.add(r.fqdn);
      for (const x of r.destinations) {
        apps.add(x.app);
        hosts.add(hostOf(x.app));
      }
      grew = true;
    }
    for (const [name, record] of Object.entries(state.apps)) {
      if (!apps.has(name) && hosts.has(hostOf(record.name))) {
        apps.add(name);
        grew = true;
      }
    }
  }
  const records: Record<string, AppRecord> = {};
  for (const name of [...apps].sort(compare)) if (state.apps[name]) records[name] = state.apps[name] as AppRecord;
  return { apps: records, routes, fqdns, hosts };
}

/** One ConfigMap per deployment of `state`, for the whole-state delivery. */
export function deploymentObjects(state: State, settings: Pick<TranslateSettings, 'istio'>, namespace: string): Resource[] {
  return Object.keys(state.deployments ?? {})
    .sort(compare)
    .map((app) => {
      const snap = snapshotOf(state, app, settings);
      const body = { app, deployment: state.deployments?.[app], apps: snap.apps, routes: snap.routes };
      // A ConfigMap has `data`, not `spec`; the apply sends the object as built.
      const object = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: deploymentObjectName(app), namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [DEPLOYMENT_LABEL]: 'canary' } },
        data: { [DATA_KEY]: `${JSON.stringify(body, null, 2)}\n` },
      };
      return object as unknown as Resource;
    });
}

/** A deployment ConfigMap as read back; a copy cfmesh cannot read is refused with where it is, never guessed at. */
export function readDeploymentCopy(object: { readonly metadata: { readonly name: string }; readonly [key: string]: unknown }): DeploymentCopy {
  const where = `ConfigMap ${object.metadata.name}`;
  try {
    const data = object['data'] as Record<string, unknown> | undefined;
    const text = data?.[DATA_KEY];
    if (typeof text !== 'string') throw new StateFormatError(`no ${DATA_KEY}`);
    const body = JSON.parse(text) as { app?: unknown; deployment?: unknown; apps?: Record<string, unknown>; routes?: Record<string, unknown> };
    if (typeof body.app !== 'string') throw new StateFormatError('no app');
    const deployment = checkDeployments({ [body.app]: body.deployment })[body.app] as DeploymentRecord;
    const apps: Record<string, AppRecord> = {};
    for (const [name, value] of Object.entries(body.apps ?? {})) apps[name] = checkApp(name, value);
    const routes: Record<string, RouteRecord> = {};
    for (const [key, value] of Object.entries(body.routes ?? {})) routes[key] = checkRoute(key, value);
    return { app: body.app, deployment, apps, routes };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ToolError('STATE_CORRUPT', `the cluster's record of a canary deployment (${where}) cannot be read: ${why}`, {
      hint: `kubectl get configmap ${object.metadata.name} -o yaml shows it; cfmesh wrote it, and reads it as it wrote it`,
    });
  }
}

export interface Synced {
  readonly state: State;
  /** Set when a deployment came from the cluster into a local state that did not have it: deliver only what these build whole, prune nothing. */
  readonly partial?: { readonly fqdns: ReadonlySet<string>; readonly hosts: ReadonlySet<string> } | undefined;
  /** What the local state held before for the records taken from such a copy: the local state keeps it (see `toCommit`). */
  readonly local?: State | undefined;
  readonly adopted?: { readonly apps: ReadonlySet<string>; readonly routes: ReadonlySet<string>; readonly deployments: ReadonlySet<string> } | undefined;
  readonly notices: readonly string[];
}

/** The local state with the cluster's copies of its deployments, the cluster winning (see the file comment). */
export function syncDeployments(state: State, copies: readonly DeploymentCopy[], settings: Pick<TranslateSettings, 'istio'>): Synced {
  const byApp = new Map(copies.map((c) => [c.app, c]));
  for (const app of Object.keys(state.deployments ?? {}).sort(compare)) {
    if (!byApp.has(app)) {
      throw new ToolError('DEPLOYMENT', `the local state has a canary deployment of app '${app}' that the cluster does not: it was finished or canceled from elsewhere, or never delivered`, {
        hint: `drop the local copy with cfmesh cancel-deployment ${app} --target local (the cluster is not touched), then push the current manifest with --target kubernetes`,
      });
    }
  }
  let next = state;
  let partial: { fqdns: Set<string>; hosts: Set<string> } | undefined;
  let adopted: { apps: Set<string>; routes: Set<string>; deployments: Set<string> } | undefined;
  const notices: string[] = [];
  for (const copy of [...copies].sort((a, b) => compare(a.app, b.app))) {
    const local = state.deployments?.[copy.app];
    if (local && local.generation === copy.deployment.generation) continue;
    next = {
      ...next,
      apps: { ...next.apps, ...copy.apps },
      routes: { ...next.routes, ...copy.routes },
      deployments: { ...(next.deployments ?? {}), [copy.app]: copy.deployment },
    };
    notices.push(`The deployment of app ${copy.app} was taken from the cluster (step ${copy.deployment.step} of ${copy.deployment.steps.length}${local ? `; the local state had step ${local.step}` : ''}).`);
    if (!local) {
      const snap = snapshotOf(next, copy.app, settings);
      partial ??= { fqdns: new Set(), hosts: new Set() };
      for (const f of snap.fqdns) partial.fqdns.add(f);
      for (const h of snap.hosts) partial.hosts.add(h);
      adopted ??= { apps: new Set(), routes: new Set(), deployments: new Set() };
      for (const a of Object.keys(copy.apps)) adopted.apps.add(a);
      for (const r of Object.keys(copy.routes)) adopted.routes.add(r);
      adopted.deployments.add(copy.app);
    }
  }
  return { state: next, partial, adopted, local: adopted ? state : undefined, notices };
}

/**
 * What the local state keeps after a command that took a deployment from the cluster it did not have:
 * the command's own changes, but for the records of the copy what it held before. The cluster stays the
 * record of that deployment (each command takes it from there again), and a local state that knows
 * less is never filled with another machine's records, which a later whole-state delivery would then
 * take for the whole.
 */
export function toCommit(synced: Synced, after: State): State {
  const { adopted, local } = synced;
  if (!adopted || !local) return after;
  const revert = <T>(now: Readonly<Record<string, T>>, before: Readonly<Record<string, T>>, keys: ReadonlySet<string>): Record<string, T> => {
    const out = { ...now };
    for (const k of keys) {
      if (Object.hasOwn(before, k)) out[k] = before[k] as T;
      else delete out[k];
    }
    return out;
  };
  const deployments = revert(after.deployments ?? {}, local.deployments ?? {}, adopted.deployments);
  const { deployments: _, ...rest } = after;
  return {
    ...rest,
    apps: revert(after.apps, local.apps, adopted.apps),
    routes: revert(after.routes, local.routes, adopted.routes),
    ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
  };
}

/** The resources a partial delivery sends: those the snapshot builds whole, and none that every translation builds whole (the ingress). */
export function partialResources(resources: readonly Resource[], partial: NonNullable<Synced['partial']>, settings: Pick<TranslateSettings, 'istio'>): Resource[] {
  const changes = targetFor(settings).changes;
  const none = new Set<string>();
  return resources.filter((r) => changes.builtWhole(r, partial.fqdns, partial.hosts) && !changes.builtWhole(r, none, none));
}
