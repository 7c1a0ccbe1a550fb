/**
 * `--target kubernetes` for the cf-style commands. The cluster is the state for what it can answer
 * live: `update-route APP ... --weight` patches only the weights of that route in the live
 * VirtualService (a JSON patch guarded by resourceVersion, leaving every other field and every other
 * tool's routes alone), and `routes`/`apps` read the live VirtualServices. Commands that create or
 * remove routes change the local state as always and server-side apply its whole configuration to
 * the cluster, pruning only members of the state's own ApplySet (see state-common.ts).
 */
import { appOfHost, destinationOfApp, findLiveRoute, liveAppsView, liveRoutesView, type LiveRoute } from '../../app/live-routes.ts';
import { setWeights } from '../../app/route-ops.ts';
import type { IstioOptions } from '../../istio/options.ts';
import { readState, updateState } from '../../state/index.ts';
import type { RouteRecord } from '../../state/types.ts';
import { stateDirFor, type StateFlags } from './state-common.ts';
import type { RouteTarget } from '../../app/route-target.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { KubeConfig } from '../../kube/kubeconfig.ts';
import { rescaleWeights } from '../../routing/weights.ts';
import type { Settings } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { kubeClientOptions, loadKubeTarget, warnPlainHttp, parseTarget, type DeliveryFlags, type Target } from '../delivery.ts';
import { istioOptions, routingOptions, type TranslateFlags } from '../options.ts';
import { formatAppsTable, formatDestinations, formatTable } from '../../app/views.ts';

export type ClusterFlags = DeliveryFlags & TranslateFlags;

/** Flag over stored setting over local. */
export function targetOf(flags: ClusterFlags, settings: Settings): Target {
  return parseTarget(flags, settings.target);
}

/** The kubeconfig to use: flags over the ones `target kubernetes` stored. */
export async function clusterConfig(ctx: CommandContext, flags: ClusterFlags, settings: Settings): Promise<KubeConfig> {
  return loadKubeTarget(ctx, {
    ...flags,
    kubeconfig: flags.kubeconfig ?? settings.kubeconfig,
    context: flags.context ?? settings.context,
    namespace: flags.namespace ?? settings.namespace,
  });
}

async function client(ctx: CommandContext, config: KubeConfig, flags: ClusterFlags) {
  const { createKubeClient } = await import('../../kube/client.ts');
  warnPlainHttp(ctx, config);
  return createKubeClient(config, kubeClientOptions(ctx, flags));
}

function settingsFor(config: KubeConfig, flags: ClusterFlags, stored: Settings) {
  return istioOptions({ ...flags, namespace: undefined }, {
    namespace: config.namespace,
    gateway: stored.gateway,
    apiVersion: stored.istioApiVersion as 'v1' | 'v1beta1' | 'v1alpha3' | undefined,
    serviceHostTemplate: stored.serviceHostTemplate,
  });
}

/**
 * `update-route APP DOMAIN [--hostname H] [--path P] --weight W` against the live VirtualService: the
 * weights are rescaled from what the cluster holds and sent as a weights-only JSON patch (field manager
 * cfmesh-weights). Deliver first, then commit (ADR 0012): under the state lock the patch is sent, and
 * once the cluster took it the local state's route gets the same weights, so `routes` and the next
 * push or map-route agree with the cluster instead of putting the old weights back.
 */
