// `--json` on the commands that change something, through the real binary (bin/cfmesh.js): one JSON
// object on stdout, the same envelope for every command (schemas/change-report.schema.json, checked
// with ajv), keys in code-unit order, nothing else on stdout; progress and notices on stderr.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube/api-server.ts';
import { cfmesh } from '../kube/bin.ts';
import { root } from './helpers.ts';

const schema = JSON.parse(readFileSync(join(root, 'schemas', 'change-report.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

interface Share {
  app: string;
  weight: number;
}
interface Ref {
  apiVersion: string;
  kind: string;
  namespace: string | null;
  name: string;
}
interface Report {
  command: string;
  dryRun: false | 'client' | 'server';
  delivery: null | { target: 'local'; outputDir: null | { path: string; written: string[]; removed: string[]; unchanged: number } } | { target: 'kubernetes'; server: string; namespace: string };
  state: { path: string; written: boolean };
  routes: { route: string; before: Share[] | null; after: Share[] | null }[];
  apps: { created: string[]; changed: string[]; deleted: string[] };
  resources: { created: Ref[]; changed: Ref[]; deleted: Ref[] };
  settings: null | { before: Record<string, unknown>; after: Record<string, unknown> };
  notices: { message: string; hint: string | null; required: boolean }[];
}

const PROPOSAL = `applications:
- name: reviews-v1
- name: reviews-v2
routes:
- route: reviews.example.com
  destinations:
  - name: reviews-v1
    weight: 50
  - name: reviews-v2
    weight: 50
`;

/** Every object's keys in code-unit order, as the report is printed. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
}

/** stdout must be exactly one report, valid against the schema, with sorted keys. */
function reportOf(run: { code: number | null; out: string; err: string }, what: string): Report {
  assert.equal(run.code, 0, `${what}: ${run.err}`);
  const report = JSON.parse(run.out) as Report;
  assert.ok(validate(report), `${what}: ${JSON.stringify(validate.errors)}`);
  assert.equal(run.out, `${JSON.stringify(sorted(report), null, 2)}\n`, `${what}: one object, keys sorted, two-space indent`);
  return report;
}

const ref = (kind: string, name: string, namespace = 'default'): Ref => ({ apiVersion: 'networking.istio.io/v1', kind, namespace, name });
const none = { created: [], changed: [], deleted: [] };

function sandbox(t: { after(fn: () => void): void }, extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-json-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'reviews.yml'), PROPOSAL);
  const state = join(dir, 'state');
  const env = { HOME: dir, CFMESH_HOME: state, KUBECONFIG: undefined, CFMESH_DEBUG: undefined, ...extraEnv };
  const run = (...args: string[]) => cfmesh(args, { cwd: dir, env });
  return { dir, state, stateFile: join(state, 'state.json'), run };
}

test('the schema can fail: a report missing a key, with a key too many, or a weight above 100 is refused', () => {
  const good: Report = {
    command: 'push',
    dryRun: false,
    delivery: { target: 'local', outputDir: null },
    state: { path: '/s/state.json', written: true },
    routes: [{ route: 'a.example.com', before: null, after: [{ app: 'a', weight: 100 }] }],
    apps: { created: ['a'], changed: [], deleted: [] },
    resources: { created: [ref('VirtualService', 'a.example.com')], changed: [], deleted: [] },
    settings: null,
    notices: [],
  };
  assert.ok(validate(good), JSON.stringify(validate.errors));
  const { routes: _r, ...missing } = good;
  const cases: { name: string; report: unknown }[] = [
    { name: 'missing routes', report: missing },
    { name: 'extra key', report: { ...good, extra: 1 } },
    { name: 'weight 101', report: { ...good, routes: [{ route: 'a.example.com', before: null, after: [{ app: 'a', weight: 101 }] }] } },
    { name: 'dryRun true', report: { ...good, dryRun: true } },
    { name: 'delivery to nowhere', report: { ...good, delivery: { target: 'http' } } },
  ];
  for (const c of cases) assert.equal(validate(c.report), false, c.name);
});

test('every changing command, local state: routes and weights before and after, apps and resources, one envelope', async (t) => {
  const s = sandbox(t);
  const steps: { args: string[]; check: (r: Report) => void }[] = [
    {
      args: ['push', '-f', 'reviews.yml'],
      check: (r) => {
        assert.deepEqual(r.routes, [{ route: 'reviews.example.com', before: null, after: [{ app: 'reviews-v1', weight: 50 }, { app: 'reviews-v2', weight: 50 }] }]);
        assert.deepEqual(r.apps, { created: ['reviews-v1', 'reviews-v2'], changed: [], deleted: [] });
        assert.deepEqual(r.resources, { created: [ref('Gateway', 'cloudfoundry-ingress'), ref('VirtualService', 'reviews.example.com')], changed: [], deleted: [] });
      },
    },
    {
      // the proposal's two commands: 90, then 10
      args: ['update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90'],
      check: (r) => {
        assert.deepEqual(r.routes, [{ route: 'reviews.example.com', before: [{ app: 'reviews-v1', weight: 50 }, { app: 'reviews-v2', weight: 50 }], after: [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }] }]);
        assert.deepEqual(r.resources, { created: [], changed: [ref('VirtualService', 'reviews.example.com')], deleted: [] });
        assert.deepEqual(r.apps, none);
      },
    },
    {
      args: ['create-route', 'example.com', '--hostname', 'shop'],
      check: (r) => {
        // a route with no app emits nothing
        assert.deepEqual(r.routes, [{ route: 'shop.example.com', before: null, after: [] }]);
        assert.deepEqual(r.resources, none);
      },
    },
    {
      args: ['map-route', 'reviews-v2', 'example.com', '--hostname', 'shop'],
      check: (r) => {
        assert.deepEqual(r.routes, [{ route: 'shop.example.com', before: [], after: [{ app: 'reviews-v2', weight: 100 }] }]);
        assert.deepEqual(r.resources, { created: [ref('VirtualService', 'shop.example.com')], changed: [], deleted: [] });
      },
    },
    {
      args: ['update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=75', '--destination', 'reviews-v2=25'],
      check: (r) => assert.deepEqual(r.routes.map((c) => [c.route, c.after]), [['reviews.example.com', [{ app: 'reviews-v1', weight: 75 }, { app: 'reviews-v2', weight: 25 }]]]),
    },
    {
      // an option changes the route, not its weights: listed with the same shares before and after
      args: ['update-route', 'example.com', '--hostname', 'shop', '-o', 'loadbalancing=least-connection'],
      check: (r) => {
        assert.deepEqual(r.routes, [{ route: 'shop.example.com', before: [{ app: 'reviews-v2', weight: 100 }], after: [{ app: 'reviews-v2', weight: 100 }] }]);
        assert.deepEqual(r.resources.created.map((x) => x.kind), ['DestinationRule']);
      },
    },
    {
      args: ['unmap-route', 'reviews-v2', 'example.com', '--hostname', 'reviews'],
      check: (r) => assert.deepEqual(r.routes, [{ route: 'reviews.example.com', before: [{ app: 'reviews-v1', weight: 75 }, { app: 'reviews-v2', weight: 25 }], after: [{ app: 'reviews-v1', weight: 100 }] }]),
    },
    {
      args: ['delete-route', 'example.com', '--hostname', 'shop', '-f'],
      check: (r) => {
        assert.deepEqual(r.routes, [{ route: 'shop.example.com', before: [{ app: 'reviews-v2', weight: 100 }], after: null }]);
        assert.deepEqual(r.resources.deleted.map((x) => `${x.kind}/${x.name}`).sort(), ['DestinationRule/reviews-v2.default.svc.cluster.local', 'VirtualService/shop.example.com']);
        // the deletions stdout cannot carry are still told on stderr, and are in the report
        assert.deepEqual(r.notices.filter((n) => n.required).map((n) => n.message.split(':')[0]).sort(), ['Deleted DestinationRule/default/reviews-v2.default.svc.cluster.local', 'Deleted VirtualService/default/shop.example.com']);
      },
    },
    {
      args: ['delete', 'reviews-v1', '-r', '-f'],
      check: (r) => {
        assert.deepEqual(r.apps, { created: [], changed: [], deleted: ['reviews-v1'] });
        assert.deepEqual(r.routes, [{ route: 'reviews.example.com', before: [{ app: 'reviews-v1', weight: 100 }], after: null }]);
        assert.deepEqual(r.resources.deleted.map((x) => x.kind).sort(), ['Gateway', 'VirtualService']);
      },
    },
  ];
  const keys = new Set<string>();
  for (const step of steps) {
    const run = await s.run(...step.args, '--json');
    const report = reportOf(run, step.args.join(' '));
    assert.equal(report.command, step.args[0]);
    assert.equal(report.dryRun, false);
    assert.deepEqual(report.delivery, { target: 'local', outputDir: null });
    assert.deepEqual(report.state, { path: s.stateFile, written: true });
    assert.equal(report.settings, null);
    step.check(report);
    assert.ok(!run.out.includes('apiVersion: '), 'no YAML on stdout');
    assert.match(run.err, /OK\n$/, 'progress stays on stderr');
    for (const n of report.notices.filter((x) => x.required)) assert.ok(run.err.includes(n.message), `the required notice is on stderr too: ${n.message}`);
    keys.add(Object.keys(report).join(','));
  }
  assert.equal(keys.size, 1, 'the same keys for every command');
});

