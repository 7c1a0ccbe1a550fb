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
