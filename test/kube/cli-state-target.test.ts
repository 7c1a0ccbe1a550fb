// The cf-style commands with the cluster as the target, in-process against the TLS API test server.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/main.ts';
import { PROPOSAL } from '../commands/helpers.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';

// The proposal's apps and route, starting from an even split.
const proposal = PROPOSAL.replace('weight: 90', 'weight: 50').replace('weight: 10', 'weight: 50');

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

function sandbox(namespace: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-kstate-'));
  writeFileSync(join(dir, 'reviews.yml'), proposal);
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace });
  const run = async (...args: string[]) => {
    const io = memoryIo({ cwd: dir, env: { HOME: dir, CFMESH_HOME: join(dir, 'state') } });
    const exit = await main(args, io);
    for (const secret of server.secrets) assert.ok(!(io.out() + io.err()).includes(secret), 'a secret was printed');
    return { exit, out: io.out(), err: io.err() };
  };
  return { dir, kubeconfig, run };
}

const vsOf = (ns: string) => server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'reviews.example.com') as { spec: { http: { name?: string; route: { destination: { host: string }; weight: number }[]; retries?: unknown }[] } } | undefined;

test('push, then update-route --weight 90 and --weight 10 on the live VirtualService: 90/10, other tools\' fields kept', async () => {
  const s = sandbox('live');
  const k = ['--target', 'kubernetes', '--kubeconfig', s.kubeconfig];
  const push = await s.run('push', '-f', 'reviews.yml', ...k);
  assert.equal(push.exit, 0, push.err);
  assert.match(push.out, /virtualservice\.networking\.istio\.io\/reviews\.example\.com created/);

  // Another tool adds a retries block and a route of its own to the same VirtualService.
  const live = vsOf('live') as NonNullable<ReturnType<typeof vsOf>>;
  live.spec.http[0]!.retries = { attempts: 7, retryOn: 'reset' };
  live.spec.http.unshift({ name: 'canary-header', match: [{ headers: { 'x-canary': { exact: '1' } } }], route: [{ destination: { host: 'other.live.svc.cluster.local' }, weight: 100 }] } as never);
  server.store.put(live as never, 'rollouts-controller');

  const first = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90', ...k);
  assert.equal(first.exit, 0, first.err + first.out);
  const second = await s.run('update-route', 'reviews-v2', 'example.com', '--hostname', 'reviews', '--weight', '10', ...k);
  assert.equal(second.exit, 0, second.err);
  const now = vsOf('live') as NonNullable<ReturnType<typeof vsOf>>;
  const ours = now.spec.http.find((r) => r.name === 'reviews.example.com')!;
  assert.deepEqual(ours.route.map((d) => d.weight), [90, 10]);
  assert.deepEqual(ours.retries, { attempts: 7, retryOn: 'reset' }, 'a field another tool set is kept');
  assert.equal(now.spec.http[0]!.name, 'canary-header', "another tool's route is kept, in place");

  const routes = await s.run('routes', '--json', ...k);
  assert.equal(routes.exit, 0, routes.err);
  const views = JSON.parse(routes.out) as { url: string; destinations: { app: string; weight: number }[] }[];
  const view = views.find((v) => v.url === 'reviews.example.com')!;
  assert.deepEqual(view.destinations, [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }]);
});

test('target kubernetes is kept: later commands go to the cluster without flags', async () => {
  const s = sandbox('kept');
  const set = await s.run('target', 'kubernetes', '--kubeconfig', s.kubeconfig);
  assert.equal(set.exit, 0, set.err);
  assert.equal((await s.run('push', '-f', 'reviews.yml')).exit, 0);
  assert.ok(vsOf('kept'), 'push went to the cluster, into the context namespace');
  const r = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '70');
  assert.equal(r.exit, 0, r.err);
  assert.deepEqual(vsOf('kept')!.spec.http[0]!.route.map((d) => d.weight), [70, 30]);
});

