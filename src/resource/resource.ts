/** A Kubernetes object as cfmesh emits it: built as data, rendered later, never edited as text. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

export interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: Readonly<Record<string, unknown>>;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'cfmesh';

/** `kind.group/name` (`virtualservice.networking.istio.io/reviews.example.com`), as kubectl names objects (core kinds have no group). */
export function kubectlName(item: { readonly apiVersion: string; readonly kind: string; readonly name: string }): string {
  const group = item.apiVersion.includes('/') ? item.apiVersion.slice(0, item.apiVersion.indexOf('/')) : '';
  return `${item.kind.toLowerCase()}${group ? `.${group}` : ''}/${item.name}`;
}

/** `Kind/namespace/name`, the identity used in reports and diffs. */
export function resourceId(r: Pick<Resource, 'kind' | 'metadata'>): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

/** RFC 6902 operations (a JSON patch, `application/json-patch+json`). */
export type JsonPatchOp =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };
