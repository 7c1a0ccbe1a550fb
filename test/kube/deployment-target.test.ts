// Canary deployments with the cluster as the target (docs/adr/0016): the deployment travels with the
// configuration as a ConfigMap, so a second machine (another local state) continues what the first began.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

const web = (version: string) => `applications:
- name: web
  version: ${version}
  routes:
  - route: web.example.com
- name: other
  routes:
  - route: other.example.com
`;

function machine(t: { after(fn: () => void): void }, namespace: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-kcanary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'v1.yml'), web('v1'));
  writeFileSync(join(dir, 'v2.yml'), web('v2'));
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace });
  const run = async (...args: string[]) => {
    const io = memoryIo({ cwd: dir, env: { HOME: dir, CFMESH_HOME: join(dir, 'state') } });
    const exit = await main([...args, '--target', 'kubernetes', '--kubeconfig', kubeconfig], io);
    return { exit, out: io.out(), err: io.err() };
  };
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    assert.equal(r.exit, 0, `${args.join(' ')}: ${r.err}${r.out}`);
    return r;
  };
  return { dir, run, ok };
}

type Vs = { spec: { http: { route: { destination: { subset?: string }; weight: number }[] }[] } };
const split = (ns: string) => ((server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'web.example.com') as Vs | undefined)?.spec.http[0]?.route ?? []).map((d) => [d.destination.subset, d.weight]);
type Meta = { kind: string; metadata: { namespace?: string; labels?: Record<string, string> } };
const copies = (ns: string) => (server.store.all() as unknown as Meta[]).filter((o) => o.kind === 'ConfigMap' && o.metadata.namespace === ns && o.metadata.labels?.['cfmesh.io/deployment'] === 'canary');

test('a deployment begun on one machine is continued on another and finished on the first; the copy goes with the end', async (t) => {
  const ns = 'canary-two';
  const a = machine(t, ns);
  const b = machine(t, ns);
  await a.ok('push', '-f', 'v1.yml');
  const push = await a.ok('push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,50');
  assert.match(push.out, /configmap\/cfmesh-deployment-web-[0-9a-f]{8} created/);
  assert.deepEqual(split(ns), [['v1', 90], ['v2', 10]]);
  assert.equal(copies(ns).length, 1);

  // Machine b has no local state: `app` shows the cluster's copy, and continue takes it from there.
  const shown = JSON.parse((await b.ok('app', 'web', '--json')).out) as { version: string; deployment: { step: number; steps: number[] } };
  assert.deepEqual([shown.version, shown.deployment.step, shown.deployment.steps], ['v1', 1, [10, 50]]);
  const moved = await b.ok('continue-deployment', 'web');
  assert.match(moved.err, /taken from the cluster \(step 1 of 2\)/);
  assert.deepEqual(split(ns), [['v1', 50], ['v2', 50]]);
  // It delivered only what the deployment's records build whole and pruned nothing: the other app's route is still there.
  assert.ok(server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'other.example.com'), 'other.example.com is kept');
  assert.doesNotMatch(moved.out, /pruned/);

  // Machine a's local state is a step behind: the cluster's copy wins, and the next step is the end.
  const end = await a.ok('continue-deployment', 'web');
  assert.match(end.err, /the local state had step 1/);
  assert.match(end.err, /finished/);
  assert.deepEqual(split(ns), [['v2', 100]]);
  assert.equal(copies(ns).length, 0, 'the copy is pruned with the end');
  assert.ok(server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'other.example.com'));

  // Machine b kept none of machine a's records (the cluster was their record): the app is unknown there now.
  assert.equal(existsSync(join(b.dir, 'state', 'state.json')) ? Object.keys(JSON.parse(readFileSync(join(b.dir, 'state', 'state.json'), 'utf8')).apps).length : 0, 0);
  const stale = await b.run('continue-deployment', 'web');
  assert.equal(stale.exit, 1, stale.err);
  assert.match(stale.err, /error NOT_FOUND App 'web' not found/);
  assert.deepEqual(split(ns), [['v2', 100]]);
});

test('cancel from a second machine restores the weights from before and removes the copy', async (t) => {
  const ns = 'canary-cancel';
  const a = machine(t, ns);
  const b = machine(t, ns);
  await a.ok('push', '-f', 'v1.yml');
  await a.ok('push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '30');
  assert.deepEqual(split(ns), [['v1', 70], ['v2', 30]]);
  // update-route --weight on the route is refused while the cluster holds the deployment, from either machine.
  for (const m of [a, b]) {
    const weight = await m.run('update-route', 'web', 'example.com', '--hostname', 'web', '--weight', '50');
    assert.equal(weight.exit, 1, weight.err);
    assert.match(weight.err, /error DEPLOYMENT route web\.example\.com is under the canary deployment of app 'web'/);
  }
  assert.deepEqual(split(ns), [['v1', 70], ['v2', 30]]);
  // Machine b pushes an app of its own: its route is delivered, and nothing it does not know is pruned.
  writeFileSync(join(b.dir, 'extra.yml'), 'applications:\n- name: extra\n  routes:\n  - route: extra.example.com\n');
  await b.ok('push', '-f', 'extra.yml');
  assert.ok(server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'extra.example.com'), 'the pushed route is delivered');
  assert.ok(server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'other.example.com'), 'the first machine\'s other route is kept');
  assert.deepEqual(split(ns), [['v1', 70], ['v2', 30]]);
  const cancel = await b.ok('cancel-deployment', 'web');
  assert.match(cancel.out, /configmap\/cfmesh-deployment-web-[0-9a-f]{8} deleted/);
  assert.deepEqual(split(ns), [['v1', 100]]);
  assert.equal(copies(ns).length, 0);
  // Machine a's next state command finds its local copy ended elsewhere and says so.
  const push = await a.run('push', '-f', 'v1.yml');
  assert.equal(push.exit, 1, push.err);
  assert.match(push.err, /error DEPLOYMENT the local state has a canary deployment of app 'web' that the cluster does not/);
  assert.match(push.err, /cancel-deployment web --target local/);
});
