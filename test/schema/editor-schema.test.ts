// The editor schema (`cfmesh schema`): manifests as people write them, ((vars)) and all, pass it, and
// on a manifest without vars it says what the schema of interpolated manifests says.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { toEditorSchema } from '../../scripts/editor-schema.mjs';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { parseYaml } from '../../src/manifest/parse-yaml.ts';
import { runCli } from '../helpers/reliability.ts';
import { cfmesh } from '../workflows/helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'fixtures');
const source = JSON.parse(readFileSync(join(root, 'schemas', 'manifest.schema.json'), 'utf8')) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// The schema of interpolated manifests, as cfmesh compiles it (scripts/build.mjs).
const strictAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
strictAjv.addVocabulary(['x-cf-message']);
const strict = strictAjv.compile(source);

// The editor schema is plain draft-07: no vocabulary of cfmesh's is needed to compile it strictly.
let editorText = '';
let editor: ValidateFunction;

test('cfmesh schema prints the schema derived from schemas/manifest.schema.json, and it compiles as plain JSON Schema', async () => {
  const run = await runCli(['schema']);
  assert.equal(run.exit, 0, run.err);
  assert.equal(run.err, '');
  editorText = run.out;
  assert.deepEqual(JSON.parse(run.out), toEditorSchema(source), 'what the build derives, not a second schema kept by hand');
  assert.doesNotMatch(run.out, /x-cf-message/);
  editor = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(run.out) as object);
  // the real binary prints the same bytes (the bundle carries the build's string)
  const bin = await cfmesh(['schema']);
  assert.equal(bin.code, 0, bin.err);
  assert.equal(bin.out, run.out);
});

function editorErrors(value: unknown) {
  if (!editor) editor = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(toEditorSchema(source));
  return editor(value) ? [] : [...(editor.errors ?? [])];
}

/** A fixture's manifest as cf reads the file (YAML 1.1, merge keys, first document), before vars. */
function rawManifests(): { name: string; value: Json; valid: boolean; hasVars: boolean }[] {
  const out = [];
  for (const name of readdirSync(fixtures).sort()) {
    const dir = join(fixtures, name);
    const file = existsSync(join(dir, 'manifest.yml')) ? join(dir, 'manifest.yml') : existsSync(join(dir, 'stdin')) ? join(dir, 'stdin') : undefined;
    if (!file) continue;
    const text = readFileSync(file, 'utf8');
    const parsed = parseYaml(new SourceFile(file, text));
    if (parsed.errors.length > 0) continue; // YAML that does not parse has no value to check
    out.push({ name, value: parsed.value as Json, valid: existsSync(join(dir, 'expected.yaml')), hasVars: /\(\([^()]+\)\)/.test(text) });
  }
  return out;
}

test('every valid fixture, as written, passes the editor schema', () => {
  const valid = rawManifests().filter((m) => m.valid);
  assert.ok(valid.length >= 20, `only ${valid.length} valid fixtures found`);
  assert.ok(valid.some((m) => m.hasVars), 'a fixture with ((vars)) is among them');
  for (const m of valid) assert.deepEqual(editorErrors(m.value), [], m.name);
});

