// Conformance: every request goes where cf would send it (issue 11, "How to prove it").
// For random manifests and random requests, the gorouter model (what cf does with the manifest)
// and the Istio model (what Istio and Envoy do with cfmesh's output) must agree on which apps serve
// the request and in what shares (within 1 percentage point), or on the status. cfmesh runs
// in-process through cfmesh-adapter.ts. Then a table of regression cases, one per traffic defect
// of issue 11, each pinned twice: the gorouter model gives the expected outcome, and cfmesh's
// output routes the same way.
// FUZZ_RUNS raises the number of random manifests (npm run fuzz); FUZZ_SEED pins the seed.
// `node --import tsx test/conformance/survey.ts` classifies the disagreements of many cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns, fuzzSeed } from '../helpers/reliability.ts';
import { runCfmesh } from './cfmesh-adapter.ts';
import { checkCase, formatFailure } from './check.ts';
import { conformanceCase } from './generator.ts';
import { buildGorouter, gorouterDecide } from './gorouter-model.ts';
import { ISTIO_PROXY_PORTS } from './inventory.ts';
import { renderManifest, type ManifestDesc } from './manifest-desc.ts';
import { REGRESSIONS, type Expected } from './regressions.ts';
import { assertValidIstio } from '../istio/validate-istio.ts';
import type { Resource } from '../../src/resource/resource.ts';

const runs = fuzzRuns(60);

test(`conformance: cfmesh's Istio output routes every request where cf would (${runs} manifests)`, { timeout: 120_000 + runs * 500 }, () => {
  fc.assert(
    fc.property(conformanceCase, (c) => {
      const failure = formatFailure(checkCase(c.manifest, c.requests));
      if (failure) throw new Error(failure);
    }),
    { numRuns: runs, ...fuzzSeed() },
  );
});

/**
 * Adding a route never moves another route's gateway port (issue 11 item 6: in `convert` too,
 * which has no state), and no allocated port is one the gateway already uses: Istio's proxy ports,
 * 80 and 443, or below 1024. When cfmesh refuses the larger manifest (a collision it will not
 * resolve silently), there is nothing to compare.
 */
test(`TCP ports stay put when a route is added (${runs} manifests)`, { timeout: 120_000 + runs * 200 }, () => {
  // Random names almost never collide in a 64k range, so the pool also holds two names known to
  // matter with today's FNV-1a allocation: a25844.example.com lands on orders-db.example.com's port
  // (a generator TCP host), db16363.example.com on 15006, a port of the gateway proxy.
  const extraHost = fc.constantFrom('aa.example.com', 'new.example.com', 'zz.example.com', 'q1.example.net', 'a25844.example.com', 'db16363.example.com');
  fc.assert(
    fc.property(conformanceCase, extraHost, (c, host) => {
      const before = runCfmesh(renderManifest(c.manifest), { defaultDomain: c.manifest.defaultDomain });
      if (!before.ok) return;
      const first = c.manifest.apps[0] as ManifestDesc['apps'][number];
      const more: ManifestDesc = { ...c.manifest, routes: [...c.manifest.routes, { route: host, protocol: 'tcp', destinations: [{ name: first.name }] }] };
      const after = runCfmesh(renderManifest(more), { defaultDomain: more.defaultDomain });
      if (!after.ok) return;
      for (const [route, port] of before.tcpPorts) {
        assert.equal(after.tcpPorts.get(route), port, `route ${route} moved from port ${port} to ${after.tcpPorts.get(route)} when ${host} was added\n${renderManifest(more)}`);
      }
      for (const [route, port] of after.tcpPorts) {
        assert.ok(port >= 1024 && !ISTIO_PROXY_PORTS.has(port), `route ${route} got gateway port ${port}, which the gateway proxy uses or cf reserves`);
      }
    }),
    { numRuns: runs, ...fuzzSeed() },
  );
});

// -------------------------------------------------------------------------------------------------
// Regression cases: one per traffic defect of issue 11 ("Wrong traffic"), item number first.

function assertShares(actual: ReadonlyMap<string, number>, expected: Expected, what: string): void {
  const keys = new Set([...actual.keys(), ...Object.keys(expected)]);
  for (const k of keys) {
    const a = actual.get(k) ?? 0;
    const e = expected[k] ?? 0;
    assert.ok(Math.abs(a - e) < 1e-9, `${what}: ${k} is ${a}, expected ${e}`);
  }
}

for (const c of REGRESSIONS) {
  test(`issue 11 item ${c.item}: ${c.name}`, () => {
    // The expectation is cf's: pin it with the gorouter model first (no cfmesh involved).
    const gorouter = buildGorouter(c.manifest);
    for (const { request, expected } of c.requests) {
      if (request.kind === 'tcp-route') throw new Error('regression cases name TCP ports');
      assertShares(gorouterDecide(gorouter, request).shares, expected, `gorouter model, ${JSON.stringify(request)}`);
    }
    const result = checkCase(c.manifest, c.requests.map((r) => r.request), c.options);
    const failure = formatFailure(result, 10);
    if (failure) assert.fail(failure);
    // and what routes right is also what `istioctl analyze` and the API server take
    if (result.kind === 'checked') assertValidIstio(result.cfmesh.objects as unknown as readonly Resource[]);
  });
}

test('issue 11 item 6: adding a route does not move the gateway port of another (orders-db.example.com)', () => {
  const one: ManifestDesc = { apps: [{ name: 'orders', routes: [{ route: 'orders-db.example.com', protocol: 'tcp' }] }], routes: [] };
  // a25844.example.com hashes onto orders-db's slot with today's FNV-1a allocation (found by search); any colliding pair makes the case.
  const two: ManifestDesc = { ...one, routes: [{ route: 'a25844.example.com', protocol: 'tcp', destinations: [{ name: 'orders' }] }] };
  const before = runCfmesh(renderManifest(one));
  assert.ok(before.ok);
  const port = before.tcpPorts.get('tcp://orders-db.example.com');
  assert.ok(port !== undefined);
  const after = runCfmesh(renderManifest(two));
  if (!after.ok) return; // refusing the colliding pair is a way to keep ports put
  assert.equal(after.tcpPorts.get('tcp://orders-db.example.com'), port, `orders-db moved from ${port} to ${after.tcpPorts.get('tcp://orders-db.example.com')}`);
  const result = checkCase(two, [{ kind: 'tcp-route', route: 'tcp://orders-db.example.com' }, { kind: 'tcp-route', route: 'tcp://a25844.example.com' }]);
  const failure = formatFailure(result);
  if (failure) assert.fail(failure);
});

test("issue 11 item 6: no route gets a port of Istio's proxy (db16363 hashes onto 15006 today)", () => {
  const manifest: ManifestDesc = { apps: [{ name: 'db', routes: [{ route: 'db16363.example.com', protocol: 'tcp' }] }], routes: [] };
  const result = checkCase(manifest, [{ kind: 'tcp-route', route: 'tcp://db16363.example.com' }]);
  assert.equal(result.kind, 'checked');
  if (result.kind !== 'checked') return;
  const port = result.cfmesh.tcpPorts.get('tcp://db16363.example.com') as number;
  assert.ok(!ISTIO_PROXY_PORTS.has(port), `db16363.example.com got port ${port}, a port of the gateway proxy`);
  const failure = formatFailure(result);
  if (failure) assert.fail(failure);
});
