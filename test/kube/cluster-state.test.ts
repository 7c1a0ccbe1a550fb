// The cluster as the target of the state commands, through the real binary against the API double: the
// local state and the cluster agree after update-route --weight, cfmesh's own writes never conflict with
// each other, a failed delivery leaves the local state as it was (and says so), and convert --apply and
// the state commands do not take over each other's objects.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { APPLYSET_PART_OF_LABEL, applySetId } from '../../src/kube/applyset.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';
import { cfmesh } from './bin.ts';

const MANIFEST = `applications:
- name: reviews-v1
- name: reviews-v2
- name: reviews-v3
  no-route: true
routes:
- route: reviews.example.com
  destinations:
  - name: reviews-v1
    weight: 67
  - name: reviews-v2
    weight: 33
`;

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

type Vs = { metadata: { labels?: Record<string, string>; managedFields?: { manager: string; operation: string }[] }; spec: { http: { route: { destination: { host: string }; weight: number }[] }[] } };

function sandbox(t: { after(fn: () => void): void }, namespace: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-cstate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'reviews.yml'), MANIFEST);
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace });
  const k = ['--target', 'kubernetes', '--kubeconfig', kubeconfig];
  const run = (...args: string[]) => cfmesh(['--state', join(dir, 'state'), ...args], { cwd: dir, env: { HOME: dir, KUBECONFIG: undefined } });
  const vs = (name = 'reviews.example.com') => server.store.get('networking.istio.io/v1', 'VirtualService', namespace, name) as Vs | undefined;
  const weights = (name?: string) => vs(name)?.spec.http[0]?.route.map((d) => `${d.destination.host.split('.')[0]}=${d.weight}`);
  const localRoutes = async () => JSON.parse((await run('routes', '--json', '--target', 'local')).out) as { url: string; destinations: { app: string; weight: number }[] }[];
  return { dir, k, run, vs, weights, localRoutes };
}

test('update-route --weight on the cluster: the local state gets the same weights, and the next create-route and map-route do not conflict', async (t) => {
  const s = sandbox(t, 'drift');
  const push = await s.run('push', '-f', 'reviews.yml', ...s.k);
  assert.equal(push.code, 0, push.err);
  assert.deepEqual(s.weights(), ['reviews-v1=67', 'reviews-v2=33']);

  const weight = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90', ...s.k);
  assert.equal(weight.code, 0, weight.err);
  assert.deepEqual(s.weights(), ['reviews-v1=90', 'reviews-v2=10']);
  // The report names apps, as every other command does (not service hosts).
  assert.match(weight.out, /^virtualservice\.networking\.istio\.io\/reviews\.example\.com weights patched: reviews-v1=90, reviews-v2=10$/m);
  // The patch carried its own field manager, and the apiserver recorded it as an Update of cfmesh-weights.
  const patch = server.requests.find((r) => r.method === 'PATCH' && r.headers['content-type'] === 'application/json-patch+json' && r.path.includes('/namespaces/drift/'));
  assert.ok(patch?.path.includes('fieldManager=cfmesh-weights'), patch?.path);
  assert.ok(s.vs()?.metadata.managedFields?.some((m) => m.manager === 'cfmesh-weights' && m.operation === 'Update'));
  // The local state agrees with the cluster.
  const local = (await s.localRoutes()).find((r) => r.url === 'reviews.example.com');
  assert.deepEqual(local?.destinations, [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }]);

  // The next whole-state apply sends the same weights: no conflict with cfmesh's own patch.
  const create = await s.run('create-route', 'example.com', '--hostname', 'shop', ...s.k);
  assert.equal(create.code, 0, create.err);
  assert.deepEqual(s.weights(), ['reviews-v1=90', 'reviews-v2=10'], 'the weights were not put back');

  // A change of spec.http (a third destination) meets the fields cfmesh-weights owns: taken over, and said.
  const map = await s.run('map-route', 'reviews-v3', 'example.com', '--hostname', 'reviews', ...s.k);
  assert.equal(map.code, 0, map.err);
  assert.match(map.err, /took over the fields cfmesh's own "cfmesh-weights" had set/);
  assert.deepEqual(s.weights(), ['reviews-v1=90', 'reviews-v2=10', 'reviews-v3=0']);
});