test('every fixture whose error is a type error fails the editor schema, with a type error at the same place', () => {
  const typed = rawManifests().filter((m) => {
    if (m.valid || m.hasVars) return false;
    return !strict(m.value) && (strict.errors ?? []).some((e) => e.keyword === 'type');
  });
  assert.ok(typed.some((m) => m.name === 'invalid-wrong-types'), `type-error fixtures: ${typed.map((m) => m.name).join(', ')}`);
  for (const m of typed) {
    strict(m.value);
    const want = new Set((strict.errors ?? []).filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    const got = new Set(editorErrors(m.value).filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const path of want) assert.ok(got.has(path), `${m.name}: a type error at ${path} (editor schema reported ${[...got].join(', ')})`);
  }
});

/** The path of every value of a document (not keys, not the root). */
function valuePaths(doc: Json, path: string[] = []): string[][] {
  const entries: [string, Json][] = Array.isArray(doc) ? doc.map((v, i) => [String(i), v]) : doc !== null && typeof doc === 'object' ? Object.entries(doc) : [];
  return entries.flatMap(([key, child]) => [[...path, key], ...valuePaths(child, [...path, key])]);
}

/** A copy of `doc` with the value at `path` replaced. */
function setAt(doc: Json, path: readonly string[], value: Json): Json {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  if (Array.isArray(doc)) return doc.map((x, i) => (String(i) === key ? setAt(x, rest, value) : x));
  const obj = doc as Record<string, Json>;
  return { ...obj, [key]: setAt(obj[key] as Json, rest, value) };
}

const values = (doc: Json) => valuePaths(doc).map((p) => ({ path: `/${p.join('/')}`, with: (v: Json) => setAt(doc, p, v) }));

test('a whole ((var)) is accepted wherever a value goes, in every valid fixture', () => {
  let checked = 0;
  for (const m of rawManifests().filter((x) => x.valid)) {
    for (const at of values(m.value)) {
      const doc = at.with('((some-var))');
      assert.deepEqual(editorErrors(doc).map((e) => `${e.instancePath} ${e.message}`), [], `${m.name}: ((some-var)) at ${at.path}`);
      checked++;
    }
  }
  assert.ok(checked > 500, `${checked} positions`);
});

test('without vars, the editor schema and the schema of interpolated manifests agree (fixtures, and each value swapped for other types)', () => {
  const swaps: Json[] = ['x', '', 7, -1, 1.5, true, null, [], ['x'], {}, { a: 1 }, '(( not-a-var ))', '((unclosed'];
  let agreed = 0;
  for (const m of rawManifests().filter((x) => !x.hasVars)) {
    const docs: { doc: Json; what: string }[] = [{ doc: m.value, what: 'as written' }];
    for (const at of values(m.value)) for (const s of swaps) docs.push({ doc: at.with(s), what: `${JSON.stringify(s)} at ${at.path}` });
    for (const { doc, what } of docs) {
      assert.equal(editorErrors(doc).length === 0, strict(doc), `${m.name}: ${what}`);
      agreed++;
    }
  }
  assert.ok(agreed > 5000, `${agreed} documents`);
});

const MANIFEST = (app: string, top = '') => `applications:\n- name: web\n${app}${top}`;
const cases: { name: string; yaml: string; ok: boolean }[] = [
  { name: 'a number', yaml: MANIFEST('  instances: ((instances))\n'), ok: true },
  { name: 'a boolean', yaml: MANIFEST('  no-route: ((no_route))\n'), ok: true },
  { name: 'a list', yaml: MANIFEST('  routes: ((routes))\n'), ok: true },
  { name: 'a map', yaml: MANIFEST('  env: ((env))\n'), ok: true },
  { name: 'an integer port', yaml: MANIFEST('  port: ((port))\n'), ok: true },
  { name: 'a dotted var name, and a !-prefixed one', yaml: MANIFEST('  instances: ((sizes.web))\n  timeout: ((!timeout))\n'), ok: true },
  { name: 'a pattern string with a var inside', yaml: MANIFEST('  version: v((major))\n'), ok: true },
  { name: 'an enum string', yaml: MANIFEST('  routes:\n  - route: web.example.com\n    protocol: ((protocol))\n'), ok: true },
  { name: 'a weight', yaml: MANIFEST('', 'routes:\n- route: web.example.com\n  destinations:\n  - name: web\n    weight: ((weight))\n'), ok: true },
  { name: 'a var inside a larger value cannot stand for a number', yaml: MANIFEST('  instances: ((n))0\n'), ok: false },
  { name: 'spaces are not part of a var name', yaml: MANIFEST('  instances: (( n ))\n'), ok: false },
  { name: 'still a type error', yaml: MANIFEST('  instances: two\n'), ok: false },
  { name: 'still an unknown key in a closed object', yaml: MANIFEST('', 'routes:\n- route: web.example.com\n  destinaitons: []\n'), ok: false },
  { name: 'still a bad enum value', yaml: MANIFEST('  routes:\n  - route: web.example.com\n    protocol: http3\n'), ok: false },
];

test('where ((vars)) are accepted, and what is still refused', () => {
  for (const c of cases) {
    const parsed = parseYaml(new SourceFile('m.yml', c.yaml));
    assert.deepEqual(parsed.errors, [], c.name);
    const errors = editorErrors(parsed.value);
    assert.equal(errors.length === 0, c.ok, `${c.name}: ${errors.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  }
  assert.ok(editorText === '' || editorText.endsWith('}\n'));
});
