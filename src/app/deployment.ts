/**
 * cf's canary deployments as weight steps (issue 15; docs/adr/0016-canary-deployments.md): `push
 * --strategy canary [--instance-steps 10,25,50]` starts one, `continue-deployment` moves it to the next
 * step (after the last, the new revision takes over), `cancel-deployment` restores the routes as they
 * were. Pure transforms of the state; the commands run them through app/state-change.ts like every
 * other state change, so --dry-run, -o DIR and the cluster work the same way.
 *
 * cf's meaning, read at cloudfoundry/cloud_controller_ng 3bbba9069894b1b74652c7b88fdfd4171136c8c4 and
 * cloudfoundry/cli v8.18.4 (3fcd823a19e8254f99337765d98fd6e13149a77c):
 * - steps are `instance_weight`s, integers 1-100 in ascending order (app/messages/deployment_create_message.rb
 *   `validate_step_instance_weights`: equal neighbours pass, `weights.sort != weights` is the test);
 * - without steps there is one step, one canary instance next to the original web instances
 *   (app/models/runtime/deployment_model.rb `canary_step_plan`: `{ canary: 1, original: N }`), so on
 *   routes balanced per instance the canary's share is 1/(N+1);
 * - a paused deployment continues to the next step while `canary_current_step < canary_steps.length`,
 *   and past the last step it finishes (app/actions/deployment_continue.rb); the step count shown is
 *   `canary_steps.length || 1` (app/presenters/v3/deployment_presenter.rb `status[:canary][:steps]`);
 * - cancel puts the previous droplet back (app/actions/deployment_cancel.rb): here, the routes' old
 *   destinations and weights.
 * On a mesh a step is a weight, not an instance count: the canary gets the step's percent of the
 * deployed app's share of each route.
 */
import { ToolError, type Warning } from '../diagnostics/tool-error.ts';
import { compare } from '../routing/route-table.ts';
import { largestRemainder } from '../routing/weights.ts';
import type { AppRecord, DeploymentRecord, DeploymentRoute, JsonObject, RouteDestination, RouteRecord, State } from '../state/types.ts';
import type { TranslateSettings } from './resource-changes.ts';
import type { Change } from './state-change.ts';
import { appNotFound } from './route-ops.ts';
import { appInfo, effectiveDestinations, routeUrlOf } from './state-model.ts';
import { targetFor } from './targets.ts';

/** `--instance-steps 10,25,50`: integers 1-100 in ascending order (CC), decimal only. A bad list is a usage error naming it. */
export function parseInstanceSteps(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const bad = (why: string) =>
    new ToolError('USAGE', `Incorrect Usage: invalid argument for flag '--instance-steps' (expected list of weights, got "${text}"): ${why}`, {
      hint: 'give ascending percentages from 1 to 100, e.g. --instance-steps 10,25,50',
    });
  const steps: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) throw bad(p === '' ? 'an empty step' : `"${p}" is not a whole number`);
    const n = Number(p);
    if (n < 1 || n > 100) throw bad(`${n} is not from 1 to 100`);
    const last = steps[steps.length - 1];
    if (last !== undefined && n < last) throw bad(`${n} comes after ${last}: steps must be in ascending order`);
    steps.push(n);
  }
  return steps;
}

/** The deployment of `app`, or a DEPLOYMENT error naming what there is. cf: "No active deployment found for app". */
export function deploymentOf(state: State, app: string): DeploymentRecord {
  const d = state.deployments?.[app];
  if (d) return d;
  const asCanary = Object.entries(state.deployments ?? {}).find(([, x]) => x.canary === app);
  if (asCanary) throw new ToolError('DEPLOYMENT', `app '${app}' is the canary of the deployment of app '${asCanary[0]}'`, { hint: `name the deployed app: cfmesh continue-deployment ${asCanary[0]}` });
  if (!Object.hasOwn(state.apps, app)) throw appNotFound(app, Object.keys(state.apps));
  const others = Object.keys(state.deployments ?? {}).sort(compare);
  throw new ToolError('DEPLOYMENT', `No active deployment found for app '${app}'.`, {
    hint: others.length > 0 ? `deployments in progress: ${others.join(', ')}` : 'start one with cfmesh push APP -f manifest.yml --strategy canary',
  });
}

/** A push (canary or not) may not change an app while a deployment of it is in progress. */
export function refuseUnderDeployment(state: State, apps: readonly string[]): void {
  for (const app of apps) {
    const own = state.deployments?.[app];
    const of = Object.entries(state.deployments ?? {}).find(([, d]) => d.canary === app)?.[0];
    const name = own ? app : of;
    if (name === undefined) continue;
    throw new ToolError('DEPLOYMENT', `app '${app}' has a canary deployment in progress${of !== undefined && !own ? ` (it is the canary of app '${of}')` : ''}`, {
      hint: `finish it first: cfmesh continue-deployment ${name}, or roll it back: cfmesh cancel-deployment ${name}`,
    });
  }
}

