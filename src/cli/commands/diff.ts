import { ToolError } from '../../diagnostics/tool-error.ts';
import { APPLYSET_PART_OF_LABEL, applySetId } from '../../kube/applyset.ts';
import type { KubeObject } from '../../kube/kinds.ts';
import { unifiedDiff } from '../../render/diff.ts';
import { renderYamlDocument } from '../../render/render.ts';
import type { Resource } from '../../render/resource.ts';
import type { CommandContext } from '../context.ts';
import { kubectlName, loadKubeTarget, type DeliveryFlags } from '../delivery.ts';
import { loadAndConvert, type ManifestFlags } from './convert.ts';
import type { TranslateFlags } from '../options.ts';

export interface DiffFlags extends ManifestFlags, TranslateFlags, DeliveryFlags {}

/** Server bookkeeping that is not configuration: left out of both sides, as kubectl diff does. */
function clean(object: KubeObject | Resource): Record<string, unknown> {
  const { status: _status, ...rest } = object as unknown as Record<string, unknown>;
  const metadata = { ...(rest['metadata'] as Record<string, unknown>) };
  for (const key of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink']) delete metadata[key];
  return { ...rest, metadata };
}

/**
 * `cfmesh diff -f manifest.yml`: what applying would change in the cluster. Each rendered object is
 * server-side applied with dryRun=All and compared with the live object; objects of cfmesh's ApplySet
 * that are no longer rendered show as removed. Exit 0: no differences; 1: differences (kubectl diff's
 * convention); 4: the cluster could not be asked.
 */
export async function diffCommand(ctx: CommandContext, flags: DiffFlags): Promise<void> {
  const config = await loadKubeTarget(ctx, flags);
  const result = await loadAndConvert(ctx, flags, { namespace: config.namespace });
  ctx.warn(result.warnings);
  const { createKubeClient } = await import('../../kube/client.ts');
  const client = createKubeClient(config, { signal: ctx.io.signal, log: ctx.debug });
  const setId = applySetId(flags.applyset ?? 'cfmesh', config.namespace);
  let changed = 0;
  try {
    const rendered = new Set<string>();
    for (const resource of result.resources) {
      const ref = { apiVersion: resource.apiVersion, kind: resource.kind, namespace: config.namespace, name: resource.metadata.name };
      rendered.add(`${resource.kind}/${resource.metadata.name}`);
      const member: Resource = { ...resource, metadata: { ...resource.metadata, namespace: config.namespace, labels: { ...resource.metadata.labels, [APPLYSET_PART_OF_LABEL]: setId } } };
      const live = await client.get(ref);
      const merged = (await client.apply(member, { dryRun: true, force: flags.forceConflicts === true })).object;
      const before = live ? renderYamlDocument(clean(live)) : '';
      const after = renderYamlDocument(clean(merged));
      const name = kubectlName({ apiVersion: resource.apiVersion, kind: resource.kind, name: resource.metadata.name });
      const text = unifiedDiff(before, after, live ? `live/${name}` : '/dev/null', `rendered/${name}`);
      if (text) {
        changed++;
        ctx.io.stdout.write(text);
      }
    }
    const kinds = [...new Set(result.resources.map((r) => `${r.apiVersion} ${r.kind}`))].sort();
    for (const pair of kinds) {
      const [apiVersion, kind] = pair.split(' ') as [string, string];
      const members = await client.list({ apiVersion, kind, namespace: config.namespace }, { labelSelector: `${APPLYSET_PART_OF_LABEL}=${setId}` });
      for (const member of members.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
        if (rendered.has(`${member.kind}/${member.metadata.name}`)) continue;
        changed++;
        const name = kubectlName({ apiVersion, kind, name: member.metadata.name });
        ctx.io.stdout.write(unifiedDiff(renderYamlDocument(clean(member)), '', `live/${name}`, '/dev/null'));
      }
    }
  } finally {
    await client.close();
  }
  ctx.info(changed === 0 ? 'no differences' : `${changed} object(s) differ`);
  if (changed > 0) throw Object.assign(new ToolError('INVALID', `${changed} object(s) differ from the cluster`), { reported: true });
}
