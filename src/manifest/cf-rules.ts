import type { SourceSpan } from '../diagnostics/source-file.ts';
import { ToolError, type ErrorCode, type Warning } from '../diagnostics/tool-error.ts';
import { MAX_DB_BIGINT, UNIT_MESSAGE, megabytes, parseByteSize } from './byte-size.ts';
import { cliBool, cliInteger, cliString, goNumberText } from './cli-values.ts';
import { annotationValueError, labelValueError, metadataKeyError } from './metadata.ts';
import type { SpanIndex } from './span-index.ts';

/**
 * The attribute rules of `cf push` v8 that a JSON Schema cannot express, each where the source has it:
 * the cf CLI v8.18.4 (github.com/cloudfoundry/cli, util/manifestparser/application.go and process.go,
 * actor/v7pushaction) reads the manifest into typed fields and sends Cloud Controller what it writes
 * back; Cloud Controller at CAPI 1.235.0 (github.com/cloudfoundry/cloud_controller_ng dd2f354f, the
 * commit capi-release 1.235.0 pins; the newest CAPI before cf CLI v8.18.4) validates it in
 * app/messages/app_manifest_message.rb and the messages it builds. Paths below are in those trees.
 * Every problem is reported at its YAML node, with cf's wording after the app's name.
 */
export interface CfRulesResult {
  readonly errors: ToolError[];
  readonly warnings: Warning[];
}

interface Ctx {
  readonly at: (container: object, key: string | number) => SourceSpan;
  readonly keyAt: (container: object, key: string | number) => SourceSpan;
  readonly errors: ToolError[];
  readonly warnings: Warning[];
}

/**
 * Keys the CLI reads into fields of its Application struct (application.go at v8.18.4), with the
 * field's type; every other key passes through to Cloud Controller unchanged. `omitempty` fields are
 * not sent when they hold their zero value (`timeout: 0`, `no-route: false`, `memory: ""`).
 */
type FieldType = 'string' | 'string!' | 'int' | '*int' | 'bool';
const APP_FIELDS: Readonly<Record<string, FieldType>> = {
  name: 'string!', 'disk-quota': 'string', 'health-check-type': 'string', 'health-check-http-endpoint': 'string',
  timeout: 'int', instances: '*int', path: 'string', memory: 'string', 'no-route': 'bool', 'random-route': 'bool',
  'default-route': 'bool', stack: 'string', 'log-rate-limit-per-second': 'string', lifecycle: 'string',
};
/** The Process struct (process.go at v8.18.4): note `disk_quota` with an underscore, and `type` without omitempty. */
const PROCESS_FIELDS: Readonly<Record<string, FieldType>> = {
  disk_quota: 'string', 'health-check-http-endpoint': 'string', 'health-check-type': 'string', timeout: 'int',
  instances: '*int', memory: 'string', type: 'string!', 'log-rate-limit-per-second': 'string',
};

/** What Cloud Controller receives for one of its (underscored) keys, and where it was written. */
interface Sent {
  readonly value: unknown;
  readonly span: SourceSpan;
  readonly key: string;
}

export function checkCfAttributes(root: unknown, spans: SpanIndex, fileSpan: SourceSpan): CfRulesResult {
  const ctx: Ctx = {
    at: (c, k) => spans.entry(c, k)?.value ?? spans.container(c) ?? fileSpan,
    keyAt: (c, k) => spans.entry(c, k)?.key ?? spans.entry(c, k)?.value ?? spans.container(c) ?? fileSpan,
    errors: [],
    warnings: [],
  };
  if (!isMap(root)) return ctx;
  checkVersion(root, ctx);
  const applications = Array.isArray(root['applications']) ? root['applications'] : [];
  applications.forEach((app, i) => {
    if (isMap(app)) checkApp(app, i, ctx);
  });
  const routes = Array.isArray(root['routes']) ? root['routes'] : [];
  for (const entry of routes) if (isMap(entry)) checkRouteOptions(entry, ctx, undefined);
  return ctx;
}

