import { validateRouteOptions } from '../../manifest/route-options.ts';
import { mapRoute, updateRouteControls } from '../../app/route-ops.ts';
import { checkRouteTarget } from '../../app/route-target.ts';
import { controlFlags, type ControlFlagValues } from './update-route.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { CommandContext } from '../context.ts';
import { parsePort } from '../options.ts';
import { routeOptionsFrom, targetFrom, type RouteFlags } from './route-flags.ts';
import { runStateChange, type DeliveryFlags } from './state-common.ts';

export interface MapRouteFlags extends RouteFlags, DeliveryFlags, ControlFlagValues {
  readonly appPort?: string | undefined;
  readonly appProtocol?: string | undefined;
  readonly option?: string[] | undefined;
}

/** `map-route APP DOMAIN [--hostname H] [--path P] [--app-port N] [--app-protocol P] [-o K=V]`, `map-route APP DOMAIN --port P`. */
export async function mapRouteCommand(ctx: CommandContext, app: string, domain: string, flags: MapRouteFlags): Promise<void> {
  const target = targetFrom(domain, flags);
  const appPort = flags.appPort !== undefined ? parsePort('--app-port', flags.appPort) : undefined;
  const appProtocol = flags.appProtocol;
  if (appProtocol !== undefined && appProtocol !== 'http1' && appProtocol !== 'http2') {
    throw new ToolError('USAGE', `--app-protocol must be http1 or http2 (got "${appProtocol}")`);
  }
  const options = routeOptionsFrom(flags.option, target);
  validateRouteOptions(options, target.url);
  const controls = controlFlags(flags);
  await runStateChange(ctx, 'map-route', flags, (state, settings) => {
    if (!Object.hasOwn(state.routes, target.key)) checkRouteTarget(target, settings.routing.internalDomains);
    if (!Object.hasOwn(state.routes, target.key) && Object.hasOwn(state.apps, app)) ctx.info(`Creating route ${target.url}...`);
    ctx.info(`Mapping route ${target.url} to app ${app}${appProtocol ? ` with protocol ${appProtocol}` : ''}...`);
    const mapped = mapRoute(state, app, target, { appPort, appProtocol, options });
    if (controls === undefined) return mapped;
    const tuned = updateRouteControls(mapped.state, target, controls);
    return { ...mapped, state: tuned.state };
  }, { scope: { routes: [target.key], apps: [app] } });
}
