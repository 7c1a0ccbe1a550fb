/**
 * CRD-level validation of Istio `spec`s: the OpenAPI v3 schema (via ajv) and the CEL `x-kubernetes-validations`
 * rules (re-implemented in TypeScript, keyed by their exact rule text).
 *
 * Data: `crd-schemas.json`, generated from Istio 1.30.3 by `extract-crd-schemas.mjs` (see NOTICE.md). The ajv
 * validators are compiled lazily, once per process.
 *
 * Schema semantics, as Kubernetes + `istioctl validate` apply them:
 * - Objects with `properties` and no `additionalProperties` / `x-kubernetes-preserve-unknown-fields` reject unknown
 *   fields (the API server would prune them silently, and `istioctl validate` parses spec strictly, so emitting an
 *   unknown field is always a translator bug).
 * - `format: int32 | uint32 | int64` are range-checked integers, `double` any number, `byte` base64, `date-time`
 *   RFC 3339. `x-kubernetes-int-or-string` accepts an integer or a string.
 * - `nullable: true` allows `null` (ajv's OpenAPI `nullable` keyword).
 * - `x-kubernetes-list-type: map` + `x-kubernetes-list-map-keys`: items must be unique by their keys (checked by
 *   the CEL walker below, as the API server would).
 *
 * CEL rules (`x-kubernetes-validations`): every rule text present in the eight schemas (24 distinct texts) is
 * implemented in CEL_RULES below, keyed by its exact text, and evaluated wherever the schema places it:
 *   - `duration(self) >= duration('1ms')` (VS timeout, retries.perTryTimeout/backoff, fault delays, corsPolicy.maxAge;
 *     DR/Sidecar connection-pool timeouts, tcpKeepalive, outlier interval/baseEjectionTime, warmup) - plus Istio's
 *     Go whole-millisecond rule on the same fields (rule `go/duration`)
 *   - Gateway/Sidecar server tls: at most one of credentialName / credentialNames / tlsCertificates (3 rules)
 *   - selectors (DR/PA/AP matchLabels, SE/Sidecar workloadSelector.labels): no `*` in keys or values, no empty keys
 *   - ServiceEntry: hosts != "*", port numbers unique (exists_one), ports/targetPort 1..65535, workloadSelector XOR
 *     endpoints, CIDR addresses only with NONE/STATIC, NONE has no endpoints, DNS_ROUND_ROBIN <= 1 endpoint
 *   - WorkloadEntry and SE endpoints: address or network required, UDS absolute/abstract and not a dir, UDS has no
 *     ports, port names match the DNS-label pattern (< 63 chars), port values 1..65535
 *   - PeerAuthentication: portLevelMtls requires selector.matchLabels, portLevelMtls keys int 1..65535
 *   - AuthorizationPolicy: at most one of selector/targetRef/targetRefs, targetRef(s).namespace empty,
 *     serviceAccounts excludes principals/namespaces
 * Skipped: none. `unimplementedCelRules()` lists rule texts in the data with no implementation; a test requires it
 * to be empty, so regenerating crd-schemas.json from a newer Istio forces a review. Not modelled: CEL cost limits
 * and `messageExpression`/`reason`/`fieldPath` (unused in these schemas); CEL runtime errors count as failures.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';

export interface SchemaProblem {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

interface KindEntry {
  readonly group: string;
  readonly plural: string;
  readonly servedVersions: readonly string[];
  readonly storageVersion: string;
  readonly openAPIV3Schema: JsonSchema;
}

interface SchemaFile {
  readonly source: Readonly<Record<string, string>>;
  readonly kinds: Readonly<Record<string, KindEntry>>;
}

/** A loosely typed OpenAPI v3 schema node. */
export interface JsonSchema {
  readonly [key: string]: unknown;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly 'x-kubernetes-validations'?: readonly { readonly rule: string; readonly message?: string }[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

let schemaFile: SchemaFile | undefined;

/** The extracted CRD data (lazy). */
export function crdData(): SchemaFile {
  schemaFile ??= JSON.parse(readFileSync(new URL('./crd-schemas.json', import.meta.url), 'utf8')) as SchemaFile;
  return schemaFile;
}

export function kindInfo(kind: string): KindEntry | undefined {
  return Object.hasOwn(crdData().kinds, kind) ? crdData().kinds[kind] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// ajv

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function makeAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX });
  ajv.addFormat('uint32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) && n >= 0 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('string', true);
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i);
  // Kubernetes vendor extensions: annotations for ajv (enforced, where relevant, by the CEL walker).
  for (const keyword of [
    'x-kubernetes-validations',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-embedded-resource',
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    validate: (flag: boolean, data: unknown) => !flag || typeof data === 'string' || Number.isInteger(data),
  });
  return ajv;
}

