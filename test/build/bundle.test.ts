// The built binary (dist/, made by scripts/build.mjs: CommonJS, with resolution tweaks: chalk without its
// probe, yaml's ES build, lazy child_process) must print exactly what the source prints: every
// golden success fixture goes through bin/cfmesh.js, and --version answers without loading more.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'cfmesh.js');
const fixtures = join(root, 'fixtures');

for (const name of readdirSync(fixtures).sort()) {
  const dir = join(fixtures, name);
  if (!existsSync(join(dir, 'expected.yaml')) || existsSync(join(dir, 'args')) || !existsSync(join(dir, 'manifest.yml'))) continue;
  test(`bundled binary: fixture ${name}`, () => {
    const run = spawnSync(process.execPath, [bin, 'convert', '-f', 'manifest.yml'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, readFileSync(join(dir, 'expected.yaml'), 'utf8'));
  });
}

test('bundled binary: --version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const run = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0);
  assert.equal(run.stdout, `${pkg.version}\n`);
});

test('bundled binary: a refusal exits 1 with the diagnostic on stderr', () => {
  const dir = join(fixtures, 'invalid-weights-140');
  const run = spawnSync(process.execPath, [bin, 'convert', '-f', 'manifest.yml'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /weights sum to 140/);
});

test('bundled binary: the Node 20 code cache is written once, used, and survives damage', { skip: typeof ((await import('node:module')) as { enableCompileCache?: unknown }).enableCompileCache === 'function' ? 'Node 22+ uses its own compile cache' : false }, () => {
  const { mkdtempSync, readdirSync: list, writeFileSync, chmodSync, rmSync } = process.getBuiltinModule('node:fs');
  const dir = mkdtempSync(join(process.getBuiltinModule('node:os').tmpdir(), 'cfmesh-cache-'));
  try {
    const cacheDir = join(dir, 'cache');
    const fixture = join(fixtures, 'proposal-90-10');
    const expected = readFileSync(join(fixture, 'expected.yaml'), 'utf8');
    const convert = (env: Record<string, string>) => spawnSync(process.execPath, [bin, 'convert', '-f', 'manifest.yml'], { cwd: fixture, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
    const first = convert({ CFMESH_COMPILE_CACHE: cacheDir });
    assert.equal(first.stdout, expected);
    const files = list(cacheDir).filter((f) => f.endsWith('-convert.v8cache'));
    assert.equal(files.length, 1);
    assert.equal(convert({ CFMESH_COMPILE_CACHE: cacheDir }).stdout, expected);
    // a damaged cache is rejected by V8 and replaced
    writeFileSync(join(cacheDir, files[0] as string), 'not a code cache');
    assert.equal(convert({ CFMESH_COMPILE_CACHE: cacheDir }).stdout, expected);
    assert.ok(readFileSync(join(cacheDir, files[0] as string)).length > 1000);
    // a directory we cannot write, or the cache turned off, only costs speed
    const readOnly = join(dir, 'ro');
    process.getBuiltinModule('node:fs').mkdirSync(readOnly, { mode: 0o500 });
    chmodSync(readOnly, 0o500);
    assert.equal(convert({ CFMESH_COMPILE_CACHE: join(readOnly, 'sub') }).stdout, expected);
    assert.equal(convert({ CFMESH_COMPILE_CACHE: '0' }).stdout, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
