// A change whose resulting state the target refuses to translate is not committed: the command fails
// with the translation's error and the state file keeps its bytes (or is never created), so the next
// command does not find a state it cannot render. Whole-state commands (push) and scoped ones
// (update-route on one route) alike.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandbox } from './helpers.ts';

const A = `applications:
- name: a
  routes:
  - route: x.example.com
    tls: {credential-name: c1}
`;
const B = `applications:
- name: b
  routes:
  - route: x.example.com/p
    tls: {credential-name: c2}
`;

test('a push whose routes the translation refuses writes no state, and the state stays usable', async (t) => {
  const s = sandbox(t);
  s.write('a.yml', A);
  s.write('b.yml', B);
  assert.equal((await s.run('push', '-f', 'a.yml')).exit, 0);
  const file = join(s.state, 'state.json');
  const before = readFileSync(file, 'utf8');
  const r = await s.run('push', '-f', 'b.yml');
  assert.equal(r.exit, 1, r.err);
  assert.match(r.err, /error ROUTE_CONFLICT route x\.example\.com\/p: tls differs/);
  assert.doesNotMatch(r.err, /Manifest applied/);
  assert.equal(readFileSync(file, 'utf8'), before, 'the state keeps its bytes');
  const next = await s.run('update-route', 'example.com', '--hostname', 'x', '--timeout', '2s');
  assert.equal(next.exit, 0, next.err);
});

test('a push the Gateway API target refuses creates no state file', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', `applications:
- name: reviews
  version: v2
  routes: [{route: reviews.example.com}]
`);
  const r = await s.run('push', '-f', 'm.yml', '--api', 'gateway-api');
  assert.equal(r.exit, 1, r.err);
  assert.match(r.err, /error TARGET_UNSUPPORTED /);
  assert.equal(existsSync(join(s.state, 'state.json')), false);
});

test('a scoped update-route the target refuses leaves the state as it was', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', `applications:
- name: web
  routes: [{route: web.example.com}]
`);
  assert.equal((await s.run('push', '-f', 'm.yml', '--api', 'gateway-api')).exit, 0);
  const file = join(s.state, 'state.json');
  const before = readFileSync(file, 'utf8');
  const r = await s.run('update-route', 'example.com', '--hostname', 'web', '--retries', '3', '--api', 'gateway-api');
  assert.equal(r.exit, 1, r.err);
  assert.match(r.err, /error TARGET_UNSUPPORTED .*retr/i);
  assert.equal(readFileSync(file, 'utf8'), before);
});
