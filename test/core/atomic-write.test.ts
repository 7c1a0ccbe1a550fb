// writeFilesAtomic (src/sinks/atomic-write.ts): many files replaced with the fsyncs batched. What it
// must keep: every file whole, old or new; nothing renamed once the abort signal is seen; no
// temporary file left; the data made durable before the renames (syncfs through `sync -f DIR` on
// Linux for a large batch, else an fdatasync per file).
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isCommitStopped, writeFilesAtomic } from '../../src/sinks/atomic-write.ts';
import { tempDir as makeTempDir } from '../helpers/reliability.ts';

const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = makeTempDir(prefix);
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const PREFIX = '.cfmesh.tmp-';

function files(n: number, tag: string): [string, string][] {
  return Array.from({ length: n }, (_, i) => [`f-${String(i).padStart(5, '0')}.yaml`, `${tag} ${i}\n`.repeat(1 + (i % 7))]);
}

async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  try {
    return await fn();
  } finally {
    process.env['PATH'] = saved;
  }
}

for (const n of [1, 31, 33, 300, 700]) {
  test(`${n} files: each written whole, no temporary file left, old files replaced`, async () => {
    const dir = tempDir('cfmesh-batch-');
    await writeFilesAtomic(dir, files(n, 'old'), PREFIX, 0o644);
    const next = files(n, 'new');
    await writeFilesAtomic(dir, next, PREFIX, 0o644);
    assert.deepEqual(readdirSync(dir).sort(), next.map(([name]) => name).sort());
    for (const [name, data] of next) assert.equal(readFileSync(join(dir, name), 'utf8'), data);
  });
}

test('a batch of 256 files or more is made durable with one `sync -f DIR` per batch (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const dir = tempDir('cfmesh-batch-');
  const bin = tempDir('cfmesh-fake-sync-');
  const log = join(bin, 'calls');
  writeFileSync(join(bin, 'sync'), `#!/bin/sh\necho "$@" >> '${log}'\n`);
  chmodSync(join(bin, 'sync'), 0o755);
  // batches of 32, 128, 512 and 28: only the third reaches 256
  await withPath(bin, () => writeFilesAtomic(dir, files(700, 'x'), PREFIX, 0o644));
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [`-f ${dir}`]);
  assert.equal(readdirSync(dir).length, 700);
});

test('without a `sync` program the files are fdatasynced instead, with the same result', async () => {
  const dir = tempDir('cfmesh-batch-');
  const empty = tempDir('cfmesh-no-sync-');
  const list = files(700, 'y');
  await withPath(empty, () => writeFilesAtomic(dir, list, PREFIX, 0o644));
  for (const [name, data] of list) assert.equal(readFileSync(join(dir, name), 'utf8'), data);
});

test('aborted after k renames: exactly k new files, the rest old, no temporary file, a commit-stopped error', async () => {
  for (const k of [0, 1, 31, 32, 100, 500]) {
    const dir = tempDir('cfmesh-batch-');
    const old = files(600, 'old');
    await writeFilesAtomic(dir, old, PREFIX, 0o644);
    const next = files(600, 'new');
    const controller = new AbortController();
    if (k === 0) controller.abort();
    let committed = 0;
    const error = await writeFilesAtomic(dir, next, PREFIX, 0o644, {
      signal: controller.signal,
      onCommitted: () => {
        if (++committed === k) controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isCommitStopped(error), `k=${k}: ${String(error)}`);
    assert.equal(committed, k);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), [], `k=${k}: no temporary file left`);
    next.forEach(([name, data], i) => assert.equal(readFileSync(join(dir, name), 'utf8'), i < k ? data : (old[i] as [string, string])[1], `k=${k} ${name}`));
  }
});
