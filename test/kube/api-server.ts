/**
 * A Kubernetes API test server: TLS with a generated CA, discovery, namespaced CRUD for the Istio kinds and
 * Secrets/ConfigMaps, server-side apply with per-manager field ownership and conflicts, JSON patch with `test`
 * ops, resourceVersion conflicts, 422 validation, bearer/basic/client-certificate auth, and fault injection.
 *
 * The SSA model is deliberately simplified: ownership is tracked per label/annotation key and per top-level
 * field of `spec` (and `data`). Every Istio list (`spec.http`, `spec.hosts`) is therefore atomic, which is
 * exactly what the real Istio CRDs give (they set no x-kubernetes-list-type).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { stringify as toYaml } from 'yaml';
import { testPki } from './certs.ts';

type Json = unknown;
type Obj = Record<string, unknown>;

interface GroupDef {
  readonly versions: readonly string[];
  readonly resources: Readonly<Record<string, string>>; // plural → Kind
}

const CORE: GroupDef = { versions: ['v1'], resources: { secrets: 'Secret', configmaps: 'ConfigMap', namespaces: 'Namespace' } };
const ISTIO_GROUPS: Readonly<Record<string, GroupDef>> = {
  'networking.istio.io': {
    versions: ['v1', 'v1beta1', 'v1alpha3'],
    resources: {
      gateways: 'Gateway',
      virtualservices: 'VirtualService',
      destinationrules: 'DestinationRule',
      serviceentries: 'ServiceEntry',
      workloadentries: 'WorkloadEntry',
      sidecars: 'Sidecar',
    },
  },
  'security.istio.io': {
    versions: ['v1', 'v1beta1'],
    resources: { peerauthentications: 'PeerAuthentication', authorizationpolicies: 'AuthorizationPolicy' },
  },
};

/**
 * The Gateway API group as its v1.5.1 CRDs serve it: the standard channel's kinds at v1 (and
 * v1beta1), the experimental channel adding TCPRoute at v1alpha2 (kubernetes-sigs/gateway-api
 * v1.5.1 config/crd/{standard,experimental}).
 */
const GATEWAY_API_GROUP: GroupDef = {
  versions: ['v1', 'v1beta1'],
  resources: { gateways: 'Gateway', httproutes: 'HTTPRoute', grpcroutes: 'GRPCRoute', referencegrants: 'ReferenceGrant' },
};
const GATEWAY_API_EXPERIMENTAL: GroupDef = { versions: ['v1', 'v1beta1', 'v1alpha2'], resources: { ...GATEWAY_API_GROUP.resources, tcproutes: 'TCPRoute' } };

export type Fault =
  | { readonly type: 'status'; readonly code: number; readonly retryAfter?: number | undefined; readonly retryAfterSeconds?: number | undefined }
  | { readonly type: 'reset' }
  | { readonly type: 'delay'; readonly ms: number }
  /** Answers like an apiserver that does not serve the path: plain-text `404 page not found`. */
  | { readonly type: 'plain404' }
  /** Runs `run` (e.g. another writer changing the object) and then serves the request normally. */
  | { readonly type: 'before'; readonly run: () => void };

export interface RecordedRequest {
  readonly method: string;
  /** Path with query string. */
  readonly path: string;
  /** Request headers without authorization, proxy-authorization and cookie. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** How the request authenticated: bearer, basic, cert, or none. */
  readonly auth: 'bearer' | 'basic' | 'cert' | 'none';
  readonly status: number;
  readonly at: number;
}

export interface StartKubeApiServerOptions {
  /** Serve networking.istio.io and security.istio.io (default true). */
  readonly serveIstio?: boolean | undefined;
  /** Versions of networking.istio.io served (default v1, v1beta1, v1alpha3). */
  readonly istioVersions?: readonly string[] | undefined;
  /** Serve a certificate whose only name is kubernetes.default.svc (hostname-mismatch tests). */
  readonly wrongHostCert?: boolean | undefined;
  /** Put the request headers (including Authorization) into every error message, like a careless proxy. */
  readonly echoHeadersInErrors?: boolean | undefined;
  /** Allow unauthenticated requests (default false). */
  readonly anonymous?: boolean | undefined;
  /** Serve gateway.networking.k8s.io: its standard or experimental channel (default: not served). */
  readonly gatewayApi?: 'standard' | 'experimental' | undefined;
  /** The `gateway.networking.k8s.io/bundle-version` annotation of the Gateway API CRDs (default v1.5.1). */
  readonly gatewayApiBundle?: string | undefined;
}

export interface KubeconfigSpec {
  readonly auth: 'token' | 'tokenFile' | 'basic' | 'cert-data' | 'cert-file' | 'exec' | 'none';
  /** How the CA is given (default `data`). */
  readonly ca?: 'data' | 'file' | 'none' | undefined;
  readonly insecure?: boolean | undefined;
  readonly tlsServerName?: string | undefined;
  readonly namespace?: string | undefined;
  readonly contextName?: string | undefined;
  /** Override the server URL. */
  readonly server?: string | undefined;
  /** For auth `exec`: the plugin script (see writeExecPlugin) and extra settings. */
  readonly exec?: { readonly script: string; readonly apiVersion?: string; readonly provideClusterInfo?: boolean; readonly installHint?: string; readonly env?: readonly { name: string; value: string }[] } | undefined;
  /** Write file paths relative to the kubeconfig's directory. */
  readonly relativePaths?: boolean | undefined;
  /** Where to write it (default a new file in the server's temp dir). */
  readonly file?: string | undefined;
}

export interface ExecPluginSpec {
  /** Token to print (default the server's exec token). */
  readonly token?: string | undefined;
  /** Print the server's client certificate instead of a token. */
  readonly clientCert?: boolean | undefined;
  /** Exit non-zero after printing this to stderr (and a token-looking line to stdout). */
  readonly fail?: string | undefined;
  readonly apiVersion?: string | undefined;
  /** Seconds until expirationTimestamp. */
  readonly expiresInSeconds?: number | undefined;
}

