import { setWeight, setWeights, updateRouteControls, updateRouteOptions, type Outcome } from '../../app/route-ops.ts';
import type { ControlFlags } from '../../routing/controls.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { State } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { parseWeight } from '../options.ts';
import { routeOptionsFrom, targetFrom, type RouteFlags } from './route-flags.ts';
import { runStateChange, type DeliveryFlags } from './state-common.ts';
import { updateLiveWeight } from './cluster.ts';

export interface ControlFlagValues {
  readonly timeout?: string | undefined;
  readonly retries?: string | undefined;
  readonly retryOn?: string[] | undefined;
  readonly perTryTimeout?: string | undefined;
}

export interface UpdateRouteFlags extends RouteFlags, DeliveryFlags {
  readonly weight?: string | undefined;
  readonly destination?: string[] | undefined;
  readonly option?: string[] | undefined;
  readonly removeOption?: string[] | undefined;
  readonly timeout?: string | undefined;
  readonly retries?: string | undefined;
  readonly retryOn?: string[] | undefined;
  readonly perTryTimeout?: string | undefined;
}

/** The per-route control flags as the pure layer takes them, or undefined when none was given. */
export function controlFlags(flags: ControlFlagValues): ControlFlags | undefined {
  if (flags.timeout === undefined && flags.retries === undefined && flags.retryOn === undefined && flags.perTryTimeout === undefined) return undefined;
  if (flags.retries !== undefined && !/^\d+$/.test(flags.retries)) throw new ToolError('USAGE', `--retries must be a whole number (got "${flags.retries}")`);
  return {
    timeout: flags.timeout,
    retries: flags.retries !== undefined ? Number(flags.retries) : undefined,
    retryOn: flags.retryOn?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''),
    perTryTimeout: flags.perTryTimeout,
  };
}

/**
 * Two forms, told apart by the number of arguments:
 *   update-route APP DOMAIN [--hostname H] [--path P] --weight W      (the 2018 proposal)
 *   update-route DOMAIN [--hostname H] [--path P] [--destination APP=W]... [-o K=V]... [-r K]...   (cf v8, plus
 *     --destination: every weight of the route in one atomic call)
 */
export async function updateRouteCommand(ctx: CommandContext, first: string, second: string | undefined, flags: UpdateRouteFlags): Promise<void> {
  if (second !== undefined) {
    const app = first;
    if (flags.weight === undefined) {
      throw new ToolError('USAGE', 'Incorrect Usage: update-route APP DOMAIN needs --weight W', { hint: 'to change route options, name only the route: cfmesh update-route DOMAIN [--hostname H] -o KEY=VALUE' });
    }
    if (flags.destination?.length || flags.option?.length || flags.removeOption?.length || controlFlags(flags) !== undefined) {
      throw new ToolError('USAGE', 'Incorrect Usage: --weight cannot be used together with --destination, -o, -r, --timeout or --retries', { hint: 'use update-route DOMAIN --destination APP=W ... for several weights at once' });
    }
    const weight = parseWeight(flags.weight);
    const target = targetFrom(second, flags);
    ctx.info(`Updating route ${target.url}: ${weight}% to app ${app}...`);
    await runStateChange(ctx, 'update-route', flags, (state) => setWeight(state, app, target, weight), {
      live: (stored) => updateLiveWeight(ctx, flags, stored, app, target, weight),
      scope: { routes: [target.key], apps: [app] },
    });
    return;
  }
  const target = targetFrom(first, flags);
  if (flags.weight !== undefined) {
    throw new ToolError('USAGE', 'Incorrect Usage: --weight needs the app: update-route APP DOMAIN [--hostname H] [--path P] --weight W', { hint: `e.g. cfmesh update-route my-app ${first} --weight 90` });
  }
  const weights = parseDestinations(flags.destination ?? [], target.url);
  const set = routeOptionsFrom(flags.option, target);
  const remove = flags.removeOption ?? [];
  const controls = controlFlags(flags);
  if (weights.size === 0 && Object.keys(set).length === 0 && remove.length === 0 && controls === undefined) {
    throw new ToolError('USAGE', `Route option support: 'No options were specified for the update of the Route ${target.url}'`, {
      hint: 'give -o KEY=VALUE, -r KEY or --destination APP=WEIGHT (or update-route APP DOMAIN --weight W)',
    });
  }
  ctx.info(`Updating route ${target.url}...`);
  await runStateChange(ctx, 'update-route', flags, (state) => {
    const notices: string[] = [];
    let next: State = state;
    if (weights.size > 0) {
      const r: Outcome = setWeights(next, target, weights);
      next = r.state;
      notices.push(...r.notices);
    }
    if (Object.keys(set).length > 0 || remove.length > 0) {
      const r = updateRouteOptions(next, target, set, remove);
      next = r.state;
      notices.push(...r.notices);
    }
    if (controls !== undefined) {
      const r = updateRouteControls(next, target, controls);
      next = r.state;
      notices.push(...r.notices);
    }
    if (next !== state) notices.push(`Route ${target.url} has been updated.`);
    return { state: next, notices };
  }, { scope: { routes: [target.key], apps: [...weights.keys()] } });
}

function parseDestinations(values: readonly string[], url: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const text of values) {
    const m = /^(.+)=([^=]*)$/.exec(text);
    if (!m) throw new ToolError('USAGE', `--destination must be APP=WEIGHT (got "${text}")`, { hint: 'e.g. --destination reviews-v1=90 --destination reviews-v2=10' });
    const app = m[1] as string;
    if (out.has(app)) throw new ToolError('USAGE', `--destination gives app '${app}' twice`);
    out.set(app, parseWeight(m[2] as string));
  }
  if (out.size > 0) {
    const sum = [...out.values()].reduce((s, w) => s + w, 0);
    if (sum !== 100) {
      throw new ToolError('USAGE', `the --destination weights of route '${url}' sum to ${sum}, they must sum to 100`, { hint: [...out].map(([a, w]) => `${a}=${w}`).join(' ') });
    }
  }
  return out;
}
