import { deleteRoute } from '../../app/route-ops.ts';
import type { CommandContext } from '../context.ts';
import { targetFrom, type RouteFlags } from './route-flags.ts';
import { confirm, declined, runStateChange, type DeliveryFlags } from './state-common.ts';

/** `delete-route DOMAIN [--hostname H] [--path P] [-f]`, `delete-route DOMAIN --port P [-f]`. */
export async function deleteRouteCommand(ctx: CommandContext, domain: string, flags: RouteFlags & DeliveryFlags & { force?: boolean | undefined }): Promise<void> {
  const target = targetFrom(domain, flags);
  if (!flags.dryRun && !(await confirm(ctx, `Really delete the route ${target.url}?`, flags.force, 'delete-route'))) {
    declined(ctx, 'delete-route', flags, `Route ${target.url} has not been deleted.`);
    return;
  }
  ctx.info(`Deleting route ${target.url}...`);
  await runStateChange(ctx, 'delete-route', flags, (state) => deleteRoute(state, target), { scope: { routes: [target.key], apps: [] } });
}