/**
 * `version`: the CLI reads it into an int and leaves out 0 (manifest.go); Cloud Controller accepts
 * only no version or 1 (app/controllers/v3/space_manifests_controller.rb `check_version_is_supported!`).
 */
function checkVersion(root: Record<string, unknown>, ctx: Ctx): void {
  if (!('version' in root)) return;
  const version = cliInteger(root['version']);
  if (root['version'] === null || version === 0 || version === 1) return;
  if (typeof root['version'] !== 'number') return; // a type error, reported by the schema
  err(ctx, 'ATTRIBUTE_INVALID', `Unsupported manifest schema version. Currently supported versions: [1]. (got ${show(root['version'])})`, ctx.at(root, 'version'));
}

function checkApp(app: Record<string, unknown>, index: number, ctx: Ctx): void {
  const name = cliString(app['name']) ?? '';
  const label = name ? `app "${name}"` : `application ${index + 1}`;
  const e = (code: ErrorCode, message: string, span: SourceSpan, hint?: string) => err(ctx, code, `${label}: ${message}`, span, hint);

  // Both spellings of a key: the CLI forbids it only for disk quota (application.go UnmarshalYAML);
  // for every other key both reach Cloud Controller, which underscores the keys and keeps the last —
  // the underscore spelling, which the CLI writes after its own fields and sorts after `-` (yaml.v2
  // encode.go `structv`).
  const diskHyphen = cliString(app['disk-quota']);
  if (typeof app['disk_quota'] === 'string' && diskHyphen) e('ATTRIBUTE_INVALID', 'cannot define both `disk_quota` and `disk-quota`', ctx.keyAt(app, 'disk_quota'));
  warnBothSpellings(app, label, ['disk_quota'], ctx);

  checkIntFields(app, label, ctx);
  const processes = Array.isArray(app['processes']) ? app['processes'].filter(isMap) : [];
  const hasWeb = processes.some((p) => cliString(p['type']) === 'web');
  // validate_top_level_web_process!: the app-level sizes are checked even when a `web` process entry
  // replaces them; the other app-level process attributes are checked only when they apply, that is
  // when no `web` entry replaces them wholesale (`process_attributes`).
  const appSent = (key: string) => (key === 'disk_quota' && 'disk_quota' in app && typeof app['disk_quota'] !== 'string' ? undefined : sent(app, key, APP_FIELDS, ctx));
  checkSizes(appSent, 'web', e, !hasWeb);
  if (!hasWeb) checkProcessUpdate(appSent, 'web', e, ctx, false);

  const dupes = new Map<string, number>();
  let blank = false;
  processes.forEach((process) => {
    const type = cliString(process['type']) ?? '';
    if (type.trim() === '') {
      if (!blank) e('ATTRIBUTE_INVALID', 'All Processes must specify a type', 'type' in process ? ctx.at(process, 'type') : spanOf(process, ctx));
      blank = true;
      return;
    }
    dupes.set(type, (dupes.get(type) ?? 0) + 1);
    if (dupes.get(type) === 2) e('ATTRIBUTE_INVALID', `Process "${type}" may only be present once`, ctx.at(process, 'type'));
    if (typeof process['disk-quota'] === 'string' && cliString(process['disk_quota'])) e('ATTRIBUTE_INVALID', 'cannot define both `disk_quota` and `disk-quota`', ctx.keyAt(process, 'disk-quota'));
    warnBothSpellings(process, `${label} process "${type}"`, ['disk_quota'], ctx);
    checkIntFields(process, `${label} process "${type}"`, ctx);
    const procSent = (key: string) => (key === 'disk_quota' ? processDisk(process, ctx) : sent(process, key, PROCESS_FIELDS, ctx));
    checkSizes(procSent, type, e, true);
    checkProcessUpdate(procSent, type, e, ctx, true);
  });

  checkBuildpacks(app, e, ctx);
  checkEnv(app, e, ctx);
  checkMetadata(app, e, ctx);
  checkSidecars(app, e, ctx);
  checkRouteFlags(app, e, ctx);
  checkCnbCredentials(app, e, ctx);
  const routes = app['routes'];
  if (Array.isArray(routes)) for (const entry of routes) if (isMap(entry)) checkRouteOptions(entry, ctx, label);
}

