import { formatDestinations, formatRouteOptions, formatTable, routesView } from '../../app/views.ts';
import { readState } from '../../state/index.ts';
import type { CommandContext } from '../context.ts';
import { requireLocalState, stateDirFor, type StateFlags } from './state-common.ts';
import { liveRoutesCommand, targetOf, type ClusterFlags } from './cluster.ts';

/** `routes [--json]`: every route with its apps and their weights. */
export async function routesCommand(ctx: CommandContext, flags: StateFlags & ClusterFlags & { json?: boolean | undefined }): Promise<void> {
  const state = await readState(stateDirFor(ctx, flags));
  if (targetOf(flags, state.settings) === 'kubernetes') return liveRoutesCommand(ctx, flags, state.settings);
  await requireLocalState(ctx, flags);
  const views = routesView(state);
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
    return;
  }
  ctx.info('Getting routes...');
  if (views.length === 0) {
    ctx.info('No routes found.');
    return;
  }
  const rows = views.map((v) => [v.host, v.domain, v.port === null ? '' : String(v.port), v.path ?? '', v.protocol, formatDestinations(v), formatRouteOptions(v.options)]);
  ctx.io.stdout.write(formatTable(['host', 'domain', 'port', 'path', 'protocol', 'apps', 'options'], rows));
}
