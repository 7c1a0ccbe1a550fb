import { ToolError } from '../diagnostics/tool-error.ts';
import type { Resource } from '../render/resource.ts';
import {
  APPLYSET_GROUP_KINDS_ANNOTATION,
  APPLYSET_GROUP_RESOURCES_ANNOTATION,
  APPLYSET_ID_LABEL,
  APPLYSET_PARENT_API_VERSION,
  APPLYSET_PARENT_KIND,
  APPLYSET_PART_OF_LABEL,
  APPLYSET_TOOLING_ANNOTATION,
  applySetId,
  formatGroupKinds,
  parseGroupKinds,
  toolingValue,
} from './applyset.ts';
import type { KubeClient } from './client.ts';
import { groupKind, type KubeObject } from './kinds.ts';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'failed';

export interface ApplyReportItem {
  /** `Kind/namespace/name` (resourceId). */
  readonly id: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly action: ApplyAction;
  readonly error?: ToolError | undefined;
}

export interface ApplyReport {
  readonly items: readonly ApplyReportItem[];
  /** Every item succeeded (and the ApplySet parent, if any, was written). */
  readonly ok: boolean;
  readonly dryRun: boolean;
  /** The ApplySet id used, when there was one. */
  readonly applySetId?: string | undefined;
  /** Set when pruning was asked for but skipped (e.g. because an apply failed). */
  readonly pruneSkipped?: string | undefined;
  /** Errors that are not about one member (the ApplySet parent). */
  readonly errors: readonly ToolError[];
}