test('a failed delivery leaves the local state as it was and says how to reconcile; running the command again delivers it', async (t) => {
  const s = sandbox(t, 'failed');
  assert.equal((await s.run('push', '-f', 'reviews.yml', ...s.k)).code, 0);
  const before = readFileSync(join(s.dir, 'state', 'state.json'));
  server.inject({ type: 'status', code: 500 }, 1000, (method, path) => method === 'PATCH' && path.includes('/namespaces/failed/virtualservices/shop.example.com'));
  const failed = await s.run('map-route', 'reviews-v3', 'example.com', '--hostname', 'shop', '--request-timeout', '0.5', ...s.k);
  server.clearFaults();
  assert.equal(failed.code, 4, failed.err);
  assert.match(failed.err, /warning NOTICE the local state \(.*\) was not changed/);
  assert.match(failed.err, /run the same command again to deliver it/);
  assert.deepEqual(readFileSync(join(s.dir, 'state', 'state.json')), before, 'the local state file is byte-identical');
  assert.equal((await s.localRoutes()).some((r) => r.url === 'shop.example.com'), false);

  const again = await s.run('map-route', 'reviews-v3', 'example.com', '--hostname', 'shop', ...s.k);
  assert.equal(again.code, 0, again.err);
  assert.equal((await s.localRoutes()).some((r) => r.url === 'shop.example.com'), true);
  assert.deepEqual(s.weights('shop.example.com'), ['reviews-v3=100']);
});

test('a failed weight patch leaves the local weights as they were', async (t) => {
  const s = sandbox(t, 'failedpatch');
  assert.equal((await s.run('push', '-f', 'reviews.yml', ...s.k)).code, 0);
  server.inject({ type: 'status', code: 403 }, 1, (method, path) => method === 'PATCH' && path.includes('/namespaces/failedpatch/virtualservices/'));
  const r = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90', ...s.k);
  assert.equal(r.code, 4, r.err);
  assert.deepEqual(s.weights(), ['reviews-v1=67', 'reviews-v2=33']);
  const local = (await s.localRoutes()).find((x) => x.url === 'reviews.example.com');
  assert.deepEqual(local?.destinations.map((d) => d.weight), [67, 33]);
});

test("convert --apply and the state commands refuse each other's objects; --force-conflicts moves one explicitly", async (t) => {
  const s = sandbox(t, 'sets');
  assert.equal((await s.run('push', '-f', 'reviews.yml', ...s.k)).code, 0);
  const stateId = applySetId('cfmesh-state', 'sets');
  assert.equal(s.vs()?.metadata.labels?.[APPLYSET_PART_OF_LABEL], stateId);

  const convert = await s.run('convert', '-f', 'reviews.yml', '--apply', '--kubeconfig', s.k[3] as string);
  assert.equal(convert.code, 4, convert.err);
  assert.match(convert.err, /VirtualService sets\/reviews\.example\.com belongs to ApplySet cfmesh-state \(the state commands/);
  assert.equal(s.vs()?.metadata.labels?.[APPLYSET_PART_OF_LABEL], stateId, 'still a member of the state commands\' set');

  const forced = await s.run('convert', '-f', 'reviews.yml', '--apply', '--force-conflicts', '--kubeconfig', s.k[3] as string);
  assert.equal(forced.code, 0, forced.err);
  assert.equal(s.vs()?.metadata.labels?.[APPLYSET_PART_OF_LABEL], applySetId('cfmesh', 'sets'));

  // And the other way round: the state commands do not take it back.
  const map = await s.run('map-route', 'reviews-v3', 'example.com', '--hostname', 'reviews', ...s.k);
  assert.equal(map.code, 4, map.err);
  assert.match(map.err, /belongs to ApplySet cfmesh \(convert --apply\)/);
  assert.equal(s.vs()?.metadata.labels?.[APPLYSET_PART_OF_LABEL], applySetId('cfmesh', 'sets'));
});

test('apps has the same columns locally and live (instances unknown live: blank, null in --json)', async (t) => {
  const s = sandbox(t, 'columns');
  assert.equal((await s.run('push', '-f', 'reviews.yml', ...s.k)).code, 0);
  const local = await s.run('apps', '--target', 'local');
  const live = await s.run('apps', ...s.k);
  assert.equal(local.code, 0, local.err);
  assert.equal(live.code, 0, live.err);
  const header = (out: string) => out.split('\n')[0]?.split(/\s{3,}/);
  assert.deepEqual(header(live.out), header(local.out));
  assert.deepEqual(header(local.out), ['name', 'instances', 'port', 'routes']);
  const json = JSON.parse((await s.run('apps', '--json', ...s.k)).out) as { name: string; instances: number | null }[];
  assert.deepEqual(json.find((a) => a.name === 'reviews-v1'), { name: 'reviews-v1', instances: null, port: 8080, routes: ['reviews.example.com'] });
});
