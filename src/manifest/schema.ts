import type { ErrorObject } from 'ajv';
import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import validateManifest from './generated/manifest-validator.js';
import type { PathSegment, SpanIndex } from './span-index.ts';

/**
 * Validates a loaded manifest against schemas/manifest.schema.json (compiled ahead of time by the
 * build) and maps every error to the YAML node it is about. Collects all errors in one pass.
 */
export function validateSchema(value: unknown, spans: SpanIndex, fallback: SourceSpan): ToolError[] {
  if (validateManifest(value)) return [];
  const raw = validateManifest.errors ?? [];
  const errors: ToolError[] = [];
  const seen = new Set<string>();
  for (const error of pruneBranchNoise(raw)) {
    const path = decodePointer(error.instancePath);
    const { message, keyPath, pointAtKey } = describe(error, path);
    // cf's wording for this keyword, when the schema gives one (`x-cf-message`), replaces the generic text.
    const cf = cfMessage(error);
    const span = spans.at(value, keyPath, { key: pointAtKey }) ?? fallback;
    const text = `${renderPath(keyPath)}: ${cf ? `${cf}${cf.includes('(got') ? '' : detail(error)}` : message}`;
    const dedupe = `${span.start}:${text}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    errors.push(new ToolError('SCHEMA', text, { span }));
  }
  return errors;
}

/** The schema's `x-cf-message` for the failed keyword: a string for every keyword, or one per keyword. */
function cfMessage(error: ErrorObject): string | undefined {
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  let own = parent?.['x-cf-message'];
  if (error.keyword === 'required') {
    const missing = String((error.params as Record<string, unknown>)['missingProperty']);
    const property = (parent?.['properties'] as Record<string, Record<string, unknown>> | undefined)?.[missing];
    if (typeof property?.['x-cf-message'] === 'string') return property['x-cf-message'];
  }
  if (typeof own === 'object' && own !== null) own = (own as Record<string, unknown>)[error.keyword];
  return typeof own === 'string' ? own : undefined;
}

/** What was written, for a cf message that does not say it. */
function detail(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return ` (got "${String(params['additionalProperty'])}")`;
  if (error.keyword === 'required') return ` (no "${String(params['missingProperty'])}")`;
  if (error.propertyName !== undefined) return ` (got "${error.propertyName}")`;
  if (error.keyword === 'not' || error.keyword === 'minProperties') return '';
  return error.data !== undefined ? ` (got ${show(error.data)})` : '';
}

/** ajv reports every failed branch of an anyOf/oneOf; keep the summary, drop the branches. */
function pruneBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const branchPaths = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => ({ schemaPath: e.schemaPath, instancePath: e.instancePath }));
  return errors.filter((e) => {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') return false;
    return !branchPaths.some(
      (b) => e.schemaPath !== b.schemaPath && e.schemaPath.startsWith(`${b.schemaPath}/`) && e.instancePath.startsWith(b.instancePath),
    );
  });
}

function describe(error: ErrorObject, path: PathSegment[]): { message: string; keyPath: PathSegment[]; pointAtKey: boolean } {
  const params = error.params as Record<string, unknown>;
  // A property name that fails `propertyNames` is reported at that key.
  if (error.propertyName !== undefined) {
    return { message: `"${error.propertyName}" is not an allowed name here`, keyPath: [...path, error.propertyName], pointAtKey: true };
  }
  switch (error.keyword) {
    case 'required':
      return { message: `missing required key "${String(params['missingProperty'])}"`, keyPath: path, pointAtKey: false };
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      return { message: `unknown key "${key}"${allowedKeys(error)}`, keyPath: [...path, key], pointAtKey: true };
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
      return { message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')} (got ${show(error.data)})`, keyPath: path, pointAtKey: false };
    }
    case 'const':
      return { message: `must be ${JSON.stringify(params['allowedValue'])} (got ${show(error.data)})`, keyPath: path, pointAtKey: false };
    case 'type':
      return { message: `must be ${article(String(params['type']))} (got ${show(error.data)})`, keyPath: path, pointAtKey: false };
    case 'not': {
      // Mutually exclusive keys: name them, and point at the later one.
      const parent = error.parentSchema as { $comment?: string; description?: string; not?: { required?: string[] } } | undefined;
      const keys = parent?.not?.required ?? [];
      const data = error.data as Record<string, unknown> | undefined;
      const present = keys.filter((k) => data !== undefined && typeof data === 'object' && data !== null && k in data);
      const message = parent?.description ?? (present.length > 1 ? `${present.map((k) => `\`${k}\``).join(' and ')} cannot be used together` : 'has a combination of keys that is not allowed');
      const last = present[present.length - 1];
      return last !== undefined ? { message, keyPath: [...path, last], pointAtKey: true } : { message, keyPath: path, pointAtKey: false };
    }
    case 'anyOf':
    case 'oneOf': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return { message: `${description ? `${description}; ` : ''}this value matches none of the allowed forms (got ${show(error.data)})`, keyPath: path, pointAtKey: false };
    }
    default:
      return { message: `${error.message ?? 'is invalid'}${error.data !== undefined && typeof error.data !== 'object' ? ` (got ${show(error.data)})` : ''}`, keyPath: path, pointAtKey: false };
  }
}

function allowedKeys(error: ErrorObject): string {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!properties) return '';
  const keys = Object.keys(properties);
  return keys.length > 0 && keys.length <= 8 ? `; allowed: ${keys.join(', ')}` : '';
}

function article(type: string): string {
  const words = type.split(',').map((t) => (t === 'object' ? 'a map' : t === 'array' ? 'a list' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`));
  return words.join(' or ');
}

function show(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a map';
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function decodePointer(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function renderPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(document)';
}
