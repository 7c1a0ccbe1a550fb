import type { Resource } from '../resource/resource.ts';
import { applyResources, type ApplyReport, type ApplyReportItem } from '../kube/apply.ts';
import { createKubeClient, type KubeClientOptions } from '../kube/client.ts';
import { loadKubeConfig, type LoadKubeConfigOptions } from '../kube/kubeconfig.ts';

/**
 * The Kubernetes sink in one call: load the kubeconfig as kubectl would, server-side apply the resources,
 * prune the ApplySet if asked, close the connections. Everything is returned; nothing is printed.
 */
export interface DeliverToKubernetesOptions {
  readonly kubeconfig: LoadKubeConfigOptions;
  readonly client?: Omit<KubeClientOptions, 'signal' | 'log'> | undefined;
  /** ApplySet parent Secret name (needed for prune). */
  readonly applySetName?: string | undefined;
  readonly prune?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
  readonly forceConflicts?: boolean | undefined;
  readonly concurrency?: number | undefined;
  readonly toolVersion?: string | undefined;
  readonly onProgress?: ((item: ApplyReportItem) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface KubernetesDelivery {
  readonly report: ApplyReport;
  readonly server: string;
  readonly namespace: string;
  readonly contextName: string | undefined;
}

export async function deliverToKubernetes(resources: readonly Resource[], opts: DeliverToKubernetesOptions): Promise<KubernetesDelivery> {
  const config = loadKubeConfig(opts.kubeconfig);
  const client = createKubeClient(config, { ...opts.client, signal: opts.signal, log: opts.log });
  try {
    const report = await applyResources(client, resources, {
      namespace: config.namespace,
      applySetName: opts.applySetName,
      prune: opts.prune ?? false,
      dryRun: opts.dryRun ?? false,
      forceConflicts: opts.forceConflicts ?? false,
      concurrency: opts.concurrency,
      toolVersion: opts.toolVersion,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    return { report, server: config.server, namespace: config.namespace, contextName: config.contextName };
  } finally {
    await client.close();
  }
}
