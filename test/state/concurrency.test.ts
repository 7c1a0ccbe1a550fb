import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readState, routeKey } from '../../src/state/index.ts';
import { makeRoute, tempDir } from './helpers.ts';
import { bundledScript } from '../helpers/ts-loader.ts';

// One bundled file: ~20 and ~10 processes of it per file (test/helpers/ts-loader.ts says what it saves).
const WORKER = bundledScript(fileURLToPath(new URL('./worker.ts', import.meta.url)));

function run(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('20 processes started at once each add a route (half reading the file by line): all 20 take effect', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const n = 20;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => run(['add', dir, String(i), i % 2 === 0 ? 'scoped' : 'whole'])));
  for (const [i, r] of results.entries()) assert.equal(r.code, 0, `worker ${i} failed: ${r.stderr}`);
  const state = await readState(dir);
  const keys = Object.keys(state.routes).sort();
  const want = Array.from({ length: n }, (_, i) => routeKey(makeRoute(i))).sort();
  assert.deepEqual(keys, want);
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
  // the backup is the state before the last write: 19 routes
  const bak = JSON.parse(await readFile(path.join(dir, 'state.json.bak'), 'utf8')) as { routes: object };
  assert.equal(Object.keys(bak.routes).length, n - 1);
});