/**
 * `instances` and `timeout` are ints in the CLI's structs: a number past the int64 range is a type
 * error there, and a fraction is dropped (yaml.v2 decode.go), which cfmesh does too, with a warning.
 */
function checkIntFields(container: Record<string, unknown>, label: string, ctx: Ctx): void {
  for (const key of ['instances', 'timeout']) {
    const raw = container[key];
    if (typeof raw !== 'number') continue;
    const int = cliInteger(raw);
    if (int === undefined) err(ctx, 'ATTRIBUTE_INVALID', `${label}: ${key} ${show(raw)} does not fit the cf CLI's integer field`, ctx.at(container, key));
    else if (int !== raw) ctx.warnings.push({ code: 'LOSSY', message: `${label}: ${key}: ${show(raw)} is read as ${int} (the cf CLI reads it into an integer, dropping the fraction)`, span: ctx.at(container, key), hint: `write ${key}: ${int}` });
  }
}

const HYPHENATED = new Map<string, string>();
const hyphenated = (key: string): string => {
  let h = HYPHENATED.get(key);
  if (h === undefined) HYPHENATED.set(key, (h = key.replace(/_/g, '-')));
  return h;
};

/** Cloud Controller's value for `key` (underscored), from the underscore spelling or else the hyphenated one. */
function sent(container: Record<string, unknown>, key: string, fields: Readonly<Record<string, FieldType>>, ctx: Ctx): Sent | undefined {
  const own = key in container;
  const hyphen = hyphenated(key);
  if (!own && !(hyphen in container)) return undefined;
  if (own && !(key in fields)) return lazySent(container[key], container, key, ctx);
  const written = key in fields ? key : hyphen;
  if (!(written in container)) return undefined;
  const raw = container[written];
  const type = fields[written];
  if (type === undefined) return lazySent(raw, container, written, ctx);
  const value = type === 'bool' ? cliBool(raw) : type === 'int' || type === '*int' ? cliInteger(raw) : cliString(raw);
  if (value === undefined || (type === 'string' && value === '') || (type === 'int' && value === 0) || (type === 'bool' && value === false)) {
    return type === 'string!' ? lazySent('', container, written, ctx) : undefined;
  }
  return lazySent(value, container, written, ctx);
}

/** The span is looked up only when a problem is reported. */
function lazySent(value: unknown, container: Record<string, unknown>, key: string, ctx: Ctx): Sent {
  return {
    value,
    key,
    get span() {
      return ctx.at(container, key);
    },
  };
}

/** A process's disk quota: `disk_quota` (a field of the struct) or `disk-quota` (which the CLI moves there). */
function processDisk(process: Record<string, unknown>, ctx: Ctx): Sent | undefined {
  const field = sent(process, 'disk_quota', PROCESS_FIELDS, ctx);
  if (field) return field;
  const raw = process['disk-quota'];
  return typeof raw === 'string' && raw !== '' ? lazySent(raw, process, 'disk-quota', ctx) : undefined;
}

function warnBothSpellings(container: Record<string, unknown>, label: string, except: readonly string[], ctx: Ctx): void {
  for (const key of Object.keys(container)) {
    if (!key.includes('_') || except.includes(key)) continue;
    const hyphen = key.replace(/_/g, '-');
    if (hyphen === key || !(hyphen in container)) continue;
    ctx.warnings.push({
      code: 'DUPLICATE_KEY',
      message: `${label}: both \`${hyphen}\` and \`${key}\` are given; cf uses \`${key}\` (Cloud Controller reads both as one key, and the underscore spelling comes last)`,
      span: ctx.keyAt(container, hyphen),
      hint: `keep one of them; \`${key}\` is at ${where(ctx.keyAt(container, key))}`,
    });
  }
}

type Report = (code: ErrorCode, message: string, span: SourceSpan, hint?: string) => void;

/**
 * memory, disk quota and log rate: `validate_byte_format` (the unit) for every process, then, where
 * the attributes apply, ManifestProcessScaleMessage (memory and disk at least 1 MB after truncation,
 * a log rate of at least -1 byte; manifest_process_scale_message.rb).
 */
