/**
 * `--target kubernetes` for the cf-style commands. The cluster is the state for what it can answer
 * live: `update-route APP ... --weight` patches only the weights of that route in the live
 * VirtualService (a JSON patch guarded by resourceVersion, leaving every other field and every other
 * tool's routes alone), and `routes`/`apps` read the live VirtualServices. Commands that create or
 * remove routes change the local state as always and server-side apply its whole configuration to
 * the cluster, pruning only members of the state's own ApplySet (see state-common.ts).
 */
import { destinationOfApp, findLiveRoute, liveAppsView, liveRoutesView } from '../../app/live-routes.ts';
import type { RouteTarget } from '../../app/route-target.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { KubeConfig } from '../../kube/kubeconfig.ts';
import { rescaleWeights } from '../../routing/weights.ts';
import type { Settings } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { loadKubeTarget, parseTarget, type DeliveryFlags, type Target } from '../delivery.ts';
import { istioOptions, routingOptions, type TranslateFlags } from '../options.ts';
import { formatDestinations, formatTable } from '../../app/views.ts';

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

async function client(ctx: CommandContext, config: KubeConfig) {
  const { createKubeClient } = await import('../../kube/client.ts');
  return createKubeClient(config, { signal: ctx.io.signal, log: ctx.debug });
}

function settingsFor(config: KubeConfig, flags: ClusterFlags, stored: Settings) {
  return istioOptions({ ...flags, namespace: undefined }, {
    namespace: config.namespace,
    gateway: stored.gateway,
    apiVersion: stored.istioApiVersion as 'v1' | 'v1beta1' | 'v1alpha3' | undefined,
    serviceHostTemplate: stored.serviceHostTemplate,
  });
}

/** `update-route APP DOMAIN [--hostname H] [--path P] --weight W` against the live VirtualService. */
export async function updateLiveWeight(ctx: CommandContext, flags: ClusterFlags, stored: Settings, app: string, target: RouteTarget, weight: number): Promise<void> {
  if (target.port !== undefined) throw new ToolError('USAGE', 'update-route --weight works on HTTP routes; a TCP route has one destination per port');
  const config = await clusterConfig(ctx, flags, stored);
  const options = settingsFor(config, flags, stored);
  const kube = await client(ctx, config);
  const { readLiveRoutes, patchRouteWeights, weightKey } = await import('../../kube/weights.ts');
  try {
    const services = await readLiveRoutes(kube, config.namespace, `networking.istio.io/${options.apiVersion}`);
    const route = findLiveRoute(services, target.fqdn, target.path, config.namespace);
    const index = destinationOfApp(route, app, options);
    const dests = route.rule.destinations;
    const current = dests.map((d, i) => ({ app: String(i), weight: dests.length === 1 ? 100 : (d.weight ?? 0) }));
    if (dests.length === 1 && weight !== 100) {
      throw new ToolError('WEIGHTS', `app '${app}' is the only destination of route ${target.url}; it gets 100`, { hint: 'map another app to the route first' });
    }
    const next = rescaleWeights(current, String(index), weight);
    const weights = new Map(dests.map((d, i) => [weightKey(d.host, d.subset), (next[i] as { weight: number }).weight]));
    const ruleName = route.rule.name;
    const match = ruleName !== undefined ? ruleName : route.rule.index;
    const result = await patchRouteWeights(kube, {
      namespace: config.namespace,
      vsName: route.vs.name,
      apiVersion: `networking.istio.io/${options.apiVersion}`,
      match,
      weights,
      dryRun: flags.dryRun === 'server',
      log: ctx.debug,
    });
    const summary = dests.map((d, i) => `${d.host}${d.subset ? `#${d.subset}` : ''}=${(next[i] as { weight: number }).weight}`).join(', ');
    if (!result.changed) ctx.info(`Route ${target.url} already sends ${weight}% to ${app}. Nothing has been updated.`);
    else ctx.io.stdout.write(`virtualservice.networking.istio.io/${route.vs.name} weights patched${flags.dryRun === 'server' ? ' (server dry run)' : ''}: ${summary}\n`);
    ctx.info(ctx.c.green('OK'));
  } finally {
    await kube.close();
  }
}

/** `routes --target kubernetes`: the live routes, cfmesh's and other tools'. */
export async function liveRoutesCommand(ctx: CommandContext, flags: ClusterFlags & { json?: boolean | undefined }, stored: Settings): Promise<void> {
  const config = await clusterConfig(ctx, flags, stored);
  const options = settingsFor(config, flags, stored);
  const kube = await client(ctx, config);
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
  const kube = await client(ctx, config);
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
    ctx.io.stdout.write(formatTable(['name', 'port', 'routes'], views.map((v) => [v.name, v.port === null ? '' : String(v.port), v.routes.join(', ')])));
  } finally {
    await kube.close();
  }
}
