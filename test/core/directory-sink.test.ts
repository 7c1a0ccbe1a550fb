import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Resource } from '../../src/render/resource.ts';
import { INDEX_FILE, writeDirectory } from '../../src/sinks/directory-sink.ts';

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