function checkSizes(get: (key: string) => Sent | undefined, type: string, e: Report, scale: boolean): void {
  const size = (key: string, label: string, unlimited: boolean) => {
    const s = get(key);
    if (!s || s.value === null || s.value === undefined) return;
    const text = typeof s.value === 'string' ? s.value : typeof s.value === 'number' ? goNumberText(s.value) : String(s.value);
    if (unlimited && (text === '-1' || text === '0')) return;
    const parsed = parseByteSize(text);
    if (parsed.ok === 'blank') return;
    if (parsed.ok === false) {
      e('ATTRIBUTE_INVALID', `Process "${type}": ${label} ${parsed.problem === 'unit' ? UNIT_MESSAGE : 'is not a number'} (got ${show(s.value)})`, s.span, parsed.problem === 'unit' ? 'e.g. 512M or 1G' : undefined);
      return;
    }
    if (!scale) return;
    if (unlimited) {
      if (parsed.bytes < -1 || parsed.bytes > MAX_DB_BIGINT) e('ATTRIBUTE_INVALID', `Process "${type}": Log rate limit must be an integer greater than or equal to -1 (got ${show(s.value)})`, s.span, '-1 (or -1B) means unlimited');
    } else if (megabytes(parsed.bytes) <= 0) {
      e('ATTRIBUTE_INVALID', `Process "${type}": ${label} must be greater than 0MB (got ${show(s.value)})`, s.span);
    }
  };
  size('memory', 'Memory', false);
  size('disk_quota', 'Disk quota', false);
  size('log_rate_limit_per_second', 'Log rate limit per second', true);
  if (!scale) return;
  const instances = get('instances');
  if (instances && typeof instances.value === 'number') {
    if (instances.value < 0) e('ATTRIBUTE_INVALID', `Process "${type}": Instances must be greater than or equal to 0 (got ${instances.value})`, instances.span);
    else if (instances.value > 2_000_000) e('ATTRIBUTE_INVALID', `Process "${type}": Instances must be less than or equal to 2000000 (got ${instances.value})`, instances.span);
  }
}

/** ManifestProcessUpdateMessage (manifest_process_update_message.rb): command, user, health checks, timeout. */
function checkProcessUpdate(get: (key: string) => Sent | undefined, type: string, e: Report, ctx: Ctx, processLevel: boolean): void {
  const p = `Process "${type}": `;
  const command = get('command');
  // A null command resets it: the app level sends 'null' (`command || 'null'`), and so does a process.
  if (command && command.value !== null) {
    if (typeof command.value !== 'string') e('ATTRIBUTE_INVALID', `${p}Command must be a string (got ${show(command.value)})`, command.span);
    else if (command.value.length < 1 || command.value.length > 4096) e('ATTRIBUTE_INVALID', `${p}Command must be between 1 and 4096 characters`, command.span);
  }
  // `user` is read from a process entry only (`process_update_attributes_from_process`).
  const user = processLevel ? get('user') : undefined;
  if (user && user.value !== null) {
    if (typeof user.value !== 'string') e('ATTRIBUTE_INVALID', `${p}User must be a string (got ${show(user.value)})`, user.span);
    else if (user.value.length < 1 || user.value.length > 255) e('ATTRIBUTE_INVALID', `${p}User must be between 1 and 255 characters`, user.span);
  }
  for (const prefix of ['', 'readiness_'] as const) {
    const what = prefix ? 'Readiness health check' : 'Health check';
    const keys = HEALTH_CHECK_KEYS[prefix];
    const typeSent = get(keys.type);
    const checkType = typeSent ? (typeSent.value === 'none' ? 'process' : typeSent.value) : undefined;
    if (typeSent && !['port', 'process', 'http'].includes(checkType as string)) {
      e('ATTRIBUTE_INVALID', `${p}${what} type must be "port", "process", or "http" (got ${show(typeSent.value)})`, typeSent.span);
    }
    const endpoint = get(keys.endpoint);
    if (endpoint && endpoint.value !== null && !isUriPath(endpoint.value)) {
      e('ATTRIBUTE_INVALID', `${p}${what} http endpoint must be a valid URI path (got ${show(endpoint.value)})`, endpoint.span, 'a path such as /health: it starts with one "/" and has no spaces');
    }
    if (endpoint && typeSent && checkType !== 'http') {
      e('ATTRIBUTE_INVALID', `${p}${what} type must be "http" to set a health check HTTP endpoint`, endpoint.span, `set ${prefix ? 'readiness-' : ''}health-check-type: http, or remove the endpoint`);
    } else if (endpoint && !typeSent && endpoint.value !== null) {
      ctx.warnings.push({ code: 'IGNORED_KEY', message: `${p}the ${what.toLowerCase()} endpoint is used only with ${prefix ? 'readiness-' : ''}health-check-type: http, which is not set here`, span: endpoint.span });
    }
    for (const [key, field] of keys.numbers) {
      const s = get(field);
      if (s) numericality(s, `${p}${what} ${key.replace('_', ' ')}`, 1, e);
    }
  }
  const timeout = get('timeout');
  if (timeout) numericality(timeout, `${p}Timeout`, 1, e);
}