/**
 * `update-route --weight` (and map-route, unmap-route, delete-route) on a route under a deployment: the
 * steps own its destinations and weights, and cancel puts back exactly what it held before.
 */
export function refuseWeightChange(state: State, routeKey: string, url: string, what = 'its weights move with the deployment\'s steps'): void {
  const entry = Object.entries(state.deployments ?? {}).find(([, d]) => Object.hasOwn(d.routes, routeKey));
  if (!entry) return;
  throw new ToolError('DEPLOYMENT', `route ${url} is under the canary deployment of app '${entry[0]}': ${what}`, {
    hint: `cfmesh continue-deployment ${entry[0]} (next step) or cfmesh cancel-deployment ${entry[0]} (back to the weights before); cfmesh app ${entry[0]} shows where it is`,
  });
}

export interface CanaryStart {
  readonly app: string;
  readonly shape: DeploymentRecord['shape'];
  readonly canary: string;
  readonly steps: readonly number[];
}

/**
 * `push --strategy canary`: `merged` is the manifest applied to `before` as a plain push would; for each
 * pushed app whose revision changes (its `version`), or that joins routes other apps serve, a deployment
 * starts, paused at its first step. A push that starts none is refused with how to mark a revision.
 */
export function startCanary(before: State, merged: State, pushed: readonly string[], steps: readonly number[] | undefined, settings: Pick<TranslateSettings, 'istio'>): Change & { readonly started: readonly CanaryStart[] } {
  refuseUnderDeployment(before, pushed);
  const placement = targetFor(settings).changes.placement;
  let next = merged;
  const deployments: Record<string, DeploymentRecord> = { ...(before.deployments ?? {}) };
  const started: CanaryStart[] = [];
  const notices: string[] = [];
  const unchanged: string[] = [];
  for (const app of [...pushed].sort(compare)) {
    const old = before.apps[app];
    const now = merged.apps[app] as AppRecord;
    const oldInfo = old ? appInfo(old) : undefined;
    const newInfo = appInfo(now);
    if (old && oldInfo?.version !== newInfo.version) {
      if (oldInfo?.version === undefined) {
        throw new ToolError('DEPLOYMENT', `app '${app}' has no version yet, so its current revision cannot be told apart from the new one (version ${newInfo.version})`, {
          hint: `label the current revision first: push it without --strategy canary with \`version: v1\` in its manifest entry, then push the new \`version:\` with --strategy canary`,
        });
      }
      if (newInfo.version === undefined) {
        throw new ToolError('DEPLOYMENT', `the manifest gives app '${app}' no version: a canary needs the new revision's \`version:\` (the current one is ${oldInfo.version})`, { hint: 'set `version:` on the app in the manifest to the new revision\'s label, e.g. v2' });
      }
      const service = placement(app, oldInfo).service;
      if (placement(app, newInfo).service !== service) {
        throw new ToolError('DEPLOYMENT', `the manifest moves app '${app}' from service ${service} to ${placement(app, newInfo).service}: a canary is a new version of the same service`, { hint: 'keep the app\'s `service:` and change only its `version:`' });
      }
      const canary = `${app}@${newInfo.version}`;
      if (Object.hasOwn(merged.apps, canary)) throw new ToolError('DEPLOYMENT', `app '${canary}' exists already, and is the name the canary of app '${app}' would get`, { hint: `rename or delete app '${canary}'` });
      const canaryRecord: AppRecord = { ...now, name: canary, extra: { ...(now.extra ?? {}), service } as JsonObject };
      const routes: Record<string, DeploymentRoute> = {};
      for (const key of Object.keys(merged.routes).sort(compare)) {
        const record = merged.routes[key] as RouteRecord;
        if (!record.destinations.some((d) => d.app === app)) continue;
        const shares = sharesOf(record, merged);
        routes[key] = { before: (Object.hasOwn(before.routes, key) ? (before.routes[key] as RouteRecord) : record).destinations, shares: { ...shares, [canary]: 0 } };
      }
      if (Object.keys(routes).length === 0) throw new ToolError('DEPLOYMENT', `app '${app}' has no route: a canary shifts traffic, and there is none to shift`, { hint: 'map a route to the app first (cfmesh map-route), or push without --strategy canary' });
      const plan = steps ?? [defaultStep([old.instances])];
      const deployment: DeploymentRecord = { strategy: 'canary', shape: 'revision', canary, steps: plan, step: 1, revision: now, routes, generation: 1 };
      next = { ...next, apps: { ...next.apps, [app]: old, [canary]: canaryRecord } };
      next = withStepWeights(next, app, deployment);
      deployments[app] = deployment;
      started.push({ app, shape: 'revision', canary, steps: plan });
      notices.push(`Canary deployment of app ${app} started: version ${newInfo.version} (app ${canary}) beside ${oldInfo.version}, step 1 of ${plan.length} (${plan[0]}% of the app's traffic).`);
      continue;
    }
    // A takeover: the app joins routes that other apps serve (and did not serve them before).
    const routes: Record<string, DeploymentRoute> = {};
    const others = new Set<string>();
    for (const key of Object.keys(merged.routes).sort(compare)) {
      const record = merged.routes[key] as RouteRecord;
      const was = Object.hasOwn(before.routes, key) ? (before.routes[key] as RouteRecord) : undefined;
      if (!was || !record.destinations.some((d) => d.app === app) || was.destinations.some((d) => d.app === app)) continue;
      const shares = sharesOf(was, before);
      if (Object.values(shares).every((w) => w === 0)) continue;
      for (const [a, w] of Object.entries(shares)) if (w > 0) others.add(a);
      routes[key] = { before: was.destinations, shares: { ...shares, [app]: 0 } };
    }
    if (Object.keys(routes).length === 0) {
      unchanged.push(app);
      continue;
    }
    const plan = steps ?? [defaultStep([...others].map((a) => before.apps[a]?.instances ?? 1))];
    const deployment: DeploymentRecord = { strategy: 'canary', shape: 'takeover', canary: app, steps: plan, step: 1, routes, generation: 1 };
    next = withStepWeights(next, app, deployment);
    deployments[app] = deployment;
    started.push({ app, shape: 'takeover', canary: app, steps: plan });
    notices.push(`Canary deployment of app ${app} started: it takes over ${Object.keys(routes).map((k) => routeUrlOf(merged.routes[k] as RouteRecord)).join(', ')} from ${[...others].sort(compare).join(', ')}, step 1 of ${plan.length} (${plan[0]}%).`);
  }
  if (started.length === 0) {
    throw new ToolError('DEPLOYMENT', `push --strategy canary changes no revision: ${unchanged.map((a) => `app '${a}'`).join(', ')} ${unchanged.length === 1 ? 'keeps its' : 'keep their'} version and take${unchanged.length === 1 ? 's' : ''} over no route`, {
      hint: "mark the new revision with a new `version:` on the app in the manifest (its subset label), or push a new app that maps the routes the current one serves; without --strategy canary the push applies at once",
    });
  }
  const warnings: Warning[] = [];
  return { state: { ...next, deployments }, notices, warnings, started };
}

