import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Resource } from '../../src/resource/resource.ts';
import type { ToolError } from '../../src/diagnostics/tool-error.ts';
import { INDEX_FILE, LEGACY_INDEX_FILE, NAME_MAX, resourceFileName, writeDirectory } from '../../src/sinks/directory-sink.ts';

const vs = (name: string, weight = 100): Resource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [name], http: [{ route: [{ destination: { host: 'a' }, weight }] }] },
});

test('writes one file per resource, then removes only the stale ones it wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  writeFileSync(join(dir, 'README.md'), 'mine');
  writeFileSync(join(dir, 'virtualservice-handwritten.yaml'), 'also mine');
  const first = await writeDirectory(dir, [vs('a.example.com'), vs('b.example.com')], 'yaml');
  assert.deepEqual([...first.written].sort(), ['virtualservice-a.example.com.yaml', 'virtualservice-b.example.com.yaml']);
  assert.match(readFileSync(join(dir, 'virtualservice-a.example.com.yaml'), 'utf8'), /^apiVersion: networking.istio.io\/v1\nkind: VirtualService/);

  const mtime = statSync(join(dir, 'virtualservice-a.example.com.yaml')).mtimeMs;
  const second = await writeDirectory(dir, [vs('a.example.com'), vs('c.example.com')], 'yaml');
  assert.deepEqual(second.unchanged, ['virtualservice-a.example.com.yaml']);
  assert.deepEqual(second.written, ['virtualservice-c.example.com.yaml']);
  assert.deepEqual(second.removed, ['virtualservice-b.example.com.yaml']);
  assert.equal(statSync(join(dir, 'virtualservice-a.example.com.yaml')).mtimeMs, mtime, 'an unchanged file is not rewritten');
  assert.deepEqual(readdirSync(dir).sort(), [INDEX_FILE, 'README.md', 'virtualservice-a.example.com.yaml', 'virtualservice-c.example.com.yaml', 'virtualservice-handwritten.yaml']);
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), 'mine');
});

test('a new directory: made from a temporary copy beside it, with the very files and index an existing empty one gets', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  const resources = [vs('b.example.com'), vs('a.example.com', 90), vs('c.example.com')];
  const memo = { key: 'k', data: { warnings: [] } };
  const made = await writeDirectory(join(parent, 'new'), resources, 'yaml', { memo });
  mkdirSync(join(parent, 'existing'));
  const filled = await writeDirectory(join(parent, 'existing'), resources, 'yaml', { memo });
  assert.deepEqual(made, filled);
  assert.deepEqual(readdirSync(parent).sort(), ['existing', 'new'], 'nothing else is left beside DIR');
  const names = readdirSync(join(parent, 'new')).sort();
  assert.deepEqual(names, readdirSync(join(parent, 'existing')).sort());
  for (const name of names) assert.equal(readFileSync(join(parent, 'new', name), 'utf8'), readFileSync(join(parent, 'existing', name), 'utf8'), name);
  assert.equal(statSync(join(parent, 'new', names[1] as string)).mode & 0o777, 0o644);
});

test("a new directory: a killed writer's temporary copy is removed by the next run, a running writer's is not", async () => {
  const parent = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
  const dead = `.out.cfmesh-tmp-${gone}-0123456789ab`;
  const alive = `.out.cfmesh-tmp-${process.pid}-0123456789ab`;
  const other = `.other.cfmesh-tmp-${gone}-0123456789ab`;
  for (const copy of [dead, alive, other]) {
    mkdirSync(join(parent, copy));
    writeFileSync(join(parent, copy, 'virtualservice-x.yaml'), 'half');
  }
  await writeDirectory(join(parent, 'out'), [vs('a.example.com')], 'yaml');
  assert.deepEqual(readdirSync(parent).sort(), [alive, other, 'out'].sort());
});

test('a new directory with a 255-byte name: its temporary copy has a name short enough too', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  const name = 'd'.repeat(255);
  await writeDirectory(join(parent, name), [vs('a.example.com')], 'yaml');
  assert.deepEqual(readdirSync(parent), [name]);
  assert.deepEqual(readdirSync(join(parent, name)).sort(), [INDEX_FILE, 'virtualservice-a.example.com.yaml']);
});

test('a dangling symbolic link at DIR is not replaced by a new directory', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  symlinkSync(join(parent, 'nowhere'), join(parent, 'out'));
  await assert.rejects(writeDirectory(join(parent, 'out'), [vs('a.example.com')], 'yaml'), (e: ToolError) => e.code === 'FILE_WRITE');
  assert.ok(lstatSync(join(parent, 'out')).isSymbolicLink());
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('dry run reports and writes nothing', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cfmesh-dir-')), 'out');
  const report = await writeDirectory(dir, [vs('a.example.com')], 'yaml', { dryRun: true });
  assert.deepEqual(report.written, ['virtualservice-a.example.com.yaml']);
  assert.throws(() => readdirSync(dir));
});

