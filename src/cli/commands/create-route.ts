import { createRoute } from '../../app/route-ops.ts';
import { checkRouteTarget } from '../../app/route-target.ts';
import type { CommandContext } from '../context.ts';
import { routeOptionsFrom, targetFrom, type RouteFlags } from './route-flags.ts';
import { runStateChange, type DeliveryFlags } from './state-common.ts';

/** `create-route DOMAIN [--hostname H] [--path P] [-o K=V]`, `create-route DOMAIN --port P`. */
export async function createRouteCommand(ctx: CommandContext, domain: string, flags: RouteFlags & DeliveryFlags & { option?: string[] | undefined }): Promise<void> {
  const target = targetFrom(domain, flags);
  const options = routeOptionsFrom(flags.option, target);
  ctx.info(`Creating route ${target.url}...`);
  await runStateChange(ctx, 'create-route', flags, (state, settings) => {
    if (!Object.hasOwn(state.routes, target.key)) checkRouteTarget(target, settings.routing.internalDomains);
    return createRoute(state, target, options);
  }, { scope: { routes: [target.key], apps: [] } });
}