/** The health-check fields, without and with the `readiness_` prefix (made once, asked for per app). */
const HEALTH_CHECK_KEYS: Readonly<Record<'' | 'readiness_', { readonly type: string; readonly endpoint: string; readonly numbers: readonly (readonly [string, string])[] }>> = {
  '': { type: 'health_check_type', endpoint: 'health_check_http_endpoint', numbers: [['invocation_timeout', 'health_check_invocation_timeout'], ['interval', 'health_check_interval']] },
  readiness_: {
    type: 'readiness_health_check_type',
    endpoint: 'readiness_health_check_http_endpoint',
    numbers: [['invocation_timeout', 'readiness_health_check_invocation_timeout'], ['interval', 'readiness_health_check_interval']],
  },
};

/**
 * Rails' `numericality: { only_integer: true, greater_than_or_equal_to: min }, allow_nil: true` on the
 * value Cloud Controller receives: numeric strings count ("5"), floats and other text do not.
 */
function numericality(s: Sent, label: string, min: number, e: Report): void {
  const v = s.value;
  if (v === null || v === undefined) return;
  let n: number | undefined;
  let integer = false;
  if (typeof v === 'number') {
    n = v;
    integer = Number.isInteger(v) && Math.abs(v) < 1e21; // yaml.v2 writes a whole float as an integer
  } else if (typeof v === 'string') {
    integer = /^[+-]?\d+$/.test(v);
    n = integer ? Number(v) : rubyFloat(v);
  }
  if (n === undefined || Number.isNaN(n)) e('ATTRIBUTE_INVALID', `${label} is not a number (got ${show(v)})`, s.span);
  else if (!integer) e('ATTRIBUTE_INVALID', `${label} must be an integer (got ${show(v)})`, s.span);
  else if (n < min) e('ATTRIBUTE_INVALID', `${label} must be greater than or equal to ${min} (got ${show(v)})`, s.span);
}

/** UriUtils.is_uri_path? (lib/utils/uri_utils.rb): `/`, or `/` and a non-space, non-`/` character, then no spaces. */
function isUriPath(value: unknown): boolean {
  return typeof value === 'string' && /^(?:\/|\/([^ \t\r\n\f\v/][^ \t\r\n\f\v]*)?)$/m.test(value);
}

/**
 * docker with buildpacks (app_manifest_message.rb `validate_docker_buildpacks_combination!`). The
 * types and lengths of buildpack, buildpacks and stack, and buildpack with buildpacks, are in the schema.
 */
function checkBuildpacks(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  // The CLI's `docker` is a pointer left out when null (application.go), so only a written map counts.
  if (isMap(app['docker']) && ('buildpack' in app || 'buildpacks' in app)) {
    e('ATTRIBUTE_INVALID', 'Cannot specify both buildpack(s) and docker keys', ctx.keyAt(app, 'docker'), 'a docker app has no buildpacks');
  }
}

