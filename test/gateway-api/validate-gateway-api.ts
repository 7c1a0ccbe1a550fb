/**
 * Test-side checker: every Gateway API object cfmesh emits is one the API server accepts with the
 * Gateway API v1.5.1 CRDs installed (crd-schemas.json, made by extract-crd-schemas.mjs), checked
 * the way the API server checks a create:
 *   1. defaults from the structural schema are applied (apiextensions-apiserver
 *      pkg/apiserver/schema/defaulting: `default` of a property missing from an object that is
 *      present), since CEL rules see the defaulted object;
 *   2. the OpenAPI v3 schema (ajv), with unknown fields as errors: the server would prune them
 *      silently (or refuse them with fieldValidation=Strict), so emitting one is a translator bug;
 *      `x-kubernetes-list-type: map|set` uniqueness;
 *   3. every `x-kubernetes-validations` rule, evaluated with a real CEL evaluator (@bufbuild/cel,
 *      with the strings extension that Kubernetes enables) on `self` at the node that carries it:
 *      integers as CEL ints, objects as maps, property names that are CEL reserved words escaped as
 *      Kubernetes escapes them (`namespace` → `__namespace__`, apiextensions
 *      pkg/apiserver/schema/cel/model escaping). Transition rules (`oldSelf`) do not apply to a create
 *      and are skipped; a rule that fails to evaluate counts as a failure.
 *   validateGatewayApi(objects) → Problem[]; assertValidGatewayApi(objects) throws listing them all.
 */
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { celEnv, celError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Ajv, type ValidateFunction } from 'ajv';

export interface Problem {
  readonly id: string;
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

type Schema = { readonly [key: string]: unknown };

interface KindData {
  readonly group: string;
  readonly channel: string;
  readonly versions: Readonly<Record<string, Schema>>;
}

let data: { kinds: Record<string, KindData> } | undefined;
const crds = () => (data ??= JSON.parse(readFileSync(new URL('./crd-schemas.json', import.meta.url), 'utf8')) as { kinds: Record<string, KindData> });

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** The channel (standard, experimental) whose CRDs serve a kind. */
export function channelOf(kind: string): string | undefined {
  return crds().kinds[kind]?.channel;
}

const validators = new Map<string, ValidateFunction>();

/** Objects with properties and no additionalProperties / preserve-unknown reject unknown fields; Kubernetes keywords are dropped for ajv. */
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-') || k === 'default' || k === 'format') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, forAjv(s)])) : forAjv(v);
  }
  const n = node as Schema;
  if (n['properties'] && n['additionalProperties'] === undefined && !n['x-kubernetes-preserve-unknown-fields']) out['additionalProperties'] = false;
  return out;
}

function schemaOf(kind: string, version: string): Schema | undefined {
  return crds().kinds[kind]?.versions[version];
}

function validatorFor(kind: string, version: string, schema: Schema): ValidateFunction {
  const key = `${kind}/${version}`;
  let v = validators.get(key);
  if (!v) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const spec = (schema['properties'] as Record<string, Schema>)['spec'] as Schema;
    v = ajv.compile(forAjv(spec) as object);
    validators.set(key, v);
  }
  return v;
}

/** The API server's defaulting: a missing property with a `default` gets it, recursively, inside objects that exist. */
function applyDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    return items ? value.map((v) => applyDefaults(v, items)) : value;
  }
  if (!value || typeof value !== 'object') return value;
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, s] of Object.entries(props)) {
    if (out[name] === undefined && s['default'] !== undefined) out[name] = structuredClone(s['default']);
    if (out[name] !== undefined) out[name] = applyDefaults(out[name], s);
  }
  return out;
}

