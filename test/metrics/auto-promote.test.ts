// continue-deployment --auto against a real Prometheus (one per file) scraping an exporter of Istio's
// metrics every 500 ms. Each test has its own app, so the tests run side by side.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from '../commands/helpers.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube/api-server.ts';
import { Exporter, freePort, startPrometheus, type PrometheusServer } from './prometheus-harness.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cfmesh.js');

let exporter: Exporter;
let prometheus: PrometheusServer;
let server: KubeApiServer;
before(async () => {
  exporter = new Exporter();
  await exporter.start();
  // Each one that started is kept for after() to stop, even when the other failed (Prometheus not
  // installed): a server left running would keep this file's process alive and the run would hang.
  const [prom, api] = await Promise.allSettled([startPrometheus(exporter.port), startKubeApiServer()]);
  if (prom.status === 'fulfilled') prometheus = prom.value;
  if (api.status === 'fulfilled') server = api.value;
  for (const result of [prom, api]) if (result.status === 'rejected') throw result.reason;
});
after(async () => {
  await prometheus?.close();
  await exporter?.close();
  await server?.close();
});

const manifest = (app: string, version: string) => `applications:
- name: ${app}
  version: ${version}
  routes:
  - route: ${app}.example.com
`;

const GOOD = { rate: 200, errors: 0, latencyMs: 20 } as const;

/** A canary of `app` paused at its first step, with the old revision serving bad traffic the queries must not count. */
async function canary(s: Sandbox, app: string, steps: string, namespace = 'default'): Promise<void> {
  s.write('v1.yml', manifest(app, 'v1'));
  s.write('v2.yml', manifest(app, 'v2'));
  for (const argv of [['push', '-f', 'v1.yml'], ['push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', steps]]) {
    const r = await s.run(...argv);
    assert.equal(r.exit, 0, r.err);
  }
  exporter.set({ namespace, app, version: 'v1' }, { rate: 200, errors: 0.5, latencyMs: 4000 });
}

const auto = (extra: string[] = []) => ['--auto', '--prometheus', prometheus.url, '--interval', '2s', '--min-requests', '20', '--max-latency', '500ms', ...extra];
const events = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; step?: number; verdict?: string; metrics?: { requests: number; successRate: number | null; p99Ms: number | null } });
const stateOf = (s: Sandbox) => readFileSync(join(s.state, 'state.json'), 'utf8');

async function weights(s: Sandbox, url: string): Promise<Record<string, number>> {
  const r = await s.run('routes', '--json');
  const route = (JSON.parse(r.out) as { url: string; destinations: { app: string; weight: number }[] }[]).find((x) => x.url === url);
  return Object.fromEntries((route?.destinations ?? []).map((d) => [d.app, d.weight]));
}

