import { createHash } from 'node:crypto';
import { splitApiVersion } from './kinds.ts';

/** kubectl's ApplySet names (kubectl pkg/cmd/apply/applyset.go, not the KEP's applyset.k8s.io drafts). */
export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id';
export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of';
export const APPLYSET_TOOLING_ANNOTATION = 'applyset.kubernetes.io/tooling';
export const APPLYSET_GROUP_KINDS_ANNOTATION = 'applyset.kubernetes.io/contains-group-kinds';
/** The deprecated spelling kubectl still reads. */
export const APPLYSET_GROUP_RESOURCES_ANNOTATION = 'applyset.kubernetes.io/contains-group-resources';
export const APPLYSET_ADDITIONAL_NAMESPACES_ANNOTATION = 'applyset.kubernetes.io/additional-namespaces';

/** The parent is a Secret, kubectl's default parent kind (see ADR 0005). */
export const APPLYSET_PARENT_KIND = 'Secret';
export const APPLYSET_PARENT_API_VERSION = 'v1';

/** `applyset-<base64url-nopad(sha256("<name>.<namespace>.<Kind>.<group>"))>-v1` */
export function applySetId(name: string, namespace: string, kind = APPLYSET_PARENT_KIND, apiVersion = APPLYSET_PARENT_API_VERSION): string {
  const { group } = splitApiVersion(apiVersion);
  const hash = createHash('sha256').update(`${name}.${namespace}.${kind}.${group}`).digest('base64url');
  return `applyset-${hash}-v1`;
}

export function toolingValue(version: string): string {
  return `cfmesh/${version}`;
}

/** The sorted, comma-separated GroupKind list kubectl writes. */
export function formatGroupKinds(groupKinds: Iterable<string>): string {
  return [...new Set(groupKinds)].sort().join(',');
}

export function parseGroupKinds(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