/** Deep copy of a schema node with Kubernetes' "unknown fields are not allowed" made explicit for ajv. */
function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && v !== null && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, strictify(pv)]));
    } else if (k === 'enum' || k === 'required' || k === 'description' || k === 'x-kubernetes-validations') {
      out[k] = v;
    } else {
      out[k] = strictify(v);
    }
  }
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (out['type'] === 'object' && !preserve && out['additionalProperties'] === undefined) {
    // No `properties` and no `additionalProperties`: Kubernetes prunes everything, so any field is unknown.
    out['additionalProperties'] = false;
  }
  // An int-or-string node carries no `type`; make sure ajv does not infer one.
  if (out['x-kubernetes-int-or-string'] === true) delete out['type'];
  return out;
}

const validators = new Map<string, ValidateFunction>();
const strictRoots = new Map<string, unknown>();
let ajvInstance: Ajv | undefined;

function specValidator(kind: string): ValidateFunction | undefined {
  const cached = validators.get(kind);
  if (cached) return cached;
  const info = kindInfo(kind);
  const spec = info?.openAPIV3Schema.properties?.spec;
  if (!spec) return undefined;
  ajvInstance ??= makeAjv();
  const strict = strictify(spec);
  strictRoots.set(kind, strict);
  const fn = ajvInstance.compile(strict as object);
  validators.set(kind, fn);
  return fn;
}

/** `/http/0/route` -> `spec.http[0].route` */
export function pointerToPath(base: string, pointer: string): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describeOneOf(schemaPath: string, root: unknown): string {
  // Resolve `#/properties/http/items/.../oneOf` to list the alternative field names.
  const parts = schemaPath.replace(/^#\//, '').split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let node: unknown = root;
  for (const p of parts) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
  const names = new Set<string>();
  const collect = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(collect);
    else if (n !== null && typeof n === 'object') {
      const req = (n as Record<string, unknown>)['required'];
      if (Array.isArray(req)) for (const r of req) names.add(String(r));
      for (const [k, v] of Object.entries(n)) if (k !== 'required') collect(v);
    }
  };
  collect(node);
  return names.size > 0 ? `at most one of ${[...names].join(', ')} may be set` : 'must match exactly one schema in oneOf';
}