export interface KubeApiServer {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly caFile: string;
  /** A temp dir for the test's files; removed by close(). */
  readonly dir: string;
  readonly token: string;
  /** Token the exec plugin prints by default (also accepted). */
  readonly execToken: string;
  readonly username: string;
  readonly password: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly requests: RecordedRequest[];
  /** Every secret value this server hands out (for leak assertions). */
  readonly secrets: readonly string[];
  writeKubeconfig(spec: KubeconfigSpec): string;
  /** Writes a node script acting as an exec credential plugin; returns its path. Invocations are counted. */
  writeExecPlugin(spec?: ExecPluginSpec): string;
  execInvocations(script: string): number;
  /** The next `count` requests (matching `match`, default all) get this fault. */
  inject(fault: Fault, count?: number, match?: (method: string, path: string) => boolean): void;
  clearFaults(): void;
  setServeIstio(serve: boolean): void;
  addToken(token: string): void;
  /** Direct store access for test setup and assertions. */
  store: {
    get(apiVersion: string, kind: string, namespace: string, name: string): Obj | undefined;
    /** Writes as a full Update by `manager` (e.g. "rollouts-controller"): it owns the fields it changed. */
    put(obj: Obj, manager: string): Obj;
    all(): Obj[];
  };
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------- field model

type Path = readonly string[];

function pathKey(p: Path): string {
  return JSON.stringify(p);
}

function showPath(p: Path): string {
  return `.${p.join('.')}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  return v;
}

/** The fields an object sets, at the granularity of this model. */
function fieldsOf(obj: Obj): Path[] {
  const out: Path[] = [];
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  for (const m of ['labels', 'annotations']) {
    const map = meta[m];
    if (isObj(map)) for (const k of Object.keys(map)) out.push(['metadata', m, k]);
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status') continue;
    if (isObj(v) && (k === 'spec' || k === 'data' || k === 'stringData')) for (const sub of Object.keys(v)) out.push([k, sub]);
    else out.push([k]);
  }
  return out;
}

function getAt(obj: Obj, p: Path): unknown {
  let cur: unknown = obj;
  for (const seg of p) {
    if (!isObj(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function setAt(obj: Obj, p: Path, value: unknown): void {
  let cur: Obj = obj;
  for (const seg of p.slice(0, -1)) {
    if (!isObj(cur[seg])) cur[seg] = {};
    cur = cur[seg] as Obj;
  }
  cur[p[p.length - 1] as string] = clone(value);
}

function deleteAt(obj: Obj, p: Path): void {
  const parent = getAt(obj, p.slice(0, -1));
  if (isObj(parent)) delete parent[p[p.length - 1] as string];
  // drop emptied containers (labels: {}), as the apiserver does not keep empty maps from apply
  if (p.length > 1 && isObj(parent) && Object.keys(parent).length === 0) deleteAt(obj, p.slice(0, -1));
}

interface Owner {
  /** The field manager's name (`fieldManager`, else the user agent's prefix). */
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: Map<string, Path>;
}

interface Stored {
  obj: Obj;
  owners: Map<string, Owner>;
}

/**
 * The key of a managedFields entry, as the apiserver builds it: the manager's name, the operation and, for an
 * Update only, the API version (kubernetes staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/
 * managedfields.go `BuildManagerIdentifier`, commit e0a566e7). So an Update by "cfmesh" and an Apply by
 * "cfmesh" are two managers, and an apply conflicts with the fields the same name took over by an Update.
 */
function managerId(manager: string, operation: Owner['operation'], apiVersion: string): string {
  return JSON.stringify(operation === 'Apply' ? [manager, operation] : [manager, operation, apiVersion]);
}

/**
 * How a conflict names a manager (internal/conflict.go `printManager`): an applier by its name, an updater
 * with the API version it wrote (the identifier carries no time, so no "at").
 */
function printManager(e: Owner): string {
  return e.operation === 'Update' ? `"${e.manager}" using ${e.apiVersion}` : `"${e.manager}"`;
}

/**
 * The manager of a non-apply write: `fieldManager` when given, else the user agent up to its first `/`
 * (kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go `managerOrUserAgent` and
 * `prefixFromUserAgent`; patch.go passes it to `UpdateNoErrors` for JSON and merge patches, commit 00f75347).
 */
function managerOrUserAgent(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  return (userAgent ?? '').split('/')[0]!.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 128);
}

function fieldsV1(fields: Iterable<Path>): Obj {
  const root: Obj = {};
  for (const p of fields) {
    let cur = root;
    for (const seg of p) {
      const k = `f:${seg}`;
      if (!isObj(cur[k])) cur[k] = {};
      cur = cur[k] as Obj;
    }
  }
  return root;
}

function withManagedFields(s: Stored, apiVersion: string): Obj {
  const o = clone(s.obj);
  const meta = o.metadata as Obj;
  meta.managedFields = [...s.owners.entries()]
    .filter(([, e]) => e.fields.size > 0)
    .map(([, e]) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: fieldsV1(e.fields.values()) }));
  o.apiVersion = apiVersion;
  return o;
}

/** Content that counts as a change (not bookkeeping). */
function content(obj: Obj): unknown {
  const { metadata, ...rest } = obj;
  const m = isObj(metadata) ? metadata : {};
  return { ...rest, labels: m.labels ?? {}, annotations: m.annotations ?? {} };
}

// ---------------------------------------------------------------------------------------------- JSON patch

class PatchError extends Error {}

function unescapePtr(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid path ${p}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJsonPatch(doc: Obj, ops: readonly Obj[]): Obj {
  const root = clone(doc);
  const parentOf = (segs: string[]): { parent: unknown; last: string } => {
    let cur: unknown = root;
    for (const s of segs.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(s)];
      else if (isObj(cur)) cur = cur[s];
      else throw new PatchError(`doc is missing path: /${segs.join('/')}`);
      if (cur === undefined) throw new PatchError(`doc is missing path: /${segs.join('/')}`);
    }
    return { parent: cur, last: segs[segs.length - 1] ?? '' };
  };
  const read = (path: string): unknown => {
    let cur: unknown = root;
    for (const s of unescapePtr(path)) {
      if (Array.isArray(cur)) cur = cur[Number(s)];
      else if (isObj(cur)) cur = cur[s];
      else return undefined;
    }
    return cur;
  };
  const write = (path: string, value: unknown, mode: 'add' | 'replace'): void => {
    const segs = unescapePtr(path);
    const { parent, last } = parentOf(segs);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length || (mode === 'replace' && i >= parent.length)) {
        throw new PatchError(`${mode} operation does not apply: doc is missing path: ${path}`);
      }
      if (mode === 'add') parent.splice(i, 0, clone(value));
      else parent[i] = clone(value);
    } else if (isObj(parent)) {
      if (mode === 'replace' && !(last in parent)) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
      parent[last] = clone(value);
    } else throw new PatchError(`${mode} operation does not apply: doc is missing path: ${path}`);
  };
  const remove = (path: string): unknown => {
    const segs = unescapePtr(path);
    const { parent, last } = parentOf(segs);
    if (Array.isArray(parent)) {
      const i = Number(last);
      if (!(i >= 0 && i < parent.length)) throw new PatchError(`remove operation does not apply: doc is missing path: ${path}`);
      return parent.splice(i, 1)[0];
    }
    if (isObj(parent) && last in parent) {
      const v = parent[last];
      delete parent[last];
      return v;
    }
    throw new PatchError(`remove operation does not apply: doc is missing path: ${path}`);
  };
  for (const op of ops) {
    const path = String(op.path ?? '');
    switch (op.op) {
      case 'add':
        write(path, op.value, 'add');
        break;
      case 'replace':
        write(path, op.value, 'replace');
        break;
      case 'remove':
        remove(path);
        break;
      case 'test':
        if (!deepEqual(read(path), op.value)) throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      case 'move':
        write(path, remove(String(op.from)), 'add');
        break;
      case 'copy':
        write(path, read(String(op.from)), 'add');
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return root;
}

/** JSON merge patch (RFC 7386): null removes, objects merge, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- validation

interface Cause {
  reason: string;
  message: string;
  field: string;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validate(kind: string, obj: Obj): Cause[] {
  const causes: Cause[] = [];
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  else if (!NAME_RE.test(name) || name.length > 253) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`, field: 'metadata.name' });
  }
  if (obj.spec !== undefined && !isObj(obj.spec)) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be an object', field: 'spec' });
  if (kind === 'VirtualService' && isObj(obj.spec)) {
    const http = obj.spec.http;
    if (http !== undefined && !Array.isArray(http)) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be an array', field: 'spec.http' });
    if (Array.isArray(http)) {
      http.forEach((r, i) => {
        const route = isObj(r) ? r.route : undefined;
        if (!Array.isArray(route)) return;
        route.forEach((d, j) => {
          const w = isObj(d) ? d.weight : undefined;
          if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 0)) {
            causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(w)}: weight must be a non-negative integer`, field: `spec.http[${i}].route[${j}].weight` });
          }
        });
      });
    }
  }
  return causes;
}

// ---------------------------------------------------------------------------------------------- server

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function matchesSelector(labels: Readonly<Record<string, string>>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    let m = /^([^!=]+)!=(.*)$/.exec(t);
    if (m) return labels[(m[1] ?? '').trim()] !== (m[2] ?? '').trim();
    m = /^([^=]+)==?(.*)$/.exec(t);
    if (m) return labels[(m[1] ?? '').trim()] === (m[2] ?? '').trim();
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function yamlQuote(s: string): string {
  return JSON.stringify(s);
}

export async function startKubeApiServer(opts: StartKubeApiServerOptions = {}): Promise<KubeApiServer> {
  const pki = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-kube-'));
  const caFile = join(dir, 'ca.crt');
  const clientCertFile = join(dir, 'client.crt');
  const clientKeyFile = join(dir, 'client.key');
  writeFileSync(caFile, pki.caCert);
  writeFileSync(clientCertFile, pki.clientCert);
  writeFileSync(clientKeyFile, pki.clientKey, { mode: 0o600 });

  const token = `tok-${randomBytes(12).toString('hex')}`;
  const execToken = `exec-${randomBytes(12).toString('hex')}`;
  const username = 'admin';
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const tokens = new Set([token, execToken]);
  let serveIstio = opts.serveIstio ?? true;
  const istioVersions = opts.istioVersions ?? ISTIO_GROUPS['networking.istio.io']?.versions ?? [];
  const requests: RecordedRequest[] = [];
  const faults: { fault: Fault; remaining: number; match: ((m: string, p: string) => boolean) | undefined }[] = [];
  const objects = new Map<string, Stored>();
  let rv = 1000;
  const scripts = new Map<string, string>(); // script → counter file

  const gatewayApi = opts.gatewayApi === 'experimental' ? GATEWAY_API_EXPERIMENTAL : opts.gatewayApi === 'standard' ? GATEWAY_API_GROUP : undefined;
  const groupNames = () => [...Object.keys(ISTIO_GROUPS), ...(gatewayApi ? ['gateway.networking.k8s.io'] : [])];

  function groupDef(group: string): GroupDef | undefined {
    if (group === '') return CORE;
    if (group === 'gateway.networking.k8s.io') return gatewayApi;
    if (!serveIstio) return undefined;
    const g = ISTIO_GROUPS[group];
    if (!g) return undefined;
    return group === 'networking.istio.io' ? { ...g, versions: istioVersions } : g;
  }

  /** `/openapi/v3`: one entry per group-version served. */
  function openApiIndex(): Obj {
    const out: Obj = { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1' } };
    for (const g of groupNames()) {
      const d = groupDef(g);
      for (const v of d?.versions ?? []) out[`apis/${g}/${v}`] = { serverRelativeURL: `/openapi/v3/apis/${g}/${v}` };
    }
    return out;
  }

  /**
   * One group-version's OpenAPI v3 document: a schema per kind, tagged with its group-version-kind as the
   * apiserver tags them, open to any field (the Istio CRDs' own structural schemas are checked by
   * test/istio/validate-istio.ts, not here).
   */
  function openApiDoc(path: string): Obj | undefined {
    const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return undefined;
    const group = m[2] ?? '';
    const version = m[1] ?? m[3] ?? '';
    const d = groupDef(group);
    if (!d || !d.versions.includes(version)) return undefined;
    const schemas: Obj = {};
    const paths: Obj = {};
    for (const [plural, kind] of Object.entries(d.resources)) {
      // kubectl sends fieldValidation=Strict (server-side validation) when a kind's PATCH takes the
      // parameter (cli-runtime resource/query_param_verifier_v3.go supportsQueryParamV3), and falls back
      // to downloading the OpenAPI v2 document otherwise.
      paths[`/${group === '' ? 'api' : `apis/${group}`}/${version}/namespaces/{namespace}/${plural}/{name}`] = {
        patch: { 'x-kubernetes-group-version-kind': { group, version, kind }, parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }], responses: {} },
      };
      schemas[`${group === '' ? 'io.k8s.api.core' : group.split('.').reverse().join('.')}.${version}.${kind}`] = {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-group-version-kind': [{ group, version, kind }],
      };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
  }

  function storeKey(group: string, plural: string, ns: string, name: string): string {
    return `${group}/${plural}/${ns}/${name}`;
  }

  function pluralOfKind(group: string, kind: string): string | undefined {
    const def = group === '' ? CORE : group === 'gateway.networking.k8s.io' ? gatewayApi : ISTIO_GROUPS[group];
    return def ? Object.entries(def.resources).find(([, k]) => k === kind)?.[0] : undefined;
  }

  function authenticate(req: IncomingMessage): RecordedRequest['auth'] | undefined {
    const h = req.headers.authorization;
    if (typeof h === 'string') {
      if (h.startsWith('Bearer ')) return tokens.has(h.slice(7)) ? 'bearer' : undefined;
      if (h.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
        return u === username && p.join(':') === password ? 'basic' : undefined;
      }
      return undefined;
    }
    const sock = req.socket as TLSSocket;
    if (sock.authorized && sock.getPeerCertificate()?.subject) return 'cert';
    return opts.anonymous ? 'none' : undefined;
  }

  function bookkeeping(obj: Obj, prev: Obj | undefined, group: string, plural: string, ns: string, changedSpec: boolean): void {
    const meta = obj.metadata as Obj;
    meta.namespace = ns;
    meta.uid = (prev?.metadata as Obj | undefined)?.uid ?? randomUUID();
    meta.creationTimestamp = (prev?.metadata as Obj | undefined)?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const prevGen = Number((prev?.metadata as Obj | undefined)?.generation ?? 0);
    meta.generation = prev ? (changedSpec ? prevGen + 1 : prevGen) : 1;
    meta.resourceVersion = String(++rv);
    void group;
    void plural;
  }

  /**
   * A full-object write by `manager` (PUT, JSON or merge patch, test setup): an Update, which takes the
   * fields whose value it changed from every other manager, appliers included, without conflicts (the
   * structured-merge-diff README: "PUT/PATCH always force").
   */
  function update(key: string, group: string, plural: string, ns: string, next: Obj, manager: string, apiVersion: string, dryRun: boolean): Obj {
    const prev = objects.get(key);
    const owners = new Map<string, Owner>();
    for (const [m, e] of prev?.owners ?? []) owners.set(m, { ...e, fields: new Map(e.fields) });
    const nextFields = fieldsOf(next);
    const nextKeys = new Set(nextFields.map(pathKey));
    const changed = nextFields.filter((p) => !prev || !deepEqual(getAt(prev.obj, p), getAt(next, p)));
    for (const e of owners.values()) {
      for (const p of changed) e.fields.delete(pathKey(p));
      for (const k of [...e.fields.keys()]) if (!nextKeys.has(k)) e.fields.delete(k);
    }
    if (changed.length > 0) {
      const id = managerId(manager, 'Update', apiVersion);
      const mine = owners.get(id) ?? { manager, operation: 'Update' as const, apiVersion, time: '', fields: new Map<string, Path>() };
      for (const p of changed) mine.fields.set(pathKey(p), p);
      mine.time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      owners.set(id, mine);
    }
    const obj = clone(next);
    if (!isObj(obj.metadata)) obj.metadata = {};
    const same = prev !== undefined && deepEqual(content(prev.obj), content(obj));
    if (same && prev) return withManagedFields(prev, apiVersion);
    bookkeeping(obj, prev?.obj, group, plural, ns, !prev || !deepEqual(prev.obj.spec, obj.spec));
    const stored = { obj, owners };
    if (!dryRun) objects.set(key, stored);
    return withManagedFields(stored, apiVersion);
  }

  function send(res: ServerResponse, code: number, body: Json, extraHeaders: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', ...extraHeaders });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'https://x');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const echo = opts.echoHeadersInErrors ? ` [request headers: ${JSON.stringify(req.headers)}]` : '';
    const fail = (code: number, reason: string, message: string, details?: Obj, headers?: Record<string, string>): number => {
      send(res, code, status(code, reason, message + echo, details), headers);
      return code;
    };
    const plain404 = (): number => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end('404 page not found\n');
      return 404;
    };

    // faults come first, as a proxy or an overloaded apiserver would answer before auth
    const fi = faults.findIndex((f) => f.remaining > 0 && (!f.match || f.match(method, url.pathname)));
    const f = fi === -1 ? undefined : faults[fi];
    if (f) {
      f.remaining--;
      if (f.remaining === 0) faults.splice(fi, 1);
      const fault = f.fault;
      if (fault.type === 'reset') {
        req.socket.destroy();
        return 0;
      }
      if (fault.type === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault.type === 'before') fault.run();
      if (fault.type === 'plain404') return plain404();
      if (fault.type === 'status') {
        const reason =
          ({ 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 429: 'TooManyRequests', 503: 'ServiceUnavailable' } as Record<number, string>)[fault.code] ?? 'InternalError';
        const details = fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined;
        const message =
          fault.code === 429 ? 'Too many requests, please try again later.' : fault.code === 403 ? `secrets is forbidden: User "test" cannot get resource "secrets" (injected)` : 'an error on the server ("injected") has prevented the request from succeeding';
        return fail(fault.code, reason, message, details, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : undefined);
      }
    }

    const who = authenticate(req);
    if (who === undefined) return fail(401, 'Unauthorized', 'Unauthorized');
    (req as IncomingMessage & { cfmeshAuth?: string }).cfmeshAuth = who;

    const parts = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    // What kubectl asks before it applies: the server version, and the OpenAPI v3 documents it validates
    // against (it falls back to v2, which the apiserver serves only as protobuf, so v3 is what we serve).
    if (method === 'GET' && url.pathname === '/version') return (send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' }), 200);
    if (method === 'GET' && url.pathname === '/openapi/v3') return (send(res, 200, { paths: openApiIndex() }), 200);
    if (method === 'GET' && parts[0] === 'openapi' && parts[1] === 'v3') {
      const doc = openApiDoc(parts.slice(2).join('/'));
      if (!doc) return plain404();
      send(res, 200, doc);
      return 200;
    }
    // The Gateway API CRD objects, as far as cfmesh's preflight reads them (their bundle-version).
    const crd = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/([a-z0-9.-]+)$/.exec(url.pathname);
    if (method === 'GET' && crd && gatewayApi) {
      const name = crd[1] as string;
      const plural = name.endsWith('.gateway.networking.k8s.io') ? name.slice(0, -'.gateway.networking.k8s.io'.length) : '';
      if (!(plural in gatewayApi.resources)) return (send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }), 404);
      send(res, 200, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name, annotations: { 'gateway.networking.k8s.io/bundle-version': opts.gatewayApiBundle ?? 'v1.5.1', 'gateway.networking.k8s.io/channel': opts.gatewayApi } } });
      return 200;
    }
    // discovery
    if (method === 'GET' && url.pathname === '/api') return (send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }), 200);
    if (method === 'GET' && url.pathname === '/apis') {
      const groups = groupNames()
        .map((g) => [g, groupDef(g)] as const)
        .filter((e): e is readonly [string, GroupDef] => e[1] !== undefined)
        .map(([name, d]) => ({ name, versions: d.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${d.versions[0]}`, version: d.versions[0] } }));
      send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      return 200;
    }
    // OpenAPI v3, as far as kubectl reads it: the root lists a document per group-version, and each
    // document has a PATCH operation per kind with the `fieldValidation` query parameter (so kubectl
    // leaves validation to the server, k8s.io/cli-runtime v0.32.4 pkg/resource/query_param_verifier_v3.go)
    // and the patch types a custom resource accepts: no strategic merge patch, so `kubectl apply`
    // sends a JSON merge patch (k8s.io/kubectl v0.32.4 pkg/cmd/apply/patcher.go patchSimple).
    if (method === 'GET' && url.pathname === '/openapi/v3') {
      const paths: Obj = {};
      for (const g of groupNames()) {
        const d = groupDef(g);
        for (const v of d?.versions ?? []) paths[`apis/${g}/${v}`] = { serverRelativeURL: `/openapi/v3/apis/${g}/${v}?hash=${g}-${v}` };
      }
      send(res, 200, { paths });
      return 200;
    }
    if (method === 'GET' && parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'apis' && parts.length === 5) {
      const g = parts[3] ?? '';
      const v = parts[4] ?? '';
      const d = groupDef(g);
      if (!d || !d.versions.includes(v)) return plain404();
      const paths: Obj = {};
      for (const [plural, kind] of Object.entries(d.resources)) {
        const query = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
        paths[`/apis/${g}/${v}/namespaces/{namespace}/${plural}/{name}`] = {
          patch: {
            operationId: `patchNamespaced${kind}`,
            'x-kubernetes-group-version-kind': { group: g, version: v, kind },
            'x-kubernetes-action': 'patch',
            parameters: [query('dryRun'), query('fieldManager'), query('fieldValidation'), { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }],
            requestBody: { content: { 'application/json-patch+json': { schema: { type: 'object' } }, 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/apply-patch+yaml': { schema: { type: 'object' } } }, required: true },
            responses: { '200': { description: 'OK' } },
          },
        };
      }
      send(res, 200, { openapi: '3.0.0', info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' }, paths, components: { schemas: {} } });
      return 200;
    }
    if (method === 'GET' && parts[0] === 'apis' && parts.length === 2) {
      const name = parts[1] ?? '';
      const d = groupDef(name);
      if (!d) return plain404();
      send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', name, versions: d.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${d.versions[0]}`, version: d.versions[0] } });
      return 200;
    }
    let group: string;
    let rest: string[];
    if (parts[0] === 'api') {
      group = '';
      rest = parts.slice(1);
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? '';
      rest = parts.slice(2);
    } else return plain404();
    const def = groupDef(group);
    const [version, nsWord, ns, plural, name, ...extra] = rest;
    if (!def || version === undefined || !def.versions.includes(version)) return plain404();
    if (nsWord === undefined) {
      send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: Object.entries(def.resources).map(([p, k]) => ({ name: p, namespaced: true, kind: k, verbs: ['get', 'list', 'patch', 'update', 'delete', 'create'] })) });
      return 200;
    }
    if (nsWord !== 'namespaces' || ns === undefined || plural === undefined || extra.length > 0) return plain404();
    const kind = def.resources[plural];
    if (!kind) return plain404();
    const apiVersion = group ? `${group}/${version}` : version;
    const qualified = group ? `${plural}.${group}` : plural;
    const dryRun = url.searchParams.get('dryRun') === 'All';

    if (name === undefined && method === 'POST') {
      // Create (kubectl's client-side apply creates what does not exist yet).
      let obj: unknown;
      try {
        obj = JSON.parse(body);
      } catch {
        return fail(400, 'BadRequest', 'the body of the request was in an unknown format - accepted media types include: application/json');
      }
      if (!isObj(obj) || !isObj(obj.metadata) || typeof obj.metadata.name !== 'string') return fail(422, 'Invalid', `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
      const createName = obj.metadata.name;
      const key = storeKey(group, plural, ns, createName);
      if (objects.has(key)) return fail(409, 'AlreadyExists', `${qualified} "${createName}" already exists`, { name: createName, group, kind: plural });
      const causes = validate(kind, obj);
      if (causes.length > 0) return fail(422, 'Invalid', `${kind} "${createName}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name: createName, group, kind, causes });
      const created = update(key, group, plural, ns, { ...clone(obj), apiVersion, kind, metadata: { ...(obj.metadata as Obj), namespace: ns } }, managerOrUserAgent(url.searchParams.get('fieldManager'), req.headers['user-agent']), apiVersion, dryRun);
      send(res, 201, created);
      return 201;
    }
    if (name === undefined) {
      if (method !== 'GET') return fail(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      const sel = url.searchParams.get('labelSelector');
      const items = [...objects.entries()]
        .filter(([k]) => k.startsWith(`${group}/${plural}/${ns}/`))
        .map(([, s]) => s)
        .filter((s) => matchesSelector(((s.obj.metadata as Obj).labels as Record<string, string>) ?? {}, sel))
        .map((s) => {
          const o = withManagedFields(s, apiVersion);
          delete o.apiVersion;
          delete o.kind;
          return o;
        });
      send(res, 200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: String(rv) }, items });
      return 200;
    }

    const key = storeKey(group, plural, ns, name);
    const existing = objects.get(key);
    const notFound = (): number => fail(404, 'NotFound', `${qualified} "${name}" not found`, { name, group, kind: plural });
    const manager = managerOrUserAgent(url.searchParams.get('fieldManager'), req.headers['user-agent']);

    if (method === 'GET') {
      if (!existing) return notFound();
      send(res, 200, withManagedFields(existing, apiVersion));
      return 200;
    }
    if (method === 'DELETE') {
      if (!existing) return notFound();
      let opts2: Obj = {};
      try {
        opts2 = body ? (JSON.parse(body) as Obj) : {};
      } catch {
        return fail(400, 'BadRequest', 'the body of the request was in an unknown format');
      }
      const pre = isObj(opts2.preconditions) ? opts2.preconditions : {};
      const meta = existing.obj.metadata as Obj;
      if (pre.uid !== undefined && pre.uid !== meta.uid) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${String(meta.uid)}`, { name, group, kind: plural });
      }
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": Precondition failed: ResourceVersion in precondition: ${String(pre.resourceVersion)}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`, { name, group, kind: plural });
      }
      if (!dryRun) objects.delete(key);
      send(res, 200, status(200, '', '', { name, group, kind: plural, uid: meta.uid }));
      return 200;
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return fail(400, 'BadRequest', 'the body of the request was in an unknown format - accepted media types include: application/json');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';

    if (method === 'PUT') {
      if (!isObj(parsed)) return fail(400, 'BadRequest', 'expected an object');
      if (!existing) return notFound();
      const meta = isObj(parsed.metadata) ? parsed.metadata : {};
      if (meta.resourceVersion !== (existing.obj.metadata as Obj).resourceVersion) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group, kind: plural });
      }
      const causes = validate(kind, parsed);
      if (causes.length > 0) return invalid(causes);
      send(res, 200, update(key, group, plural, ns, stripSystem(parsed, existing.obj), manager, apiVersion, dryRun));
      return 200;
    }
    if (method !== 'PATCH') return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

    function invalid(causes: Cause[]): number {
      return fail(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name, group, kind, causes });
    }

    if (contentType === 'application/json-patch+json') {
      if (url.searchParams.has('force')) return fail(400, 'BadRequest', 'force: Forbidden: may not be specified for non-apply patch');
      if (!existing) return notFound();
      if (!Array.isArray(parsed)) return fail(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      let patched: Obj;
      try {
        patched = applyJsonPatch(withManagedFields(existing, apiVersion), parsed as Obj[]);
      } catch (err) {
        if (err instanceof PatchError) {
          // apiserver patch.go: errors.NewGenericServerResponse(http.StatusUnprocessableEntity, ...)
          return fail(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ reason: 'UnexpectedServerResponse', message: err.message }] });
        }
        throw err;
      }
      const pm = patched.metadata as Obj;
      if (pm.resourceVersion !== (existing.obj.metadata as Obj).resourceVersion) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group, kind: plural });
      }
      const causes = validate(kind, patched);
      if (causes.length > 0) return invalid(causes);
      send(res, 200, update(key, group, plural, ns, stripSystem(patched, existing.obj), manager, apiVersion, dryRun));
      return 200;
    }
    if (contentType === 'application/merge-patch+json') {
      // RFC 7386, as kubectl's client-side apply sends it for custom resources.
      if (url.searchParams.has('force')) return fail(400, 'BadRequest', 'force: Forbidden: may not be specified for non-apply patch');
      if (!existing) return notFound();
      if (!isObj(parsed)) return fail(400, 'BadRequest', 'json: cannot unmarshal into a merge patch');
      const patched = mergePatch(withManagedFields(existing, apiVersion), parsed) as Obj;
      const causes = validate(kind, patched);
      if (causes.length > 0) return invalid(causes);
      send(res, 200, update(key, group, plural, ns, stripSystem(patched, existing.obj), manager, apiVersion, dryRun));
      return 200;
    }
    if (contentType !== 'application/apply-patch+yaml') {
      return fail(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }

    // ------------------------------------------------------------------ server-side apply
    const fm = url.searchParams.get('fieldManager');
    if (!fm) return fail(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    if (!isObj(parsed)) return fail(400, 'BadRequest', 'error decoding YAML: expected an object');
    if (parsed.kind !== kind || parsed.apiVersion !== apiVersion) {
      return fail(400, 'BadRequest', `the API version in the data (${String(parsed.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    const causes = validate(kind, parsed);
    if (causes.length > 0) return invalid(causes);
    const pmeta = parsed.metadata as Obj;
    if (pmeta.name !== name) return fail(400, 'BadRequest', `the name of the object (${String(pmeta.name)}) does not match the name on the URL (${name})`);
    if (pmeta.namespace !== undefined && pmeta.namespace !== ns) return fail(400, 'BadRequest', `the namespace of the provided object does not match the namespace sent on the request`);
    const force = url.searchParams.get('force') === 'true';
    const applied = fieldsOf(parsed);
    const owners = new Map<string, Owner>();
    for (const [m, e] of existing?.owners ?? []) owners.set(m, { ...e, fields: new Map(e.fields) });
    const myId = managerId(fm, 'Apply', apiVersion);
    const conflicts: { id: string; owner: Owner; path: Path }[] = [];
    if (existing) {
      for (const p of applied) {
        for (const [m, e] of owners) {
          if (m === myId || !e.fields.has(pathKey(p))) continue;
          if (!deepEqual(getAt(existing.obj, p), getAt(parsed, p))) conflicts.push({ id: m, owner: e, path: p });
        }
      }
    }
    if (conflicts.length > 0 && !force) {
      // Wording of internal/conflict.go (NewConflictError / ConflictsToError).
      const byMgr = [...new Set(conflicts.map((c) => c.id))].sort();
      const first = conflicts[0] as (typeof conflicts)[number];
      const message =
        conflicts.length === 1
          ? `Apply failed with 1 conflict: conflict with ${printManager(first.owner)}: ${showPath(first.path)}`
          : `Apply failed with ${conflicts.length} conflicts: ${byMgr.map((m) => `conflicts with ${printManager(owners.get(m) as Owner)}:\n${conflicts.filter((c) => c.id === m).map((c) => `- ${showPath(c.path)}`).join('\n')}`).join('\n')}`;
      return fail(409, 'Conflict', message, {
        causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.owner)}`, field: showPath(c.path) })),
      });
    }
    for (const c of conflicts) owners.get(c.id)?.fields.delete(pathKey(c.path));
    const next: Obj = existing ? clone(existing.obj) : { apiVersion, kind, metadata: { name, namespace: ns } };
    const appliedKeys = new Set(applied.map(pathKey));
    const prevMine = owners.get(myId);
    if (prevMine?.operation === 'Apply') {
      for (const [k, p] of prevMine.fields) {
        if (appliedKeys.has(k)) continue;
        const ownedElsewhere = [...owners].some(([m, e]) => m !== myId && e.fields.has(k));
        if (!ownedElsewhere) deleteAt(next, p);
      }
    }
    for (const p of applied) setAt(next, p, getAt(parsed, p));
    const mine: Owner = {
      manager: fm,
      operation: 'Apply',
      apiVersion,
      time: prevMine?.time ?? '',
      fields: new Map(applied.map((p) => [pathKey(p), p])),
    };
    const ownershipChanged = !prevMine || prevMine.operation !== 'Apply' || prevMine.fields.size !== mine.fields.size || [...mine.fields.keys()].some((k) => !prevMine.fields.has(k)) || conflicts.length > 0;
    const unchanged = existing !== undefined && deepEqual(content(existing.obj), content(next)) && !ownershipChanged;
    if (unchanged && existing) {
      send(res, 200, withManagedFields(existing, apiVersion));
      return 200;
    }
    mine.time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    owners.set(myId, mine);
    const contentChanged = !existing || !deepEqual(content(existing.obj), content(next));
    const stored: Stored = { obj: next, owners };
    if (contentChanged || !existing) bookkeeping(next, existing?.obj, group, plural, ns, !existing || !deepEqual(existing.obj.spec, next.spec));
    else (next.metadata as Obj).resourceVersion = String(++rv); // a managedFields-only change is still a write
    if (!dryRun) objects.set(key, stored);
    else if (existing) (next.metadata as Obj).resourceVersion = (existing.obj.metadata as Obj).resourceVersion;
    send(res, existing ? 200 : 201, withManagedFields(stored, apiVersion));
    return existing ? 200 : 201;
  }

  function stripSystem(obj: Obj, prev: Obj): Obj {
    const o = clone(obj);
    const m = isObj(o.metadata) ? o.metadata : {};
    delete m.managedFields;
    const pm = prev.metadata as Obj;
    for (const k of ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'namespace']) m[k] = pm[k];
    o.metadata = m;
    return o;
  }

  const server: Server = createServer(
    {
      key: opts.wrongHostCert ? pki.wrongHostKey : pki.serverKey,
      cert: opts.wrongHostCert ? pki.wrongHostCert : pki.serverCert,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: false, // like the apiserver: no client certificate = try the other authenticators
    },
    (req, res) => {
      const at = Date.now();
      const record = (code: number, body: string): void => {
        const { authorization: _a, 'proxy-authorization': _p, cookie: _c, ...headers } = req.headers;
        requests.push({ method: req.method ?? '', path: req.url ?? '', headers, body, auth: ((req as IncomingMessage & { cfmeshAuth?: RecordedRequest['auth'] }).cfmeshAuth ?? 'none'), status: code, at });
      };
      let captured = '';
      req.on('data', (d: Buffer) => (captured += d.toString('utf8')));
      handle(req, res).then(
        (code) => record(code, captured),
        (err: unknown) => {
          record(500, captured);
          if (!res.headersSent) send(res, 500, status(500, 'InternalError', `test server bug: ${String(err)}`));
        },
      );
    },
  );
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `https://127.0.0.1:${port}`;
  let kubeconfigs = 0;

  const api: KubeApiServer = {
    url,
    port,
    caPem: pki.caCert,
    caFile,
    dir,
    token,
    execToken,
    username,
    password,
    clientCertFile,
    clientKeyFile,
    clientCertPem: pki.clientCert,
    clientKeyPem: pki.clientKey,
    requests,
    secrets: [token, execToken, password, Buffer.from(`${username}:${password}`).toString('base64'), pki.clientKey.split('\n')[1] ?? 'x'],
    writeKubeconfig(spec) {
      const file = spec.file ?? join(dir, `kubeconfig-${++kubeconfigs}.yaml`);
      const p = (abs: string): string => (spec.relativePaths ? abs.slice(dir.length + 1) : abs);
      const cluster: Obj = { server: spec.server ?? url };
      const ca = spec.ca ?? 'data';
      if (ca === 'data') cluster['certificate-authority-data'] = Buffer.from(pki.caCert).toString('base64');
      if (ca === 'file') cluster['certificate-authority'] = p(caFile);
      if (spec.insecure) cluster['insecure-skip-tls-verify'] = true;
      if (spec.tlsServerName) cluster['tls-server-name'] = spec.tlsServerName;
      const user: Obj = {};
      switch (spec.auth) {
        case 'token':
          user.token = token;
          break;
        case 'tokenFile': {
          const tf = join(dir, 'token');
          writeFileSync(tf, `${token}\n`, { mode: 0o600 });
          user.tokenFile = p(tf);
          break;
        }
        case 'basic':
          user.username = username;
          user.password = password;
          break;
        case 'cert-data':
          user['client-certificate-data'] = Buffer.from(pki.clientCert).toString('base64');
          user['client-key-data'] = Buffer.from(pki.clientKey).toString('base64');
          break;
        case 'cert-file':
          user['client-certificate'] = p(clientCertFile);
          user['client-key'] = p(clientKeyFile);
          break;
        case 'exec': {
          const e = spec.exec ?? { script: api.writeExecPlugin() };
          user.exec = {
            apiVersion: e.apiVersion ?? 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: [e.script],
            env: e.env ?? [{ name: 'PLUGIN_MODE', value: 'test' }],
            interactiveMode: 'Never',
            ...(e.provideClusterInfo ? { provideClusterInfo: true } : {}),
            ...(e.installHint ? { installHint: e.installHint } : {}),
          };
          break;
        }
        case 'none':
          break;
      }
      const ctx = spec.contextName ?? 'test';
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': ctx,
        clusters: [{ name: 'test-cluster', cluster }],
        users: [{ name: 'test-user', user }],
        contexts: [{ name: ctx, context: { cluster: 'test-cluster', user: 'test-user', ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
      };
      writeFileSync(file, toYaml(doc), { mode: 0o600 });
      return file;
    },
    writeExecPlugin(spec = {}) {
      const n = scripts.size + 1;
      const script = join(dir, `exec-plugin-${n}.mjs`);
      const counter = join(dir, `exec-plugin-${n}.count`);
      writeFileSync(counter, '0');
      const apiVersion = spec.apiVersion ?? 'client.authentication.k8s.io/v1';
      const status: Obj = spec.clientCert
        ? { clientCertificateData: pki.clientCert, clientKeyData: pki.clientKey }
        : { token: spec.token ?? execToken };
      const src = [
        `import { readFileSync, writeFileSync } from 'node:fs';`,
        `const counter = ${yamlQuote(counter)};`,
        `writeFileSync(counter, String(Number(readFileSync(counter, 'utf8')) + 1));`,
        `writeFileSync(counter + '.env', process.env.KUBERNETES_EXEC_INFO ?? '');`,
        spec.fail !== undefined
          ? `process.stdout.write(JSON.stringify({ status: { token: ${yamlQuote(spec.token ?? execToken)} } })); process.stderr.write(${yamlQuote(spec.fail)} + '\\n'); process.exit(3);`
          : `const exp = ${spec.expiresInSeconds === undefined ? 'undefined' : `new Date(Date.now() + ${spec.expiresInSeconds * 1000}).toISOString()`};
process.stdout.write(JSON.stringify({ apiVersion: ${yamlQuote(apiVersion)}, kind: 'ExecCredential', status: { ...${JSON.stringify(status)}, ...(exp ? { expirationTimestamp: exp } : {}) } }));`,
      ].join('\n');
      writeFileSync(script, src);
      chmodSync(script, 0o700);
      scripts.set(script, counter);
      if (spec.token) tokens.add(spec.token);
      return script;
    },
    execInvocations(script) {
      const c = scripts.get(script);
      return c === undefined ? 0 : Number(readFileSyncSafe(c));
    },
    inject(fault, count = 1, match) {
      faults.push({ fault, remaining: count, match });
    },
    clearFaults() {
      faults.length = 0;
    },
    setServeIstio(serve) {
      serveIstio = serve;
    },
    addToken(t) {
      tokens.add(t);
    },
    store: {
      get(apiVersion, kind, namespace, name) {
        const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
        const plural = pluralOfKind(group, kind);
        const s = plural ? objects.get(storeKey(group, plural, namespace, name)) : undefined;
        return s ? withManagedFields(s, apiVersion) : undefined;
      },
      put(obj, manager) {
        const apiVersion = String(obj.apiVersion);
        const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
        const plural = pluralOfKind(group, String(obj.kind));
        const meta = obj.metadata as Obj;
        if (!plural) throw new Error(`test server: unknown kind ${String(obj.kind)}`);
        const ns = String(meta.namespace ?? 'default');
        const key = storeKey(group, plural, ns, String(meta.name));
        const prev = objects.get(key);
        const o = prev ? stripSystem(obj, prev.obj) : clone(obj);
        return update(key, group, plural, ns, o, manager, apiVersion, false);
      },
      all() {
        return [...objects.values()].map((s) => withManagedFields(s, String(s.obj.apiVersion)));
      },
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}

function readFileSyncSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '0';
  }
}
