// Commands on one route read the state file by line; on a file they cannot (written compact by an
// earlier build, or by hand) they read it whole. Either way the user sees the same thing.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { istioDocs, sandbox } from './helpers.ts';

const MANIFEST = `applications:
- name: shop-v1
  service: shop
  version: v1
- name: shop-v2
  service: shop
  version: v2
- name: admin
  routes:
  - route: admin.example.com
    tls:
      credential-name: admin-cert
routes:
- route: shop.example.com
  destinations:
  - name: shop-v1
    weight: 90
  - name: shop-v2
    weight: 10
- route: shop.example.com/api
  options:
    loadbalancing: least-connection
  destinations:
  - name: shop-v2
`;

const COMMANDS: readonly string[][] = [
  ['update-route', 'shop-v2', 'example.com', '--hostname', 'shop', '--weight', '50'],
  ['update-route', 'example.com', '--hostname', 'shop', '--path', '/api', '-o', 'loadbalancing=round-robin'],
  ['map-route', 'admin', 'example.com', '--hostname', 'shop', '--path', '/admin'],
  ['unmap-route', 'shop-v1', 'example.com', '--hostname', 'shop'],
  ['create-route', 'example.com', '--hostname', 'new'],
  ['delete-route', 'example.com', '--hostname', 'new', '-f'],
  ['update-route', 'nope', 'example.com', '--hostname', 'shop', '--weight', '50'],
];

test('each command on one route: the same output, exit code and file from a file read by line as from one read whole', async (t) => {
  const byLine = sandbox(t);
  const whole = sandbox(t);
  for (const box of [byLine, whole]) assert.equal((await box.run('push', '-f', box.write('manifest.yml', MANIFEST))).exit, 0);
  const file = (box: typeof byLine) => join(box.state, 'state.json');
  for (const argv of COMMANDS) {
    // The same state written compact, as an earlier build (or `jq -c`) would: no digest, read whole.
    const text = readFileSync(file(byLine), 'utf8');
    assert.match(text, /"digest":"crc32:/);
    const compact = `${JSON.stringify(JSON.parse(text))}\n`;
    writeFileSync(file(whole), compact);
    const a = await byLine.run(...argv);
    const b = await whole.run(...argv);
    assert.deepEqual(a, b, argv.join(' '));
    if (a.exit === 0) assert.equal(readFileSync(file(byLine), 'utf8'), readFileSync(file(whole), 'utf8'), `${argv.join(' ')}: the same file`);
    else assert.deepEqual([readFileSync(file(byLine), 'utf8'), readFileSync(file(whole), 'utf8')], [text, compact], `${argv.join(' ')}: nothing written`);
    if (a.exit === 0) istioDocs(a.out);
  }
  // Every printed Gateway is the whole-state one: applying the bundle never drops a server (the
  // HTTPS server of the tls host the command did not touch lives in a Gateway of its own, which the
  // whole state still has and the command does not print).
  const out = (await byLine.run('update-route', 'example.com', '--hostname', 'shop', '--path', '/api', '-o', 'loadbalancing=least-connection')).out;
  const printed = istioDocs(out).filter((d) => d.kind === 'Gateway');
  assert.ok(printed.length > 0, out);
  const all = istioDocs((await byLine.run('render')).out).filter((d) => d.kind === 'Gateway');
  for (const g of printed) assert.deepEqual(g, all.find((x) => x.metadata.name === g.metadata.name), `Gateway ${g.metadata.name} printed whole`);
  assert.ok(all.some((g) => JSON.stringify(g.spec).includes('admin-cert')), "admin's HTTPS server is still in the state's configuration");
});
