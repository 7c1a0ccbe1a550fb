/**
 * Kind → resource (plural) for what cfmesh writes. Discovery could find these, but that costs a round trip
 * per group on every run; the table is fixed by the Istio CRDs and the core API.
 */
export const PLURALS: Readonly<Record<string, string>> = {
  Gateway: 'gateways',
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  ServiceEntry: 'serviceentries',
  WorkloadEntry: 'workloadentries',
  Sidecar: 'sidecars',
  PeerAuthentication: 'peerauthentications',
  AuthorizationPolicy: 'authorizationpolicies',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
};

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

export function pluralOf(kind: string, extra?: Readonly<Record<string, string>>): string | undefined {
  return extra?.[kind] ?? PLURALS[kind];
}

export function objectPath(ref: ObjectRef, plural: string): string {
  const { group, version } = splitApiVersion(ref.apiVersion);
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const coll = `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${plural}`;
  return ref.name === undefined ? coll : `${coll}/${encodeURIComponent(ref.name)}`;
}
