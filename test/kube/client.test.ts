import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { applyResources } from '../../src/kube/apply.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { istioTarget } from '../../src/istio/target.ts';
import { startKubeApiServer } from './api-server.ts';
import { FAST_RETRY, clientFor, vs, useKubeServer } from './helpers.ts';

const REF = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name: 'reviews' } as const;

function isCode(code: string, re?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ToolError, String(e));
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  };
}

describe('client resilience', () => {
  const lines: string[] = [];
  const k = useKubeServer({ log: (l) => lines.push(l), retries: 4 });
  beforeEach(() => k.server.clearFaults());

  it('gets through 429s, honouring Retry-After', async () => {
    k.server.inject({ type: 'status', code: 429, retryAfter: 1 }, 1);
    const t0 = Date.now();
    const r = await k.client.apply(vs('reviews', ['reviews.example.com'], [['a', 100]]));
    assert.ok(r.object.metadata.resourceVersion);
    assert.ok(Date.now() - t0 >= 950, 'waited at least Retry-After');
    assert.ok(lines.some((l) => /HTTP 429; retrying in \d+(\.\d+)? m?s/.test(l)));
  });

  it('honours Status details.retryAfterSeconds when there is no header', async () => {
    k.server.inject({ type: 'status', code: 429, retryAfterSeconds: 0 }, 2);
    assert.ok(await k.client.get(REF));
  });

  it('gets through 500s and a dropped connection', async () => {
    k.server.inject({ type: 'status', code: 500 }, 2);
    k.server.inject({ type: 'reset' }, 1);
    assert.ok(await k.client.get(REF));
    assert.ok(lines.some((l) => /HTTP 500; retrying/.test(l)));
  });

  it('gives up after bounded attempts with API_UNREACHABLE and the report says failed', async () => {
    k.server.inject({ type: 'status', code: 503 }, 100);
    await assert.rejects(k.client.get(REF), isCode('API_UNREACHABLE', /Error from server \(ServiceUnavailable\).*gave up after 5 attempts/));
    const report = await applyResources(k.client, [vs('reviews', ['reviews.example.com'], [['a', 100]])], { namespace: 'shop', prune: false, dryRun: false, forceConflicts: false });
    assert.equal(report.ok, false);
    assert.equal(report.items[0]?.action, 'failed');
    assert.equal(report.items[0]?.error?.code, 'API_UNREACHABLE');
    k.server.clearFaults();
  });

  it('a per-request timeout is retried, then reported', async () => {
    // Each attempt has 500 ms (a loaded machine still answers a loopback request in that), within a
    // total budget that leaves the second attempt all of its own; a delayed answer takes 4× that.
    const slow = clientFor(k.server, { auth: 'token' }, { retry: { ...FAST_RETRY, timeoutMs: 500, totalMs: 10_000 }, retries: 1 });
    try {
      k.server.inject({ type: 'delay', ms: 2_000 }, 1);
      assert.ok(await slow.get(REF)); // first attempt times out, second succeeds
      k.server.inject({ type: 'delay', ms: 2_000 }, 2);
      await assert.rejects(slow.get(REF), isCode('API_UNREACHABLE', /did not answer in time/));
    } finally {
      await slow.close();
    }
  });

  it('an AbortSignal stops the retry loop and rejects with its reason', async () => {
    const ac = new AbortController();
    // A budget that allows the 10 s backoff, so that the abort lands while it waits.
    const c = clientFor(k.server, { auth: 'token' }, { signal: ac.signal, retry: { ...FAST_RETRY, baseDelayMs: 10_000, maxDelayMs: 10_000, totalMs: 60_000 } });
    try {
      k.server.inject({ type: 'status', code: 500 }, 5);
      const p = c.get(REF);
      setTimeout(() => ac.abort(new Error('stop now')), 50);
      const t0 = Date.now();
      await assert.rejects(p, /stop now/);
      assert.ok(Date.now() - t0 < 2_000);
    } finally {
      k.server.clearFaults();
      await c.close();
    }
  });

  it('a refused connection is API_UNREACHABLE', async () => {
    const config = loadKubeConfig({ kubeconfig: k.server.writeKubeconfig({ auth: 'token', server: 'https://127.0.0.1:1' }), env: {}, homeDir: '/x' });
    const c = createKubeClient(config, { retry: FAST_RETRY });
    try {
      await assert.rejects(c.get(REF), isCode('API_UNREACHABLE', /refused/));
    } finally {
      await c.close();
    }
  });
});

