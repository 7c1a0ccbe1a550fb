import { unmapRoute } from '../../app/route-ops.ts';
import type { CommandContext } from '../context.ts';
import { targetFrom, type RouteFlags } from './route-flags.ts';
import { runStateChange, type DeliveryFlags } from './state-common.ts';

/** `unmap-route APP DOMAIN [--hostname H] [--path P]`, `unmap-route APP DOMAIN --port P`. */
export async function unmapRouteCommand(ctx: CommandContext, app: string, domain: string, flags: RouteFlags & DeliveryFlags): Promise<void> {
  const target = targetFrom(domain, flags);
  ctx.info(`Removing route ${target.url} from app ${app}...`);
  await runStateChange(ctx, 'unmap-route', flags, (state) => unmapRoute(state, app, target), { scope: { routes: [target.key], apps: [app] } });
}
