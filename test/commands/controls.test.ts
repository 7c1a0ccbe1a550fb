// Per-route traffic controls from flags go through the same state → translate → render path as push.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { istioDocs, PROPOSAL, sandbox } from './helpers.ts';

type Vs = { kind: string; spec: { http: { timeout?: string; retries?: Record<string, unknown> }[] } };

test('update-route --timeout/--retries set the route controls; the printed VirtualService carries them', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  assert.equal((await s.run('push', '-f', 'reviews.yml')).exit, 0);
  const r = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--timeout', '2s', '--retries', '3', '--retry-on', '5xx,connect-failure', '--per-try-timeout', '500ms');
  assert.equal(r.exit, 0, r.err);
  const vs = (istioDocs(r.out) as unknown as Vs[]).find((d) => d.kind === 'VirtualService');
  assert.ok(vs, r.out);
  assert.equal(vs.spec.http[0]?.timeout, '2s');
  assert.deepEqual(vs.spec.http[0]?.retries, { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx,connect-failure' });

  const same = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--timeout', '2s');
  assert.equal(same.exit, 0);
  assert.equal(same.out, '');
  assert.match(same.err, /Nothing has been updated/);

  const off = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--timeout', 'none', '--retries', '0');
  assert.equal(off.exit, 0, off.err);
  const after = (istioDocs(off.out) as unknown as Vs[]).find((d) => d.kind === 'VirtualService');
  assert.equal(after?.spec.http[0]?.timeout, undefined);
  assert.deepEqual(after?.spec.http[0]?.retries, { attempts: 0 });
});

test('bad control values are usage or duration errors, and change nothing', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  assert.equal((await s.run('push', '-f', 'reviews.yml')).exit, 0);
  const fraction = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--timeout', '1.5ms');
  assert.equal(fraction.exit, 1);
  assert.match(fraction.err, /DURATION/);
  const token = await s.run('update-route', 'example.com', '--hostname', 'reviews', '--retries', '2', '--retry-on', 'sometimes');
  assert.equal(token.exit, 2);
  const withWeight = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '50', '--timeout', '1s');
  assert.equal(withWeight.exit, 2);
});

test('map-route --timeout sets the control on the route it maps', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  assert.equal((await s.run('push', '-f', 'reviews.yml')).exit, 0);
  const r = await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'ratings', '--timeout', '750ms');
  assert.equal(r.exit, 0, r.err);
  const vs = (istioDocs(r.out) as unknown as (Vs & { metadata: { name: string } })[]).find((d) => d.kind === 'VirtualService' && d.metadata.name === 'ratings.example.com');
  assert.equal(vs?.spec.http[0]?.timeout, '750ms');
});