/** `continue-deployment APP`: the next step, or, after the last, the new revision gets everything and the deployment ends. */
export function continueDeployment(state: State, app: string, expectStep?: number): Change & { readonly finished: boolean; readonly deployment: DeploymentRecord } {
  const d = deploymentOf(state, app);
  if (expectStep !== undefined && d.step !== expectStep) {
    throw new ToolError('DEPLOYMENT', `the deployment of app '${app}' was moved to step ${d.step} by someone else while it was measured at step ${expectStep}`, { hint: `cfmesh app ${app} shows where it is now; run the command again to go on from there` });
  }
  if (d.step < d.steps.length) {
    const moved: DeploymentRecord = { ...d, step: d.step + 1, generation: d.generation + 1 };
    const next = withStepWeights(state, app, moved);
    return { state: { ...next, deployments: { ...state.deployments, [app]: moved } }, notices: [`Deployment of app ${app}: step ${moved.step} of ${moved.steps.length} (${moved.steps[moved.step - 1]}%).`], finished: false, deployment: moved };
  }
  let next = endDeployment(state, app);
  const routes = { ...next.routes };
  for (const key of Object.keys(d.routes)) {
    const record = routes[key];
    if (!record) continue;
    if (d.shape === 'revision') {
      // The new revision takes the app's name, and with it the app's place on every route.
      routes[key] = { ...record, destinations: restored(d.routes[key] as DeploymentRoute) };
    } else {
      const own = record.destinations.filter((x) => x.app === app).map((x) => ({ ...x, weight: undefined }));
      routes[key] = { ...record, destinations: own };
    }
  }
  next = { ...next, routes };
  if (d.shape === 'revision') {
    const apps = { ...next.apps, [app]: d.revision as AppRecord };
    delete apps[d.canary];
    next = { ...next, apps };
  }
  const what = d.shape === 'revision' ? `version ${appInfo(d.revision as AppRecord).version} of app ${app} serves all of its traffic` : `app ${app} serves ${Object.keys(d.routes).length === 1 ? 'the route' : 'the routes'} alone`;
  return { state: next, notices: [`Deployment of app ${app} finished: ${what}.`], finished: true, deployment: d };
}

