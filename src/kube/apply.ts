import { ToolError } from '../diagnostics/tool-error.ts';
import type { Resource } from '../resource/resource.ts';
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
import { OWN_FIELD_MANAGERS, type ApplyResult, type KubeClient } from './client.ts';
import { conflictManagersOf } from './errors.ts';
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
  /** cfmesh's own field managers whose fields this apply took over (see OWN_FIELD_MANAGERS). */
  readonly takenOver?: readonly string[] | undefined;
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

  const set = await openApplySet(client, resources, opts);
  if (set.error) {
    // Without a trustworthy parent nothing may be applied into the set.
    errors.push(set.error);
    for (const r of resources) report(itemOf(r, opts.namespace, 'failed', set.error));
    return { items, ok: false, dryRun: opts.dryRun, applySetId: set.id, errors };
  }
  const id = set.id;
  let pruneSkipped = set.skipped !== undefined ? `${set.skipped}; applied without an ApplySet, nothing was pruned` : undefined;
  const oldGroupKinds = set.oldGroupKinds;
  const newGroupKinds = formatGroupKinds(resources.map((r) => groupKind(r.apiVersion, r.kind)));

  const wanted = new Set<string>();
  // A server that cannot be reached is not asked once per remaining resource: after the first such
  // failure the rest are reported with it, unsent (the whole run is then bounded by one call's budget).
  let unreachable: ToolError | undefined;
  await pool(resources, opts.concurrency ?? 4, async (r) => {
    const namespace = r.metadata.namespace ?? opts.namespace;
    wanted.add(`${groupKind(r.apiVersion, r.kind)}/${namespace}/${r.metadata.name}`);
    try {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (unreachable) throw unreachable;
      if (id !== undefined && namespace !== opts.namespace) {
        throw new ToolError('API_REJECTED', `${r.kind} ${namespace}/${r.metadata.name} is outside the ApplySet's namespace ${opts.namespace}`, {
          hint: 'deliver one namespace at a time',
        });
      }
      const before = await client.get({ apiVersion: r.apiVersion, kind: r.kind, namespace, name: r.metadata.name });
      const member = memberOf(r, namespace, before, set, opts);
      const { object, created, takenOver } = await applyMember(client, member, opts);
      const action: ApplyAction = created || !before ? 'created' : comparable(before) === comparable(object) ? 'unchanged' : 'configured';
      report({ ...itemOf(r, namespace, action), ...(takenOver ? { takenOver } : {}) });
    } catch (err) {
      if (opts.signal?.aborted && err === opts.signal.reason) throw err;
      const e = toToolError(err);
      if (e.code === 'API_UNREACHABLE' && e.httpStatus === undefined) unreachable ??= e;
      report(itemOf(r, namespace, 'failed', e));
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
      await set.writeParent(finalGroupKinds);
    } catch (err) {
      errors.push(toToolError(err));
    }
  }
  const ok = errors.length === 0 && items.every((i) => i.action !== 'failed');
  return { items, ok, dryRun: opts.dryRun, applySetId: id, pruneSkipped, errors };
}

/**
 * One server-side apply. cfmesh's own writes never conflict with each other: a conflict with only
 * cfmesh's field managers (the weights `update-route --weight` patched live, as cfmesh-weights; a JSON
 * patch of an older cfmesh, recorded as an Update of "cfmesh") is taken over with force, and said
 * (`takenOver`). A conflict with anyone else stays a conflict unless --force-conflicts.
 */
export async function applyMember(client: KubeClient, member: Resource, opts: Pick<ApplyResourcesOptions, 'dryRun' | 'forceConflicts'>): Promise<ApplyResult & { takenOver?: readonly string[] | undefined }> {
  try {
    return await client.apply(member, { dryRun: opts.dryRun, force: opts.forceConflicts });
  } catch (err) {
    const managers = err instanceof ToolError ? conflictManagersOf(err) : undefined;
    if (opts.forceConflicts || managers === undefined || !managers.every((m) => OWN_FIELD_MANAGERS.includes(m))) throw err;
    return { ...(await client.apply(member, { dryRun: opts.dryRun, force: true })), takenOver: managers };
  }
}

/** What `openApplySet` found: the set to apply into, or why there is none. */
export interface OpenApplySet {
  /** The id members carry; undefined when there is no ApplySet (none asked for, or the parent is unavailable). */
  readonly id: string | undefined;
  /** The id the set would have: also when the parent turned out unavailable. */
  readonly intendedId: string | undefined;
  readonly oldGroupKinds: readonly string[];
  /** Why the ApplySet was skipped (the parent Secret is forbidden or not served): the reason alone. */
  readonly skipped?: string | undefined;
  /** The parent exists but is not cfmesh's to use: nothing may be applied. */
  readonly error?: ToolError | undefined;
  writeParent(groupKinds: string): Promise<void>;
}