/** CEL reserved words Kubernetes escapes in property names (apiextensions-apiserver cel model). */
const RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [RESERVED.has(k) ? `__${k}__` : k, toCel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

// Each rule is parsed and planned once (what @bufbuild/cel's run() does on every call), as the API
// server compiles a CRD's rules once: the same results, without re-parsing a rule per object.
const env = celEnv({ funcs: strings });
const programs = new Map<string, (bindings: { self: unknown }) => unknown>();
function programFor(rule: string): (bindings: { self: unknown }) => unknown {
  let program = programs.get(rule);
  if (!program) {
    try {
      program = plan(env, parse(rule)) as (bindings: { self: unknown }) => unknown;
    } catch (error) {
      const failed = celError(error);
      program = () => failed;
    }
    programs.set(rule, program);
  }
  return program;
}

function walkCel(value: unknown, schema: Schema, path: string, problems: Omit<Problem, 'id'>[]): void {
  if (value === undefined) return;
  for (const v of (schema['x-kubernetes-validations'] ?? []) as { rule: string; message?: string }[]) {
    if (/\boldSelf\b/.test(v.rule)) continue;
    let ok: unknown;
    try {
      ok = programFor(v.rule)({ self: toCel(value) });
    } catch (error) {
      ok = error;
    }
    if (ok !== true) problems.push({ path, rule: 'cel', message: `${v.message ?? v.rule}${ok instanceof Error ? ` (${ok.message})` : ''}` });
  }
  const listType = schema['x-kubernetes-list-type'];
  if (Array.isArray(value) && (listType === 'map' || listType === 'set')) {
    const keys = (schema['x-kubernetes-list-map-keys'] ?? []) as string[];
    const seen = new Set<string>();
    for (const item of value) {
      const id = listType === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
      if (seen.has(id)) problems.push({ path, rule: 'list-type', message: `duplicate ${listType} entry ${id}` });
      seen.add(id);
    }
  }
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    if (items) value.forEach((v, i) => walkCel(v, items, `${path}[${i}]`, problems));
    return;
  }
  if (value && typeof value === 'object') {
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const [name, v] of Object.entries(value)) if (props[name]) walkCel(v, props[name] as Schema, `${path}.${name}`, problems);
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec: unknown;
}

export function validateGatewayApi(objects: readonly KubeObject[]): Problem[] {
  const problems: Problem[] = [];
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    const [group, version] = o.apiVersion.split('/') as [string, string];
    if (group !== GATEWAY_API_GROUP) continue;
    const schema = schemaOf(o.kind, version);
    if (!schema) {
      problems.push({ id, path: 'apiVersion', rule: 'served', message: `${o.apiVersion} ${o.kind} is not served by the Gateway API v1.5.1 CRDs` });
      continue;
    }
    if (!NAME.test(o.metadata.name) || o.metadata.name.length > 253) problems.push({ id, path: 'metadata.name', rule: 'meta', message: 'not a DNS subdomain' });
    if (o.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'cfmesh') problems.push({ id, path: 'metadata.labels', rule: 'cfmesh', message: 'no app.kubernetes.io/managed-by: cfmesh label' });
    const specSchema = (schema['properties'] as Record<string, Schema>)['spec'] as Schema;
    const spec = applyDefaults(o.spec, specSchema);
    const validate = validatorFor(o.kind, version, schema);
    if (!validate(spec)) for (const e of validate.errors ?? []) problems.push({ id, path: `spec${e.instancePath.replace(/\//g, '.')}`, rule: `schema/${e.keyword}`, message: e.message ?? '' });
    const found: Omit<Problem, 'id'>[] = [];
    walkCel(spec, specSchema, 'spec', found);
    // Rules on the root (the whole object) exist too: evaluate them on the object with its defaulted spec.
    walkRoot({ ...o, spec }, schema, found);
    problems.push(...found.map((p) => ({ id, ...p })));
  }
  return problems;
}

function walkRoot(object: unknown, schema: Schema, found: Omit<Problem, 'id'>[]): void {
  const rootOnly: Schema = { 'x-kubernetes-validations': schema['x-kubernetes-validations'] ?? [] };
  walkCel(object, rootOnly, '', found);
}

export function assertValidGatewayApi(objects: readonly KubeObject[]): void {
  const problems = validateGatewayApi(objects);
  if (problems.length > 0) throw new AssertionError({ message: `invalid Gateway API objects:\n${problems.map((p) => `  ${p.id} ${p.path} [${p.rule}] ${p.message}`).join('\n')}` });
}
