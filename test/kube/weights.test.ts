import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { patchGuarded, type GuardedPatchOptions } from '../../src/kube/guarded-patch.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { istioLive, weightKey, weightOps } from '../../src/istio/live.ts';
import type { KubeApiServer } from './api-server.ts';
import { useKubeServer } from './helpers.ts';

const V = 'networking.istio.io/v1';

function seed(server: KubeApiServer, name: string): void {
  server.store.put(
    {
      apiVersion: V,
      kind: 'VirtualService',
      metadata: { name, namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } },
      spec: {
        hosts: ['reviews.example.com'],
        gateways: ['cloudfoundry-ingress'],
        http: [
          // a header route another tool (Argo Rollouts' managedRoutes) put first
          { name: 'canary-header', match: [{ headers: { x: { exact: '1' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
          {
            name: 'primary',
            retries: { attempts: 3, perTryTimeout: '2s' },
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
              { destination: { host: 'mirror-only' } },
            ],
          },
        ],
      },
    },
    'rollouts-controller',
  );
}

/** The weights-only patch of one HTTP entry: the generic guarded patch (kube/) with Istio's operations (istio/live.ts). */
function patchRouteWeights(client: KubeClient, opts: { vsName: string; match: string | number; weights: Map<string, number> } & GuardedPatchOptions) {
  const ref = { apiVersion: V, kind: 'VirtualService', namespace: 'shop', name: opts.vsName };
  return patchGuarded(client, ref, (live) => weightOps(live, opts.match, opts.weights).ops, opts);
}

describe('weights-only patch', () => {
  const k = useKubeServer();

  it('changes only weight fields and keeps every other field and route', async () => {
    seed(k.server, 'w1');
    const before = k.server.store.get(V, 'VirtualService', 'shop', 'w1') as { spec: { http: Record<string, unknown>[] } };
    const res = await patchRouteWeights(k.client, {
      vsName: 'w1',
      match: 'primary',
      weights: new Map([
        [weightKey('reviews', 'v1'), 50],
        [weightKey('reviews', 'v2'), 50],
        [weightKey('mirror-only'), 0],
      ]),
    });
    assert.equal(res.changed, true);
    assert.deepEqual(res.ops[0], { op: 'test', path: '/metadata/resourceVersion', value: (before as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion });
    assert.ok(res.ops.slice(1).every((o) => /^\/spec\/http\/1\/route\/\d\/weight$/.test(o.path)));
    const live = k.server.store.get(V, 'VirtualService', 'shop', 'w1') as { spec: { http: Record<string, unknown>[] } };
    const expected = structuredClone(before.spec);
    const route = expected.http[1]!.route as { weight?: number }[];
    route[0]!.weight = 50;
    route[1]!.weight = 50;
    route[2]!.weight = 0;
    assert.deepEqual(live.spec, expected);
    const patch = k.server.requests.find((r) => r.method === 'PATCH');
    assert.equal(patch?.headers['content-type'], 'application/json-patch+json');

    const again = await patchRouteWeights(k.client, { vsName: 'w1', match: 1, weights: new Map([[weightKey('reviews', 'v1'), 50]]) });
    assert.equal(again.changed, false);
  });

  it('re-reads and retries when the resourceVersion moved under it', async () => {
    seed(k.server, 'w2');
    // The first patch carries a stale resourceVersion: another writer bumps it between our GET and PATCH.
    let bumped = false;
    const racing: KubeClient = {
      ...k.client,
      async jsonPatch(ref, ops, o) {
        if (!bumped) {
          bumped = true;
          const cur = k.server.store.get(V, 'VirtualService', 'shop', 'w2') as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
          k.server.store.put({ ...cur, spec: { ...cur.spec, tcp: [] } }, 'someone-else');
        }
        return k.client.jsonPatch(ref, ops, o);
      },
    };
    const lines: string[] = [];
    const res = await patchRouteWeights(racing, { vsName: 'w2', match: 'primary', weights: new Map([[weightKey('reviews', 'v2'), 30]]), log: (l) => lines.push(l) });
    assert.equal(res.attempts, 2);
    assert.ok(lines.some((l) => /changed while patching/.test(l)));
    const failedTest = k.server.requests.find((r) => r.method === 'PATCH' && r.status === 422);
    assert.ok(failedTest, 'the apiserver answers a failed test op with 422');
    const live = k.server.store.get(V, 'VirtualService', 'shop', 'w2') as { spec: { tcp?: unknown; http: { route: { weight?: number }[] }[] } };
    assert.deepEqual(live.spec.tcp, []);
    assert.equal(live.spec.http[1]?.route[1]?.weight, 30);
  });

  it('a 422 the object did not move under is the answer, not a race: sent once, not retried', async () => {
    seed(k.server, 'w4');
    const ref = { apiVersion: V, kind: 'VirtualService', namespace: 'shop', name: 'w4' };
    const before = k.server.requests.filter((r) => r.method === 'PATCH').length;
    await assert.rejects(
      // a failed `test` of another field: 422 like a race, but the resourceVersion is where it was
      patchGuarded(k.client, ref, () => [{ op: 'test', path: '/spec/gateways/0', value: 'another-gateway' }]),
      (e: unknown) => e instanceof ToolError && e.code === 'API_REJECTED' && e.httpStatus === 422,
    );
    assert.equal(k.server.requests.filter((r) => r.method === 'PATCH').length - before, 1);
  });

  it('names missing routes and destinations', async () => {
    seed(k.server, 'w3');
    await assert.rejects(patchRouteWeights(k.client, { vsName: 'w3', match: 'nope', weights: new Map() }), (e: unknown) => e instanceof ToolError && e.code === 'NOT_FOUND' && /canary-header, primary/.test(e.hint ?? ''));
    await assert.rejects(patchRouteWeights(k.client, { vsName: 'w3', match: 1, weights: new Map([['reviews#v9', 5]]) }), (e: unknown) => e instanceof ToolError && e.code === 'NOT_FOUND' && /reviews#v9/.test(e.message));
    await assert.rejects(patchRouteWeights(k.client, { vsName: 'missing', match: 0, weights: new Map() }), (e: unknown) => e instanceof ToolError && e.code === 'NOT_FOUND');
  });

  it('reads cfmesh and foreign VirtualServices as routes', async () => {
    k.server.store.put({ apiVersion: V, kind: 'VirtualService', metadata: { name: 'zz-foreign', namespace: 'shop' }, spec: { hosts: ['f'], http: [{ route: [{ destination: { host: 'f', port: { number: 8080 } } }] }] } }, 'kubectl');
    const live = istioLive({ ...DEFAULT_ISTIO_OPTIONS, namespace: 'shop' });
    const routes = live.read(await k.client.list({ ...(live.kinds[0] as { apiVersion: string; kind: string }), namespace: 'shop' }));
    const foreign = routes.find((r) => r.object.name === 'zz-foreign');
    assert.equal(foreign?.managedBy, 'kubectl');
    assert.deepEqual(foreign?.destinations, [{ app: 'f', subset: undefined, port: 8080, weight: undefined, key: 'f' }]);
    const ours = routes.filter((r) => r.object.name === 'w1');
    // An entry matching a header and no path is not a route of its own (a rule of one); one without a match serves the host.
    assert.deepEqual(ours.map((r) => [r.rule, r.path, r.own, r.managedBy]), [['primary', undefined, false, 'cfmesh']]);
    assert.deepEqual(ours[0]?.destinations.map((d) => d.weight), [50, 50, 0]);
  });
});
