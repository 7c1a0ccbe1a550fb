import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { emptyState, readState, serializeState, updateState } from '../../src/state/index.ts';
import { addRoute, bigState, makeRoute, tempDir } from './helpers.ts';
import { fuzzRuns } from '../helpers/reliability.ts';
import { bundledScript } from '../helpers/ts-loader.ts';

// One bundled file: ~20 and ~10 processes of it per file (test/helpers/ts-loader.ts says what it saves).
const WORKER = bundledScript(fileURLToPath(new URL('./worker.ts', import.meta.url)));
const ROUTES = 3000;
// FUZZ_RUNS (npm run fuzz) raises it: each kill is a worker process and a 3,000-route state.
const KILLS = Math.min(fuzzRuns(8), 40);

interface Worker {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Lines printed so far. */
  readonly lines: string[];
  waitFor(line: (l: string) => boolean, timeoutMs: number): Promise<void>;
  exited: Promise<void>;
}

function startWorker(args: readonly string[]): Worker {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    lines,
    exited,
    waitFor(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (lines.some(match)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`worker did not print the expected line in ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`worker exited early; stderr: ${stderr}`));
          }
        });
        check();
      });
    },
  };
}

const expected = new Map<number, string>();
function expectedText(tag: number): string {
  let text = expected.get(tag);
  if (text === undefined) {
    text = serializeState(bigState(emptyState(), ROUTES, String(tag)));
    expected.set(tag, text);
  }
  return text;
}

function tagOf(text: string): number {
  const doc = JSON.parse(text) as { settings: { extra: { tag: string } } };
  return Number(doc.settings.extra.tag);
}

test(`SIGKILL at random moments while writing ${ROUTES} routes: always the old or the new state`, { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'state.json');
  await updateState(dir, () => bigState(emptyState(), ROUTES, '0'));
  let committed = 0;
  let killedMidWrite = 0;
  let tornTemps = 0;
  for (let k = 0; k < KILLS; k++) {
    const w = startWorker(['churn', dir, String(ROUTES), String(committed + 1)]);
    await w.waitFor((l) => l === 'ready', 15_000);
    // On a loaded machine the first write can take longer than the random delay below: make sure at
    // least one write commits, so that the kills test something.
    if (committed === 0 && k === KILLS - 1) await w.waitFor((l) => l.startsWith('committed '), 30_000);
    // The first write needs a little while to start: kill anywhere in the next few writes.
    await sleep(20 + Math.random() * 400);
    w.child.kill('SIGKILL');
    await w.exited;
    const printed = w.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.slice(10)));
    const lastPrinted = printed.length > 0 ? Math.max(...printed) : committed;

    const text = await readFile(file, 'utf8'); // must parse and be whole
    const tag = tagOf(text);
    assert.ok(tag === lastPrinted || tag === lastPrinted + 1, `state has tag ${tag}, last committed ${lastPrinted}`);
    assert.equal(text, expectedText(tag), 'the state file is not exactly one of the written states');
    if (tag === lastPrinted + 1) killedMidWrite++;
    const bak = await readFile(`${file}.bak`, 'utf8').catch(() => undefined);
    if (bak !== undefined) {
      const bakTag = tagOf(bak);
      assert.equal(bak, expectedText(bakTag));
      // Equal when the kill came between the backup's rename and the state's.
      assert.ok(bakTag <= tag, `backup tag ${bakTag} newer than state tag ${tag}`);
    }
    // readState agrees (and validates)
    assert.equal(Object.keys((await readState(dir)).routes).length, ROUTES);
    committed = tag;
    if ((await readdir(dir)).some((n) => n.startsWith('state.json.tmp-'))) tornTemps++;
    // The killed holder's lock would be taken over after the stale time (tested below);
    // here the harness knows the holder is dead and clears it to keep the loop fast.
    await rm(path.join(dir, 'state.json.lock'), { recursive: true, force: true });
  }
  t.diagnostic(`${KILLS} kills, ${committed} writes committed, ${killedMidWrite} kills between the rename and the print, ${tornTemps} kills left a temp file behind`);
  assert.ok(committed >= 1, 'no write ever completed: the kills came too early to test anything');
  // Leftover temp files are ignored by readers and removed by the next writer.
  await updateState(dir, (s) => addRoute(s, makeRoute(ROUTES + 1)));
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
});

test('a lock left by a SIGKILLed holder is taken over after the stale time', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const w = startWorker(['hold', dir]);
  await w.waitFor((l) => l === 'LOCKED', 15_000);
  w.child.kill('SIGKILL');
  await w.exited;
  assert.ok((await stat(path.join(dir, 'state.json.lock'))).isDirectory(), 'the killed holder left its lock');
  const staleMs = 2000;
  const start = Date.now();
  await updateState(dir, (s) => addRoute(s, makeRoute(1)), { staleMs, lockTimeoutMs: 10_000 });
  const waited = Date.now() - start;
  t.diagnostic(`waited ${waited} ms for a dead holder's lock (staleMs ${staleMs})`);
  assert.ok(waited < staleMs + 3000, `waited ${waited} ms`);
  assert.equal(Object.keys((await readState(dir)).routes).length, 1);
  assert.deepEqual((await readdir(dir)).sort(), ['state.json']);
});