/** env names: not empty, VCAP_*, VMC* or PORT, any case (a map, null excluded, in the schema; are not empty, VCAP_*, VMC* or PORT validators.rb EnvironmentVariablesStringValuesValidator). */
function checkEnv(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  const env = app['env'];
  if (!isMap(env)) return; // the schema refuses anything but a map, null included
  // (the key's span is looked up only for a key refused: env maps are most of a manifest's keys)
  for (const key of Object.keys(env)) {
    if (key === '') e('ATTRIBUTE_INVALID', 'Env key must be a minimum length of 1', ctx.keyAt(env, key));
    else if (/^VCAP_/i.test(key)) e('ATTRIBUTE_INVALID', `Env cannot start with VCAP_ (got "${key}")`, ctx.keyAt(env, key));
    else if (/^VMC/i.test(key)) e('ATTRIBUTE_INVALID', `Env cannot start with VMC_ (got "${key}")`, ctx.keyAt(env, key));
    else if (/^PORT$/i.test(key)) e('ATTRIBUTE_INVALID', 'Env cannot set PORT', ctx.keyAt(env, key), 'cf sets PORT itself');
  }
}

/**
 * metadata: a map of `labels` and `annotations` (null is left out by Cloud Controller's
 * `app_lifecycle_hash`), each a map; label keys and values and annotation keys (when the value is
 * present) and sizes as metadata_validator.rb checks them. Values are turned into text (Ruby `to_s`).
 */
function checkMetadata(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  const metadata = app['metadata'];
  if (!isMap(metadata)) return; // shapes and types are the schema's
  const labels = metadata['labels'];
  if (isMap(labels)) {
    {
      for (const key of Object.keys(labels)) {
        const keyError = metadataKeyError(key);
        if (keyError) e('ATTRIBUTE_INVALID', `Metadata label key error: ${keyError}`, ctx.keyAt(labels, key));
        const valueError = labelValueError(rubyText(labels[key]));
        if (valueError) e('ATTRIBUTE_INVALID', `Metadata label value error: ${valueError}`, ctx.at(labels, key), 'letters, digits, "-", "_" and ".", at most 63, starting and ending with a letter or digit');
      }
    }
  }
  const annotations = metadata['annotations'];
  if (isMap(annotations)) {
    {
      for (const key of Object.keys(annotations)) {
        const value = annotations[key];
        const present = value !== null && value !== undefined && value !== false && !(typeof value === 'string' && value.trim() === '');
        const keyError = present ? metadataKeyError(key) : undefined;
        if (keyError) e('ATTRIBUTE_INVALID', `Metadata annotation key error: ${keyError}`, ctx.keyAt(annotations, key));
        if (typeof value === 'string') {
          const valueError = annotationValueError(value);
          if (valueError) e('ATTRIBUTE_INVALID', `Metadata annotation value error: ${valueError}`, ctx.at(annotations, key));
        }
      }
    }
  }
}

/** sidecars (app_manifest_message.rb `validate_sidecars!`, sidecar_create_message.rb). */
function checkSidecars(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  const sidecars = app['sidecars'];
  if (!Array.isArray(sidecars)) return; // the schema's
  sidecars.forEach((sidecar, i) => {
    if (!isMap(sidecar)) return;
    const name = sidecar['name'];
    const named = typeof name === 'string' && name.trim() !== '';
    const s = (message: string, key: string) =>
      e('ATTRIBUTE_INVALID', named ? `Sidecar "${name}": ${message}` : `Sidecar ${message[0]?.toLowerCase()}${message.slice(1)}`, key in sidecar ? ctx.at(sidecar, key) : ctx.at(sidecars, i));
    if (!named) s(`Name ${name === undefined || name === null || (typeof name === 'string') ? "can't be blank" : 'must be a string'}`, 'name');
    const command = sidecar['command'];
    if (command === undefined || command === null || (typeof command === 'string' && command.trim() === '')) s("Command can't be blank", 'command');
    else if (typeof command !== 'string') s(`Command must be a string (got ${show(command)})`, 'command');
    const types = sidecar['process_types'];
    if (!Array.isArray(types)) s('Process types must be an array', 'process_types');
    else if (types.length === 0) s('Process types must have at least 1 process_type', 'process_types');
    // memory_in_mb = convert_to_mb(memory) || memory: a size with a unit, or a bare number of megabytes.
    const memory = sidecar['memory'];
    if (memory !== undefined && memory !== null) {
      const text = typeof memory === 'number' ? goNumberText(memory) : String(memory);
      const parsed = parseByteSize(text);
      const mb = parsed.ok === true ? megabytes(parsed.bytes) : undefined;
      const raw = mb ?? (typeof memory === 'number' ? memory : /^[+-]?\d+$/.test(text) ? Number(text) : rubyFloat(text));
      if (raw === undefined || Number.isNaN(raw)) s(`Memory in mb is not a number (got ${show(memory)})`, 'memory');
      else if (!Number.isInteger(raw)) s(`Memory in mb must be an integer (got ${show(memory)})`, 'memory');
      else if (raw <= 0) s(`Memory in mb must be greater than 0 (got ${show(memory)})`, 'memory');
    }
  });
}

