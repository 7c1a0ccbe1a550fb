// NewDirectoryStream (src/sinks/directory-sink.ts): a new DIR written by a worker thread while the
// translation still hands out resources. It must give the very DIR writeDirectory gives (files,
// index with its digest, report), give up (and leave nothing) when what it was handed is not the
// final list, and leave no DIR and no copy after an error or an abort.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Resource } from '../../src/resource/resource.ts';
import { INDEX_FILE, NewDirectoryStream, writeDirectory } from '../../src/sinks/directory-sink.ts';
import { tempDir } from '../helpers/reliability.ts';

const vs = (name: string, weight = 100): Resource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [name], http: [{ route: [{ destination: { host: 'a' }, weight }] }] },
});
const gateway: Resource = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'cfmesh', namespace: 'default' }, spec: { servers: [] } };

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

const copiesIn = (parent: string) => readdirSync(parent).filter((n) => n.includes('.cfmesh-tmp-'));

test('a streamed new directory has the very files, index and report of writeDirectory, whatever was handed out before the end', async () => {
  const parent = tempDir('cfmesh-stream-');
  // 300 resources: more than one of the writer's batches (256), and some handed out only at the end.
  const streamed = Array.from({ length: 300 }, (_, i) => vs(`h${String(i).padStart(4, '0')}.example.com`, i % 101));
  const resources = [gateway, ...streamed].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const memo = { key: 'k', data: { warnings: ['w'] } };
  const expected = await writeDirectory(join(parent, 'plain'), resources, 'yaml', { memo });
  const expectedBare = await writeDirectory(join(parent, 'plain-bare'), resources, 'yaml');

  // with a memo (the index's digest of the files, from the texts the stream kept), and once without one
  for (const [handedOut, withMemo] of [[0, true], [1, true], [256, false], [300, true]] as const) {
    const dir = join(parent, `streamed-${handedOut}${withMemo ? '' : '-bare'}`);
    const stream = NewDirectoryStream.start(dir, 'yaml', { digest: withMemo });
    assert.ok(stream, 'a DIR that does not exist gets a stream');
    // handed out in another order than the final one (as the translation does)
    for (const r of [...streamed].reverse().slice(0, handedOut)) stream.add(r);
    const progress: number[] = [];
    const report = await stream.finish(resources, { memo: withMemo ? memo : undefined, onProgress: (done) => progress.push(done) });
    assert.deepEqual(report, withMemo ? expected : expectedBare, `report, ${handedOut} handed out`);
    assert.deepEqual(tree(dir), tree(join(parent, withMemo ? 'plain' : 'plain-bare')), `files and index, ${handedOut} handed out, memo ${withMemo}`);
    assert.equal(progress.at(-1), resources.length, 'progress ends at every file');
  }
  assert.deepEqual(copiesIn(parent), [], 'no copy is left');
  const index = JSON.parse(readFileSync(join(parent, 'streamed-300', INDEX_FILE), 'utf8'));
  assert.equal(index.files.length, 301);
  assert.match(index.memo.outputs, /^[0-9a-f]{64}$/);
});

test('a stream is given up (nothing left, DIR not made) when a resource handed out is not in the final list as handed out', async () => {
  const parent = tempDir('cfmesh-stream-');
  const cases: [string, (s: NewDirectoryStream) => void, Resource[]][] = [
    ['a resource dropped from the final list', (s) => s.add(vs('gone.example.com')), [vs('a.example.com')]],
    ['another object under the same name', (s) => s.add(vs('a.example.com', 10)), [vs('a.example.com', 20)]],
    ['a name handed out twice', (s) => (s.add(vs('a.example.com')), s.add(vs('a.example.com'))), [vs('a.example.com')]],
    ['an unsafe file name', (s) => s.add(vs('../../escape')), [vs('a.example.com')]],
  ];
  for (const [what, handOut, final] of cases) {
    const dir = join(parent, 'out');
    const stream = NewDirectoryStream.start(dir, 'yaml');
    assert.ok(stream);
    handOut(stream);
    assert.equal(await stream.finish(final, {}), undefined, what);
    assert.deepEqual(readdirSync(parent), [], `${what}: no DIR, no copy`);
  }
});

test('no stream for a DIR that exists, or for a dangling symlink at DIR', async () => {
  const parent = tempDir('cfmesh-stream-');
  mkdirSync(join(parent, 'existing'));
  assert.equal(NewDirectoryStream.start(join(parent, 'existing'), 'yaml'), undefined);
  const { symlinkSync } = await import('node:fs');
  symlinkSync(join(parent, 'nowhere'), join(parent, 'link'));
  assert.equal(NewDirectoryStream.start(join(parent, 'link'), 'yaml'), undefined);
  assert.deepEqual(readdirSync(parent).sort(), ['existing', 'link']);
});

test('a write the worker cannot make is a FILE_WRITE error; no DIR and no copy are left', async () => {
  const parent = tempDir('cfmesh-stream-');
  const dir = join(parent, 'out');
  const stream = NewDirectoryStream.start(dir, 'yaml');
  assert.ok(stream);
  // A file already in the copy where the worker creates one (it creates with O_EXCL): its write fails.
  const [copy] = copiesIn(parent);
  assert.ok(copy);
  writeFileSync(join(parent, copy, 'virtualservice-a.example.com.yaml'), 'in the way');
  const resource = vs('a.example.com');
  stream.add(resource);
  await assert.rejects(stream.finish([resource], {}), (error: { code?: string; message?: string }) => {
    assert.equal(error.code, 'FILE_WRITE');
    assert.match(error.message ?? '', /EEXIST/);
    return true;
  });
  assert.deepEqual(readdirSync(parent), [], 'no DIR, no copy');
});

test('abort stops the worker and removes the copy; Ctrl-C (the signal) while the worker writes does the same', async () => {
  const parent = tempDir('cfmesh-stream-');
  const dir = join(parent, 'out');
  const aborted = NewDirectoryStream.start(dir, 'yaml');
  assert.ok(aborted);
  for (let i = 0; i < 300; i++) aborted.add(vs(`h${i}.example.com`));
  await aborted.abort();
  assert.deepEqual(readdirSync(parent), []);

  const controller = new AbortController();
  const stream = NewDirectoryStream.start(dir, 'yaml');
  assert.ok(stream);
  const many = Array.from({ length: 3000 }, (_, i) => vs(`h${String(i).padStart(4, '0')}.example.com`));
  for (const r of many) stream.add(r);
  const finishing = stream.finish(many, { signal: controller.signal, onProgress: (done) => done > 0 && controller.abort() });
  await assert.rejects(finishing, (error: { code?: string; message?: string }) => {
    assert.equal(error.code, 'INTERRUPTED');
    assert.match(error.message ?? '', /0 of 3000 changed file\(s\) written: .*out was not created/);
    return true;
  });
  assert.deepEqual(readdirSync(parent), [], 'no DIR, no copy');
});
