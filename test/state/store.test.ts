import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { emptyState, readState, resolveStateDir, routeKey, serializeState, updateState } from '../../src/state/index.ts';
import type { State } from '../../src/state/index.ts';
import { addRoute, bigState, makeRoute, tempDir } from './helpers.ts';

function isToolError(code: string, ...parts: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ToolError, `expected a ToolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const p of parts) assert.ok(`${err.message}\n${err.hint ?? ''}`.includes(p), `"${p}" not in: ${err.message} / ${err.hint}`);
    return true;
  };
}

test('no state file yet: empty state, and nothing is created by reading', async (t) => {
  const dir = path.join(await tempDir(t), 'not-yet');
  assert.deepEqual(await readState(dir), emptyState());
  await assert.rejects(stat(dir));
});

test('round trip', async (t) => {
  const dir = await tempDir(t);
  const state: State = {
    ...bigState(emptyState(), 50),
    randomRouteHosts: { 'app-1': 'app-1-brave-otter-ab' },
    tcpPorts: { 'tcp.example.com:1024': 1024 },
    settings: {
      defaultDomain: 'apps.example.com',
      internalDomains: ['apps.internal'],
      gateway: 'istio-system/gw',
      namespace: 'cf',
      istioApiVersion: 'networking.istio.io/v1',
      output: 'yaml',
      target: 'local',
      extra: { future: [1, 'two', null, true] },
    },
  };
  const r = await updateState(dir, () => state);
  assert.equal(r.changed, true);
  assert.deepEqual(r.before, emptyState());
  const back = await readState(dir);
  // undefined-valued properties are "not given" and are not stored
  assert.deepEqual(back, JSON.parse(JSON.stringify(state)));
  assert.equal(Object.keys(back.routes).length, 50);
});

test('deterministic bytes: same content in any key order gives the same file', async (t) => {
  const d1 = await tempDir(t);
  const d2 = await tempDir(t);
  const routes = [1, 2, 3, 4].map((i) => makeRoute(i));
  let s1 = emptyState();
  for (const r of routes) s1 = addRoute(s1, r);
  let s2: State = { settings: { gateway: 'g', defaultDomain: 'd' }, tcpPorts: {}, randomRouteHosts: {}, routes: {}, apps: {}, version: 1 };
  for (const r of routes.slice().reverse()) {
    const shuffled = Object.fromEntries(Object.entries(r).reverse()) as unknown as typeof r;
    s2 = addRoute(s2, shuffled);
  }
  s1 = { ...s1, settings: { defaultDomain: 'd', gateway: 'g' } };
  await updateState(d1, () => s1);
  await updateState(d2, () => s2);
  const b1 = await readFile(path.join(d1, 'state.json'));
  const b2 = await readFile(path.join(d2, 'state.json'));
  assert.ok(b1.equals(b2));
  const text = b1.toString('utf8');
  assert.ok(text.startsWith('{"version":1,\n"apps":{\n},\n"randomRouteHosts":{\n},\n"routes":{\n'), text.slice(0, 60));
  assert.match(text, /\n"digest":"crc32:[0-9a-f]{8}"\}\n$/);
  assert.deepEqual(Object.keys(JSON.parse(text)), ['version', 'apps', 'randomRouteHosts', 'routes', 'settings', 'tcpPorts', 'digest']);
  assert.equal(text, serializeState(s2));
  // and saving what was read writes nothing
  const r = await updateState(d1, (s) => ({ ...s }));
  assert.equal(r.changed, false);
});

test('an unchanged state is not written', async (t) => {
  const dir = await tempDir(t);
  await updateState(dir, (s) => addRoute(s, makeRoute(1)));
  const st1 = await stat(path.join(dir, 'state.json'));
  const r = await updateState(dir, (s) => s);
  assert.equal(r.changed, false);
  const st2 = await stat(path.join(dir, 'state.json'));
  assert.equal(st2.ino, st1.ino);
  assert.equal(st2.mtimeMs, st1.mtimeMs);
});

test('backup: state.json.bak holds the previous version', async (t) => {
  const dir = await tempDir(t);
  await updateState(dir, (s) => addRoute(s, makeRoute(1)));
  await assert.rejects(stat(path.join(dir, 'state.json.bak')));
  const v1 = await readFile(path.join(dir, 'state.json'), 'utf8');
  await updateState(dir, (s) => addRoute(s, makeRoute(2)));
  const v2 = await readFile(path.join(dir, 'state.json'), 'utf8');
  assert.equal(await readFile(path.join(dir, 'state.json.bak'), 'utf8'), v1);
  await updateState(dir, (s) => addRoute(s, makeRoute(3)));
  assert.equal(await readFile(path.join(dir, 'state.json.bak'), 'utf8'), v2);
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
});

const CORRUPT: ReadonlyArray<readonly [string, (good: Buffer) => Buffer]> = [
  ['truncated JSON', (good) => good.subarray(0, Math.floor(good.length / 2))],
  ['binary garbage', () => Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xc3, 0x28])],
  ['empty file', () => Buffer.alloc(0)],
  ['wrong shape', () => Buffer.from('{"version":1,"apps":[],"routes":{},"randomRouteHosts":{},"tcpPorts":{},"settings":{}}')],
  ['no version', () => Buffer.from('{"apps":{}}')],
];

for (const [name, damage] of CORRUPT) {
  test(`corrupt state (${name}): STATE_CORRUPT naming file and backup, file left byte-identical`, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    await updateState(dir, (s) => addRoute(s, makeRoute(1)));
    await updateState(dir, (s) => addRoute(s, makeRoute(2)));
    const bad = damage(await readFile(file));
    await writeFile(file, bad);
    const backupBefore = await readFile(`${file}.bak`);
    await assert.rejects(readState(dir), isToolError('STATE_CORRUPT', file, `${file}.bak`, 'cp '));
    let called = false;
    await assert.rejects(
      updateState(dir, (s) => {
        called = true;
        return addRoute(s, makeRoute(3));
      }),
      isToolError('STATE_CORRUPT', file),
    );
    assert.equal(called, false);
    assert.ok((await readFile(file)).equals(bad), 'the corrupt file was changed');
    assert.ok((await readFile(`${file}.bak`)).equals(backupBefore), 'the backup was changed');
    // the lock was released
    assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
  });
}

test('corrupt state without a backup says so', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'state.json'), '{"version": 1, ');
  await assert.rejects(readState(dir), isToolError('STATE_CORRUPT', 'no backup', 'mv '));
});

test('unknown future version is rejected, with the file left alone', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'state.json');
  const text = '{"version": 2, "everything": "different"}\n';
  await writeFile(file, text);
  await assert.rejects(readState(dir), isToolError('STATE_CORRUPT', file, 'version 2', 'newer cfmesh', 'upgrade'));
  await assert.rejects(updateState(dir, (s) => s), isToolError('STATE_CORRUPT'));
  assert.equal(await readFile(file, 'utf8'), text);
});

test('unknown keys of the current version are kept', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'state.json');
  await writeFile(file, JSON.stringify({ ...emptyState(), futureField: { x: 1 } }));
  await updateState(dir, (s) => addRoute(s, makeRoute(1)));
  const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(raw['futureField'], { x: 1 });
});

test('the lock is released when fn throws, and the error passes through', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    updateState(dir, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  const start = Date.now();
  await updateState(dir, (s) => addRoute(s, makeRoute(1)), { lockTimeoutMs: 500 });
  assert.ok(Date.now() - start < 500);
  assert.equal(Object.keys((await readState(dir)).routes).length, 1);
});

test('a held lock gives STATE_LOCKED after lockTimeoutMs', async (t) => {
  const dir = await tempDir(t);
  let release!: () => void;
  const holding = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const first = updateState(dir, async (s) => {
    locked();
    await holding;
    return addRoute(s, makeRoute(1));
  });
  await isLocked;
  const start = Date.now();
  await assert.rejects(updateState(dir, (s) => s, { lockTimeoutMs: 300 }), isToolError('STATE_LOCKED', dir));
  const waited = Date.now() - start;
  assert.ok(waited >= 290 && waited < 1500, `waited ${waited} ms`);
  release();
  await first;
  assert.equal(Object.keys((await readState(dir)).routes).length, 1);
});

test('temp files left by killed writers are ignored and cleaned up', async (t) => {
  const dir = await tempDir(t);
  await updateState(dir, (s) => addRoute(s, makeRoute(1)));
  // pid 2^22+1 is above Linux's pid_max limit: never a live process
  const leftover = path.join(dir, 'state.json.tmp-4194305-deadbeef');
  await writeFile(leftover, '{"version": 1, "apps": {}, "rou');
  assert.equal(Object.keys((await readState(dir)).routes).length, 1);
  await updateState(dir, (s) => addRoute(s, makeRoute(2)));
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
});

test('serializeState refuses what JSON cannot hold, and mismatched route keys', () => {
  const r = makeRoute(1);
  assert.throws(() => serializeState({ ...emptyState(), routes: { wrong: r } }), isToolError('INTERNAL', 'wrong'));
  const nan = { ...r, port: Number.NaN };
  assert.throws(() => serializeState({ ...emptyState(), routes: { [routeKey(nan)]: nan } }), isToolError('INTERNAL'));
  const bad = { ...emptyState(), settings: { extra: { d: new Date() } } } as unknown as State;
  assert.throws(() => serializeState(bad), isToolError('INTERNAL'));
});

test('routeKey', () => {
  assert.equal(routeKey({ fqdn: 'a.example.com', path: '/x' }), 'a.example.com/x');
  assert.equal(routeKey({ fqdn: 'a.example.com' }), 'a.example.com');
  assert.equal(routeKey({ fqdn: 'tcp.example.com', port: 1024 }), 'tcp.example.com:1024');
});

test('resolveStateDir: --state, then CFMESH_HOME, then ~/.cfmesh', () => {
  const base = { cwd: '/work/proj', homeDir: '/home/op' };
  assert.equal(resolveStateDir({ ...base, flag: 'st', env: { CFMESH_HOME: '/x' } }), '/work/proj/st');
  assert.equal(resolveStateDir({ ...base, flag: '', env: { CFMESH_HOME: '/x' } }), '/x');
  assert.equal(resolveStateDir({ ...base, env: { CFMESH_HOME: 'rel' } }), '/work/proj/rel');
  assert.equal(resolveStateDir({ ...base, env: { CFMESH_HOME: '' } }), '/home/op/.cfmesh');
  assert.equal(resolveStateDir({ ...base, env: {} }), '/home/op/.cfmesh');
  assert.throws(() => resolveStateDir({ env: {}, homeDir: '' }), isToolError('USAGE', 'CFMESH_HOME'));
});

test('a state directory that cannot be created gives FILE_WRITE', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'file'), 'x');
  await assert.rejects(updateState(path.join(dir, 'file', 'sub'), (s) => s), isToolError('FILE_WRITE'));
  await mkdir(path.join(dir, 'd', 'state.json'), { recursive: true });
  await assert.rejects(readState(path.join(dir, 'd')), isToolError('FILE_READ'));
});

test('a backup that is already a link to the current state leaves no temp file behind (rename of two links to one file is a no-op)', async (t) => {
  const { link, rm } = await import('node:fs/promises');
  const dir = await tempDir(t);
  await updateState(dir, (s) => addRoute(s, makeRoute(1)));
  // As a writer killed right after linking the backup leaves it: state.json.bak is state.json.
  await rm(path.join(dir, 'state.json.bak'), { force: true });
  await link(path.join(dir, 'state.json'), path.join(dir, 'state.json.bak'));
  await updateState(dir, (s) => addRoute(s, makeRoute(2)));
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
});