export async function updateLiveWeight(ctx: CommandContext, flags: ClusterFlags & StateFlags, stored: Settings, app: string, target: RouteTarget, weight: number): Promise<void> {
  if (target.port !== undefined) throw new ToolError('USAGE', 'update-route --weight works on HTTP routes; a TCP route has one destination per port');
  const config = await clusterConfig(ctx, flags, stored);
  const options = settingsFor(config, flags, stored);
  const kube = await client(ctx, config, flags);
  const { readLiveRoutes, patchRouteWeights, weightKey } = await import('../../kube/weights.ts');
  try {
    const apiVersion = `networking.istio.io/${options.apiVersion}`;
    const services = await readLiveRoutes(kube, config.namespace, apiVersion);
    const route = findLiveRoute(services, target.fqdn, target.path, config.namespace);
    const index = destinationOfApp(route, app, options);
    const dests = route.rule.destinations;
    const current = dests.map((d, i) => ({ app: String(i), weight: dests.length === 1 ? 100 : (d.weight ?? 0) }));
    if (dests.length === 1 && weight !== 100) {
      throw new ToolError('WEIGHTS', `app '${app}' is the only destination of route ${target.url}; it gets 100`, { hint: 'map another app to the route first' });
    }
    const next = rescaleWeights(current, String(index), weight).map((d) => d.weight);
    const weights = new Map(dests.map((d, i) => [weightKey(d.host, d.subset), next[i] as number]));
    const ruleName = route.rule.name;
    const match = ruleName !== undefined ? ruleName : route.rule.index;
    const dir = stateDirFor(ctx, flags);
    const patch = (dryRun: boolean) =>
      patchRouteWeights(kube, { namespace: config.namespace, vsName: route.vs.name, apiVersion, match, weights, dryRun, log: ctx.debug });
    const name = `virtualservice.networking.istio.io/${route.vs.name}`;
    const report = (changed: boolean, names: readonly string[], suffix: string) => {
      const summary = names.map((n, i) => `${n}=${next[i]}`).join(', ');
      if (!changed) ctx.info(`Route ${target.url} already sends ${weight}% to ${app}. Nothing has been updated.`);
      else ctx.io.stdout.write(`${name} weights patched${suffix}: ${summary}\n`);
    };
    if (flags.dryRun === true || flags.dryRun === 'client') {
      const local = localWeights((await readState(dir)).routes[target.key], route, next, options);
      ctx.io.stdout.write(`${name} weights would be patched: ${(local?.names ?? liveNames(route, options)).map((n, i) => `${n}=${next[i]}`).join(', ')}\n`);
      ctx.info('Dry run: nothing was written.');
      return;
    }
    if (flags.dryRun === 'server') {
      const result = await patch(true);
      const local = localWeights((await readState(dir)).routes[target.key], route, next, options);
      report(result.changed, local?.names ?? liveNames(route, options), ' (server dry run)');
      ctx.info('Dry run: the local state was not changed.');
      ctx.info(ctx.c.green('OK'));
      return;
    }
    let patched = false;
    try {
      await updateState(
        dir,
        async (state) => {
          const record = Object.hasOwn(state.routes, target.key) ? state.routes[target.key] : undefined;
          const local = localWeights(record, route, next, options);
          const result = await patch(false);
          patched = true;
          report(result.changed, local?.names ?? liveNames(route, options), '');
          if (!record) {
            ctx.info(`The local state has no route ${target.url}; only the cluster was changed.`);
            return state;
          }
          if (!local) {
            ctx.required(
              `the local state's route ${target.url} has other destinations (${record.destinations.map((d) => d.app).join(', ')}) than the cluster's (${liveNames(route, options).join(', ')}); its weights were left as they are`,
              `the next push, map-route or other state command applies the local state's weights again; set them there too with cfmesh update-route ${target.domain}${target.host ? ` --hostname ${target.host}` : ''}${target.path ? ` --path ${target.path}` : ''} --destination APP=W ...`,
            );
            return state;
          }
          try {
            return setWeights(state, target, local.weights).state;
          } catch (error) {
            if (!(error instanceof ToolError)) throw error;
            ctx.required(`the local state's route ${target.url} could not take the cluster's weights (${error.message}); it was left as it is`);
            return state;
          }
        },
        { scope: { routes: [target.key], apps: [] } },
      );
    } catch (error) {
      if (patched && error instanceof ToolError && (error.code === 'FILE_WRITE' || error.code === 'STATE_LOCKED' || error.code === 'STATE_CORRUPT')) {
        throw new ToolError(error.code, `the cluster has the new weights, but the local state could not be written: ${error.message}`, {
          hint: 'run the same update-route again once the state can be written: the cluster already has the weights, and the local state then gets them',
          cause: error,
        });
      }
      throw error;
    }
    ctx.info(ctx.c.green('OK'));
  } finally {
    await kube.close();
  }
}

