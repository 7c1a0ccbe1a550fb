import type { DeploymentReport } from '../../app/change-report.ts';
import { autoPromote, formatNumber, MAX_CHECKS, type AutoEvent, type AutoRequest, type Measurement } from '../../app/auto-promote.ts';
import { cancelDeployment, continueDeployment, deploymentOf, deploymentView, type DeploymentView } from '../../app/deployment.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { parseDuration } from '../../manifest/duration.ts';
import { withInterruptDetail } from '../../ui/interrupt.ts';
import { progressEnabled, startProgress, type Progress } from '../../ui/progress.ts';
import { targetOf } from './cluster.ts';
import { appInfo, effectiveDestinations, routeUrlOf } from '../../app/state-model.ts';
import { compare } from '../../routing/route-table.ts';
import { readState } from '../../state/index.ts';
import type { State } from '../../state/types.ts';
import { weightBars } from '../../ui/bars.ts';
import type { CommandContext } from '../context.ts';
import { readStateAsTarget, requireLocalState, runStateChange, stateDirFor, type DeliveryFlags, type StateFlags } from './state-common.ts';

export interface DeploymentFlags extends DeliveryFlags {
  readonly json?: boolean | undefined;
}

/** `continue-deployment APP`: the next step; after the last, the new revision takes everything. */
export async function continueDeploymentCommand(ctx: CommandContext, app: string, flags: AutoFlags): Promise<void> {
  if (flags.auto) return autoContinueCommand(ctx, app, flags);
  for (const [flag, value] of [['--interval', flags.interval], ['--prometheus', flags.prometheus], ['--min-success-rate', flags.minSuccessRate], ['--max-latency', flags.maxLatency], ['--min-requests', flags.minRequests]] as const) {
    if (value !== undefined) throw new ToolError('USAGE', `${flag} is a flag of continue-deployment --auto`, { hint: `add --auto to promote on the canary's metrics` });
  }
  ctx.info(`Continuing deployment for app ${app}...`);
  let view: DeploymentView | undefined;
  let finished = false;
  await runStateChange(ctx, 'continue-deployment', flags, (state) => {
    const r = continueDeployment(state, app);
    finished = r.finished;
    view = deploymentView(r.state, app, finished ? r.deployment : (r.state.deployments?.[app] ?? r.deployment));
    return r;
  }, { deployments: () => (view ? [deploymentReport(view, finished ? 'finished' : 'continued')] : []) });
  if (view && !flags.json) printDeployment(ctx, view, finished ? 'finished' : 'paused');
}

/** `cancel-deployment APP`: the weights from before the deployment, the canary's destinations removed. */
export async function cancelDeploymentCommand(ctx: CommandContext, app: string, flags: DeploymentFlags): Promise<void> {
  ctx.info(`Canceling deployment for app ${app}...`);
  let view: DeploymentView | undefined;
  await runStateChange(ctx, 'cancel-deployment', flags, (state) => {
    const r = cancelDeployment(state, app);
    view = deploymentView(r.state, app, r.deployment);
    return r;
  }, { deployments: () => (view ? [deploymentReport(view, 'canceled')] : []) });
  if (view && !flags.json) printDeployment(ctx, view, 'canceled');
}

