import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { istioDocs, PROPOSAL, sandbox, weightsOf } from './helpers.ts';

const routeJson = async (s: ReturnType<typeof sandbox>) => {
  const r = await s.run('routes', '--json');
  assert.equal(r.exit, 0, r.err);
  return JSON.parse(r.out) as { url: string; destinations: { app: string; weight: number }[] }[];
};

const starts = [
  { name: 'weighted 90/10', manifest: PROPOSAL },
  { name: 'weighted 30/70', manifest: PROPOSAL.replace('weight: 90', 'weight: 30').replace('weight: 10', 'weight: 70') },
  { name: 'weighted 0/100', manifest: PROPOSAL.replace('weight: 90', 'weight: 0').replace('weight: 10', 'weight: 100') },
  {
    name: 'unweighted by instances 3:1',
    manifest: `applications:
- name: reviews-v1
  instances: 3
  routes: [{route: reviews.example.com}]
- name: reviews-v2
  routes: [{route: reviews.example.com}]
`,
  },
];

for (const start of starts) {
  test(`the proposal: push, --weight 90, --weight 10 ends at 90/10 (route held ${start.name})`, async (t) => {
    const s = sandbox(t);
    s.write('reviews.yml', start.manifest);
    const push = await s.run('push', '-f', 'reviews.yml');
    assert.equal(push.exit, 0, push.err);
    istioDocs(push.out);
    assert.match(push.err, /Pushing app\(s\) reviews-v1, reviews-v2\.\.\.\n/);

    const a = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90');
    assert.equal(a.exit, 0, a.err);
    assert.match(a.err, /Updating route reviews\.example\.com/);
    assert.match(a.err, /OK\n$/);
    const b = await s.run('update-route', 'reviews-v2', 'example.com', '--hostname', 'reviews', '--weight', '10');
    assert.equal(b.exit, 0, b.err);

    const routes = await routeJson(s);
    assert.deepEqual(routes[0]?.destinations, [
      { app: 'reviews-v1', weight: 90 },
      { app: 'reviews-v2', weight: 10 },
    ]);
    // Whatever was printed along the way was valid, and the last printed state is 90/10.
    const printed = [push.out, a.out, b.out].filter((o) => o !== '');
    for (const out of printed) istioDocs(out);
    const render = await s.run('render');
    const vs = istioDocs(render.out, true).find((d) => d.kind === 'VirtualService');
    assert.deepEqual(weightsOf(vs), [{ 'reviews-v1': 90, 'reviews-v2': 10 }]);
  });
}

test('three destinations 50/30/20: --weight 80 on the first gives 80/12/8', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', `applications: [{name: a}, {name: b}, {name: c}]
routes:
- route: shop.example.com
  destinations: [{name: a, weight: 50}, {name: b, weight: 30}, {name: c, weight: 20}]
`);
  assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
  const r = await s.run('update-route', 'a', 'example.com', '--hostname', 'shop', '--weight', '80');
  assert.equal(r.exit, 0, r.err);
  // The changed VirtualService is printed with the (unchanged) Gateway it refers to, so the bundle
  // stands on its own.
  const docs = istioDocs(r.out);
  assert.deepEqual(docs.map((d) => d.kind), ['Gateway', 'VirtualService']);
  assert.deepEqual(weightsOf(docs.find((d) => d.kind === 'VirtualService')), [{ a: 80, b: 12, c: 8 }]);
  assert.deepEqual((await routeJson(s))[0]?.destinations, [
    { app: 'a', weight: 80 },
    { app: 'b', weight: 12 },
    { app: 'c', weight: 8 },
  ]);
});

test('--destination sets every weight in one call; they must cover the route and sum to 100', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  await s.run('push', '-f', 'reviews.yml');
  const ok = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=25', '--destination', 'reviews-v2=75');
  assert.equal(ok.exit, 0, ok.err);
  assert.deepEqual(weightsOf(istioDocs(ok.out).find((d) => d.kind === 'VirtualService')), [{ 'reviews-v1': 25, 'reviews-v2': 75 }]);
  const sum = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=25', '--destination', 'reviews-v2=70');
  assert.equal(sum.exit, 2);
  assert.match(sum.err, /sum to 95, they must sum to 100/);
  const missing = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=100');
  assert.equal(missing.exit, 2);
  assert.match(missing.err, /missing: reviews-v2/);
  const unknown = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--destination', 'ghost=50', '--destination', 'reviews-v1=50');
  assert.equal(unknown.exit, 1);
  assert.match(unknown.err, /App 'ghost' not found/);
});

test('update-route errors: weight out of range is usage (2); unknown app, route or mapping is 1', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  await s.run('push', '-f', 'reviews.yml');
  const before = readFileSync(join(s.state, 'state.json'), 'utf8');
  for (const w of ['101', '-1', 'abc', '50.5']) {
    const r = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', w);
    assert.equal(r.exit, 2, `--weight ${w}: ${r.err}`);
    assert.equal(r.out, '');
  }
  const app = await s.run('update-route', 'ghost', 'example.com', '--hostname', 'reviews', '--weight', '10');
  assert.equal(app.exit, 1);
  assert.match(app.err, /App 'ghost' not found/);
  assert.match(app.err, /hint: push it first/);
  const route = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'nope', '--weight', '10');
  assert.equal(route.exit, 1);
  assert.match(route.err, /Route 'nope\.example\.com' not found/);
  assert.match(route.err, /create-route example\.com --hostname nope/);
  s.write('other.yml', 'applications: [{name: other, no-route: true}]\n');
  await s.run('push', '-f', 'other.yml');
  const unmapped = await s.run('update-route', 'other', 'example.com', '--hostname', 'reviews', '--weight', '10');
  assert.equal(unmapped.exit, 1);
  assert.match(unmapped.err, /App 'other' is not mapped to route 'reviews\.example\.com'/);
  assert.match(unmapped.err, /map-route other example\.com --hostname reviews/);
  const noWeight = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews');
  assert.equal(noWeight.exit, 2);
  const noOptions = await s.run('update-route', 'example.com', '--hostname', 'reviews');
  assert.equal(noOptions.exit, 2);
  assert.match(noOptions.err, /No options were specified for the update of the Route reviews\.example\.com/);
  // Nothing above changed the state except the push of "other".
  assert.notEqual(readFileSync(join(s.state, 'state.json'), 'utf8'), '');
  assert.ok(before.length > 0);
});

test('the only destination cannot get less than 100%; a weight on an unweighted route makes it weighted', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: solo, routes: [{route: solo.example.com}]}]\n');
  await s.run('push', '-f', 'm.yml');
  const r = await s.run('update-route', 'solo', 'example.com', '--hostname', 'solo', '--weight', '50');
  assert.equal(r.exit, 1);
  assert.match(r.err, /only destination/);
});