describe('client errors', () => {
  const k = useKubeServer();

  it('a conflict with rollouts-controller is API_CONFLICT naming it; force takes over', async () => {
    await k.client.apply(vs('canary', ['canary.example.com'], [['stable', 100], ['canary', 0]]));
    // Argo Rollouts writes the weights with a full Update and so owns .spec.http
    const live = k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'canary') as { spec: { http: { route: { weight: number }[] }[] } };
    const spec = structuredClone(live.spec);
    spec.http[0]!.route[0]!.weight = 80;
    spec.http[0]!.route[1]!.weight = 20;
    k.server.store.put({ ...live, spec }, 'rollouts-controller');

    const ours = vs('canary', ['canary.example.com'], [['stable', 100], ['canary', 0]]);
    await assert.rejects(k.client.apply(ours), (e: unknown) => {
      isCode('API_CONFLICT', /"rollouts-controller"/)(e);
      assert.match((e as ToolError).message, /\.spec\.http/);
      assert.match((e as ToolError).hint ?? '', /--force-conflicts/);
      return true;
    });
    const report = await applyResources(k.client, [ours], { namespace: 'shop', prune: false, dryRun: false, forceConflicts: false });
    assert.equal(report.items[0]?.error?.code, 'API_CONFLICT');

    const forced = await applyResources(k.client, [ours], { namespace: 'shop', prune: false, dryRun: false, forceConflicts: true });
    assert.equal(forced.items[0]?.action, 'configured');
    assert.ok(k.server.requests.some((r) => r.method === 'PATCH' && r.path.includes('force=true')));
    const after2 = k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'canary') as { metadata: { managedFields: { manager: string; fieldsV1: unknown }[] } };
    const rollouts = after2.metadata.managedFields.find((m) => m.manager === 'rollouts-controller');
    assert.ok(!JSON.stringify(rollouts?.fieldsV1 ?? {}).includes('f:http'));
  });

  it('422 is rendered like kubectl, one line per cause', async () => {
    const bad = vs('weights', ['w.example.com'], [['a', -5], ['b', 105]]);
    await assert.rejects(k.client.apply(bad), isCode('API_REJECTED', /The VirtualService "weights" is invalid:\n\* spec\.http\[0\]\.route\[0\]\.weight: Invalid value: -5/));
  });

  it('401 and 403 are API_AUTH', async () => {
    const config = loadKubeConfig({ kubeconfig: k.server.writeKubeconfig({ auth: 'none' }), env: {}, homeDir: '/x' });
    const anon = createKubeClient(config, { retry: FAST_RETRY });
    try {
      await assert.rejects(anon.get({ ...REF, name: 'x' }), isCode('API_AUTH', /You must be logged in to the server/));
    } finally {
      await anon.close();
    }
  });

  it('missing Istio CRDs (plain-text 404) are CRD_MISSING, confirmed by discovery', async () => {
    k.server.setServeIstio(false);
    // The client names no target; the target's hints say what to install.
    const istio = clientFor(k.server, { auth: 'token' }, { crdHints: istioTarget(DEFAULT_ISTIO_OPTIONS).crdHints });
    try {
      await assert.rejects(istio.apply(vs('x', ['x.example.com'], [['x', 100]])), (e: unknown) => {
        isCode('CRD_MISSING', /doesn't have the API group "networking\.istio\.io"/)(e);
        assert.match((e as ToolError).hint ?? '', /install Istio/);
        return true;
      });
      await assert.rejects(k.client.apply(vs('x', ['x.example.com'], [['x', 100]])), (e: unknown) => {
        isCode('CRD_MISSING', /doesn't have the API group/)(e);
        assert.equal((e as ToolError).hint, 'install the CRDs of networking.istio.io');
        return true;
      });
      assert.ok(k.server.requests.some((r) => r.path === '/apis/networking.istio.io'));
      assert.equal(await k.client.discover('networking.istio.io'), undefined);
    } finally {
      k.server.setServeIstio(true);
      await istio.close();
    }
    const info = await k.client.discover('networking.istio.io');
    assert.deepEqual(info?.versions, ['v1', 'v1beta1', 'v1alpha3']);
  });

  it('an unserved Istio version is CRD_MISSING naming the versions served', async () => {
    const old = await startKubeApiServer({ istioVersions: ['v1beta1', 'v1alpha3'] });
    const c = clientFor(old);
    try {
      await assert.rejects(c.get(REF), isCode('CRD_MISSING', /does not serve networking\.istio\.io\/v1 \(it serves v1beta1, v1alpha3\)/));
    } finally {
      await c.close();
      await old.close();
    }
  });

  it('a NotFound Status on get is undefined, not an error; delete of a missing object is false', async () => {
    assert.equal(await k.client.get({ ...REF, name: 'nothing-here' }), undefined);
    assert.equal(await k.client.delete({ ...REF, name: 'nothing-here' }), false);
  });
});
