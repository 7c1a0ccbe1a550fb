// `-o DIR` never writes, removes or follows anything outside DIR, whatever the app names, route hosts
// and the index file say: the whole temp tree is compared before and after.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertHandled, assertValidIstioOutput, runCli, snapshotTree, tempDir } from '../helpers/reliability.ts';

const SAFE_FILE = /^[a-z0-9][a-z0-9.-]*\.(yaml|json)$/;
const INDEX = '.cfmesh-files';
const LEGACY_INDEX = '.cfmesh-files.json';

const hostileManifest = `applications:
- name: ../../escape
  routes: [{route: a.example.com}]
- name: /etc/passwd
  routes: [{route: b.example.com/x}]
- name: "..\\\\..\\\\win"
  routes: [{route: "*.example.com"}]
- name: "a/../../b"
  routes: [{route: tcp.example.com:2000}]
- name: ".hidden"
  routes: [{route: internal.apps.internal}]
- name: "con\\u0000nul"
- name: "x\\nnewline"
routes:
- route: w.example.com/..
  destinations: [{name: ../../escape, weight: 50, protocol: http2}, {name: /etc/passwd, weight: 50}]
`;

/** Everything outside `out` must be byte-identical before and after. */
function outsideOf(snapshot: Map<string, string>, out: string): Map<string, string> {
  return new Map([...snapshot].filter(([path]) => path !== out && !path.startsWith(`${out}/`)));
}

function setUp(): { root: string; out: string } {
  const root = tempDir();
  mkdirSync(join(root, 'work', 'out'), { recursive: true });
  writeFileSync(join(root, 'victim.txt'), 'do not touch\n');
  writeFileSync(join(root, 'work', 'victim.yaml'), 'do not touch\n');
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0\n');
  return { root, out: join(root, 'work', 'out') };
}

test('hostile app names and route hosts: every file lands inside DIR under a safe name', async () => {
  const { root, out } = setUp();
  const before = snapshotTree(root);
  const run = await runCli(['convert', '-f', '-', '-o', 'out'], { cwd: join(root, 'work'), stdin: hostileManifest });
  assertHandled(run, 'hostile names with -o');
  // The manifest may be refused (the /.. path, the NUL in a name) — then nothing at all is written.
  const after = snapshotTree(root);
  assert.deepEqual(outsideOf(after, 'work/out'), outsideOf(before, 'work/out'), 'nothing outside DIR changed');
  for (const entry of readdirSync(out)) assert.ok(SAFE_FILE.test(entry) || entry === INDEX, `unsafe file name ${JSON.stringify(entry)}`);
  if (run.exit !== 0) assert.deepEqual(readdirSync(out), [], 'a refused manifest writes nothing');
});

test('hostile app names that are valid for cf convert into DIR with safe names', async () => {
  const { root, out } = setUp();
  const manifest = hostileManifest.replace(/- name: "con[^\n]*\n/, '').replace('w.example.com/..', 'w.example.com/up');
  const before = snapshotTree(root);
  const run = await runCli(['convert', '-f', '-', '-o', 'out'], { cwd: join(root, 'work'), stdin: manifest });
  assertHandled(run, 'hostile names with -o');
  assert.equal(run.exit, 0, run.err);
  assert.deepEqual(outsideOf(snapshotTree(root), 'work/out'), outsideOf(before, 'work/out'));
  const files = readdirSync(out).filter((f) => f !== INDEX);
  assert.ok(files.length >= 5, `files written: ${files.join(', ')}`);
  for (const f of files) assert.match(f, SAFE_FILE);
  // The files together are the same configuration as stdout gives.
  assertValidIstioOutput(files.map((f) => readFileSync(join(out, f), 'utf8')).join('---\n'), 'files of -o');
});

for (const index of [INDEX, LEGACY_INDEX]) {
  test(`a tampered index (${index}) naming files outside DIR, links and directories removes none of them`, async () => {
    const { root, out } = setUp();
    mkdirSync(join(out, 'gateway-sub.yaml'));
    symlinkSync(join(root, 'victim.txt'), join(out, 'virtualservice-link.example.com.yaml'));
    symlinkSync(join(root, 'etc', 'passwd'), join(out, 'virtualservice-a.example.com.yaml')); // a file this run writes
    writeFileSync(
      join(out, index),
      JSON.stringify({ generator: 'cfmesh', version: 1, files: ['../victim.txt', '../victim.yaml', '../../victim.txt', '/etc/passwd', join(root, 'victim.txt'), '..', '.', '', 'gateway-sub.yaml', 'virtualservice-link.example.com.yaml', 'sub/../../victim.txt', 42, null] }),
    );
    const before = snapshotTree(root);
    const run = await runCli(['convert', '-f', '-', '-o', 'out'], { cwd: join(root, 'work'), stdin: 'applications:\n- name: a\n  routes: [{route: a.example.com}]\n' });
    assertHandled(run, 'tampered index');
    assert.equal(run.exit, 0, run.err);
    assert.deepEqual(outsideOf(snapshotTree(root), 'work/out'), outsideOf(before, 'work/out'), 'nothing outside DIR changed or was removed');
    assert.equal(readFileSync(join(root, 'etc', 'passwd'), 'utf8'), 'root:x:0:0\n', 'a symlink in DIR is replaced, not written through');
    assert.ok(lstatSync(join(out, 'virtualservice-a.example.com.yaml')).isFile());
    assert.ok(lstatSync(join(out, 'virtualservice-link.example.com.yaml')).isSymbolicLink(), 'a link named in the index is not removed');
    assert.ok(lstatSync(join(out, 'gateway-sub.yaml')).isDirectory(), 'a directory named in the index is not removed');
  });
}

test('a file named like the old index that is not cfmesh\'s is neither trusted nor removed', async () => {
  const { root, out } = setUp();
  writeFileSync(join(out, LEGACY_INDEX), JSON.stringify({ files: ['../victim.txt', 'notes.yaml'] }));
  writeFileSync(join(out, 'notes.yaml'), 'mine\n');
  const before = snapshotTree(root);
  const run = await runCli(['convert', '-f', '-', '-o', 'out'], { cwd: join(root, 'work'), stdin: 'applications:\n- name: a\n  routes: [{route: a.example.com}]\n' });
  assert.equal(run.exit, 0, run.err);
  assert.deepEqual(outsideOf(snapshotTree(root), 'work/out'), outsideOf(before, 'work/out'));
  assert.equal(readFileSync(join(out, 'notes.yaml'), 'utf8'), 'mine\n');
  assert.ok(lstatSync(join(out, LEGACY_INDEX)).isFile(), 'a foreign file is left where it is');
});

test('-o naming a file, or a directory that cannot be created, is a local I/O error (exit 3)', async () => {
  const { root } = setUp();
  const file = await runCli(['convert', '-f', '-', '-o', 'victim.yaml'], { cwd: join(root, 'work'), stdin: 'applications: [{name: a, routes: [{route: a.example.com}]}]\n' });
  assert.equal(file.exit, 3, file.err);
  assert.match(file.err, /error FILE_WRITE /);
  assert.equal(readFileSync(join(root, 'work', 'victim.yaml'), 'utf8'), 'do not touch\n');
  const under = await runCli(['convert', '-f', '-', '-o', 'victim.yaml/sub'], { cwd: join(root, 'work'), stdin: 'applications: [{name: a, routes: [{route: a.example.com}]}]\n' });
  assert.equal(under.exit, 3, under.err);
  assertHandled({ ...under, exit: 0 }, 'mkdir under a file');
});
