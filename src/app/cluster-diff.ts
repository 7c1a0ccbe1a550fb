/**
 * What `convert --apply` would change in the cluster. Each rendered object is made into the member
 * apply would send (the same ApplySet decision: kube/apply.ts openApplySet, with the parent written as
 * a server dry run, so a forbidden or unserved parent is found here exactly as apply finds it),
 * server-side applied with dryRun=All and compared with the live object; members of the ApplySet that
 * are no longer rendered show as removed.
 */
import type { KubeClientOptions } from '../kube/client.ts';
import type { KubeObject } from '../kube/kinds.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import { unifiedDiff } from '../render/diff.ts';
import { renderYamlDocument } from '../render/render.ts';
import { kubectlName, type Resource } from '../resource/resource.ts';

export interface ClusterDiffRequest {
  readonly config: KubeConfig;
  readonly resources: readonly Resource[];
  readonly client: KubeClientOptions;
  readonly applySetName: string;
  readonly forceConflicts: boolean;
  readonly toolVersion: string;
}

/**
 * Calls `onSkipped` when the comparison goes without the ApplySet (why), then `onDiff` with each
 * object's unified diff as it is found; returns how many objects differ.
 */
export async function diffWithCluster(request: ClusterDiffRequest, onDiff: (text: string) => void, onSkipped: (why: string) => void = () => {}): Promise<number> {
  const [{ createKubeClient }, { applyMember, memberOf, openApplySet }, { APPLYSET_PART_OF_LABEL }] = await Promise.all([import('../kube/client.ts'), import('../kube/apply.ts'), import('../kube/applyset.ts')]);
  const { config, resources, forceConflicts } = request;
  const client = createKubeClient(config, request.client);
  let changed = 0;
  try {
    const set = await openApplySet(client, resources, { namespace: config.namespace, applySetName: request.applySetName, dryRun: true, forceConflicts, toolVersion: request.toolVersion });
    if (set.error) throw set.error;
    if (set.skipped) onSkipped(set.skipped);
    const rendered = new Set<string>();
    for (const resource of resources) {
      const ref = { apiVersion: resource.apiVersion, kind: resource.kind, namespace: config.namespace, name: resource.metadata.name };
      rendered.add(`${resource.kind}/${resource.metadata.name}`);
      const live = await client.get(ref);
      const member = memberOf(resource, config.namespace, live, set, { forceConflicts });
      const merged = (await applyMember(client, member, { dryRun: true, forceConflicts })).object;
      const before = live ? renderYamlDocument(clean(live)) : '';
      const after = renderYamlDocument(clean(merged));
      const name = kubectlName({ apiVersion: resource.apiVersion, kind: resource.kind, name: resource.metadata.name });
      const text = unifiedDiff(before, after, live ? `live/${name}` : '/dev/null', `rendered/${name}`);
      if (text) {
        changed++;
        onDiff(text);
      }
    }
    if (set.id !== undefined) {
      const kinds = [...new Set(resources.map((r) => `${r.apiVersion} ${r.kind}`))].sort();
      for (const pair of kinds) {
        const [apiVersion, kind] = pair.split(' ') as [string, string];
        const members = await client.list({ apiVersion, kind, namespace: config.namespace }, { labelSelector: `${APPLYSET_PART_OF_LABEL}=${set.id}` });
        for (const member of members.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
          if (rendered.has(`${member.kind}/${member.metadata.name}`)) continue;
          changed++;
          const name = kubectlName({ apiVersion, kind, name: member.metadata.name });
          onDiff(unifiedDiff(renderYamlDocument(clean(member)), '', `live/${name}`, '/dev/null'));
        }
      }
    }
  } finally {
    await client.close();
  }
  return changed;
}

/** Server bookkeeping that is not configuration: left out of both sides, as kubectl diff does. */
function clean(object: KubeObject | Resource): Record<string, unknown> {
  const { status: _status, ...rest } = object as unknown as Record<string, unknown>;
  const metadata = { ...(rest['metadata'] as Record<string, unknown>) };
  for (const key of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink']) delete metadata[key];
  return { ...rest, metadata };
}