/**
 * random_route with default_route, as Cloud Controller receives them (manifest_routes_update_message.rb
 * `random_route_and_default_route_conflict`); their types are the schema's.
 */
function checkRouteFlags(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  // What the CLI sends (handle_default_route_override.go): default-route is turned on unless
  // random-route or no-route (hyphenated) is true; underscore spellings pass through and win.
  const cliNo = app['no-route'] === true;
  const cliRandom = app['random-route'] === true;
  const random = 'random_route' in app ? app['random_route'] === true : cliRandom;
  const dflt = 'default_route' in app ? app['default_route'] === true : app['default-route'] === true || !(cliNo || cliRandom);
  if (random && dflt) {
    const why = 'random_route' in app && !cliRandom && !cliNo && !('default_route' in app)
      ? 'cf push turns default-route on unless `random-route` (with a hyphen) or `no-route` is true; write `random-route: true`'
      : 'keep one of them';
    const span = 'random_route' in app ? ctx.keyAt(app, 'random_route') : ctx.keyAt(app, 'random-route');
    e('ATTRIBUTE_INVALID', 'Random-route and default-route may not be used together', span, why);
  }
}

/** cnb-credentials: a map of registry to a map of credentials (buildpack_lifecycle_data_message.rb `credentials_content`). */
function checkCnbCredentials(app: Record<string, unknown>, e: Report, ctx: Ctx): void {
  const key = 'cnb_credentials' in app ? 'cnb_credentials' : 'cnb-credentials';
  const creds = app[key];
  if (creds === undefined || creds === null) return;
  if (!isMap(creds)) return e('ATTRIBUTE_INVALID', `Credentials must be an object (got ${show(creds)})`, ctx.at(app, key));
  for (const registry of Object.keys(creds)) {
    if (!isMap(creds[registry])) e('ATTRIBUTE_INVALID', `Credentials credentials value must be a hash (got ${show(creds[registry])} for "${registry}")`, ctx.at(creds, registry));
  }
}

/**
 * A route entry's `protocol` and `options` (manifest_routes_update_message.rb, route_options_message.rb;
 * the hash options as with the `hash_based_routing` feature flag on, which cfmesh assumes), and
 * `Hash header must be present` from app/models/runtime/route.rb `validate_route_options`.
 */
