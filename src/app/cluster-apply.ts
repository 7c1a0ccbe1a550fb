/**
 * Delivering resources to a cluster: one discovery round first (preflight), then server-side apply
 * with ApplySet pruning (kube/apply.ts). Everything is returned; the caller shows progress and the report.
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { ApplyReport } from '../kube/apply.ts';
import type { KubeClient, KubeClientOptions } from '../kube/client.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import type { Resource } from '../resource/resource.ts';
import type { Target } from '../target/target.ts';

export interface ClusterApply {
  readonly config: KubeConfig;
  readonly resources: readonly Resource[];
  readonly client: KubeClientOptions;
  /** What to tell a user whose cluster does not serve the target's kinds. */
  readonly target: Pick<Target, 'crdHints' | 'crdVersions'>;
  readonly applySetName: string;
  readonly prune: boolean;
  readonly dryRun: boolean;
  readonly forceConflicts: boolean;
  readonly toolVersion: string;
  readonly onProgress?: (() => void) | undefined;
}

export async function applyToCluster(request: ClusterApply): Promise<ApplyReport> {
  const [{ createKubeClient }, { applyResources }] = await Promise.all([import('../kube/client.ts'), import('../kube/apply.ts')]);
  const { config, resources } = request;
  const client = createKubeClient(config, { ...request.client, crdHints: request.target.crdHints });
  try {
    await preflight(client, resources, config, request.target);
    return await applyResources(client, resources, {
      namespace: config.namespace,
      applySetName: request.applySetName,
      prune: request.prune,
      dryRun: request.dryRun,
      forceConflicts: request.forceConflicts,
      toolVersion: request.toolVersion,
      signal: request.client.signal,
      onProgress: request.onProgress,
    });
  } finally {
    await client.close();
  }
}

/**
 * One discovery request per group before anything is applied: an untrusted certificate, bad
 * credentials, an unreachable server or missing CRDs is then reported once, not once per resource.
 */
async function preflight(client: KubeClient, resources: readonly Resource[], config: KubeConfig, target: Pick<Target, 'crdHints' | 'crdVersions'>): Promise<void> {
  const groups = new Map<string, { versions: Set<string>; sample: Resource }>();
  for (const r of resources) {
    const [group, version] = r.apiVersion.includes('/') ? (r.apiVersion.split('/') as [string, string]) : ['', r.apiVersion];
    if (!group) continue;
    const entry = groups.get(group) ?? { versions: new Set<string>(), sample: r };
    entry.versions.add(version);
    groups.set(group, entry);
  }
  await checkCrdVersions(client, groups, target);
  for (const [group, { versions, sample }] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const served = await client.discover(group);
    if (!served) {
      // Discovery said 404. A server that does not implement group discovery may still serve the
      // resources: ask for the collection itself; a missing CRD answers that with a plain 404, which
      // the client reports as CRD_MISSING (and a reachable collection means we may go on).
      await client.list({ apiVersion: sample.apiVersion, kind: sample.kind, namespace: config.namespace });
      continue;
    }
    for (const version of versions) {
      if (!served.versions.includes(version)) {
        throw new ToolError('CRD_MISSING', `the server serves ${group} ${served.versions.join(', ')}, not ${version}`, { hint: target.crdHints.version(group, served.versions) });
      }
    }
  }
}

/**
 * A CRD older than the target needs is refused before anything is applied: the API server would
 * prune the fields it does not know (an HTTPRoute's rule names, say) and answer 200. A cluster that
 * does not let cfmesh read CRDs (403), or a server without them, cannot say: the check is skipped.
 */
async function checkCrdVersions(client: KubeClient, groups: ReadonlyMap<string, unknown>, target: Pick<Target, 'crdVersions'>): Promise<void> {
  for (const need of target.crdVersions ?? []) {
    if (!groups.has(need.group)) continue;
    let crd;
    try {
      crd = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', namespace: '', name: need.crd });
    } catch (error) {
      if (error instanceof ToolError && error.code !== 'INTERRUPTED' && error.code !== 'API_UNREACHABLE') continue;
      throw error;
    }
    const found = (crd?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[need.annotation];
    if (found !== undefined && olderThan(found, need.atLeast)) {
      throw new ToolError('CRD_MISSING', `the CRD ${need.crd} is ${found}, older than the ${need.atLeast} cfmesh's resources need`, { hint: need.hint });
    }
  }
}

/** `v1.3.0` < `v1.4.0`, by numeric parts (a pre-release suffix counts as its release). */
function olderThan(version: string, atLeast: string): boolean {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
  const a = parts(version);
  const b = parts(atLeast);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}
