import { appsView, formatAppsTable } from '../../app/views.ts';
import { readState } from '../../state/index.ts';
import type { CommandContext } from '../context.ts';
import { requireLocalState, stateDirFor, type StateFlags } from './state-common.ts';
import { liveAppsCommand, targetOf, type ClusterFlags } from './cluster.ts';

/** `apps [--json]`: every app with its instances, port and routes. */
export async function appsCommand(ctx: CommandContext, flags: StateFlags & ClusterFlags & { json?: boolean | undefined }): Promise<void> {
  const state = await readState(stateDirFor(ctx, flags));
  if (targetOf(flags, state.settings) === 'kubernetes') return liveAppsCommand(ctx, flags, state.settings);
  await requireLocalState(ctx, flags);
  const views = appsView(state);
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
    return;
  }
  ctx.info('Getting apps...');
  if (views.length === 0) {
    ctx.info('No apps found.');
    return;
  }
  ctx.io.stdout.write(formatAppsTable(views));
}