export interface ApplyResourcesOptions {
  /** Namespace for resources without one, and the ApplySet's namespace. */
  readonly namespace: string;
  /** Name of the ApplySet parent Secret; required for prune. */
  readonly applySetName?: string | undefined;
  readonly prune: boolean;
  /** `--dry-run=server`: everything is sent with dryRun=All; the report says what would happen. */
  readonly dryRun: boolean;
  /** `--force-conflicts`: only then is `force=true` sent. */
  readonly forceConflicts: boolean;
  readonly concurrency?: number | undefined;
  /** Called once per finished item, in completion order. */
  readonly onProgress?: ((item: ApplyReportItem) => void) | undefined;
  /** cfmesh's version, for the ApplySet tooling annotation. */
  readonly toolVersion?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

function toToolError(err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  return new ToolError('INTERNAL', `unexpected error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** What counts as a change for the report: everything but server bookkeeping. */
function comparable(o: KubeObject | undefined): string {
  if (!o) return '';
  const { metadata, ...rest } = o;
  const { managedFields: _m, resourceVersion: _r, generation: _g, uid: _u, creationTimestamp: _c, ...meta } = metadata as Record<string, unknown>;
  return JSON.stringify(sortKeys({ ...rest, metadata: meta }));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Applies every resource with server-side apply (field manager `cfmesh`), then optionally prunes the
 * ApplySet's members that are no longer in the set.
 *
 * created / configured / unchanged: a GET before the apply tells whether the object existed (a 201 from the
 * apply is also taken as "created", which covers a delete in between); for an existing object the answer is
 * compared with the object read before, ignoring server bookkeeping (resourceVersion, generation,
 * managedFields). That works the same for a real and a server dry-run apply.
 *
 * ApplySet order follows kubectl: write the parent first with the union of the old and new group-kinds (so
 * an interrupted run can still find what it created), apply the members, prune, then write the parent
 * with the new group-kinds only.
 */
export async function applyResources(client: KubeClient, resources: readonly Resource[], opts: ApplyResourcesOptions): Promise<ApplyReport> {
  const items: ApplyReportItem[] = [];
  const errors: ToolError[] = [];
  const report = (item: ApplyReportItem): void => {
    items.push(item);
    opts.onProgress?.(item);
  };
  if (opts.prune && opts.applySetName === undefined) {
    throw new ToolError('USAGE', 'pruning needs an ApplySet name', { hint: 'cfmesh prunes only the members of its own ApplySet' });
  }

  const setName = opts.applySetName;
  let id = setName === undefined ? undefined : applySetId(setName, opts.namespace);
  let pruneSkipped: string | undefined;
  const tooling = toolingValue(opts.toolVersion ?? '0.0.0');
  let oldGroupKinds: string[] = [];
  const newGroupKinds = formatGroupKinds(resources.map((r) => groupKind(r.apiVersion, r.kind)));
  const parentRef = setName === undefined ? undefined : { apiVersion: APPLYSET_PARENT_API_VERSION, kind: APPLYSET_PARENT_KIND, namespace: opts.namespace, name: setName };

  const writeParent = async (groupKinds: string): Promise<void> => {
    if (!parentRef || id === undefined) return;
    await client.apply(
      {
        apiVersion: APPLYSET_PARENT_API_VERSION,
        kind: APPLYSET_PARENT_KIND,
        metadata: {
          name: parentRef.name,
          namespace: parentRef.namespace,
          labels: { [APPLYSET_ID_LABEL]: id },
          annotations: { [APPLYSET_TOOLING_ANNOTATION]: tooling, [APPLYSET_GROUP_KINDS_ANNOTATION]: groupKinds },
        },
        type: 'Opaque',
      } as unknown as Resource,
      { dryRun: opts.dryRun, force: opts.forceConflicts },
    );
  };

  if (parentRef && id !== undefined) {
    try {
      const parent = await client.get(parentRef);
      if (parent) {
        const theirTooling = parent.metadata.annotations?.[APPLYSET_TOOLING_ANNOTATION];
        if (theirTooling !== undefined && !theirTooling.startsWith('cfmesh/')) {
          throw new ToolError('API_CONFLICT', `ApplySet ${opts.namespace}/${setName} belongs to "${theirTooling}", not cfmesh; cfmesh will not change it`, {
            hint: 'choose another ApplySet name for cfmesh',
          });
        }
        const theirId = parent.metadata.labels?.[APPLYSET_ID_LABEL];
        if (theirId === undefined && Object.keys(parent.metadata.annotations ?? {}).every((k) => !k.startsWith('applyset.kubernetes.io/'))) {
          throw new ToolError('API_CONFLICT', `Secret ${opts.namespace}/${setName} exists and is not an ApplySet parent; cfmesh will not take it over`, {
            hint: 'choose another ApplySet name for cfmesh',
          });
        }
        if (theirId !== undefined && theirId !== id) {
          throw new ToolError('API_CONFLICT', `ApplySet parent ${opts.namespace}/${setName} carries the id ${theirId}, expected ${id}`, {
            hint: 'the parent was copied or edited by hand; repair or delete it deliberately',
          });
        }
        oldGroupKinds = parseGroupKinds(parent.metadata.annotations?.[APPLYSET_GROUP_KINDS_ANNOTATION] ?? parent.metadata.annotations?.[APPLYSET_GROUP_RESOURCES_ANNOTATION]);
      }
      await writeParent(formatGroupKinds([...oldGroupKinds, ...parseGroupKinds(newGroupKinds)]));
    } catch (err) {
      const e = toToolError(err);
      if (parentUnavailable(e)) {
        // We may not (RBAC) or cannot (a server without core Secrets) keep a parent: apply without the
        // ApplySet, and so without pruning, and say so. Nothing that is not ours is ever deleted.
        pruneSkipped = `the ApplySet parent Secret ${opts.namespace}/${setName} could not be written (${e.message}); applied without an ApplySet, nothing was pruned`;
        id = undefined;
      } else {
        // Without a trustworthy parent nothing may be applied into the set.
        errors.push(e);
        for (const r of resources) report(itemOf(r, opts.namespace, 'failed', e));
        return { items, ok: false, dryRun: opts.dryRun, applySetId: id, errors };
      }
    }
  }

  const wanted = new Set<string>();
  await pool(resources, opts.concurrency ?? 4, async (r) => {
    const namespace = r.metadata.namespace ?? opts.namespace;
    wanted.add(`${groupKind(r.apiVersion, r.kind)}/${namespace}/${r.metadata.name}`);
    try {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (id !== undefined && namespace !== opts.namespace) {
        throw new ToolError('API_REJECTED', `${r.kind} ${namespace}/${r.metadata.name} is outside the ApplySet's namespace ${opts.namespace}`, {
          hint: 'deliver one namespace at a time',
        });
      }
      const member: Resource =
        id === undefined
          ? { ...r, metadata: { ...r.metadata, namespace } }
          : { ...r, metadata: { ...r.metadata, namespace, labels: { ...r.metadata.labels, [APPLYSET_PART_OF_LABEL]: id } } };
      const before = await client.get({ apiVersion: r.apiVersion, kind: r.kind, namespace, name: r.metadata.name });
      const { object, created } = await client.apply(member, { dryRun: opts.dryRun, force: opts.forceConflicts });
      const action: ApplyAction = created || !before ? 'created' : comparable(before) === comparable(object) ? 'unchanged' : 'configured';
      report(itemOf(r, namespace, action));
    } catch (err) {
      if (opts.signal?.aborted && err === opts.signal.reason) throw err;
      report(itemOf(r, namespace, 'failed', toToolError(err)));
    }
  });

  const applyFailed = items.some((i) => i.action === 'failed');
  let finalGroupKinds = formatGroupKinds([...oldGroupKinds, ...parseGroupKinds(newGroupKinds)]);
  if (opts.prune && id !== undefined) {
    if (applyFailed) {
      pruneSkipped = 'some resources failed to apply; nothing was pruned';
    } else {
      let pruneFailed = false;
      for (const gk of parseGroupKinds(finalGroupKinds)) {
        const [kind, ...groupParts] = gk.split('.');
        const group = groupParts.join('.');
        const sample = resources.find((r) => groupKind(r.apiVersion, r.kind) === gk);
        // The version to list with: the one we emit, else the group's preferred version from discovery.
        let apiVersion = sample?.apiVersion;
        try {
          if (apiVersion === undefined) {
            const info = await client.discover(group);
            if (info === undefined) continue; // the group is gone, and with it every member of this kind
            apiVersion = group === '' ? (info.preferredVersion ?? 'v1') : `${group}/${info.preferredVersion ?? info.versions[0] ?? 'v1'}`;
          }
          const members = await client.list({ apiVersion, kind: kind ?? '', namespace: opts.namespace }, { labelSelector: `${APPLYSET_PART_OF_LABEL}=${id}` });
          for (const m of members) {
            // Belt and braces: never delete anything that does not carry our exact label.
            if (m.metadata.labels?.[APPLYSET_PART_OF_LABEL] !== id) continue;
            if (wanted.has(`${gk}/${opts.namespace}/${m.metadata.name}`)) continue;
            const ref = { apiVersion, kind: kind ?? '', namespace: opts.namespace, name: m.metadata.name };
            const asResource = { apiVersion, kind: kind ?? '', metadata: { name: m.metadata.name, namespace: opts.namespace }, spec: {} };
            try {
              await client.delete(ref, { dryRun: opts.dryRun, uid: m.metadata.uid });
              report(itemOf(asResource, opts.namespace, 'pruned'));
            } catch (err) {
              pruneFailed = true;
              report(itemOf(asResource, opts.namespace, 'failed', toToolError(err)));
            }
          }
        } catch (err) {
          pruneFailed = true;
          errors.push(toToolError(err));
        }
      }
      if (!pruneFailed) finalGroupKinds = newGroupKinds;
    }
  }

  if (id !== undefined && !applyFailed) {
    try {
      await writeParent(finalGroupKinds);
    } catch (err) {
      errors.push(toToolError(err));
    }
  }
  const ok = errors.length === 0 && items.every((i) => i.action !== 'failed');
  return { items, ok, dryRun: opts.dryRun, applySetId: id, pruneSkipped, errors };
}

/** Forbidden, or a server that does not serve Secrets at all: the parent cannot be kept. */
/** The ApplySet parent Secret is forbidden to us (RBAC) or not served (an API server without core Secrets). */
function parentUnavailable(e: ToolError): boolean {
  return e.httpStatus === 403 || e.httpStatus === 404 || e.code === 'CRD_MISSING';
}

function itemOf(r: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>, namespace: string, action: ApplyAction, error?: ToolError): ApplyReportItem {
  return {
    id: `${r.kind}/${namespace}/${r.metadata.name}`,
    apiVersion: r.apiVersion,
    kind: r.kind,
    name: r.metadata.name,
    namespace,
    action,
    ...(error ? { error } : {}),
  };
}