/**
 * The ApplySet parent, as apply and diff both need it: read it, check it is cfmesh's, and write it with
 * the union of the old and new group-kinds (kubectl's order, so an interrupted run can still find what it
 * created). With `dryRun` the write is a server dry run, which the apiserver authorizes like the real
 * one: `diff` therefore finds a forbidden parent exactly where `apply` would, and both then go without
 * the ApplySet (ADR 0012).
 */
export async function openApplySet(
  client: KubeClient,
  resources: readonly Resource[],
  opts: Pick<ApplyResourcesOptions, 'namespace' | 'applySetName' | 'dryRun' | 'forceConflicts' | 'toolVersion'>,
): Promise<OpenApplySet> {
  const setName = opts.applySetName;
  const none: OpenApplySet = { id: undefined, intendedId: undefined, oldGroupKinds: [], writeParent: async () => {} };
  if (setName === undefined) return none;
  const id = applySetId(setName, opts.namespace);
  const tooling = toolingValue(opts.toolVersion ?? '0.0.0');
  const parentRef = { apiVersion: APPLYSET_PARENT_API_VERSION, kind: APPLYSET_PARENT_KIND, namespace: opts.namespace, name: setName };
  const writeParent = async (groupKinds: string): Promise<void> => {
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
  const newGroupKinds = resources.map((r) => groupKind(r.apiVersion, r.kind));
  let oldGroupKinds: string[] = [];
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
    await writeParent(formatGroupKinds([...oldGroupKinds, ...newGroupKinds]));
    return { id, intendedId: id, oldGroupKinds, writeParent };
  } catch (err) {
    const e = toToolError(err);
    if (parentUnavailable(e)) {
      // We may not (RBAC) or cannot (a server without core Secrets) keep a parent: apply without the
      // ApplySet, and so without pruning, and say so. Nothing that is not ours is ever deleted.
      return {
        id: undefined,
        intendedId: id,
        oldGroupKinds: [],
        skipped: `the ApplySet parent Secret ${opts.namespace}/${setName} could not be written (${e.message})`,
        writeParent: async () => {},
      };
    }
    return { ...none, id, intendedId: id, error: e };
  }
}

/**
 * The object as it is sent: with the set's part-of label. An object that already belongs to another
 * ApplySet (convert --apply's `cfmesh` and the state commands' `cfmesh-state` are two) is refused, so
 * neither silently takes over, and later prunes, the other's objects; --force-conflicts moves it. Without
 * an ApplySet (parent unavailable), an object that carries the label of the set we would have used keeps
 * it, so that applying it does not remove it from that set.
 */
export function memberOf(
  r: Resource,
  namespace: string,
  live: KubeObject | undefined,
  set: Pick<OpenApplySet, 'id' | 'intendedId'>,
  opts: Pick<ApplyResourcesOptions, 'forceConflicts'>,
): Resource {
  const theirs = live?.metadata.labels?.[APPLYSET_PART_OF_LABEL];
  const label = set.id ?? (theirs !== undefined && theirs === set.intendedId ? theirs : undefined);
  if (theirs !== undefined && theirs !== label && !opts.forceConflicts) {
    const owner = knownApplySet(theirs, namespace);
    throw new ToolError('API_CONFLICT', `${r.kind} ${namespace}/${r.metadata.name} belongs to ${owner ?? `another ApplySet (${theirs})`}; cfmesh will not move it${set.id !== undefined ? ` into ${knownApplySet(set.id, namespace) ?? 'this ApplySet'}` : ''}`, {
      hint: `deliver it from one place: leave it to ${owner ? owner.replace(/ \(.*$/, '') : 'that ApplySet'}, delete it there first, or take it over with --force-conflicts (the other ApplySet then no longer prunes it)`,
    });
  }
  const labels = { ...r.metadata.labels, ...(label !== undefined ? { [APPLYSET_PART_OF_LABEL]: label } : {}) };
  return { ...r, metadata: { ...r.metadata, namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) } };
}

/** The ApplySets cfmesh itself keeps, by id: `convert --apply`'s and the state commands'. */
function knownApplySet(id: string, namespace: string): string | undefined {
  if (id === applySetId('cfmesh', namespace)) return 'ApplySet cfmesh (convert --apply)';
  if (id === applySetId('cfmesh-state', namespace)) return 'ApplySet cfmesh-state (the state commands: push, map-route, ...)';
  return undefined;
}

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
