// `convert --target kubernetes` end to end, in-process, against the TLS Kubernetes API test server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../src/main.ts';
import { PROPOSAL } from '../commands/helpers.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { startKubeApiServer, type Fault, type KubeApiServer } from './api-server.ts';

const proposal = PROPOSAL;

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

async function cli(args: string[], stdin = proposal) {
  const io = memoryIo({ stdin, env: { HOME: '/nonexistent', KUBECONFIG: undefined } });
  const exit = await main(['convert', '-f', '-', ...args], io);
  const everything = io.out() + io.err();
  for (const secret of server.secrets) assert.ok(!everything.includes(secret), 'a secret was printed');
  return { exit, out: io.out(), err: io.err() };
}

test('applies to the namespace of the kubeconfig context; a second run is unchanged', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'bookinfo' });
  const first = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig]);
  assert.equal(first.exit, 0, first.err);
  assert.match(first.out, /^gateway\.networking\.istio\.io\/cloudfoundry-ingress created$/m);
  assert.match(first.out, /^virtualservice\.networking\.istio\.io\/reviews\.example\.com created$/m);
  const live = server.store.get('networking.istio.io/v1', 'VirtualService', 'bookinfo', 'reviews.example.com');
  assert.ok(live, 'the VirtualService is in the context namespace');
  const second = await cli(['--apply', '--kubeconfig', kubeconfig, '--json']);
  assert.equal(second.exit, 0, second.err);
  const report = JSON.parse(second.out) as { namespace: string; items: { action: string }[] };
  assert.equal(report.namespace, 'bookinfo');
  assert.deepEqual(report.items.map((i) => i.action), ['unchanged', 'unchanged']);
});

test('gets through injected 429s, 500s and a reset', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'tokenFile', namespace: 'resilience' });
  server.inject({ type: 'status', code: 429, retryAfter: 0 }, 2);
  server.inject({ type: 'status', code: 500 }, 1);
  server.inject({ type: 'reset' }, 1);
  const r = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig]);
  assert.equal(r.exit, 0, r.err);
  assert.match(r.out, /reviews\.example\.com created/);
});

test('a field owned by another manager is a conflict: exit 4 naming it; --force-conflicts takes it', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'argo' });
  assert.equal((await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig])).exit, 0);
  const live = server.store.get('networking.istio.io/v1', 'VirtualService', 'argo', 'reviews.example.com') as { spec: { http: { route: { weight: number }[] }[] } };
  live.spec.http[0]!.route[0]!.weight = 50;
  live.spec.http[0]!.route[1]!.weight = 50;
  server.store.put(live as never, 'rollouts-controller');
  const conflict = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig]);
  assert.equal(conflict.exit, 4);
  assert.match(conflict.err, /rollouts-controller/);
  assert.match(conflict.err, /--force-conflicts/);
  const forced = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig, '--force-conflicts']);
  assert.equal(forced.exit, 0, forced.err);
});

test('missing Istio CRDs: exit 4 explained as such', async () => {
  const bare = await startKubeApiServer({ serveIstio: false });
  try {
    const io = memoryIo({ stdin: proposal, env: { HOME: '/nonexistent' } });
    const exit = await main(['convert', '-f', '-', '--target', 'kubernetes', '--kubeconfig', bare.writeKubeconfig({ auth: 'token' })], io);
    assert.equal(exit, 4);
    assert.match(io.err(), /Istio/i);
    assert.match(io.err(), /CRD|not installed|not served/i);
  } finally {
    await bare.close();
  }
});

test('an untrusted certificate: exit 4, and no request was sent with credentials', async () => {
  const io = memoryIo({ stdin: proposal, env: { HOME: '/nonexistent' } });
  const exit = await main(['convert', '-f', '-', '--target', 'kubernetes', '--kubeconfig', server.writeKubeconfig({ auth: 'token', ca: 'none' })], io);
  assert.equal(exit, 4);
  assert.match(io.err(), /certificate/i);
  for (const secret of server.secrets) assert.ok(!io.err().includes(secret));
});

test('--dry-run=server changes nothing', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'dry' });
  const r = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig, '--dry-run=server']);
  assert.equal(r.exit, 0, r.err);
  assert.match(r.out, /created \(server dry run\)/);
  assert.equal(server.store.get('networking.istio.io/v1', 'VirtualService', 'dry', 'reviews.example.com'), undefined);
});

test('diff: nothing after an apply (exit 0); a changed weight and a removed route show up (exit 1)', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'diffing' });
  const twoRoutes = `${proposal}- route: ratings.example.com\n  destinations:\n  - name: reviews-v1\n`;
  assert.equal((await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig], twoRoutes)).exit, 0);
  const run = async (manifest: string) => {
    const io = memoryIo({ stdin: manifest, env: { HOME: '/nonexistent' } });
    return { exit: await main(['diff', '-f', '-', '--kubeconfig', kubeconfig], io), out: io.out(), err: io.err() };
  };
  const same = await run(twoRoutes);
  assert.equal(same.exit, 0, same.err);
  assert.equal(same.out, '');
  const changed = await run(proposal.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20'));
  assert.equal(changed.exit, 1, changed.err);
  assert.match(changed.out, /^-\s+weight: 90$/m);
  assert.match(changed.out, /^\+\s+weight: 80$/m);
  assert.match(changed.out, /^--- live\/virtualservice\.networking\.istio\.io\/ratings\.example\.com\n\+\+\+ \/dev\/null$/m);
});

test('a server that does not answer group discovery but serves the resources is still applied to', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'nodiscovery' });
  server.inject({ type: 'plain404' }, 10, (method, path) => method === 'GET' && /^\/apis\/[^/]+\/?$/.test(path));
  try {
    const r = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig]);
    assert.equal(r.exit, 0, r.err);
    assert.match(r.out, /reviews\.example\.com created/);
  } finally {
    server.clearFaults();
  }
});

const secretFaults: { label: string; fault: Fault }[] = [
  { label: 'does not serve Secrets', fault: { type: 'plain404' } },
  { label: 'forbids Secrets (RBAC)', fault: { type: 'status', code: 403 } },
];
for (const { label, fault } of secretFaults) {
  test(`a server that ${label}: applied without an ApplySet, nothing pruned, and said so`, async () => {
    const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: `nosecrets-${fault.type}` });
    server.inject(fault, 50, (_method, path) => path.includes('/secrets'));
    try {
      const r = await cli(['--target', 'kubernetes', '--kubeconfig', kubeconfig]);
      assert.equal(r.exit, 0, r.err);
      assert.match(r.out, /reviews\.example\.com created/);
      assert.match(r.err, /prune skipped: the ApplySet parent Secret .* could not be written/);
    } finally {
      server.clearFaults();
    }
  });
}