function cfmesh(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  const stderrMatches = async (re: RegExp) => {
    for (let i = 0; i < 600 && !re.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(err, re);
  };
  return { child, done, stderrMatches };
}

describe('continue-deployment --auto on Prometheus', { concurrency: true }, () => {
  test('a healthy canary is promoted through every step to the end, measured on its own version only', async (t) => {
    const s = sandbox(t);
    await canary(s, 'good-a', '20,60');
    exporter.set({ namespace: 'default', app: 'good-a', version: 'v2' }, GOOD);
    const out = join(s.dir, 'out');
    const r = await s.run('continue-deployment', 'good-a', ...auto(['-o', out, '--json']));
    assert.equal(r.exit, 0, r.err);
    const seen = events(r.out);
    assert.deepEqual(seen.map((e) => `${e.event}${e.verdict ? `:${e.verdict}` : ''}${e.event === 'promoted' ? `:${e.step}` : ''}`), ['waiting', 'measured:pass', 'promoted:2', 'waiting', 'measured:pass', 'finished']);
    for (const e of seen.filter((x) => x.event === 'measured')) {
      assert.ok((e.metrics?.requests ?? 0) >= 20, 'counted over enough requests');
      assert.equal(e.metrics?.successRate, 100, "the old version's errors are not the canary's");
      assert.ok((e.metrics?.p99Ms ?? Infinity) <= 25, `p99 in the 10-25ms bucket, got ${e.metrics?.p99Ms}`);
    }
    assert.deepEqual(await weights(s, 'good-a.example.com'), { 'good-a': 100 });
    const vs = readFileSync(join(out, readdirSync(out).find((f) => f.startsWith('virtualservice-')) as string), 'utf8');
    assert.match(vs, /subset: v2/);
    assert.doesNotMatch(vs, /subset: v1/);
  });

  test('an error rate over the threshold cancels the deployment, exit 1 with the measured values', async (t) => {
    const s = sandbox(t);
    await canary(s, 'bad-errors', '20,60');
    const before = await weights(s, 'bad-errors.example.com');
    exporter.set({ namespace: 'default', app: 'bad-errors', version: 'v2' }, { rate: 200, errors: 0.2, latencyMs: 20 });
    const r = await s.run('continue-deployment', 'bad-errors', ...auto(['-o', join(s.dir, 'out')]));
    assert.equal(r.exit, 1, r.err);
    assert.match(r.err, /error CANARY_FAILED app bad-errors: the canary failed at step 1 of 2: success rate (7[5-9]|8[0-5])(\.\d+)?% is below 99% \(over \d+(\.\d+)? requests\); the deployment was canceled/);
    assert.deepEqual(before, { 'bad-errors': 80, 'bad-errors@v2': 20 });
    assert.deepEqual(await weights(s, 'bad-errors.example.com'), { 'bad-errors': 100 });
    assert.equal(JSON.parse((await s.run('app', 'bad-errors', '--json')).out).deployment, null);
  });

  test('a p99 latency over --max-latency cancels the deployment', async (t) => {
    const s = sandbox(t);
    await canary(s, 'bad-latency', '30');
    exporter.set({ namespace: 'default', app: 'bad-latency', version: 'v2' }, { rate: 200, errors: 0, latencyMs: 2000 });
    const r = await s.run('continue-deployment', 'bad-latency', ...auto(['-o', join(s.dir, 'out')]));
    assert.equal(r.exit, 1, r.err);
    assert.match(r.err, /error CANARY_FAILED .*p99 latency \d+(\.\d+)?ms is above 500ms/);
    assert.deepEqual(await weights(s, 'bad-latency.example.com'), { 'bad-latency': 100 });
  });

  test('too little traffic: it waits more intervals, then fails leaving the deployment paused as it was', async (t) => {
    const s = sandbox(t);
    await canary(s, 'quiet', '30');
    exporter.set({ namespace: 'default', app: 'quiet', version: 'v2' }, { rate: 1, errors: 0, latencyMs: 20 });
    const state = stateOf(s);
    const r = await s.run('continue-deployment', 'quiet', '--auto', '--prometheus', prometheus.url, '--interval', '1s', '--min-requests', '1000', '-o', join(s.dir, 'out'), '--json');
    assert.equal(r.exit, 1, r.err);
    const seen = events(r.out);
    assert.deepEqual(seen.map((e) => e.verdict ?? e.event), ['waiting', 'too-few', 'waiting', 'too-few', 'waiting', 'too-few']);
    assert.match(r.err, /error CANARY_FAILED app quiet: the canary had \d+(\.\d+)? request\(s\) in 3 interval\(s\) of 1s, fewer than --min-requests 1000; the deployment stays paused at step 1 of 1/);
    assert.equal(stateOf(s), state, 'nothing changed');
  });

  test('Prometheus down, or answering nonsense: exit 4, the deployment paused where it is, nothing promoted', async (t) => {
    const s = sandbox(t);
    await canary(s, 'no-prom', '30');
    exporter.set({ namespace: 'default', app: 'no-prom', version: 'v2' }, GOOD);
    const state = stateOf(s);
    const down = `http://127.0.0.1:${await freePort()}`;
    for (const url of [down, `http://127.0.0.1:${exporter.port}`]) {
      const r = await s.run('continue-deployment', 'no-prom', '--auto', '--prometheus', url, '--interval', '1s', '-o', join(s.dir, 'out'));
      assert.equal(r.exit, 4, r.err);
      assert.match(r.err, /error METRICS_UNAVAILABLE Prometheus at http:\/\/127\.0\.0\.1:\d+ (cannot be reached|did not answer the query: HTTP 404)/);
      assert.equal(stateOf(s), state);
    }
  });

  test('the queries of one measurement are evaluated at one instant (time=), so counts, errors and latency are of the same scrapes', async (t) => {
    const s = sandbox(t);
    await canary(s, 'one-instant', '50');
    // A stand-in Prometheus that records each query with its evaluation time: a real one scrapes
    // between two queries evaluated at "now", and the error count then disagrees with the request count.
    const seen: { query: string; time: string | null }[] = [];
    const fake = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = url.searchParams.get('query') ?? '';
      seen.push({ query, time: url.searchParams.get('time') });
      const value = query === 'vector(1)' ? '1' : query.includes('response_code=~') ? '0' : query.startsWith('histogram_quantile') ? '12' : '100';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, value] }] } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => fake.close(() => resolve())));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const r = await s.run('continue-deployment', 'one-instant', '--auto', '--prometheus', url, '--interval', '1s', '--min-requests', '20', '--max-latency', '500ms', '-o', join(s.dir, 'out'));
    assert.equal(r.exit, 0, r.err);
    const measurement = seen.filter((q) => q.query !== 'vector(1)');
    assert.deepEqual(measurement.map((q) => (q.query.startsWith('histogram_quantile') ? 'p99' : q.query.includes('response_code=~') ? 'errors' : 'requests')), ['requests', 'errors', 'p99']);
    const times = new Set(measurement.map((q) => q.time));
    assert.equal(times.size, 1, `one evaluation time, got ${[...times].join(', ')}`);
    assert.match([...times][0] ?? '', /^\d{10}\.\d{3}$/, 'seconds since the epoch, as the HTTP API takes them');
  });

  test('--auto needs a target that delivers, and its flags are checked first', async (t) => {
    const s = sandbox(t);
    await canary(s, 'flags', '30');
    const cases = [
      { argv: ['--auto', '--prometheus', prometheus.url], message: /needs a target that delivers each step/ },
      { argv: ['--auto', '-o', 'out'], message: /needs --prometheus URL/ },
      { argv: ['--auto', '--prometheus', prometheus.url, '--interval', 'soon', '-o', 'out'], message: /--interval must be a duration/ },
      { argv: ['--auto', '--prometheus', prometheus.url, '--min-success-rate', '101', '-o', 'out'], message: /--min-success-rate must be a percentage/ },
      { argv: ['--prometheus', prometheus.url], message: /--prometheus is a flag of continue-deployment --auto/ },
    ];
    for (const c of cases) {
      const r = await s.run('continue-deployment', 'flags', ...c.argv);
      assert.equal(r.exit, 2, `${c.argv.join(' ')}: ${r.err}`);
      assert.match(r.err, c.message);
    }
  });

  test('Ctrl-C while waiting: exit 130, the deployment paused at its step, the state byte for byte as it was', async (t) => {
    const s = sandbox(t);
    await canary(s, 'interrupted', '20,60');
    exporter.set({ namespace: 'default', app: 'interrupted', version: 'v2' }, GOOD);
    const state = stateOf(s);
    const run = cfmesh(['--state', s.state, 'continue-deployment', 'interrupted', '--auto', '--prometheus', prometheus.url, '--interval', '60s', '-o', join(s.dir, 'out')]);
    await run.stderrMatches(/checking in 60s/);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.err);
    assert.match(r.err, /interrupted \(Ctrl-C\): the deployment of app interrupted is paused at step 1 of 2/);
    assert.equal(stateOf(s), state);
    const app = JSON.parse((await s.run('app', 'interrupted', '--json')).out) as { deployment: { step: number } };
    assert.equal(app.deployment.step, 1);
  });

  test('a second process continues automatically a deployment the first started (local state)', async (t) => {
    const s = sandbox(t);
    s.write('v1.yml', manifest('second-local', 'v1'));
    s.write('v2.yml', manifest('second-local', 'v2'));
    const out = join(s.dir, 'out');
    for (const argv of [['push', '-f', 'v1.yml', '-o', out], ['push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '50', '-o', out]]) {
      const r = await cfmesh(['--state', s.state, ...argv.map((a) => (a.endsWith('.yml') ? join(s.dir, a) : a))]).done;
      assert.equal(r.code, 0, r.err);
    }
    exporter.set({ namespace: 'default', app: 'second-local', version: 'v2' }, GOOD);
    const r = await cfmesh(['--state', s.state, 'continue-deployment', 'second-local', ...auto(['-o', out])]).done;
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^step 1\/1: \d+(\.\d+)? requests, success rate 100%, p99 \d+(\.\d+)?ms: pass$/m);
    assert.match(r.err, /^finished: second-local\.example\.com: second-local 100%$/m);
    assert.deepEqual(await weights(s, 'second-local.example.com'), { 'second-local': 100 });
  });

  test('a second machine (another local state) continues automatically a deployment the first started, to the end', async (t) => {
    const ns = 'auto-two';
    const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: ns });
    const dir = mkdtempSync(join(tmpdir(), 'cfmesh-auto-k-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'v1.yml'), manifest('second-k', 'v1'));
    writeFileSync(join(dir, 'v2.yml'), manifest('second-k', 'v2'));
    const k = ['--target', 'kubernetes', '--kubeconfig', kubeconfig];
    for (const argv of [['push', '-f', join(dir, 'v1.yml')], ['push', '-f', join(dir, 'v2.yml'), '--strategy', 'canary', '--instance-steps', '25,75']]) {
      const r = await cfmesh(['--state', join(dir, 'first'), ...argv, ...k]).done;
      assert.equal(r.code, 0, r.err);
    }
    exporter.set({ namespace: ns, app: 'second-k', version: 'v2' }, GOOD);
    const r = await cfmesh(['--state', join(dir, 'second'), 'continue-deployment', 'second-k', ...auto(), ...k]).done;
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /taken from the cluster \(step 1 of 2\)/);
    assert.match(r.err, /promoted to step 2\/2: second-k\.example\.com: second-k 25%, second-k@v2 75%/);
    const vs = server.store.get('networking.istio.io/v1', 'VirtualService', ns, 'second-k.example.com') as { spec: { http: { route: { destination: { subset?: string }; weight: number }[] }[] } };
    assert.deepEqual(vs.spec.http[0]?.route.map((d) => [d.destination.subset, d.weight]), [['v2', 100]]);
    assert.equal(server.store.all().filter((o) => o.kind === 'ConfigMap' && (o.metadata as { namespace?: string }).namespace === ns && ((o.metadata as { labels?: Record<string, string> }).labels ?? {})['cfmesh.io/deployment']).length, 0, 'the copy is gone with the end');
  });
});