function checkRouteOptions(entry: Record<string, unknown>, ctx: Ctx, label: string | undefined): void {
  const route = typeof entry['route'] === 'string' ? entry['route'] : '';
  const e = (message: string, span: SourceSpan, hint?: string) => err(ctx, 'OPTION_INVALID', `${label ? `${label}: ` : ''}${message}`, span, hint);
  if (!('options' in entry)) return;
  const options = entry['options'];
  if (!isMap(options)) return e(`Route '${route}': options must be an object (got ${show(options)})`, ctx.at(entry, 'options'));
  const valid = ['loadbalancing', 'hash_header', 'hash_balance'];
  const algorithms = ['round-robin', 'least-connection', 'hash'];
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) e(`Route '${route}' contains invalid route option '${key}'. Valid keys: '${valid.join(', ')}'`, ctx.keyAt(options, key));
  }
  const present = (v: unknown) => v !== undefined && v !== null && v !== false && !(typeof v === 'string' && v.trim() === '') && !(Array.isArray(v) && v.length === 0) && !(isMap(v) && Object.keys(v).length === 0);
  const lb = options['loadbalancing'];
  if ('loadbalancing' in options) {
    if (typeof lb !== 'string') e(`Invalid value for 'loadbalancing' for Route '${route}'; Valid values are: '${algorithms.join(', ')}' (got ${show(lb)})`, ctx.at(options, 'loadbalancing'));
    else if (!algorithms.includes(lb)) e(`Cannot use loadbalancing value '${lb}' for Route '${route}'; Valid values are: '${algorithms.join(', ')}'`, ctx.at(options, 'loadbalancing'));
  }
  const header = options['hash_header'];
  const balance = options['hash_balance'];
  if (present(header) && rubyText(header).length > 128) e(`Route '${route}': Hash header must be at most 128 characters`, ctx.at(options, 'hash_header'));
  if (present(balance)) {
    const text = rubyText(balance);
    if (text.length > 16) e(`Route '${route}': Hash balance must be at most 16 characters`, ctx.at(options, 'hash_balance'));
    else {
      const f = typeof balance === 'number' ? balance : typeof balance === 'string' ? rubyFloat(balance) : undefined;
      if (f === undefined) e(`Route '${route}': Hash balance must be a numeric value (got ${show(balance)})`, ctx.at(options, 'hash_balance'));
      else if (!(f === 0 || (f >= 1.1 && f <= 10))) e(`Route '${route}': Hash balance must be either 0 or between 1.1 and 10.0 (got ${show(balance)})`, ctx.at(options, 'hash_balance'));
    }
  }
  const lbPresent = present(lb);
  if (present(header) && lbPresent && lb !== 'hash') e(`Route '${route}': Hash header can only be set when loadbalancing is hash`, ctx.at(options, 'hash_header'), 'add loadbalancing: hash, or remove hash_header');
  if (present(balance) && lbPresent && lb !== 'hash') e(`Route '${route}': Hash balance can only be set when loadbalancing is hash`, ctx.at(options, 'hash_balance'), 'add loadbalancing: hash, or remove hash_balance');
  if (lb === 'hash' && !present(header)) e(`Route '${route}': Hash header must be present when loadbalancing is set to hash.`, ctx.at(options, 'loadbalancing'), 'add hash_header: HEADER');
  // Cloud Controller accepts hash options without `loadbalancing` and stores them; gorouter hashes
  // only with `loadbalancing: hash`, so they do nothing.
  if (!lbPresent) {
    for (const key of ['hash_header', 'hash_balance']) {
      if (present(options[key])) ctx.warnings.push({ code: 'IGNORED_KEY', message: `${label ? `${label}: ` : ''}route ${route}: ${key} has no effect without loadbalancing: hash (cf accepts and keeps it)`, span: ctx.keyAt(options, key), hint: 'add loadbalancing: hash to hash on the header' });
    }
  }
}

/**
 * Ruby's Kernel#Float on a string: optional spaces and sign, digits (single underscores between them),
 * an optional fraction and exponent, or a 0x hexadecimal integer; undefined when Ruby raises.
 */
export function rubyFloat(text: string): number | undefined {
  const t = text.trim();
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)$/.exec(t);
  if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt((hex[2] as string).replace(/_/g, ''), 16);
  if (!/^[+-]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** Ruby's `to_s` of a value as the CLI sends it (after yaml.v2 writes numbers back). */
function rubyText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumberText(value);
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function err(ctx: Ctx, code: ErrorCode, message: string, span: SourceSpan, hint?: string): void {
  ctx.errors.push(new ToolError(code, message, { span, hint }));
}

function spanOf(container: object, ctx: Ctx): SourceSpan {
  return ctx.at(container, '');
}

function where(span: SourceSpan): string {
  const { line, col } = span.source.linePos(span.start);
  return `${line}:${col}`;
}

function show(data: unknown): string {
  if (data === null || data === undefined) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a map';
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