function ajvProblems(kind: string, errors: readonly ErrorObject[]): SchemaProblem[] {
  // Drop the per-branch noise under a failing oneOf/anyOf/not; keep the combinator's own error.
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not');
  const root = strictRoots.get(kind);
  const out: SchemaProblem[] = [];
  for (const e of errors) {
    if (combinators.some((c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`))) continue;
    let path = pointerToPath('spec', e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const field = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      path = pointerToPath(path === 'spec' ? 'spec' : path, `/${field.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      message = `unknown field "${field}"`;
    } else if (e.keyword === 'oneOf') {
      message = describeOneOf(e.schemaPath, root);
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
    } else if (e.keyword === 'format') {
      message = `must be a valid ${String((e.params as { format?: unknown }).format)}`;
    }
    out.push({ path, rule: `schema/${e.keyword}`, message });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Durations (Go time.ParseDuration, used by CEL duration() and by Istio's jsonpb decoder)

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parse a Go duration string to nanoseconds; undefined when Go would reject it. Fractions below 1ns truncate. */
export function parseGoDuration(text: string): bigint | undefined {
  const m = /^([-+]?)(.*)$/s.exec(text);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  const body = m[2] ?? '';
  if (body === '0') return 0n;
  if (body === '') return undefined;
  const re = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0n;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const part = re.exec(body);
    if (!part) return undefined;
    const whole = part[1] ?? '';
    const frac = part[2];
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const unit = UNIT_NS[part[3] ?? ''];
    if (unit === undefined) return undefined;
    let ns = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== undefined && frac !== '') ns += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += ns;
    pos = re.lastIndex;
  }
  return sign * total;
}

const MS = 1_000_000n;

// ---------------------------------------------------------------------------------------------------------------
// CEL rules, keyed by exact rule text. Each returns true when the value is valid. The walker only calls a rule on
// a value of the JSON type the schema declares; type errors are ajv's job.

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o: unknown, k: string): boolean => isObj(o) && Object.hasOwn(o, k) && o[k] !== null && o[k] !== undefined;
const count = (o: unknown, ...keys: string[]): number => keys.filter((k) => has(o, k)).length;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const keysOf = (v: unknown): string[] => (isObj(v) ? Object.keys(v) : []);

type CelRule = (self: unknown) => boolean;

const CEL_RULES: Readonly<Record<string, CelRule>> = {
  "duration(self) >= duration('1ms')": (self) => {
    const ns = typeof self === 'string' ? parseGoDuration(self) : undefined;
    return ns !== undefined && ns >= MS;
  },
  '(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1': (s) =>
    count(s, 'tlsCertificates', 'credentialNames') <= 1,
  '(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1': (s) =>
    count(s, 'credentialName', 'credentialNames') <= 1,
  '(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1': (s) =>
    count(s, 'credentialNames', 'tlsCertificates') <= 1,
  '!self.contains("*")': (s) => !str(s).includes('*'),
  'self.all(key, !key.contains("*"))': (s) => keysOf(s).every((k) => !k.includes('*')),
  'self.all(key, key.size() != 0)': (s) => keysOf(s).every((k) => k.length !== 0),
  'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true': (s) => {
    const v = str(s);
    // CEL substring(7, 8) on a 7-char string is an index error: the rule fails.
    return !v.startsWith('unix://') || v[7] === '/' || v[7] === '@';
  },
  'self.startsWith("unix://") ? !self.endsWith("/") : true': (s) => !str(s).startsWith('unix://') || !str(s).endsWith('/'),
  '0 < self && self <= 65535': (s) => typeof s === 'number' && s > 0 && s <= 65535,
  'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))': (s) =>
    keysOf(s).every((k) => k.length < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(k)),
  'has(self.address) || has(self.network)': (s) => has(s, 'address') || has(s, 'network'),
  '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true': (s) =>
    !(isObj(s) && str(s['address']).startsWith('unix://')) || !has(s, 'ports'),
  'self != "*"': (s) => s !== '*',
  'self.all(l1, self.exists_one(l2, l1.number == l2.number))': (s) => {
    if (!Array.isArray(s)) return true;
    const nums = s.map((p: unknown) => (isObj(p) ? p['number'] : undefined));
    return nums.every((n) => nums.filter((m) => m === n).length === 1);
  },
  '(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1': (s) => count(s, 'workloadSelector', 'endpoints') <= 1,
  '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))':
    (s) => {
      if (!isObj(s)) return true;
      const addrs = Array.isArray(s['addresses']) ? s['addresses'] : [];
      const resolution = has(s, 'resolution') ? s['resolution'] : 'NONE';
      return !(addrs.some((a: unknown) => str(a).includes('/')) && resolution !== 'STATIC' && resolution !== 'NONE');
    },
  '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true': (s) =>
    !isObj(s) || (has(s, 'resolution') ? s['resolution'] : 'NONE') !== 'NONE' || !has(s, 'endpoints'),
  '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true':
    (s) => !isObj(s) || s['resolution'] !== 'DNS_ROUND_ROBIN' || !Array.isArray(s['endpoints']) || s['endpoints'].length <= 1,
  'self.all(key, 0 < int(key) && int(key) <= 65535)': (s) =>
    keysOf(s).every((k) => /^[-+]?\d+$/.test(k) && Number(k) > 0 && Number(k) <= 65535),
  'has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true':
    (s) => {
      if (!has(s, 'portLevelMtls') || !isObj(s)) return true;
      const sel = s['selector'];
      return isObj(sel) && keysOf(sel['matchLabels']).length > 0;
    },
  '(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) &&\n!has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true':
    (s) => count(s, 'serviceAccounts', 'notServiceAccounts') === 0 || count(s, 'principals', 'notPrincipals', 'namespaces', 'notNamespaces') === 0,
  'self.size() == 0': (s) => (typeof s === 'string' || Array.isArray(s) ? s.length === 0 : keysOf(s).length === 0),
  '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1': (s) =>
    count(s, 'selector', 'targetRef', 'targetRefs') <= 1,
};

/** Rule texts present in the CRD data that CEL_RULES does not implement (must be empty). */
export function unimplementedCelRules(): string[] {
  const missing = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (isObj(n)) {
      const rules = n['x-kubernetes-validations'];
      if (Array.isArray(rules)) {
        for (const r of rules) if (isObj(r) && !Object.hasOwn(CEL_RULES, str(r['rule']))) missing.add(str(r['rule']));
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'enum' && k !== 'x-kubernetes-validations') walk(v);
    }
  };
  for (const k of Object.values(crdData().kinds)) walk(k.openAPIV3Schema);
  return [...missing];
}

const jsonTypeMatches = (schema: JsonSchema, v: unknown): boolean => {
  switch (schema.type) {
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return v !== undefined && v !== null;
  }
};

/** Walks value and schema together, evaluating CEL rules, list-map-key uniqueness and the Go ms-precision rule. */
function celWalk(schema: JsonSchema, value: unknown, path: string, out: SchemaProblem[]): void {
  if (!jsonTypeMatches(schema, value)) return;
  for (const v of schema['x-kubernetes-validations'] ?? []) {
    const impl = CEL_RULES[v.rule];
    if (impl === undefined) {
      out.push({ path, rule: 'cel/unimplemented', message: `checker does not implement CEL rule ${JSON.stringify(v.rule)}` });
    } else if (!impl(value)) {
      out.push({ path, rule: 'cel', message: v.message ?? `failed CEL rule ${v.rule}` });
    } else if (v.rule === "duration(self) >= duration('1ms')" && typeof value === 'string') {
      // Istio Go validation (agent.ValidateDuration) on the same fields: whole milliseconds only.
      const ns = parseGoDuration(value);
      if (ns !== undefined && ns % MS !== 0n) {
        out.push({ path, rule: 'go/duration', message: `only durations to ms precision are supported (got ${value})` });
      }
    }
  }
  if (isObj(value)) {
    const props = schema.properties ?? {};
    for (const [k, v] of Object.entries(value)) {
      const sub = Object.hasOwn(props, k) ? props[k] : isObj(schema.additionalProperties) ? schema.additionalProperties : undefined;
      if (sub) celWalk(sub, v, pointerToPath(path, `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`), out);
    }
  } else if (Array.isArray(value) && schema.items) {
    const keys = schema['x-kubernetes-list-type'] === 'map' ? (schema['x-kubernetes-list-map-keys'] ?? []) : [];
    const seen = new Set<string>();
    value.forEach((item: unknown, i) => {
      if (schema.items) celWalk(schema.items, item, `${path}[${i}]`, out);
      if (keys.length > 0 && isObj(item)) {
        const id = JSON.stringify(keys.map((k) => item[k] ?? null));
        if (seen.has(id)) out.push({ path: `${path}[${i}]`, rule: 'schema/list-map-keys', message: `duplicate entry for key ${keys.join(',')}=${id}` });
        seen.add(id);
      }
    });
  }
}

/** Validate `spec` of a known kind against its CRD schema and CEL rules. */
export function validateSpecSchema(kind: string, spec: unknown): SchemaProblem[] {
  const validate = specValidator(kind);
  const root = kindInfo(kind)?.openAPIV3Schema.properties?.spec;
  if (!validate || !root) return [{ path: 'kind', rule: 'meta/kind', message: `unknown kind ${kind}` }];
  const out: SchemaProblem[] = [];
  if (!validate(spec)) out.push(...ajvProblems(kind, validate.errors ?? []));
  celWalk(root, spec, 'spec', out);
  return out;
}