test('a file where the directory should be is an I/O error', async () => {
  const base = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  writeFileSync(join(base, 'out'), 'x');
  await assert.rejects(writeDirectory(join(base, 'out'), [vs('a.example.com')], 'yaml'), { code: 'FILE_WRITE' });
});

test('json files when the format is json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  await writeDirectory(dir, [vs('a.example.com', 100)], 'json');
  assert.equal(JSON.parse(readFileSync(join(dir, 'virtualservice-a.example.com.json'), 'utf8')).kind, 'VirtualService');
});

test('file names stay within NAME_MAX: a long name is cut and keeps a hash of the whole, deterministically', () => {
  const labels = (last: string) => `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${last.repeat(49)}.example.com`;
  const cases = [
    { name: 'short', resource: vs('a.example.com'), expected: 'virtualservice-a.example.com.yaml' },
    { name: '255 bytes exactly is kept', resource: vs('x'.repeat(255 - 'virtualservice-.yaml'.length)), expected: `virtualservice-${'x'.repeat(235)}.yaml` },
  ];
  for (const c of cases) assert.equal(resourceFileName(c.resource, 'yaml'), c.expected, c.name);
  const long = vs(labels('d'));
  assert.equal(long.metadata.name.length, 253);
  for (const format of ['yaml', 'json'] as const) {
    const name = resourceFileName(long, format);
    assert.ok(Buffer.byteLength(name) <= NAME_MAX, `${name.length}`);
    assert.match(name, new RegExp(`^virtualservice-aaa[a-z0-9.-]*-[0-9a-f]{16}\\.${format}$`));
    assert.equal(resourceFileName(long, format), name, 'deterministic');
  }
  assert.notEqual(resourceFileName(vs(labels('d')), 'yaml'), resourceFileName(vs(labels('e')), 'yaml'), 'names that share their first 230 characters stay distinct');
});

test('Ctrl-C between files: the file in flight is finished, no later one is written, and the index lists old and new', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  await writeDirectory(dir, [vs('old.example.com')], 'yaml');
  const controller = new AbortController();
  const resources = Array.from({ length: 20 }, (_, i) => vs(`r${String(i).padStart(2, '0')}.example.com`));
  await assert.rejects(
    writeDirectory(dir, resources, 'yaml', {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 5) controller.abort();
      },
    }),
    (error: ToolError) => error.code === 'INTERRUPTED' && /5 of 20 changed file\(s\) written/.test(error.message),
  );
  const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
  assert.deepEqual(files.sort(), ['virtualservice-old.example.com.yaml', ...resources.slice(0, 5).map((r) => `virtualservice-${r.metadata.name}.yaml`)].sort());
  const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')) as { files: string[] };
  assert.ok(index.files.includes('virtualservice-old.example.com.yaml') && index.files.length === 21, 'the stale file is still listed, so the next run removes it');
  const done = await writeDirectory(dir, resources, 'yaml');
  assert.deepEqual(done.removed, ['virtualservice-old.example.com.yaml']);
  assert.equal(done.unchanged.length, 5);
});

test('an index of cfmesh 0.1 (.cfmesh-files.json) is read once and replaced; kubectl reads nothing but resources afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-dir-'));
  writeFileSync(join(dir, 'virtualservice-gone.example.com.yaml'), 'old\n');
  writeFileSync(join(dir, LEGACY_INDEX_FILE), JSON.stringify({ generator: 'cfmesh', version: 1, files: ['virtualservice-gone.example.com.yaml'] }));
  const report = await writeDirectory(dir, [vs('a.example.com')], 'yaml');
  assert.deepEqual(report.removed, ['virtualservice-gone.example.com.yaml']);
  assert.deepEqual(readdirSync(dir).sort(), [INDEX_FILE, 'virtualservice-a.example.com.yaml']);
  // kubectl skips every extension but .json, .yaml and .yml (k8s.io/cli-runtime v0.32.4 pkg/resource/visitor.go ignoreFile).
  assert.ok(!/\.(json|ya?ml)$/.test(INDEX_FILE));
  const dry = await writeDirectory(dir, [vs('a.example.com')], 'yaml', { dryRun: true });
  assert.deepEqual(dry, { written: [], unchanged: ['virtualservice-a.example.com.yaml'], removed: [] });
});
