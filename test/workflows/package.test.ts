// `npm pack` gives a tarball that installs and runs without a build: packed from a copy of the
// checkout (its prepack builds there, not in this checkout's dist/, which other tests run), then
// unpacked into a directory that has only the package and its declared runtime dependencies
// (what `npm install` would fetch from the registry, here taken from this checkout's node_modules:
// no network, no devDependencies, no src/). `CFMESH_TEST_NPM_INSTALL=1` also runs a real
// `npm install` of the tarball (it fetches the dependencies from the registry).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error scripts/prepare.mjs is plain JavaScript with no type declarations
import { decide } from '../../scripts/prepare.mjs';
import { tempDir } from '../helpers/reliability.ts';
import { cleanEnv, root, run } from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string> };

test('prepare: builds when it can, leaves a built package alone, installs the locked dependencies for a fresh checkout', () => {
  const cases = [
    { name: 'npm ci in a checkout', facts: { command: 'ci', haveBuildTools: true, built: false, checkout: true }, expected: 'build' },
    { name: 'npm install in a built checkout', facts: { command: 'install', haveBuildTools: true, built: true, checkout: true }, expected: 'build' },
    { name: 'npm pack (prepack built)', facts: { command: 'pack', haveBuildTools: true, built: true, checkout: true }, expected: 'nothing' },
    { name: 'an installed tarball', facts: { command: 'install', haveBuildTools: false, built: true, checkout: false }, expected: 'nothing' },
    { name: 'npm install -g . of a built checkout without node_modules', facts: { command: 'install', haveBuildTools: false, built: true, checkout: true }, expected: 'nothing' },
    { name: 'npm install -g . of a fresh clone', facts: { command: 'install', haveBuildTools: false, built: false, checkout: true }, expected: 'install-then-build' },
    { name: 'no dist, no tools, no checkout', facts: { command: 'install', haveBuildTools: false, built: false, checkout: false }, expected: 'fail' },
  ];
  for (const c of cases) assert.equal(decide(c.facts), c.expected, c.name);
});

test('npm pack: a tarball with what cfmesh needs at run time, which runs from a clean directory without a build', { timeout: 240_000 }, async (t) => {
  // A copy of the checkout, sharing node_modules (the build tools).
  const copy = join(tempDir('cfmesh-pack-'), 'cfmesh');
  cpSync(root, copy, { recursive: true, filter: (src) => !/\/(node_modules|dist|\.git|test|fixtures|\.bench|\.scratch)$/.test(src) && !src.includes('/src/manifest/generated') });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  assert.ok(!existsSync(join(copy, 'dist')), 'the copy starts unbuilt');
  const out = tempDir('cfmesh-pack-out-');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', out], { cwd: copy, env: cleanEnv() });
  assert.equal(packed.code, 0, packed.err);
  const report = JSON.parse(packed.out) as { filename: string; files: { path: string }[] }[];
  const files = new Set(report[0]?.files.map((f) => f.path));
  for (const needed of ['package.json', 'README.md', 'bin/cfmesh.js', 'bin/package.json', 'dist/entry.cjs', 'dist/cli.cjs', 'dist/vendor/ora.cjs', 'dist/vendor/undici.cjs', 'scripts/prepare.mjs']) {
    assert.ok(files.has(needed), `the tarball has ${needed}`);
  }
  for (const path of files) assert.doesNotMatch(path, /^(src|test|fixtures|node_modules)\//, `${path} is not needed at run time`);
  const tarball = join(out, report[0]?.filename ?? '');

  // The clean machine: the package and its runtime dependencies, nothing else.
  const clean = tempDir('cfmesh-clean-');
  const installed = join(clean, 'node_modules', 'cfmesh');
  mkdirSync(installed, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  assert.equal(untar.code, 0, untar.err);
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(root, 'node_modules', dep), join(clean, 'node_modules', dep));
  const binPath = join(installed, pkg.bin['cfmesh'] ?? '');
  const env = cleanEnv({ NODE_PATH: undefined, HOME: clean });
  const version = await run(process.execPath, [binPath, '--version'], { cwd: clean, env });
  assert.deepEqual([version.code, version.out], [0, `${pkg.version}\n`], version.err);
  for (const fixture of ['proposal-90-10', 'feature-bookinfo']) {
    const manifest = join(root, 'fixtures', fixture, 'manifest.yml');
    const converted = await run(process.execPath, [binPath, 'convert', manifest], { cwd: clean, env });
    assert.equal(converted.code, 0, `${fixture}: ${converted.err}`);
    assert.equal(converted.out, readFileSync(join(root, 'fixtures', fixture, 'expected.yaml'), 'utf8'), `${fixture}: the installed package gives the golden output (regexes need re2js, a runtime dependency)`);
  }
  // An npm that runs `prepare` in the installed package finds a built dist/ and leaves it alone.
  const before = statSync(join(installed, 'dist', 'cli.cjs')).mtimeMs;
  const prepare = await run(process.execPath, [join(installed, 'scripts', 'prepare.mjs')], { cwd: installed, env: { ...env, npm_command: 'install' } });
  assert.equal(prepare.code, 0, prepare.err);
  assert.equal(statSync(join(installed, 'dist', 'cli.cjs')).mtimeMs, before, 'nothing was rebuilt');

  if (process.env['CFMESH_TEST_NPM_INSTALL'] !== '1') {
    t.diagnostic('a real `npm install` of the tarball (dependencies from the registry) runs with CFMESH_TEST_NPM_INSTALL=1');
    return;
  }
  const prefix = tempDir('cfmesh-npm-install-');
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { cwd: prefix, env: cleanEnv() });
  assert.equal(install.code, 0, install.err);
  const real = await run(join(prefix, 'node_modules', '.bin', 'cfmesh'), ['convert', join(root, 'fixtures', 'feature-bookinfo', 'manifest.yml')], { cwd: prefix, env });
  assert.equal(real.code, 0, real.err);
  assert.equal(real.out, readFileSync(join(root, 'fixtures', 'feature-bookinfo', 'expected.yaml'), 'utf8'));
});
