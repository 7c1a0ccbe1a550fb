// Keeps the shape of STYLE.md true as the code grows: every folder of src/ imports only what the
// layering of docs/adr/0014-route-model-and-targets.md allows (the table is read from the ADR, so
// the ADR and the code cannot drift apart); the pure core imports no I/O, terminal or CLI library;
// Istio's kinds and groups are named only in istio/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const ADR = join(root, 'docs', 'adr', '0014-route-model-and-targets.md');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'generated' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function imports(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => (m[1] ?? m[2]) as string);
}

/** A file's layer: its folder under src/, or `(root)` for the files at the top. */
function layerOf(path: string): string {
  const parts = relative(src, path).split('/');
  return parts.length === 1 ? '(root)' : (parts[0] as string);
}

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

/** The ADR's table `| folder | may import |`, as folder → allowed folders. */
function layering(): Map<string, Set<string>> {
  const text = readFileSync(ADR, 'utf8');
  const start = text.indexOf('| folder | may import |');
  assert.ok(start >= 0, 'the ADR has the layering table');
  const rows = text.slice(start).split('\n').slice(2);
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [folder, allowed] = row.split('|').slice(1, 3).map((c) => c.trim()) as [string, string];
    out.set(folder, new Set(allowed === '' ? [] : allowed.split(',').map((a) => a.trim())));
  }
  return out;
}

const all = files(src).map((path) => ({ path, layer: layerOf(path), text: readFileSync(path, 'utf8') }));
const table = layering();

test('the layering table names every folder of src/, and only those', () => {
  const folders = new Set(all.map((f) => f.layer));
  assert.deepEqual([...table.keys()].sort(), [...folders].sort());
  for (const [folder, allowed] of table) for (const a of allowed) assert.ok(table.has(a), `${folder} may import ${a}, which is not a folder of the table`);
});

test('every folder imports only what the layering allows', () => {
  const problems: string[] = [];
  for (const file of all) {
    const allowed = table.get(file.layer) ?? new Set<string>();
    for (const spec of imports(file.text)) {
      if (!spec.startsWith('.')) continue;
      const target = layerOf(join(file.path, '..', spec));
      if (target === file.layer) continue;
      if (!allowed.has(target)) problems.push(`${relative(src, file.path)} (${file.layer}) imports ${spec} (${target})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the layering has no cycle', () => {
  const seen = new Set<string>();
  const visiting = new Set<string>();
  const visit = (folder: string, path: string[]): void => {
    assert.ok(!visiting.has(folder), `cycle: ${[...path, folder].join(' → ')}`);
    if (seen.has(folder)) return;
    visiting.add(folder);
    for (const next of table.get(folder) ?? []) visit(next, [...path, folder]);
    visiting.delete(folder);
    seen.add(folder);
  };
  for (const folder of table.keys()) visit(folder, []);
});

const PURE = ['manifest', 'routing', 'target', 'istio', 'gateway-api', 'render', 'resource', 'diagnostics'];
const FORBIDDEN_IN_PURE = [/^node:fs/, /^fs$/, /^node:child_process/, /^undici/, /^chalk/, /^ora/, /^commander/, /^proper-lockfile/];

test('the pure core imports no I/O, terminal or CLI library', () => {
  const problems: string[] = [];
  for (const file of all.filter((f) => PURE.includes(f.layer))) {
    for (const spec of imports(file.text)) {
      if (FORBIDDEN_IN_PURE.some((re) => re.test(spec))) problems.push(`${relative(src, file.path)} imports ${spec}`);
    }
    if (/\bprocess\.(env|argv|exit|stdout|stderr|cwd)\b/.test(withoutComments(file.text))) problems.push(`${relative(src, file.path)} touches process`);
  }
  assert.deepEqual(problems, []);
});

test("Istio's kinds and groups are named only in istio/", () => {
  const problems: string[] = [];
  for (const file of all.filter((f) => f.layer !== 'istio')) {
    const hit = /\b(VirtualService|DestinationRule|ServiceEntry|WorkloadEntry|PeerAuthentication|AuthorizationPolicy|(networking|security)\.istio\.io)\b/.exec(withoutComments(file.text));
    if (hit) problems.push(`${relative(src, file.path)}: ${hit[0]}`);
  }
  assert.deepEqual(problems, []);
});

test('only main.ts sets the exit code', () => {
  const offenders = all.filter((f) => !f.path.endsWith('main.ts') && /process\.exit(Code)?\b/.test(f.text.replace(/\/\/.*$/gm, ''))).map((f) => relative(src, f.path));
  assert.deepEqual(offenders, []);
});
