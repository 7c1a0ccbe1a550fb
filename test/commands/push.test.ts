import assert from 'node:assert/strict';
import { test } from 'node:test';
import { istioDocs, PROPOSAL, sandbox } from './helpers.ts';

const routes = async (s: ReturnType<typeof sandbox>) => JSON.parse((await s.run('routes', '--json')).out) as { url: string; destinations: { app: string; weight: number }[] }[];

test('push is additive: a route left out of the manifest stays mapped; no-route removes mappings', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', 'applications: [{name: web, routes: [{route: a.example.com}, {route: b.example.com}]}]\n');
  s.write('v2.yml', 'applications: [{name: web, instances: 3, routes: [{route: c.example.com}]}]\n');
  assert.equal((await s.run('push', '-f', 'v1.yml')).exit, 0);
  const second = await s.run('push', '-f', 'v2.yml');
  assert.equal(second.exit, 0, second.err);
  assert.deepEqual((await routes(s)).map((r) => r.url), ['a.example.com', 'b.example.com', 'c.example.com']);
  const apps = JSON.parse((await s.run('apps', '--json')).out);
  assert.equal(apps[0].instances, 3);
  s.write('v3.yml', 'applications: [{name: web, no-route: true}]\n');
  const third = await s.run('push', '-f', 'v3.yml');
  assert.equal(third.exit, 0, third.err);
  assert.deepEqual((await routes(s)).map((r) => r.destinations), [[], [], []]);
  assert.equal(JSON.parse((await s.run('apps', '--json')).out)[0].instances, 3, 'instances not in the manifest keep their value');
  assert.match(third.err, /Deleted VirtualService\/default\/a\.example\.com/);
});

test('a top-level weighted route replaces the destinations; unweighted routes follow instances', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', `applications:
- name: a
  instances: 3
  routes: [{route: shop.example.com}]
- name: b
  routes: [{route: shop.example.com}]
`);
  await s.run('push', '-f', 'm.yml');
  assert.deepEqual((await routes(s))[0]?.destinations, [{ app: 'a', weight: 75 }, { app: 'b', weight: 25 }]);
  s.write('w.yml', `applications: [{name: a}, {name: b}]
routes:
- route: shop.example.com
  destinations: [{name: a, weight: 20}, {name: b, weight: 80}]
`);
  const r = await s.run('push', '-f', 'w.yml');
  assert.equal(r.exit, 0, r.err);
  istioDocs(r.out);
  assert.deepEqual((await routes(s))[0]?.destinations, [{ app: 'a', weight: 20 }, { app: 'b', weight: 80 }]);
});

test('APP_NAME selects from a multi-app manifest, renames a single app; flags need one app', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  const missing = await s.run('push', 'ghost', '-f', 'reviews.yml');
  assert.equal(missing.exit, 1);
  assert.match(missing.err, /Could not find app named 'ghost' in manifest/);
  const flags = await s.run('push', '-f', 'reviews.yml', '--no-route');
  assert.equal(flags.exit, 2);
  assert.match(flags.err, /Command line flags \(except -f and --no-start\) cannot be applied when pushing multiple apps from a manifest file\./);
  assert.equal((await s.run('target', '--default-domain', 'apps.example.com')).exit, 0);
  s.write('one.yml', 'applications: [{name: original}]\n');
  const renamed = await s.run('push', 'renamed', '-f', 'one.yml');
  assert.equal(renamed.exit, 0, renamed.err);
  assert.deepEqual((await routes(s)).map((r) => r.url), ['renamed.apps.example.com'], 'default route on the stored default domain');
  const random = await s.run('push', 'lucky', '-f', 'one.yml', '--random-route');
  assert.equal(random.exit, 0, random.err);
  const urls = (await routes(s)).map((r) => r.url);
  assert.equal(urls.length, 2);
  assert.match(urls.find((u) => u.startsWith('lucky-')) ?? '', /^lucky-[a-z]+-[a-z]+\.apps\.example\.com$/);
  // pushing again keeps the same random host and adds nothing
  await s.run('push', 'lucky', '-f', 'one.yml', '--random-route');
  assert.deepEqual((await routes(s)).map((r) => r.url), urls);
  const selected = await s.run('push', 'reviews-v2', '-f', 'reviews.yml');
  assert.equal(selected.exit, 0, selected.err);
  assert.match(selected.err, /route reviews\.example\.com was not applied: app\(s\) reviews-v1 are not pushed/);
});

test('target stores settings that later commands use; flags win over them', async (t) => {
  const s = sandbox(t);
  const set = await s.run('target', '--default-domain', 'Example.COM', '--namespace', 'shop', '--gateway', 'gw', '--istio-api', 'v1beta1');
  assert.equal(set.exit, 0, set.err);
  assert.match(set.out, /^default domain: +example\.com$/m);
  assert.match(set.out, /^namespace: +shop$/m);
  const json = JSON.parse((await s.run('target', '--json')).out);
  assert.equal(json.gateway, 'gw');
  assert.equal(json.istioApi, 'v1beta1');
  s.write('m.yml', 'applications: [{name: web}]\n');
  const push = await s.run('push', '-f', 'm.yml');
  const docs = istioDocs(push.out);
  assert.deepEqual(docs.map((d) => [d.kind, d.metadata.name, d.metadata.namespace, d.apiVersion]), [
    ['Gateway', 'gw', 'shop', 'networking.istio.io/v1beta1'],
    ['VirtualService', 'web.example.com', 'shop', 'networking.istio.io/v1beta1'],
  ]);
  const flagged = await s.run('render', '--namespace', 'other');
  assert.ok(istioDocs(flagged.out).every((d) => d.metadata.namespace === 'other'));
  assert.equal((await s.run('target', '--unset', 'namespace')).exit, 0);
  assert.equal(JSON.parse((await s.run('target', '--json')).out).namespace, 'default');
  assert.equal((await s.run('target', '--istio-api', 'v2')).exit, 2);
  assert.equal((await s.run('target', '--unset', 'nonsense')).exit, 2);
});