/** The `deployment` member of the --json change report (schemas/change-report.schema.json). */
export function deploymentReport(view: DeploymentView, action: DeploymentReport['action']): DeploymentReport {
  const ended = action === 'finished' || action === 'canceled';
  return { app: view.app, action, shape: view.shape, canary: view.canary, step: ended ? null : view.step, steps: view.steps };
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
export async function appCommand(ctx: CommandContext, app: string, flags: DeliveryFlags & { readonly json?: boolean | undefined }): Promise<void> {
  // With the cluster as the target, its copy of the deployment wins (another machine may have moved it).
  const local = await readState(stateDirFor(ctx, flags));
  if (targetOf(flags, local.settings) !== 'kubernetes') await requireLocalState(ctx, flags);
  const { state } = await readStateAsTarget(ctx, flags);
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

export interface AutoFlags extends DeploymentFlags {
  readonly auto?: boolean | undefined;
  readonly interval?: string | undefined;
  readonly prometheus?: string | undefined;
  readonly minSuccessRate?: string | undefined;
  readonly maxLatency?: string | undefined;
  readonly minRequests?: string | undefined;
}

/** The --auto flags, checked before anything is read; USAGE names the flag. */
export function autoRequest(app: string, flags: AutoFlags): AutoRequest {
  const duration = (flag: string, text: string) => {
    const parsed = parseDuration(text.trim());
    if (!parsed.ok) throw new ToolError('USAGE', `${flag} must be a duration such as 2m, 30s or 500ms (got "${text}")`);
    return parsed.ms;
  };
  if (flags.prometheus === undefined) throw new ToolError('USAGE', 'continue-deployment --auto needs --prometheus URL', { hint: 'the Prometheus server that scrapes the mesh, e.g. --prometheus http://prometheus.istio-system:9090' });
  let url: URL;
  try {
    url = new URL(flags.prometheus);
  } catch {
    throw new ToolError('USAGE', `--prometheus must be an http:// or https:// URL (got "${flags.prometheus}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ToolError('USAGE', `--prometheus must be an http:// or https:// URL (got "${flags.prometheus}")`);
  const rate = flags.minSuccessRate === undefined ? 99 : Number(flags.minSuccessRate.replace(/%$/, ''));
  if (!/^\s*\d+(\.\d+)?%?\s*$/.test(flags.minSuccessRate ?? '99') || !(rate >= 0 && rate <= 100)) throw new ToolError('USAGE', `--min-success-rate must be a percentage from 0 to 100 (got "${flags.minSuccessRate}")`);
  if (flags.minRequests !== undefined && !/^\d+$/.test(flags.minRequests.trim())) throw new ToolError('USAGE', `--min-requests must be a whole number (got "${flags.minRequests}")`);
  return {
    app,
    intervalMs: duration('--interval', flags.interval ?? '2m'),
    prometheus: flags.prometheus,
    minSuccessRate: rate,
    maxLatencyMs: flags.maxLatency === undefined ? undefined : duration('--max-latency', flags.maxLatency),
    minRequests: flags.minRequests === undefined ? 100 : Number(flags.minRequests.trim()),
  };
}

/**
 * `continue-deployment APP --auto --prometheus URL [--interval 2m] [--min-success-rate 99]
 * [--max-latency 500ms] [--min-requests 100]` (app/auto-promote.ts). Each step goes through the same
 * state change as a plain continue-deployment, so it needs a target that delivers: printing each step
 * on stdout would apply nothing.
 */
export async function autoContinueCommand(ctx: CommandContext, app: string, flags: AutoFlags): Promise<void> {
  const request = autoRequest(app, flags);
  const stored = (await readState(stateDirFor(ctx, flags))).settings;
  const delivers = targetOf(flags, stored) === 'kubernetes' || flags.outputDir !== undefined || stored.output !== undefined;
  if (!delivers) {
    throw new ToolError('USAGE', 'continue-deployment --auto needs a target that delivers each step: --target kubernetes or -o DIR', { hint: 'printing each step on stdout would apply nothing; cfmesh target kubernetes (or target --output-dir DIR) keeps the choice' });
  }
  const json = flags.json === true;
  const events = eventPrinter(ctx, json);
  // The steps' own output (the apply report, the notices) would break one JSON object per line.
  const inner: CommandContext = json ? { ...ctx, io: { ...ctx.io, stdout: { write: () => {}, isTTY: false } }, info: () => {} } : ctx;
  let where: { step: number; steps: number } | undefined;
  try {
    await autoPromote(request, {
      readState: async () => {
        const read = await readStateAsTarget(ctx, flags);
        const d = read.state.deployments?.[app];
        if (d) where = { step: d.step, steps: d.steps.length };
        return read;
      },
      promote: async (step) => {
        let after: State | undefined;
        await runStateChange(inner, 'continue-deployment', { ...flags, json: false }, (state) => {
          const r = continueDeployment(state, app, step);
          after = r.state;
          return r;
        });
        const d = after?.deployments?.[app];
        where = d ? { step: d.step, steps: d.steps.length } : undefined;
        return after as State;
      },
      cancel: async () => {
        await runStateChange(inner, 'cancel-deployment', { ...flags, json: false }, (state) => cancelDeployment(state, app));
        where = undefined;
      },
      signal: ctx.io.signal,
      event: events.print,
      debug: ctx.debug,
    });
  } catch (error) {
    const detail = where ? `the deployment of app ${app} is paused at step ${where.step} of ${where.steps}` : undefined;
    throw detail ? withInterruptDetail(error, detail, `cfmesh app ${app} shows it; run the command again to go on`) : error;
  } finally {
    events.stop();
  }
}

function routeLine(routes: DeploymentView['routes']): string {
  return routes.map((r) => `${r.url}: ${r.destinations.map((d) => `${d.app} ${d.weight}%`).join(', ')}`).join('; ');
}

function metricsLine(m: Measurement): string {
  return `${formatNumber(m.requests)} requests, success rate ${m.successRate === null ? 'n/a' : `${formatNumber(m.successRate)}%`}${m.p99Ms === null ? '' : `, p99 ${formatNumber(m.p99Ms)}ms`}`;
}

/** One JSON object per event on stdout (--json); on a terminal a spinner counting down to the next check; otherwise one line per event on stderr. */
function eventPrinter(ctx: CommandContext, json: boolean): { print(e: AutoEvent): void; stop(): void } {
  if (json) return { print: (e) => ctx.io.stdout.write(`${JSON.stringify(e)}\n`), stop: () => {} };
  // A spinner only where one can be drawn (progress.ts draws none on a terminal of unknown width).
  const tty = progressEnabled(ctx.io, { ...ctx.flags }) && (ctx.io.stderrStream?.().columns ?? 0) > 0;
  let spinner: Progress | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const stop = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    spinner?.stop();
    spinner = undefined;
  };
  const line = (text: string) => {
    stop();
    ctx.info(text);
  };
  return {
    print: (e) => {
      switch (e.event) {
        case 'waiting': {
          const text = `step ${e.step}/${e.steps}: ${routeLine(e.routes)}`;
          if (!tty) {
            line(`${text}; checking in ${e.seconds}s${e.check > 1 ? ` (check ${e.check} of ${MAX_CHECKS}: too few requests so far)` : ''}`);
            return;
          }
          stop();
          const end = Date.now() + e.seconds * 1000;
          const draw = () => `${text}; next check in ${Math.max(0, Math.ceil((end - Date.now()) / 1000))}s${e.check > 1 ? ` (check ${e.check} of ${MAX_CHECKS})` : ''}`;
          void startProgress(ctx.io, ctx.flags, draw()).then((p) => {
            spinner = p;
            ticker = setInterval(() => p.update(draw()), 1000);
            ticker.unref();
          });
          return;
        }
        case 'measured':
          line(`step ${e.step}/${e.steps}: ${metricsLine(e.metrics)}: ${e.verdict === 'pass' ? 'pass' : e.verdict === 'too-few' ? 'too few requests' : e.breaches.join('; ')}`);
          return;
        case 'promoted':
          line(`promoted to step ${e.step}/${e.steps}: ${routeLine(e.routes)}`);
          return;
        case 'finished':
          line(`finished: ${routeLine(e.routes)}`);
          return;
        case 'canceled':
          line(`canceled at step ${e.step}/${e.steps}: ${e.breaches.join('; ')}`);
          return;
      }
    },
    stop,
  };
}
