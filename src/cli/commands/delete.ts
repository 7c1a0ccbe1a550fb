import { deleteApp } from '../../app/route-ops.ts';
import type { CommandContext } from '../context.ts';
import { confirm, declined, runStateChange, type DeliveryFlags } from './state-common.ts';

/** `delete APP [-r] [-f]`: the app and its mappings; -r also the routes no other app uses. */
export async function deleteCommand(ctx: CommandContext, app: string, flags: DeliveryFlags & { force?: boolean | undefined; deleteRoutes?: boolean | undefined }): Promise<void> {
  if (!flags.dryRun && !(await confirm(ctx, `Really delete the app ${app}?`, flags.force, 'delete'))) {
    declined(ctx, 'delete', flags, `App '${app}' has not been deleted.`);
    return;
  }
  ctx.info(`Deleting app ${app}...`);
  await runStateChange(ctx, 'delete', flags, (state) => deleteApp(state, app, flags.deleteRoutes === true));
}
