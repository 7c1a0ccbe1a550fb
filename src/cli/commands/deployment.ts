import { cancelDeployment, continueDeployment, deploymentOf, deploymentView, type DeploymentView } from '../../app/deployment.ts';
import { appInfo, effectiveDestinations, routeUrlOf } from '../../app/state-model.ts';
import { compare } from '../../routing/route-table.ts';
import { readState } from '../../state/index.ts';
import type { State } from '../../state/types.ts';
import { weightBars } from '../../ui/bars.ts';
import type { CommandContext } from '../context.ts';
import { requireLocalState, runStateChange, stateDirFor, type DeliveryFlags, type StateFlags } from './state-common.ts';

export interface DeploymentFlags extends DeliveryFlags {
  readonly json?: boolean | undefined;
}

/** `continue-deployment APP`: the next step; after the last, the new revision takes everything. */
export async function continueDeploymentCommand(ctx: CommandContext, app: string, flags: DeploymentFlags): Promise<void> {
  ctx.info(`Continuing deployment for app ${app}...`);
  let view: DeploymentView | undefined;
  let finished = false;
  await runStateChange(ctx, flags, (state) => {
    const r = continueDeployment(state, app);
    finished = r.finished;
    view = deploymentView(r.state, app, finished ? r.deployment : (r.state.deployments?.[app] ?? r.deployment));
    return r;
  });
  if (view) printDeployment(ctx, view, finished ? 'finished' : 'paused');
}

/** `cancel-deployment APP`: the weights from before the deployment, the canary's destinations removed. */
export async function cancelDeploymentCommand(ctx: CommandContext, app: string, flags: DeploymentFlags): Promise<void> {
  ctx.info(`Canceling deployment for app ${app}...`);
  let view: DeploymentView | undefined;
  await runStateChange(ctx, flags, (state) => {
    const r = cancelDeployment(state, app);
    view = deploymentView(r.state, app, r.deployment);
    return r;
  });
  if (view) printDeployment(ctx, view, 'canceled');
}

/**
 * Where a deployment is, on stderr (stdout carries the changed resources): the step and each route's
 * split, with bars on a terminal. cf prints `canary-steps: N/M` in `cf app` (v8.18.4
 * command/v7/shared/app_summary_displayer.go displayProcessTable).
 */
export function printDeployment(ctx: CommandContext, view: DeploymentView, state: 'paused' | 'finished' | 'canceled' = 'paused'): void {
  if (ctx.flags.quiet) return;
  const bars = ctx.io.stderr.isTTY && (ctx.io.env['TERM'] ?? '') !== 'dumb';
  let out = state === 'paused' ? `canary-steps: ${view.step}/${view.steps.length} (${view.steps.map((s, i) => (i + 1 === view.step ? `[${s}%]` : `${s}%`)).join(' → ')})\n` : '';
  for (const r of view.routes) out += `${r.url}\n${weightBars(r.destinations, bars)}`;
  ctx.io.stderr.write(out);
}

/** `app APP`: the app, its routes with their weights, and the deployment in progress (cf app). */
export async function appCommand(ctx: CommandContext, app: string, flags: StateFlags & { readonly json?: boolean | undefined }): Promise<void> {
  await requireLocalState(ctx, flags);
  const state = await readState(stateDirFor(ctx, flags));
  const view = appDetail(state, app);
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return;
  }
  ctx.info(`Showing health and status for app ${app}...`);
  const bars = ctx.io.stdout.isTTY && (ctx.io.env['TERM'] ?? '') !== 'dumb';
  const kv: [string, string][] = [
    ['name', view.name],
    ['version', view.version ?? ''],
    ['instances', String(view.instances)],
    ['routes', view.routes.map((r) => r.url).join(', ')],
  ];
  let out = table(kv);
  if (view.deployment) {
    const d = view.deployment;
    out += `\nActive deployment with status ${d.status}.\n`;
    out += table([
      ['strategy', d.strategy],
      ['canary-steps', `${d.step}/${d.steps.length}`],
      ['steps', d.steps.map((s) => `${s}%`).join(', ')],
      ['canary', d.canary],
    ]);
  }
  for (const r of view.routes) out += `\n${r.url}\n${weightBars(r.destinations, bars)}`;
  if (view.deployment) {
    out += `\nPlease run \`cfmesh continue-deployment ${app}\` to promote the canary deployment, or \`cfmesh cancel-deployment ${app}\` to rollback to the previous version.\n`;
  }
  ctx.io.stdout.write(out);
}

function table(kv: readonly [string, string][]): string {
  const width = Math.max(...kv.map(([k]) => k.length)) + 2;
  return kv.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join('\n') + '\n';
}

export interface AppDetail {
  readonly name: string;
  readonly version: string | null;
  readonly instances: number;
  readonly routes: readonly { readonly url: string; readonly destinations: readonly { readonly app: string; readonly weight: number }[] }[];
  readonly deployment: DeploymentView | null;
}

/** The app's routes: those it or, during a deployment, its canary is a destination of. */
function appDetail(state: State, app: string): AppDetail {
  const record = state.apps[app];
  const deployment = record ? state.deployments?.[app] : undefined;
  if (!record) deploymentOf(state, app); // NOT_FOUND, as cf app says it
  const info = appInfo(record as NonNullable<typeof record>);
  const names = new Set([app, ...(deployment ? [deployment.canary] : [])]);
  const routes = Object.values(state.routes)
    .filter((r) => r.destinations.some((d) => names.has(d.app)))
    .sort((a, b) => compare(routeUrlOf(a), routeUrlOf(b)))
    .map((r) => ({ url: routeUrlOf(r), destinations: effectiveDestinations(r, state).map((d) => ({ app: d.app, weight: d.weight })) }));
  return {
    name: app,
    version: info.version ?? null,
    instances: info.instances,
    routes,
    deployment: deployment ? deploymentView(state, app, deployment) : null,
  };
}
