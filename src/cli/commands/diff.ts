import { EXIT_CODES } from '../../diagnostics/exit-codes.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { APPLYSET_PART_OF_LABEL } from '../../kube/applyset.ts';
import type { KubeObject } from '../../kube/kinds.ts';
import { unifiedDiff } from '../../render/diff.ts';
import { renderYamlDocument } from '../../render/render.ts';
import type { Resource } from '../../resource/resource.ts';
import { printProblems } from '../../ui/diagnostics.ts';
import type { CommandContext } from '../context.ts';
import { kubeClientOptions, kubectlName, loadKubeTarget, type DeliveryFlags } from '../delivery.ts';
import { loadAndConvert, type ManifestFlags } from './convert.ts';
import type { TranslateFlags } from '../options.ts';
import { VERSION } from '../version.ts';

export interface DiffFlags extends ManifestFlags, TranslateFlags, DeliveryFlags {}

/** Server bookkeeping that is not configuration: left out of both sides, as kubectl diff does. */
function clean(object: KubeObject | Resource): Record<string, unknown> {
  const { status: _status, ...rest } = object as unknown as Record<string, unknown>;
  const metadata = { ...(rest['metadata'] as Record<string, unknown>) };
  for (const key of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink']) delete metadata[key];
  return { ...rest, metadata };
}

/**
 * `cfmesh diff -f manifest.yml`: what `convert --apply` would change in the cluster. Each rendered object
 * is made into the member apply would send (the same ApplySet decision: apply.ts openApplySet, with the
 * parent written as a server dry run, so a forbidden or unserved parent is found here exactly as apply
 * finds it), server-side applied with dryRun=All and compared with the live object; members of the
 * ApplySet that are no longer rendered show as removed.
 *
 * Exit codes follow kubectl diff (kubectl v0.32.4 pkg/cmd/diff/diff.go: "0 No differences were found.
 * 1 Differences were found. >1 Kubectl or diff failed with an error."; every error goes through
 * cmdutil.CheckDiffErr, pkg/cmd/util/helpers.go, which exits with the usual code plus one, so never 1).
 * cfmesh keeps its own codes above 1 (2 usage, 3 local I/O, 4 the cluster, 70, 130) and gives what
 * exits 1 elsewhere (an invalid manifest, an unknown context, --strict) 2: kubectl's 1 + 1.
 */
export async function diffCommand(ctx: CommandContext, flags: DiffFlags): Promise<void> {
  let changed: number;
  try {
    changed = await diffAgainstCluster(ctx, flags);
  } catch (error) {
    throw asDiffError(ctx, error);
  }
  ctx.info(changed === 0 ? 'no differences' : `${changed} object(s) differ`);
  if (changed > 0) throw new ToolError('DIFFERENCES', `${changed} object(s) differ from the cluster`, { reported: true });
}

/** An error that would exit 1 is printed here and exits 2, so that 1 means "differences" only. */
function asDiffError(ctx: CommandContext, error: unknown): unknown {
  if (!(error instanceof ToolError) || EXIT_CODES[error.code] !== 1) return error;
  if (!error.reported) printProblems(ctx.io, ctx.c, error.warnings, error, { quiet: ctx.flags.quiet });
  return new ToolError('USAGE', error.message, { reported: true });
}

async function diffAgainstCluster(ctx: CommandContext, flags: DiffFlags): Promise<number> {
  const config = await loadKubeTarget(ctx, flags);
  const result = await loadAndConvert(ctx, flags, { namespace: config.namespace });
  ctx.warn(result.warnings);
  const [{ createKubeClient }, { applyMember, memberOf, openApplySet }] = await Promise.all([import('../../kube/client.ts'), import('../../kube/apply.ts')]);
  const client = createKubeClient(config, kubeClientOptions(ctx, flags, result.target));
  const forceConflicts = flags.forceConflicts === true;
  let changed = 0;
  try {
    const set = await openApplySet(client, result.resources, { namespace: config.namespace, applySetName: flags.applyset ?? 'cfmesh', dryRun: true, forceConflicts, toolVersion: VERSION });
    if (set.error) throw set.error;
    if (set.skipped) ctx.info(`compared without the ApplySet, as convert --apply would apply: ${set.skipped}; objects it would have pruned are not listed`);
    const rendered = new Set<string>();
    for (const resource of result.resources) {
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
        ctx.io.stdout.write(text);
      }
    }
    if (set.id !== undefined) {
      const kinds = [...new Set(result.resources.map((r) => `${r.apiVersion} ${r.kind}`))].sort();
      for (const pair of kinds) {
        const [apiVersion, kind] = pair.split(' ') as [string, string];
        const members = await client.list({ apiVersion, kind, namespace: config.namespace }, { labelSelector: `${APPLYSET_PART_OF_LABEL}=${set.id}` });
        for (const member of members.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
          if (rendered.has(`${member.kind}/${member.metadata.name}`)) continue;
          changed++;
          const name = kubectlName({ apiVersion, kind, name: member.metadata.name });
          ctx.io.stdout.write(unifiedDiff(renderYamlDocument(clean(member)), '', `live/${name}`, '/dev/null'));
        }
      }
    }
  } finally {
    await client.close();
  }
  return changed;
}
