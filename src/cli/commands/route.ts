import { routeNotFound } from '../../app/route-ops.ts';
import { formatRouteOptions, formatTable, routeView } from '../../app/views.ts';
import { readState } from '../../state/index.ts';
import type { CommandContext } from '../context.ts';
import { targetFrom, type RouteFlags } from './route-flags.ts';
import { requireLocalState, stateDirFor, type StateFlags } from './state-common.ts';

/** `route DOMAIN [--hostname H] [--path P]` / `route DOMAIN --port P [--json]`: one route in detail. */
export async function routeCommand(ctx: CommandContext, domain: string, flags: StateFlags & RouteFlags & { json?: boolean | undefined }): Promise<void> {
  const target = targetFrom(domain, flags);
  await requireLocalState(ctx, flags);
  const state = await readState(stateDirFor(ctx, flags));
  const record = Object.hasOwn(state.routes, target.key) ? state.routes[target.key] : undefined;
  if (!record) throw routeNotFound(target, Object.keys(state.routes));
  const view = routeView(record, state);
  const stored = new Map(record.destinations.map((d) => [d.app, d]));
  const destinations = view.destinations.map((d) => {
    const s = stored.get(d.app);
    const port = s?.port ?? state.apps[d.app]?.port ?? null;
    return { app: d.app, weight: d.weight, port, protocol: view.protocol === 'tcp' ? 'tcp' : (s?.protocol ?? (record.protocol === 'http2' ? 'http2' : 'http1')) };
  });
  const controls = (record.controls ?? {}) as Readonly<Record<string, unknown>>;
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify({ ...view, destinations, controls }, null, 2)}\n`);
    return;
  }
  ctx.info(`Showing route ${view.url}...`);
  const kv: [string, string][] = [
    ['domain', view.domain],
    ['host', view.host],
    ['port', view.port === null ? '' : String(view.port)],
    ['path', view.path ?? ''],
    ['protocol', view.protocol],
    ['weights', view.destinations.length === 0 ? '' : view.weighted ? 'explicit' : 'by instances'],
    ['options', formatRouteOptions(view.options)],
    ...(view.protocol === 'tcp' ? [] : ([['timeout', formatTimeout(controls)], ['retries', formatRetries(controls)]] as [string, string][])),
    ...(otherControls(controls).length > 0 ? ([['traffic', `${otherControls(controls).join(', ')} (see --json)`]] as [string, string][]) : []),
  ];
  const width = Math.max(...kv.map(([k]) => k.length)) + 2;
  let out = kv.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join('\n') + '\n\n';
  if (destinations.length === 0) out += 'Destinations: none\n';
  else out += 'Destinations:\n' + formatTable(['app', 'weight', 'port', 'app-protocol'], destinations.map((d) => [d.app, `${d.weight}%`, d.port === null ? '' : String(d.port), d.protocol])).replace(/^(?=.)/gm, '  ');
  ctx.io.stdout.write(out);
}

/** `2s`; empty when the route has none. */
function formatTimeout(controls: Readonly<Record<string, unknown>>): string {
  return typeof controls['timeout'] === 'string' ? controls['timeout'] : '';
}

/** `3 attempts on 5xx, connect-failure, 2s per try`, or `off`; empty when the route sets none. */
function formatRetries(controls: Readonly<Record<string, unknown>>): string {
  const r = controls['retries'];
  if (typeof r !== 'object' || r === null) return '';
  const retries = r as Record<string, unknown>;
  if (retries['attempts'] === 0) return 'off';
  const parts = [typeof retries['attempts'] === 'number' ? `${retries['attempts']} attempts` : '2 attempts (the mesh default)'];
  const on = retries['retry-on'];
  if (Array.isArray(on) && on.length > 0) parts.push(`on ${on.join(', ')}`);
  if (typeof retries['per-try-timeout'] === 'string') parts.push(`${retries['per-try-timeout']} per try`);
  return parts.join(', ');
}

/** The route's other traffic controls (fault, mirror, rules, methods, tls), by name. */
function otherControls(controls: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(controls).filter((k) => k !== 'timeout' && k !== 'retries').sort();
}