test('unknown route or app against the cluster: exit 1 with what exists', async () => {
  const s = sandbox('live');
  const k = ['--target', 'kubernetes', '--kubeconfig', s.kubeconfig];
  const route = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'nope', '--weight', '10', ...k);
  assert.equal(route.exit, 1);
  assert.match(route.err, /Route nope\.example\.com not found in the cluster/);
  const app = await s.run('update-route', 'ghost', 'example.com', '--hostname', 'reviews', '--weight', '10', ...k);
  assert.equal(app.exit, 1);
  assert.match(app.err, /App 'ghost' is not a destination/);
});

test('a weight change racing another writer is re-read and retried', async () => {
  const s = sandbox('race');
  const k = ['--target', 'kubernetes', '--kubeconfig', s.kubeconfig];
  assert.equal((await s.run('push', '-f', 'reviews.yml', ...k)).exit, 0);
  // Another writer changes the VirtualService between cfmesh's read and its JSON patch, so the patch's
  // resourceVersion test fails (422, as the real apiserver answers) and cfmesh must read again.
  let raced = 0;
  server.inject(
    {
      type: 'before',
      run: () => {
        const vs = vsOf('race') as NonNullable<ReturnType<typeof vsOf>>;
        vs.spec.http[0]!.retries = { attempts: 1 };
        server.store.put(vs as never, 'other-writer');
        raced++;
      },
    },
    1,
    (method, path) => method === 'PATCH' && path.includes('/virtualservices/reviews.example.com'),
  );
  const r = await s.run('update-route', 'reviews-v2', 'example.com', '--hostname', 'reviews', '--weight', '25', ...k);
  assert.equal(r.exit, 0, r.err);
  assert.equal(raced, 1);
  assert.deepEqual(vsOf('race')!.spec.http[0]!.route.map((d) => d.weight), [75, 25]);
  assert.deepEqual(vsOf('race')!.spec.http[0]!.retries, { attempts: 1 }, "the other writer's change survives");
});

test('a push whose delivery failed is delivered by running it again; unmapped routes are pruned from the cluster', async () => {
  const s = sandbox('converge');
  const k = ['--target', 'kubernetes', '--kubeconfig', s.kubeconfig];
  server.inject({ type: 'status', code: 500 }, 100, (method, path) => method === 'PATCH' && path.includes('/namespaces/converge/virtualservices/'));
  const failed = await s.run('push', '-f', 'reviews.yml', ...k);
  assert.equal(failed.exit, 4);
  server.clearFaults();
  assert.equal(vsOf('converge'), undefined);
  const again = await s.run('push', '-f', 'reviews.yml', ...k);
  assert.equal(again.exit, 0, again.err);
  assert.ok(vsOf('converge'), 'the second run delivered it');
  const unmap = await s.run('delete-route', 'example.com', '--hostname', 'reviews', '-f', ...k);
  assert.equal(unmap.exit, 0, unmap.err);
  assert.match(unmap.out, /virtualservice\.networking\.istio\.io\/reviews\.example\.com pruned/);
  assert.equal(vsOf('converge'), undefined);
});

test('routes and apps from the cluster include TCP routes (domain:port)', async () => {
  const s = sandbox('tcp');
  writeFileSync(join(s.dir, 'tcp.yml'), 'applications:\n- name: db\n  port: 5432\n  routes:\n  - route: tcp.example.com:1024\n');
  const k = ['--target', 'kubernetes', '--kubeconfig', s.kubeconfig];
  assert.equal((await s.run('push', '-f', 'tcp.yml', ...k)).exit, 0);
  const routes = JSON.parse((await s.run('routes', '--json', ...k)).out) as { url: string; protocol: string; port: number; destinations: { app: string; weight: number }[] }[];
  const tcp = routes.find((r) => r.url === 'tcp.example.com:1024');
  assert.ok(tcp, JSON.stringify(routes));
  assert.equal(tcp.protocol, 'tcp');
  assert.equal(tcp.port, 1024);
  assert.deepEqual(tcp.destinations, [{ app: 'db', weight: 100 }]);
  const apps = JSON.parse((await s.run('apps', '--json', ...k)).out) as { name: string; routes: string[] }[];
  assert.deepEqual(apps.find((a) => a.name === 'db')?.routes, ['tcp.example.com:1024']);
});
