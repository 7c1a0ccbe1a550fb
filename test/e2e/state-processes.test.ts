// The real binary (bin/cfmesh.js, built by `npm test`): concurrency, crashes, exit codes, streams.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyState, readState, routeKey, serializeState } from '../../src/state/index.ts';
import type { AppRecord, RouteRecord } from '../../src/state/types.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cfmesh.js');

function cfmesh(args: readonly string[], options: { cwd?: string } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

function temp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('twenty map-route processes started at once all take effect', { timeout: 120_000 }, async (t) => {
  const dir = temp(t);
  const state = join(dir, 'state');
  const names = Array.from({ length: 20 }, (_, i) => `app-${i}`);
  writeFileSync(join(dir, 'm.yml'), `applications:\n${names.map((n) => `- {name: ${n}, no-route: true}`).join('\n')}\n`);
  const push = await cfmesh(['--state', state, 'push', '-f', 'm.yml'], { cwd: dir }).done;
  assert.equal(push.code, 0, push.err);
  const results = await Promise.all(names.map((n) => cfmesh(['--state', state, 'map-route', n, 'example.com', '--hostname', 'shop']).done));
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 0, `process ${i}: ${r.err}`);
    assert.match(r.err, /\nOK\n$/);
  }
  const routes = await cfmesh(['--state', state, 'routes', '--json']).done;
  const parsed = JSON.parse(routes.out) as { url: string; destinations: { app: string; weight: number }[] }[];
  assert.deepEqual(parsed.map((r) => r.url), ['shop.example.com']);
  assert.deepEqual(parsed[0]?.destinations.map((d) => d.app).sort(), [...names].sort());
  assert.equal(parsed[0]?.destinations.reduce((s, d) => s + d.weight, 0), 100);
});

test('SIGKILL in the middle of writing a big state leaves a readable state (the old or the new one)', { timeout: 120_000 }, async (t) => {
  const dir = temp(t);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const routes: Record<string, RouteRecord> = {};
  const apps: Record<string, AppRecord> = {};
  for (let i = 0; i < 4000; i++) {
    apps[`a${i}`] = { name: `a${i}`, instances: 1 };
    apps[`b${i}`] = { name: `b${i}`, instances: 1 };
    const r: RouteRecord = { fqdn: `h${i}.example.com`, host: `h${i}`, domain: 'example.com', protocol: 'http1', options: {}, destinations: [{ app: `a${i}`, weight: 50 }, { app: `b${i}`, weight: 50 }] };
    routes[routeKey(r)] = r;
  }
  writeFileSync(join(stateDir, 'state.json'), serializeState({ ...emptyState(), apps, routes }));
  let killed = 0;
  for (let k = 0; k < 8; k++) {
    const before = readFileSync(join(stateDir, 'state.json'), 'utf8');
    const run = cfmesh(['--state', stateDir, 'update-route', `a${k}`, 'example.com', '--hostname', `h${k}`, '--weight', '70']);
    await sleep(60 + k * 25);
    if (run.child.kill('SIGKILL')) killed++;
    await run.done;
    const state = await readState(stateDir); // parses and validates, or throws
    assert.equal(Object.keys(state.routes).length, 4000);
    const weight = state.routes[`h${k}.example.com`]?.destinations[0]?.weight;
    assert.ok(weight === 50 || weight === 70, `weight ${weight}`);
    if (weight === 50) assert.equal(readFileSync(join(stateDir, 'state.json'), 'utf8'), before);
    rmSync(join(stateDir, 'state.json.lock'), { recursive: true, force: true }); // the dead holder's lock (taken over after 5 s anyway)
  }
  t.diagnostic(`${killed} processes killed`);
  // The next command works and cleans up.
  const next = await cfmesh(['--state', stateDir, 'update-route', 'a0', 'example.com', '--hostname', 'h0', '--weight', '60']).done;
  assert.equal(next.code, 0, next.err);
});

test('a corrupt state: exit 3, a clear message, the file untouched; stdout empty', async (t) => {
  const dir = temp(t);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'state.json'), '{"version":1,"apps":[');
  const r = await cfmesh(['--state', stateDir, 'map-route', 'a', 'example.com']).done;
  assert.equal(r.code, 3);
  assert.equal(r.out, '');
  assert.match(r.err, /state\.json is corrupt: not valid JSON/);
  assert.match(r.err, /hint: there is no backup/);
  assert.equal(readFileSync(join(stateDir, 'state.json'), 'utf8'), '{"version":1,"apps":[');
});

test('streams and exit codes of the real binary: product on stdout, progress on stderr; usage 2, not found 1', async (t) => {
  const dir = temp(t);
  const state = join(dir, 'state');
  writeFileSync(join(dir, 'm.yml'), 'applications: [{name: web, routes: [{route: web.example.com}]}]\n');
  const push = await cfmesh(['--state', state, 'push', '-f', 'm.yml'], { cwd: dir }).done;
  assert.equal(push.code, 0, push.err);
  assert.match(push.out, /^apiVersion: networking\.istio\.io\/v1\nkind: Gateway/);
  assert.doesNotMatch(push.out, /OK|Pushing/);
  assert.match(push.err, /Pushing app\(s\) web\.\.\./);
  assert.equal((await cfmesh(['--state', state, 'update-route', 'web', 'example.com', '--hostname', 'web', '--weight', '200']).done).code, 2);
  const nf = await cfmesh(['--state', state, 'map-route', 'nope', 'example.com']).done;
  assert.equal(nf.code, 1);
  assert.match(nf.err, /App 'nope' not found\./);
  const del = await cfmesh(['--state', state, 'delete-route', 'web.example.com']).done;
  assert.equal(del.code, 2, 'stdin is not a terminal and no -f');
});
