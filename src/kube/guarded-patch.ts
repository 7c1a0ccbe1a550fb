import { ToolError } from '../diagnostics/tool-error.ts';
import type { JsonPatchOp, KubeClient } from './client.ts';
import type { KubeObject, ObjectRef } from './kinds.ts';

/**
 * A JSON patch computed on the object as it is, guarded by a `test` of its resourceVersion: GET the
 * object, compute the operations on what was read, PATCH them after the test. Nothing else is sent,
 * so fields other tools own stay exactly as they are. When the object changed between the read and
 * the patch (the test fails, or a 409), it is read again and the patch computed again, at most
 * `maxAttempts` times (default 5, as client-go's DefaultRetry).
 */
export interface GuardedPatchOptions {
  readonly maxAttempts?: number | undefined;
  readonly dryRun?: boolean | undefined;
  /** The field manager the apiserver records the write under (ADR 0012). */
  readonly fieldManager?: string | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface GuardedPatchResult {
  /** False when there was nothing to change (nothing was sent). */
  readonly changed: boolean;
  /** What was sent, the `test` first (empty when nothing was). */
  readonly ops: readonly JsonPatchOp[];
  readonly resourceVersion: string | undefined;
  readonly attempts: number;
}

export async function patchGuarded(
  client: KubeClient,
  ref: ObjectRef & { readonly name: string },
  compute: (live: KubeObject) => readonly JsonPatchOp[],
  opts: GuardedPatchOptions = {},
): Promise<GuardedPatchResult> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const where = `${ref.kind} ${ref.namespace}/${ref.name}`;
  let live = await client.get(ref);
  for (let attempt = 1; ; attempt++) {
    if (!live) throw new ToolError('NOT_FOUND', `${where} does not exist`, { hint: 'deliver the routes first (push or convert --target kubernetes)' });
    const ops = compute(live);
    const rv = live.metadata.resourceVersion;
    if (ops.length === 0) return { changed: false, ops: [], resourceVersion: rv, attempts: attempt };
    const patch: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, ...ops];
    try {
      const updated = await client.jsonPatch(ref, patch, { dryRun: opts.dryRun, fieldManager: opts.fieldManager });
      return { changed: true, ops: patch, resourceVersion: updated.metadata.resourceVersion, attempts: attempt };
    } catch (error) {
      if (!(error instanceof ToolError) || attempt >= maxAttempts) throw error;
      // A failed `test` is a 422 (apiserver handlers/patch.go: NewGenericServerResponse(422, …)), as is a
      // patch the server refuses for what it says; only a resourceVersion that moved makes it a race.
      const again = error.code === 'API_CONFLICT' || (error.code === 'API_REJECTED' && error.httpStatus === 422) ? await client.get(ref) : undefined;
      if (error.code !== 'API_CONFLICT' && (again === undefined || again?.metadata.resourceVersion === rv)) throw error;
      opts.log?.(`${where} changed while patching; reading it again (attempt ${attempt + 1} of ${maxAttempts})`);
      live = again;
    }
  }
}