/** The live route's destinations as apps (`reviews-v1`, or `reviews (subset v1)` for a subset of a service). */
function liveNames(route: LiveRoute, options: IstioOptions): string[] {
  return route.rule.destinations.map((d) => `${appOfHost(d.host, options)}${d.subset ? ` (subset ${d.subset})` : ''}`);
}

/**
 * The local route's apps matched to the live destinations one to one (as update-route APP finds a live
 * destination), with the new weights by app; undefined when they do not match.
 */
function localWeights(record: RouteRecord | undefined, route: LiveRoute, next: readonly number[], options: IstioOptions): { names: string[]; weights: Map<string, number> } | undefined {
  if (!record || record.destinations.length !== route.rule.destinations.length) return undefined;
  const names: (string | undefined)[] = route.rule.destinations.map(() => undefined);
  for (const d of record.destinations) {
    let i: number;
    try {
      i = destinationOfApp(route, d.app, options);
    } catch {
      return undefined;
    }
    if (names[i] !== undefined) return undefined;
    names[i] = d.app;
  }
  const resolved = names as string[];
  return { names: resolved, weights: new Map(resolved.map((n, i) => [n, next[i] as number])) };
}

/** `routes --target kubernetes`: the live routes, cfmesh's and other tools'. */
export async function liveRoutesCommand(ctx: CommandContext, flags: ClusterFlags & { json?: boolean | undefined }, stored: Settings): Promise<void> {
  const config = await clusterConfig(ctx, flags, stored);
  const options = settingsFor(config, flags, stored);
  const kube = await client(ctx, config, flags);
  try {
    const { readLiveRoutes } = await import('../../kube/weights.ts');
    const services = await readLiveRoutes(kube, config.namespace, `networking.istio.io/${options.apiVersion}`);
    const domains = [...(routingOptions(flags, { defaultDomain: stored.defaultDomain, internalDomains: stored.internalDomains }).internalDomains), ...(stored.defaultDomain ? [stored.defaultDomain] : [])];
    const views = liveRoutesView(services, options, domains);
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
      return;
    }
    ctx.info(`Getting routes from ${config.server} (namespace ${config.namespace})...`);
    if (views.length === 0) {
      ctx.info('No routes found.');
      return;
    }
    const rows = views.map((v) => [v.host, v.domain, v.port === null ? '' : String(v.port), v.path ?? '', v.protocol, formatDestinations(v), v.managedBy]);
    ctx.io.stdout.write(formatTable(['host', 'domain', 'port', 'path', 'protocol', 'apps', 'managed by'], rows));
  } finally {
    await kube.close();
  }
}

/** `apps --target kubernetes`: the apps the live routes send to. */
export async function liveAppsCommand(ctx: CommandContext, flags: ClusterFlags & { json?: boolean | undefined }, stored: Settings): Promise<void> {
  const config = await clusterConfig(ctx, flags, stored);
  const options = settingsFor(config, flags, stored);
  const kube = await client(ctx, config, flags);
  try {
    const { readLiveRoutes } = await import('../../kube/weights.ts');
    const views = liveAppsView(await readLiveRoutes(kube, config.namespace, `networking.istio.io/${options.apiVersion}`), options);
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
      return;
    }
    ctx.info(`Getting apps from ${config.server} (namespace ${config.namespace})...`);
    if (views.length === 0) {
      ctx.info('No apps found.');
      return;
    }
    ctx.io.stdout.write(formatAppsTable(views));
  } finally {
    await kube.close();
  }
}