test('push -i moves the shares of unweighted routes: listed, with the app as changed', async (t) => {
  const s = sandbox(t);
  writeFileSync(join(s.dir, 'm.yml'), 'applications:\n- name: a\n  routes: [{route: www.example.com}]\n- name: b\n  routes: [{route: www.example.com}]\n');
  reportOf(await s.run('push', '-f', 'm.yml', '--json'), 'push');
  const r = reportOf(await s.run('push', 'a', '-f', 'm.yml', '-i', '3', '--json'), 'push a -i 3');
  assert.deepEqual(r.apps, { created: [], changed: ['a'], deleted: [] });
  assert.deepEqual(r.routes, [{ route: 'www.example.com', before: [{ app: 'a', weight: 50 }, { app: 'b', weight: 50 }], after: [{ app: 'a', weight: 75 }, { app: 'b', weight: 25 }] }]);
});

test('nothing to do, -q, and a failure: an empty report with the notice; -q keeps stdout; failure leaves stdout empty', async (t) => {
  const s = sandbox(t);
  reportOf(await s.run('push', '-f', 'reviews.yml', '--json'), 'push');
  const again = reportOf(await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--json'), 'map-route again');
  assert.deepEqual([again.routes, again.apps, again.resources, again.state.written], [[], none, none, false]);
  assert.deepEqual(again.notices, [{ message: "App 'reviews-v1' is already mapped to route 'reviews.example.com'. Nothing has been updated.", hint: null, required: false }]);

  const quiet = await s.run('-q', 'update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '80', '--json');
  assert.equal(reportOf(quiet, '-q update-route').routes[0]?.after?.[0]?.weight, 80);
  assert.equal(quiet.err, '', '-q: nothing but the report');

  // kubectl and cf habits: a failure is the usual error on stderr and its exit code; stdout stays empty
  const cases: { args: string[]; code: number; error: RegExp }[] = [
    { args: ['update-route', 'reviews-v1', 'example.com', '--hostname', 'nope', '--weight', '10'], code: 1, error: /error NOT_FOUND Route 'nope\.example\.com' not found/ },
    { args: ['map-route', 'ghost', 'example.com', '--hostname', 'reviews'], code: 1, error: /error NOT_FOUND App 'ghost' not found/ },
    { args: ['delete-route', 'example.com', '--hostname', 'reviews'], code: 2, error: /error USAGE delete-route needs -f/ },
    { args: ['update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=60'], code: 2, error: /error USAGE/ },
    { args: ['push', '-f', 'reviews.yml', '--output', 'json'], code: 2, error: /error USAGE option '--json' cannot be used with option '--output/ },
  ];
  const bytes = readFileSync(s.stateFile);
  for (const c of cases) {
    const run = await s.run(...c.args, '--json');
    assert.equal(run.code, c.code, `${c.args.join(' ')}: ${run.err}`);
    assert.equal(run.out, '', `${c.args.join(' ')}: nothing on stdout`);
    assert.match(run.err, c.error);
  }
  assert.deepEqual(readFileSync(s.stateFile), bytes, 'the state is as it was');
});

test('--dry-run and --output-dir: what would change, nothing written; the files written and removed', async (t) => {
  const s = sandbox(t);
  reportOf(await s.run('push', '-f', 'reviews.yml', '--json'), 'push');
  const bytes = readFileSync(s.stateFile);
  const dry = reportOf(await s.run('update-route', 'reviews-v2', 'example.com', '--hostname', 'reviews', '--weight', '10', '--dry-run', '--json'), 'dry run');
  assert.equal(dry.dryRun, 'client');
  assert.deepEqual(dry.state, { path: s.stateFile, written: false });
  assert.deepEqual(dry.routes[0]?.after, [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }]);
  assert.deepEqual(dry.resources.changed, [ref('VirtualService', 'reviews.example.com')]);
  assert.deepEqual(readFileSync(s.stateFile), bytes, 'a dry run writes nothing');

  const out = join(s.dir, 'out');
  const first = reportOf(await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'api', '--output-dir', 'out', '--json'), 'map-route --output-dir');
  assert.deepEqual(first.delivery, { target: 'local', outputDir: { path: out, written: ['gateway-cloudfoundry-ingress.yaml', 'virtualservice-api.example.com.yaml', 'virtualservice-reviews.example.com.yaml'], removed: [], unchanged: 0 } });
  assert.deepEqual(first.resources, { created: [ref('VirtualService', 'api.example.com')], changed: [], deleted: [] });
  const dryDir = reportOf(await s.run('delete-route', 'example.com', '--hostname', 'api', '-o', 'out', '--dry-run', '--json'), 'delete-route -o --dry-run');
  assert.deepEqual([dryDir.dryRun, dryDir.resources.deleted, dryDir.delivery], ['client', [ref('VirtualService', 'api.example.com')], { target: 'local', outputDir: { path: out, written: [], removed: ['virtualservice-api.example.com.yaml'], unchanged: 2 } }]);
  assert.ok(existsSync(join(out, 'virtualservice-api.example.com.yaml')), 'a dry run removes nothing');
  // the stored output dir, and a command read by line (scoped): the same changes
  reportOf(await s.run('target', '--output-dir', 'out', '--json'), 'target --output-dir');
  const gone = reportOf(await s.run('delete-route', 'example.com', '--hostname', 'api', '-f', '--json'), 'delete-route, stored output dir');
  assert.deepEqual(gone.routes, [{ route: 'api.example.com', before: [{ app: 'reviews-v1', weight: 100 }], after: null }]);
  assert.deepEqual(gone.resources.deleted, [ref('VirtualService', 'api.example.com')]);
  assert.deepEqual(gone.delivery, { target: 'local', outputDir: { path: out, written: [], removed: ['virtualservice-api.example.com.yaml'], unchanged: 2 } });
  assert.ok(!existsSync(join(out, 'virtualservice-api.example.com.yaml')));
});

test('target with settings: the settings before and after; target alone keeps its settings JSON', async (t) => {
  const s = sandbox(t);
  const set = reportOf(await s.run('target', 'http', '--default-domain', 'example.com', '--json'), 'target http');
  assert.equal(set.command, 'target');
  assert.equal(set.delivery, null);
  assert.deepEqual(set.state, { path: s.stateFile, written: true });
  assert.deepEqual([set.settings?.before['target'], set.settings?.before['defaultDomain']], ['local', null]);
  assert.deepEqual([set.settings?.after['target'], set.settings?.after['defaultDomain']], ['http', 'example.com']);
  const same = reportOf(await s.run('target', 'http', '--json'), 'target http again');
  assert.equal(same.state.written, false);
  assert.deepEqual(same.settings?.before, same.settings?.after);
  // showing is not a change: the settings as before (test/commands/push.test.ts reads them so)
  const show = await s.run('target', '--json');
  assert.equal(show.code, 0, show.err);
  assert.deepEqual(JSON.parse(show.out), set.settings?.after);
});

test('a declined prompt (a terminal, answer no): a report of nothing changed, with what was said', async (t) => {
  const s = sandbox(t);
  reportOf(await s.run('push', '-f', 'reviews.yml', '--json'), 'push');
  const bytes = readFileSync(s.stateFile);
  // A prompt needs a terminal: in-process, with one that answers "n".
  const cases = [
    { args: ['delete-route', 'example.com', '--hostname', 'reviews'], notice: 'Route reviews.example.com has not been deleted.' },
    { args: ['delete', 'reviews-v1'], notice: "App 'reviews-v1' has not been deleted." },
  ];
  for (const c of cases) {
    const io = { ...memoryIo({ cwd: s.dir, env: { HOME: s.dir, CFMESH_HOME: s.state }, tty: true }), prompt: async () => 'n' };
    const exit = await main([...c.args, '--json'], io);
    const report = reportOf({ code: exit, out: io.out(), err: io.err() }, c.args.join(' '));
    assert.deepEqual([report.command, report.delivery, report.routes, report.resources, report.state.written], [c.args[0], null, [], none, false]);
    assert.deepEqual(report.notices, [{ message: c.notice, hint: null, required: false }]);
  }
  assert.deepEqual(readFileSync(s.stateFile), bytes);
});

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

test('--target kubernetes: what the cluster created, changed and pruned; the live weight patch; dry runs', async (t) => {
  const s = sandbox(t);
  const k = ['--target', 'kubernetes', '--kubeconfig', server.writeKubeconfig({ auth: 'token', namespace: 'jsonns' })];
  const delivery = { target: 'kubernetes', server: server.url, namespace: 'jsonns' };
  // The cluster refuses: exit 4, nothing on stdout, the error and the required notice on stderr, no local state.
  server.inject({ type: 'status', code: 500 }, 100, (method, path) => method === 'PATCH' && path.includes('/namespaces/jsonns/virtualservices/'));
  const refused = await s.run('push', '-f', 'reviews.yml', ...k, '--json');
  server.clearFaults();
  assert.equal(refused.code, 4, refused.err);
  assert.equal(refused.out, '');
  assert.match(refused.err, /warning NOTICE the local state \(.*\) was not changed/);
  assert.ok(!existsSync(s.stateFile), 'the local state was not written');
  assert.ok(server.store.get('networking.istio.io/v1', 'Gateway', 'jsonns', 'cloudfoundry-ingress'), 'the cluster took part of it (as the notice says)');
  const push = reportOf(await s.run('push', '-f', 'reviews.yml', ...k, '--json'), 'push --target kubernetes');
  assert.deepEqual(push.delivery, delivery);
  // run again, it delivers the rest: the report says what the cluster did, so the Gateway it already had is not listed
  assert.deepEqual(push.resources, { created: [ref('VirtualService', 'reviews.example.com', 'jsonns')], changed: [], deleted: [] });
  assert.deepEqual(push.state, { path: s.stateFile, written: true });
  assert.ok(server.store.get('networking.istio.io/v1', 'VirtualService', 'jsonns', 'reviews.example.com'));

  const again = reportOf(await s.run('push', '-f', 'reviews.yml', ...k, '--json'), 'push again');
  assert.deepEqual([again.resources, again.routes], [none, []], 'the cluster had it all: nothing created or changed');

  const live = reportOf(await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '90', ...k, '--json'), 'update-route --weight, live');
  assert.deepEqual(live.delivery, delivery);
  assert.deepEqual(live.routes, [{ route: 'reviews.example.com', before: [{ app: 'reviews-v1', weight: 50 }, { app: 'reviews-v2', weight: 50 }], after: [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }] }]);
  assert.deepEqual(live.resources, { created: [], changed: [ref('VirtualService', 'reviews.example.com', 'jsonns')], deleted: [] });
  assert.equal(live.state.written, true, 'the local state took the weights');

  const serverDry = reportOf(await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'api', ...k, '--dry-run=server', '--json'), 'map-route --dry-run=server');
  assert.deepEqual([serverDry.dryRun, serverDry.state.written, serverDry.resources.created], ['server', false, [ref('VirtualService', 'api.example.com', 'jsonns')]]);
  assert.equal(server.store.get('networking.istio.io/v1', 'VirtualService', 'jsonns', 'api.example.com'), undefined, 'a server dry run creates nothing');
  const clientDry = reportOf(await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'api', ...k, '--dry-run', '--json'), 'map-route --dry-run');
  assert.deepEqual([clientDry.dryRun, clientDry.delivery, clientDry.resources.created], ['client', delivery, [ref('VirtualService', 'api.example.com', 'jsonns')]]);

  const unmap = reportOf(await s.run('delete', 'reviews-v2', '-f', ...k, '--json'), 'delete --target kubernetes');
  assert.deepEqual(unmap.routes, [{ route: 'reviews.example.com', before: [{ app: 'reviews-v1', weight: 90 }, { app: 'reviews-v2', weight: 10 }], after: [{ app: 'reviews-v1', weight: 100 }] }]);
  assert.deepEqual(unmap.resources.changed, [ref('VirtualService', 'reviews.example.com', 'jsonns')]);
  const gone = reportOf(await s.run('delete-route', 'example.com', '--hostname', 'reviews', '-f', ...k, '--json'), 'delete-route --target kubernetes');
  assert.deepEqual(gone.resources.deleted.map((r) => `${r.kind}/${r.namespace}/${r.name}`).sort(), ['Gateway/jsonns/cloudfoundry-ingress', 'VirtualService/jsonns/reviews.example.com'], 'pruned from the cluster');
  assert.equal(server.store.get('networking.istio.io/v1', 'VirtualService', 'jsonns', 'reviews.example.com'), undefined);
});