/** `cancel-deployment APP`: the routes get exactly the destinations and weights from before; the canary's are removed. */
export function cancelDeployment(state: State, app: string): Change & { readonly deployment: DeploymentRecord } {
  const d = deploymentOf(state, app);
  let next = endDeployment(state, app);
  const routes = { ...next.routes };
  for (const [key, r] of Object.entries(d.routes)) {
    const record = routes[key];
    if (record) routes[key] = { ...record, destinations: restored(r) };
  }
  next = { ...next, routes };
  if (d.shape === 'revision') {
    const apps = { ...next.apps };
    delete apps[d.canary];
    next = { ...next, apps };
  }
  return { state: next, notices: [`Deployment of app ${app} canceled: its routes have the weights from before it.`], deployment: d };
}

/** The share the canary has at the deployment's current step, per route, as the steps set it. */
export function stepWeights(d: DeploymentRecord, app: string, key: string): Map<string, number> {
  const r = d.routes[key] as DeploymentRoute;
  const percent = d.steps[d.step - 1] as number;
  const apps = Object.keys(r.shares).sort(compare);
  // Parts in hundredths of a percent of the route, so that the split is exact before rounding.
  const parts = apps.map((a) => {
    const share = r.shares[a] as number;
    if (d.shape === 'revision') {
      if (a === d.canary) return (r.shares[app] as number) * percent;
      if (a === app) return share * (100 - percent);
      return share * 100;
    }
    return a === d.canary ? 100 * percent : share * (100 - percent);
  });
  const weights = largestRemainder(parts);
  return new Map(apps.map((a, i) => [a, weights[i] as number]));
}

/** The routes of a deployment with the weights of its current step; the canary's destination added where it has none. */
function withStepWeights(state: State, app: string, d: DeploymentRecord): State {
  const routes = { ...state.routes };
  for (const key of Object.keys(d.routes)) {
    const record = routes[key];
    if (!record) continue;
    const weights = stepWeights(d, app, key);
    let destinations: RouteDestination[] = record.destinations.map((x) => ({ ...x, weight: weights.get(x.app) ?? 0 }));
    if (!destinations.some((x) => x.app === d.canary)) {
      const like = record.destinations.find((x) => x.app === app);
      destinations.push({ app: d.canary, weight: weights.get(d.canary) ?? 0, port: like?.port, protocol: like?.protocol });
    }
    destinations = destinations.sort((a, b) => compare(a.app, b.app) || (a.port ?? 0) - (b.port ?? 0));
    routes[key] = { ...record, destinations };
  }
  return { ...state, routes };
}

function endDeployment(state: State, app: string): State {
  const deployments = { ...state.deployments };
  delete deployments[app];
  const { deployments: _, ...rest } = state;
  return Object.keys(deployments).length > 0 ? { ...rest, deployments } : rest;
}

/** The destinations from before, as they were. */
function restored(r: DeploymentRoute): RouteDestination[] {
  return r.before.map((x) => ({ ...x }));
}

/** The route's effective integer shares by app (explicit weights, or by instances). */
function sharesOf(record: RouteRecord, state: State): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of effectiveDestinations(record, state)) out[d.app] = (out[d.app] ?? 0) + d.weight;
  return out;
}

/**
 * cf's single step: one canary instance next to the current web instances (CC `canary_step_plan`
 * `{ canary: 1, original: N }`), so its share is 1/(N+1), rounded as every weight is.
 */
export function defaultStep(instances: readonly number[]): number {
  const n = instances.reduce((s, i) => s + i, 0);
  const [, canary] = largestRemainder([n, 1]);
  return Math.max(1, canary as number);
}

/** What `app APP` and the deployment commands show about a deployment. */
export interface DeploymentView {
  readonly app: string;
  readonly strategy: 'canary';
  readonly shape: DeploymentRecord['shape'];
  readonly canary: string;
  readonly step: number;
  readonly steps: readonly number[];
  readonly status: 'PAUSED';
  readonly routes: readonly { readonly url: string; readonly destinations: readonly { readonly app: string; readonly weight: number }[] }[];
}

export function deploymentView(state: State, app: string, d: DeploymentRecord): DeploymentView {
  return {
    app,
    strategy: 'canary',
    shape: d.shape,
    canary: d.canary,
    step: d.step,
    steps: d.steps,
    status: 'PAUSED',
    routes: Object.keys(d.routes)
      .sort(compare)
      .flatMap((key) => {
        const record = state.routes[key];
        return record ? [{ url: routeUrlOf(record), destinations: effectiveDestinations(record, state).map((x) => ({ app: x.app, weight: x.weight })) }] : [];
      }),
  };
}
