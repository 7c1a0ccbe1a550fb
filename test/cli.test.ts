// A handful of tests through the real binary: streams, help, and the exit codes a shell sees.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'cfmesh.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('--version prints the version from package.json', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('convert: YAML on stdout, nothing else; warnings on stderr', () => {
  const r = run(['convert', '-f', 'fixtures/legacy-keys/manifest.yml']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^apiVersion: networking.istio.io\/v1\n/);
  assert.doesNotMatch(r.stdout, /warning/);
  assert.match(r.stderr, /legacy-keys\/manifest.yml:2:1: warning LEGACY_KEY/);
});

test('stdin and file give the same bytes', () => {
  const file = run(['convert', '-f', 'fixtures/proposal-90-10/manifest.yml']);
  const stdin = run(['convert', '-f', '-'], readFileSync(join(root, 'fixtures/proposal-90-10/manifest.yml'), 'utf8'));
  assert.equal(stdin.status, 0);
  assert.equal(stdin.stdout, file.stdout);
});

test('every command has help with examples, exit 0', () => {
  for (const command of ['convert', 'validate', 'diff', 'push', 'map-route', 'unmap-route', 'create-route', 'delete-route', 'delete', 'update-route', 'routes', 'apps', 'route', 'render', 'target']) {
    const r = run([command, '--help']);
    assert.equal(r.status, 0, command);
    assert.match(r.stdout, /Examples:/, command);
  }
});

test('usage errors exit 2, invalid input 1, unreadable files 3; stdout stays empty', () => {
  const usage = run(['convert', '--no-such-flag']);
  assert.equal(usage.status, 2);
  assert.equal(usage.stdout, '');
  const invalid = run(['convert', '-f', 'fixtures/invalid-weights-140/manifest.yml']);
  assert.equal(invalid.status, 1);
  assert.equal(invalid.stdout, '');
  assert.match(invalid.stderr, /manifest.yml:5:3: error WEIGHTS route reviews.example.com: weights sum to 140, they must sum to 100/);
  const missing = run(['convert', '-f', 'no/such/file.yml']);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /cannot read no\/such\/file.yml: no such file/);
});

test('-o json is caught as a likely mistake', () => {
  const r = run(['convert', '-f', 'fixtures/proposal-90-10/manifest.yml', '-o', 'json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--output json/);
});

test('--gateway-selector and --gateway NS/NAME on the command line', async () => {
  const { main } = await import('../src/main.ts');
  const { memoryIo } = await import('./helpers/memory-io.ts');
  const manifest = 'applications:\n- name: a\n  routes: [{route: a.example.com}]\n';
  const run = async (...argv: string[]) => {
    const io = memoryIo({ stdin: manifest });
    const exit = await main(['convert', '-f', '-', ...argv], io);
    return { exit, out: io.out(), err: io.err() };
  };
  const selected = await run('--gateway-selector', 'istio=ingress', '--gateway-selector', 'app.kubernetes.io/name=gw');
  assert.equal(selected.exit, 0, selected.err);
  assert.match(selected.out, /selector:\n    app\.kubernetes\.io\/name: gw\n    istio: ingress\n/);
  for (const bad of ['istio', 'bad key=x', 'istio=a b']) {
    const r = await run('--gateway-selector', bad);
    assert.equal(r.exit, 2, bad);
    assert.match(r.err, /--gateway-selector must be KEY=VALUE/);
  }
  const shared = await run('--gateway', 'istio-ingress/public');
  assert.equal(shared.exit, 0, shared.err);
  assert.doesNotMatch(shared.out, /kind: Gateway/);
  assert.match(shared.out, /gateways:\n    - istio-ingress\/public\n/);
  assert.equal((await run('--gateway', 'Bad/x')).exit, 2);
});
