import { EXIT_CODES } from '../../diagnostics/exit-codes.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { printProblems } from '../../ui/diagnostics.ts';
import type { CommandContext } from '../context.ts';
import { kubeClientOptions, loadKubeTarget, type DeliveryFlags } from '../delivery.ts';
import { loadAndConvert, type ManifestFlags } from './convert.ts';
import type { TranslateFlags } from '../options.ts';
import { VERSION } from '../version.ts';

export interface DiffFlags extends ManifestFlags, TranslateFlags, DeliveryFlags {}

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
  const { diffWithCluster } = await import('../../app/cluster-diff.ts');
  const request = {
    config,
    resources: result.resources,
    client: kubeClientOptions(ctx, flags, result.target),
    applySetName: flags.applyset ?? 'cfmesh',
    forceConflicts: flags.forceConflicts === true,
    toolVersion: VERSION,
  };
  return diffWithCluster(
    request,
    (text) => ctx.io.stdout.write(text),
    (why) => ctx.info(`compared without the ApplySet, as convert --apply would apply: ${why}; objects it would have pruned are not listed`),
  );
}
