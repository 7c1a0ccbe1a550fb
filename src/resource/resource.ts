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

/** `Kind/namespace/name`, the identity used in reports and diffs. */
export function resourceId(r: Pick<Resource, 'kind' | 'metadata'>): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}
