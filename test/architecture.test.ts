// Keeps the shape of STYLE.md true as the code grows: the pure core imports no I/O, no terminal and
// no CLI libraries; layers import only downwards; the route model has no Istio words.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const src = join(import.meta.dirname, '..', 'src');

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

const PURE = ['manifest', 'routing', 'istio', 'render', 'diagnostics'];
const FORBIDDEN_IN_PURE = [/^node:fs/, /^fs$/, /^node:child_process/, /^undici/, /^chalk/, /^ora/, /^commander/, /^proper-lockfile/];
/** What each layer may import from src/ (besides itself). */
const ALLOWED: Record<string, string[]> = {
  diagnostics: [],
  manifest: ['diagnostics'],
  routing: ['diagnostics', 'manifest'],
  istio: ['diagnostics', 'routing', 'manifest', 'resource', 'target'],
  render: ['diagnostics', 'resource'],
};

const all = files(src).map((path) => ({ path, layer: relative(src, path).split('/')[0] as string, text: readFileSync(path, 'utf8') }));

test('the pure core imports no I/O, terminal or CLI library', () => {
  const problems: string[] = [];
  for (const file of all.filter((f) => PURE.includes(f.layer))) {
    for (const spec of imports(file.text)) {
      if (FORBIDDEN_IN_PURE.some((re) => re.test(spec))) problems.push(`${relative(src, file.path)} imports ${spec}`);
    }
    const code = file.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    if (/\bprocess\.(env|argv|exit|stdout|stderr|cwd)\b/.test(code)) problems.push(`${relative(src, file.path)} touches process`);
  }
  assert.deepEqual(problems, []);
});

test('core layers import only the layers below them', () => {
  const problems: string[] = [];
  for (const file of all.filter((f) => f.layer in ALLOWED)) {
    for (const spec of imports(file.text)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, join(file.path, '..', spec)).split('/')[0] as string;
      if (target === file.layer || target.endsWith('.ts')) continue;
      if (!(ALLOWED[file.layer] as string[]).includes(target)) problems.push(`${relative(src, file.path)} (${file.layer}) imports ${spec} (${target})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the route model speaks no Istio', () => {
  const problems: string[] = [];
  for (const file of all.filter((f) => f.layer === 'routing' || f.layer === 'manifest')) {
    const code = file.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const hit = /\b(VirtualService|DestinationRule|ServiceEntry|WorkloadEntry|PeerAuthentication|AuthorizationPolicy|networking\.istio\.io)\b/.exec(code);
    if (hit) problems.push(`${relative(src, file.path)}: ${hit[0]}`);
  }
  assert.deepEqual(problems, []);
});

test('only main.ts sets the exit code', () => {
  const offenders = all.filter((f) => !f.path.endsWith('main.ts') && /process\.exit(Code)?\b/.test(f.text.replace(/\/\/.*$/gm, ''))).map((f) => relative(src, f.path));
  assert.deepEqual(offenders, []);
});
