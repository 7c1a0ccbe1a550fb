import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyResources } from '../../src/kube/apply.ts';
import { APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_ID_LABEL, APPLYSET_PART_OF_LABEL, APPLYSET_TOOLING_ANNOTATION, applySetId } from '../../src/kube/applyset.ts';
import { startKubeApiServer } from './api-server.ts';
import { gateway, vs, useKubeServer } from './helpers.ts';

const base = { namespace: 'shop', prune: false, dryRun: false, forceConflicts: false, toolVersion: '0.1.0' } as const;

function actions(report: { items: readonly { id: string; action: string }[] }): Record<string, string> {
  return Object.fromEntries(report.items.map((i) => [i.id, i.action]));
}

describe('applyResources', () => {
  const k = useKubeServer();

  it('creates, then reports unchanged on a rerun, then configured on a change', async () => {
    const set = [gateway('gw-a'), vs('reviews-a', ['reviews.example.com'], [['reviews-v1', 90], ['reviews-v2', 10]])];
    const first = await applyResources(k.client, set, base);
    assert.equal(first.ok, true);
    assert.deepEqual(actions(first), { 'Gateway/shop/gw-a': 'created', 'VirtualService/shop/reviews-a': 'created' });

    const second = await applyResources(k.client, set, base);
    assert.deepEqual(actions(second), { 'Gateway/shop/gw-a': 'unchanged', 'VirtualService/shop/reviews-a': 'unchanged' });

    const changed = [set[0]!, vs('reviews-a', ['reviews.example.com'], [['reviews-v1', 50], ['reviews-v2', 50]])];
    const third = await applyResources(k.client, changed, base);
    assert.deepEqual(actions(third), { 'Gateway/shop/gw-a': 'unchanged', 'VirtualService/shop/reviews-a': 'configured' });
    const live = k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'reviews-a');
    assert.deepEqual((live?.spec as { http: { route: { weight: number }[] }[] }).http[0]?.route.map((r) => r.weight), [50, 50]);

    // requests: field manager cfmesh, apply content type, no force
    const patches = k.server.requests.filter((r) => r.method === 'PATCH');
    assert.ok(patches.every((r) => r.path.includes('fieldManager=cfmesh') && !r.path.includes('force=')));
    assert.ok(patches.every((r) => r.headers['content-type'] === 'application/apply-patch+yaml'));
  });

  it('server dry run changes nothing and reports what would happen', async () => {
    const report = await applyResources(k.client, [vs('dry-one', ['dry.example.com'], [['dry', 100]])], { ...base, dryRun: true });
    assert.deepEqual(actions(report), { 'VirtualService/shop/dry-one': 'created' });
    assert.equal(k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'dry-one'), undefined);
    assert.ok(k.server.requests.some((r) => r.method === 'PATCH' && r.path.includes('dryRun=All')));
  });

  it('keeps an ApplySet like kubectl and prunes only its own members', async () => {
    const name = 'cfmesh-shop';
    const id = applySetId(name, 'shop');
    // a VirtualService another tool manages, in the same namespace, and one that merely looks like ours
    k.server.store.put({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'foreign', namespace: 'shop' }, spec: { hosts: ['foreign'] } }, 'kubectl');
    k.server.store.put(
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'lookalike', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } }, spec: { hosts: ['x'] } },
      'kubectl',
    );
    const opts = { ...base, applySetName: name, prune: true };
    const first = await applyResources(k.client, [gateway('gw-p'), vs('keep', ['keep.example.com'], [['keep', 100]]), vs('old', ['old.example.com'], [['old', 100]])], opts);
    assert.equal(first.ok, true, JSON.stringify(first.errors));
    assert.equal(first.applySetId, id);
    const parent = k.server.store.get('v1', 'Secret', 'shop', name);
    const pmeta = parent?.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    assert.equal(pmeta.labels[APPLYSET_ID_LABEL], id);
    assert.equal(pmeta.annotations[APPLYSET_TOOLING_ANNOTATION], 'cfmesh/0.1.0');
    assert.equal(pmeta.annotations[APPLYSET_GROUP_KINDS_ANNOTATION], 'Gateway.networking.istio.io,VirtualService.networking.istio.io');
    const member = k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'keep');
    assert.equal((member?.metadata as { labels: Record<string, string> }).labels[APPLYSET_PART_OF_LABEL], id);

    const second = await applyResources(k.client, [vs('keep', ['keep.example.com'], [['keep', 100]])], opts);
    assert.equal(second.ok, true);
    assert.deepEqual(actions(second), { 'VirtualService/shop/keep': 'unchanged', 'Gateway/shop/gw-p': 'pruned', 'VirtualService/shop/old': 'pruned' });
    assert.equal(k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'old'), undefined);
    assert.ok(k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'foreign'));
    assert.ok(k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'lookalike'));
    const after2 = k.server.store.get('v1', 'Secret', 'shop', name)?.metadata as { annotations: Record<string, string> };
    assert.equal(after2.annotations[APPLYSET_GROUP_KINDS_ANNOTATION], 'VirtualService.networking.istio.io');
    // deletes carried the uid precondition and the part-of selector was used to list
    assert.ok(k.server.requests.some((r) => r.method === 'GET' && r.path.includes(`labelSelector=${encodeURIComponent(`${APPLYSET_PART_OF_LABEL}=${id}`)}`)));
    assert.ok(k.server.requests.filter((r) => r.method === 'DELETE').every((r) => r.body.includes('"uid"')));

    const third = await applyResources(k.client, [vs('keep', ['keep.example.com'], [['keep', 100]])], opts);
    assert.deepEqual(actions(third), { 'VirtualService/shop/keep': 'unchanged' });
  });

  it('refuses an ApplySet that another tool owns', async () => {
    k.server.store.put(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'kubectl-set', namespace: 'shop', labels: { [APPLYSET_ID_LABEL]: applySetId('kubectl-set', 'shop') }, annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'kubectl/v1.31.0', [APPLYSET_GROUP_KINDS_ANNOTATION]: 'VirtualService.networking.istio.io' } },
      },
      'kubectl',
    );
    const report = await applyResources(k.client, [vs('k1', ['k1.example.com'], [['k1', 100]])], { ...base, applySetName: 'kubectl-set', prune: true });
    assert.equal(report.ok, false);
    assert.equal(report.errors[0]?.code, 'API_CONFLICT');
    assert.match(report.errors[0]?.message ?? '', /kubectl\/v1\.31\.0/);
    assert.equal(k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'k1'), undefined);
  });

  it('one failure does not stop the others, and pruning is skipped then', async () => {
    const bad = vs('Bad_Name', ['bad.example.com'], [['bad', 100]]);
    const report = await applyResources(k.client, [bad, vs('good-one', ['good.example.com'], [['good', 100]])], { ...base, applySetName: 'mixed', prune: true });
    assert.equal(report.ok, false);
    const failed = report.items.find((i) => i.name === 'Bad_Name');
    assert.equal(failed?.action, 'failed');
    assert.equal(failed?.error?.code, 'API_REJECTED');
    assert.match(failed?.error?.message ?? '', /The VirtualService "Bad_Name" is invalid:\n\* metadata\.name: Invalid value/);
    assert.equal(report.items.find((i) => i.name === 'good-one')?.action, 'created');
    assert.match(report.pruneSkipped ?? '', /nothing was pruned/);
  });
});

describe('deliverToKubernetes', () => {
  it('loads the kubeconfig, applies and closes', async () => {
    const { deliverToKubernetes } = await import('../../src/sinks/kube-sink.ts');
    const server = await startKubeApiServer();
    try {
      const file = server.writeKubeconfig({ auth: 'token', namespace: 'shop' });
      const items: string[] = [];
      const out = await deliverToKubernetes([vs('sink-one', ['s.example.com'], [['s', 100]])], {
        kubeconfig: { kubeconfig: file, env: {}, homeDir: '/x' },
        applySetName: 'cfmesh',
        prune: true,
        onProgress: (i) => items.push(`${i.action} ${i.id}`),
      });
      assert.equal(out.report.ok, true);
      assert.equal(out.namespace, 'shop');
      assert.deepEqual(items, ['created VirtualService/shop/sink-one']);
    } finally {
      await server.close();
    }
  });
});
