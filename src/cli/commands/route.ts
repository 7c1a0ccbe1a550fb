import { routeNotFound } from '../../app/route-ops.ts';
import { formatRouteOptions, formatTable, routeView } from '../../app/views.ts';
import { readState } from '../../state/index.ts';
import type { CommandContext } from '../context.ts';
import { targetFrom, type RouteFlags } from './route-flags.ts';
import { stateDirFor, type StateFlags } from './state-common.ts';

/** `route DOMAIN [--hostname H] [--path P]` / `route DOMAIN --port P [--json]`: one route in detail. */
export async function routeCommand(ctx: CommandContext, domain: string, flags: StateFlags & RouteFlags & { json?: boolean | undefined }): Promise<void> {
  const target = targetFrom(domain, flags);
  const state = await readState(stateDirFor(ctx, flags));
  const record = Object.hasOwn(state.routes, target.key) ? state.routes[target.key] : undefined;
  if (!record) throw routeNotFound(target);
  const view = routeView(record, state);
  const stored = new Map(record.destinations.map((d) => [d.app, d]));
  const destinations = view.destinations.map((d) => {
    const s = stored.get(d.app);
    const port = s?.port ?? state.apps[d.app]?.port ?? null;
    return { app: d.app, weight: d.weight, port, protocol: view.protocol === 'tcp' ? 'tcp' : (s?.protocol ?? (record.protocol === 'http2' ? 'http2' : 'http1')) };
  });
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify({ ...view, destinations }, null, 2)}\n`);
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
  ];
  const width = Math.max(...kv.map(([k]) => k.length)) + 2;
  let out = kv.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join('\n') + '\n\n';
  if (destinations.length === 0) out += 'Destinations: none\n';
  else out += 'Destinations:\n' + formatTable(['app', 'weight', 'port', 'app-protocol'], destinations.map((d) => [d.app, `${d.weight}%`, d.port === null ? '' : String(d.port), d.protocol])).replace(/^(?=.)/gm, '  ');
  ctx.io.stdout.write(out);
}
