
/** Identifies one object (name) or one collection (no name). */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name?: string | undefined;
}

/** A Kubernetes object as the server returns it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly managedFields?: readonly ManagedFieldsEntry[];
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly apiVersion?: string;
  readonly time?: string;
  readonly fieldsType?: string;
  readonly fieldsV1?: unknown;
  readonly subresource?: string;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `VirtualService.networking.istio.io`, or `Secret` for the core group (kubectl's GroupKind string). */
export function groupKind(apiVersion: string, kind: string): string {
  const { group } = splitApiVersion(apiVersion);
  return group === '' ? kind : `${kind}.${group}`;
}

/**
 * Kind → resource (plural), as kubectl guesses it without discovery (which would cost a round trip per
 * group on every run): kubernetes 0383802c `staging/src/k8s.io/apimachinery/pkg/api/meta/restmapper.go`
 * UnsafeGuessKindToResource: lowercased; a kind ending in `endpoints` is its own plural; `s`, `z`, `ch`,
 * `sh`, `x` take `es`; a consonant and `y` becomes `ies`; anything else takes `s`. Every kind cfmesh
 * writes (Istio's, Gateway API's, Secret, ConfigMap) is named so by its CRD or the core API; `extra`
 * is for one that is not.
 */
export function pluralOf(kind: string, extra?: Readonly<Record<string, string>>): string {
  const given = extra?.[kind];
  if (given !== undefined) return given;
  const singular = kind.toLowerCase();
  if (singular.endsWith('endpoints')) return singular;
  if (/(s|z|ch|sh|x)$/.test(singular)) return `${singular}es`;
  if (/[^aeiou]y$/.test(singular)) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

export function objectPath(ref: ObjectRef, plural: string): string {
  const { group, version } = splitApiVersion(ref.apiVersion);
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  // A cluster-scoped object (a CustomResourceDefinition) has no namespace.
  const coll = ref.namespace === '' ? `${base}/${plural}` : `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${plural}`;
  return ref.name === undefined ? coll : `${coll}/${encodeURIComponent(ref.name)}`;
}
