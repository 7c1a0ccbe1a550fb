/**
 * `--target kubernetes` for the cf-style commands. The cluster is the state for what it can answer
 * live: `update-route APP ... --weight` patches only the weights of that route in the live object
 * (app/live-weights.ts: a JSON patch guarded by resourceVersion, leaving every other field and every
 * other tool's routes alone), and `routes`/`apps` read the live routes (app/live-routes.ts). Commands
 * that create or remove routes change the local state as always and server-side apply its whole
 * configuration to the cluster, pruning only members of the state's own ApplySet (app/state-change.ts).
 */
import { liveAppsView, liveRoutesView, readLiveRoutes } from '../../app/live-routes.ts';
import type { LiveWeightResult, WeightPatch } from '../../app/live-weights.ts';
import { liveWeightReport, type ChangeReport, type Notice } from '../../app/change-report.ts';
import { statePaths } from '../../state/location.ts';
import { targetFor } from '../../app/targets.ts';
import type { Target as OutputTarget } from '../../target/target.ts';
import { stateDirFor, type StateFlags } from './state-common.ts';
import type { RouteTarget } from '../../app/route-target.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { KubeConfig } from '../../kube/kubeconfig.ts';
import type { Settings } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { kubectlName } from '../../resource/resource.ts';
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

async function client(ctx: CommandContext, config: KubeConfig, flags: ClusterFlags, target: OutputTarget) {
  const { createKubeClient } = await import('../../kube/client.ts');
  warnPlainHttp(ctx, config);
  return createKubeClient(config, kubeClientOptions(ctx, flags, target));
}

/** The target of the cluster's objects, with flags over stored settings; resources live in the kubeconfig's namespace. */
function targetIn(config: KubeConfig, flags: ClusterFlags, stored: Settings): OutputTarget {
  return targetFor({
    istio: istioOptions({ ...flags, namespace: undefined }, {
      namespace: config.namespace,
      gateway: stored.gateway,
      apiVersion: stored.istioApiVersion as 'v1' | 'v1beta1' | 'v1alpha3' | undefined,
      serviceHostTemplate: stored.serviceHostTemplate,
      api: stored.api as 'istio' | 'gateway-api' | undefined,
      gatewayClass: stored.gatewayClass,
    }),
  });
}


/** `update-route APP DOMAIN [--hostname H] [--path P] --weight W` against the cluster (app/live-weights.ts). */
export async function updateLiveWeight(ctx: CommandContext, flags: ClusterFlags & StateFlags, stored: Settings, app: string, route: RouteTarget, weight: number): Promise<ChangeReport | undefined> {
  if (route.port !== undefined) throw new ToolError('USAGE', 'update-route --weight works on HTTP routes; a TCP route has one destination per port');
  const config = await clusterConfig(ctx, flags, stored);
  const target = targetIn(config, flags, stored);
  const kube = await client(ctx, config, flags, target);
  const { setLiveWeight } = await import('../../app/live-weights.ts');
  const dryRun = flags.dryRun === true || flags.dryRun === 'client' ? ('client' as const) : flags.dryRun === 'server' ? ('server' as const) : undefined;
  // --json: the change report is stdout's one product; what is told on stderr goes into it too.
  const json = flags.json === true;
  const notices: Notice[] = [];
  const notice = (message: string) => {
    notices.push({ message, hint: null, required: false });
    ctx.info(message);
  };
  const required = (message: string, hint?: string) => {
    notices.push({ message, hint: hint ?? null, required: true });
    ctx.required(message, hint);
  };
  const report = (patch: WeightPatch, suffix: string) => {
    if (!patch.changed) notice(`Route ${route.url} already sends ${weight}% to ${app}. Nothing has been updated.`);
    else if (!json) ctx.io.stdout.write(`${kubectlName({ ...patch.object })} weights patched${suffix}: ${patch.summary}\n`);
  };
  const stateDir = stateDirFor(ctx, flags);
  const changeReport = (result: LiveWeightResult): ChangeReport | undefined =>
    json
      ? liveWeightReport({ statePath: statePaths(stateDir).state, dryRun: dryRun ?? false, server: config.server, namespace: config.namespace, route: route.url, patch: result.patch, written: result.written, notices })
      : undefined;
  try {
    const request = { app, route, weight, namespace: config.namespace, stateDir, dryRun, log: ctx.debug };
    const result = await setLiveWeight(kube, target, request, (patch) => report(patch, ''));
    if (dryRun === 'client') {
      if (!json) ctx.io.stdout.write(`${kubectlName(result.patch.object)} weights would be patched: ${result.patch.summary}\n`);
      ctx.info('Dry run: nothing was written.');
      return changeReport(result);
    }
    if (dryRun === 'server') {
      report(result.patch, ' (server dry run)');
      ctx.info('Dry run: the local state was not changed.');
      ctx.info(ctx.c.green('OK'));
      return changeReport(result);
    }
    const local = result.local;
    if (local?.kind === 'no-route') notice(`The local state has no route ${route.url}; only the cluster was changed.`);
    else if (local?.kind === 'other-destinations') {
      required(
        `the local state's route ${route.url} has other destinations (${local.local.join(', ')}) than the cluster's (${local.live.join(', ')}); its weights were left as they are`,
        `the next push, map-route or other state command applies the local state's weights again; set them there too with cfmesh update-route ${route.domain}${route.host ? ` --hostname ${route.host}` : ''}${route.path ? ` --path ${route.path}` : ''} --destination APP=W ...`,
      );
    } else if (local?.kind === 'refused') required(`the local state's route ${route.url} could not take the cluster's weights (${local.reason}); it was left as it is`);
    ctx.info(ctx.c.green('OK'));
    return changeReport(result);
  } finally {
    await kube.close();
  }
}

/** `routes --target kubernetes`: the live routes, cfmesh's and other tools'. */
export async function liveRoutesCommand(ctx: CommandContext, flags: ClusterFlags & { json?: boolean | undefined }, stored: Settings): Promise<void> {
  const config = await clusterConfig(ctx, flags, stored);
  const target = targetIn(config, flags, stored);
  const kube = await client(ctx, config, flags, target);
  try {
    const routes = await readLiveRoutes(kube, target, config.namespace);
    const domains = [...(routingOptions(flags, { defaultDomain: stored.defaultDomain, internalDomains: stored.internalDomains }).internalDomains), ...(stored.defaultDomain ? [stored.defaultDomain] : [])];
    const views = liveRoutesView(routes, domains);
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
  const target = targetIn(config, flags, stored);
  const kube = await client(ctx, config, flags, target);
  try {
    const views = liveAppsView(await readLiveRoutes(kube, target, config.namespace));
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
