// cf's canary deployments as weight steps (issue 15): push --strategy canary, continue-deployment,
// cancel-deployment, app, and the refusals around them, on the local state.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { istioDocs, sandbox, type Sandbox } from './helpers.ts';

const web = (version: string, instances = 1) => `applications:
- name: web
  version: ${version}
  instances: ${instances}
  routes:
  - route: web.example.com
`;

const REVIEWS_V1 = `applications:
- name: reviews-v1
  instances: 3
  routes:
  - route: reviews.example.com
`;
const REVIEWS_V2 = `applications:
- name: reviews-v2
  routes:
  - route: reviews.example.com
`;

async function ok(s: Sandbox, ...argv: string[]): Promise<{ out: string; err: string }> {
  const r = await s.run(...argv);
  assert.equal(r.exit, 0, `${argv.join(' ')}: ${r.err}`);
  return r;
}

async function weights(s: Sandbox, url: string): Promise<Record<string, number>> {
  const routes = JSON.parse((await ok(s, 'routes', '--json')).out) as { url: string; destinations: { app: string; weight: number }[] }[];
  const route = routes.find((r) => r.url === url);
  assert.ok(route, url);
  return Object.fromEntries(route.destinations.map((d) => [d.app, d.weight]));
}

interface AppJson {
  name: string;
  version: string | null;
  deployment: { step: number; steps: number[]; canary: string; shape: string } | null;
}

async function appJson(s: Sandbox, app: string): Promise<AppJson> {
  return JSON.parse((await ok(s, 'app', app, '--json')).out) as AppJson;
}

const stateText = (s: Sandbox) => readFileSync(join(s.state, 'state.json'), 'utf8');

test('a new revision: every step gives the canary its share of the route, and the last continue hands the app to the new version', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', web('v1', 3));
  s.write('v2.yml', web('v2', 3));
  await ok(s, 'push', '-f', 'v1.yml');
  const push = await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,25,50');
  // The printed configuration has both subsets and the 90/10 split.
  const docs = istioDocs(push.out);
  const vs = docs.find((d) => d.kind === 'VirtualService');
  const route = (vs?.spec['http'] as { route: { destination: { subset: string }; weight: number }[] }[])[0]?.route;
  assert.deepEqual(route?.map((d) => [d.destination.subset, d.weight]), [['v1', 90], ['v2', 10]]);
  assert.match(push.err, /canary-steps: 1\/3/);

  const expected = [
    { step: 1, weights: { web: 90, 'web@v2': 10 } },
    { step: 2, weights: { web: 75, 'web@v2': 25 } },
    { step: 3, weights: { web: 50, 'web@v2': 50 } },
  ];
  for (const [i, e] of expected.entries()) {
    if (i > 0) await ok(s, 'continue-deployment', 'web');
    assert.deepEqual(await weights(s, 'web.example.com'), e.weights, `step ${e.step}`);
    const app = await appJson(s, 'web');
    assert.equal(app.version, 'v1', 'the app is the old revision until the end');
    assert.deepEqual(app.deployment && { step: app.deployment.step, steps: app.deployment.steps, canary: app.deployment.canary }, { step: e.step, steps: [10, 25, 50], canary: 'web@v2' });
    const text = (await ok(s, 'app', 'web')).out;
    assert.match(text, new RegExp(`canary-steps: ${e.step}/3\\n`));
  }
  await ok(s, 'continue-deployment', 'web');
  assert.deepEqual(await weights(s, 'web.example.com'), { web: 100 });
  const done = await appJson(s, 'web');
  assert.equal(done.version, 'v2');
  assert.equal(done.deployment, null);
  assert.doesNotMatch((await ok(s, 'app', 'web')).out, /canary-steps/);

  // The end state is the state a plain push of v2 gives: nothing of the deployment is left.
  const plain = sandbox(t);
  plain.write('v1.yml', web('v1', 3));
  plain.write('v2.yml', web('v2', 3));
  await ok(plain, 'push', '-f', 'v1.yml');
  await ok(plain, 'push', '-f', 'v2.yml');
  assert.equal(stateText(s), stateText(plain));
  assert.equal((await ok(s, 'render')).out, (await ok(plain, 'render')).out);
});

test('cancel-deployment restores the state from before the push byte for byte, at any step', async (t) => {
  for (const steps of [1, 2]) {
    const s = sandbox(t);
    s.write('v1.yml', web('v1', 2));
    s.write('v2.yml', web('v2', 2));
    await ok(s, 'push', '-f', 'v1.yml');
    const before = stateText(s);
    await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '20,40');
    for (let i = 1; i < steps; i++) await ok(s, 'continue-deployment', 'web');
    await ok(s, 'cancel-deployment', 'web');
    assert.equal(stateText(s), before, `canceled at step ${steps}`);
  }
});

const defaults = [
  // CC canary_step_plan without steps: { canary: 1, original: N }, so 1/(N+1) of the traffic.
  { instances: 1, canary: 50 },
  { instances: 3, canary: 25 },
  { instances: 9, canary: 10 },
  { instances: 2, canary: 33 },
];
for (const d of defaults) {
  test(`without --instance-steps one step: one canary instance beside ${d.instances} gets ${d.canary}%`, async (t) => {
    const s = sandbox(t);
    s.write('v1.yml', web('v1', d.instances));
    s.write('v2.yml', web('v2', d.instances));
    await ok(s, 'push', '-f', 'v1.yml');
    await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary');
    assert.deepEqual(await weights(s, 'web.example.com'), { web: 100 - d.canary, 'web@v2': d.canary });
    assert.deepEqual((await appJson(s, 'web')).deployment?.steps, [d.canary]);
    assert.match((await ok(s, 'app', 'web')).out, /canary-steps: 1\/1\n/);
  });
}

test("a new app taking over a route (reviews-v1 -> reviews-v2): the step's share, then the route alone; cancel unmaps it", async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', REVIEWS_V1);
  s.write('v2.yml', REVIEWS_V2);
  await ok(s, 'push', '-f', 'v1.yml');
  await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary');
  // Default step: one new instance next to reviews-v1's three.
  assert.deepEqual(await weights(s, 'reviews.example.com'), { 'reviews-v1': 75, 'reviews-v2': 25 });
  assert.equal((await appJson(s, 'reviews-v2')).deployment?.shape, 'takeover');
  await ok(s, 'continue-deployment', 'reviews-v2');
  assert.deepEqual(await weights(s, 'reviews.example.com'), { 'reviews-v2': 100 });

  const c = sandbox(t);
  c.write('v1.yml', REVIEWS_V1);
  c.write('v2.yml', REVIEWS_V2);
  await ok(c, 'push', '-f', 'v1.yml');
  await ok(c, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '5,50');
  await ok(c, 'continue-deployment', 'reviews-v2');
  assert.deepEqual(await weights(c, 'reviews.example.com'), { 'reviews-v1': 50, 'reviews-v2': 50 });
  await ok(c, 'cancel-deployment', 'reviews-v2');
  assert.deepEqual(await weights(c, 'reviews.example.com'), { 'reviews-v1': 100 });
  const routes = JSON.parse((await ok(c, 'routes', '--json')).out) as { destinations: unknown[] }[];
  assert.equal(routes[0]?.destinations.length, 1, "the canary's destination is removed");
});

test('a takeover of a weighted route: the other apps keep the rest in their proportions', async (t) => {
  const s = sandbox(t);
  s.write('ab.yml', `applications:
- name: a
- name: b
routes:
- route: shop.example.com
  destinations:
  - {name: a, weight: 60}
  - {name: b, weight: 40}
`);
  s.write('c.yml', 'applications:\n- name: c\n  routes:\n  - route: shop.example.com\n');
  await ok(s, 'push', '-f', 'ab.yml');
  await ok(s, 'push', '-f', 'c.yml', '--strategy', 'canary', '--instance-steps', '50,90');
  assert.deepEqual(await weights(s, 'shop.example.com'), { a: 30, b: 20, c: 50 });
  await ok(s, 'continue-deployment', 'c');
  assert.deepEqual(await weights(s, 'shop.example.com'), { a: 6, b: 4, c: 90 });
  await ok(s, 'cancel-deployment', 'c');
  assert.deepEqual(await weights(s, 'shop.example.com'), { a: 60, b: 40 });
});

test('the canary splits only the deployed app\'s share of a route other apps serve too', async (t) => {
  const s = sandbox(t);
  const m = (v: string) => `applications:
- name: web
  version: ${v}
- name: other
routes:
- route: shop.example.com
  destinations:
  - {name: web, weight: 80}
  - {name: other, weight: 20}
`;
  s.write('v1.yml', m('v1'));
  s.write('v2.yml', m('v2'));
  await ok(s, 'push', '-f', 'v1.yml');
  await ok(s, 'push', 'web', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '25');
  assert.deepEqual(await weights(s, 'shop.example.com'), { other: 20, web: 60, 'web@v2': 20 });
});

const badSteps = ['0', '101', '50,10', 'ten', '', '10,,20', '0x10', '-5', '2.5'];
test('--instance-steps must be ascending whole percentages from 1 to 100: each bad list is a usage error naming it', async (t) => {
  const s = sandbox(t);
  s.write('v2.yml', web('v2'));
  for (const bad of badSteps) {
    const r = await s.run('push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', bad);
    assert.equal(r.exit, 2, `${bad}: ${r.err}`);
    assert.match(r.err, /error USAGE Incorrect Usage: invalid argument for flag '--instance-steps'/, bad);
  }
  assert.equal(existsSync(join(s.state, 'state.json')), false, 'nothing was written');
  // Equal neighbours pass, as Cloud Controller's `weights.sort != weights` check lets them.
  s.write('v1.yml', web('v1'));
  await ok(s, 'push', '-f', 'v1.yml');
  await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,10,100');
  await ok(s, 'continue-deployment', 'web');
  await ok(s, 'continue-deployment', 'web');
  assert.deepEqual(await weights(s, 'web.example.com'), { web: 0, 'web@v2': 100 }, 'a step of 100 sends everything to the canary, still paused');
});

const refusals = [
  { name: 'a canary push that changes no revision', setup: [web('v1')], argv: ['push', '-f', 'm0.yml', '--strategy', 'canary'], code: 'DEPLOYMENT', message: /changes no revision/, hint: /`version:`/ },
  { name: 'a canary of an app whose current revision has no version', setup: ['applications:\n- name: web\n  routes:\n  - route: web.example.com\n', web('v2')], argv: ['push', '-f', 'm1.yml', '--strategy', 'canary'], code: 'DEPLOYMENT', message: /has no version yet/, hint: /version: v1/ },
  { name: 'continue without a deployment', setup: [web('v1')], argv: ['continue-deployment', 'web'], code: 'DEPLOYMENT', message: /No active deployment found for app 'web'/, hint: /--strategy canary/ },
  { name: 'cancel of an unknown app', setup: [web('v1')], argv: ['cancel-deployment', 'nope'], code: 'NOT_FOUND', message: /App 'nope' not found/, hint: /cfmesh apps/ },
  { name: 'continue of a misspelt app', setup: [web('v1')], argv: ['continue-deployment', 'wbe'], code: 'NOT_FOUND', message: /App 'wbe' not found/, hint: /did you mean "web"\?/ },
];
for (const r of refusals) {
  test(`refused: ${r.name}`, async (t) => {
    const s = sandbox(t);
    for (const [i, m] of r.setup.entries()) s.write(`m${i}.yml`, m);
    await ok(s, 'push', '-f', 'm0.yml');
    const before = stateText(s);
    const run = await s.run(...r.argv);
    assert.equal(run.exit, 1, run.err);
    assert.match(run.err, new RegExp(`error ${r.code} `));
    assert.match(run.err, r.message);
    assert.match(run.err, r.hint);
    assert.equal(stateText(s), before, 'the state is as it was');
  });
}

test('under a deployment: update-route --weight/--destination, map/unmap/delete-route on its route, deleting or pushing its apps are refused; after cancel they work', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', web('v1') + '- name: other\n  no-route: true\n');
  s.write('v2.yml', web('v2'));
  await ok(s, 'push', '-f', 'v1.yml');
  await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10');
  const attempts = [
    ['update-route', 'web', 'example.com', '--hostname', 'web', '--weight', '50'],
    ['update-route', 'example.com', '--hostname', 'web', '--destination', 'web=50', '--destination', 'web@v2=50'],
    ['push', '-f', 'v2.yml'],
    ['push', '-f', 'v2.yml', '--strategy', 'canary'],
    ['map-route', 'other', 'example.com', '--hostname', 'web'],
    ['unmap-route', 'web@v2', 'example.com', '--hostname', 'web'],
    ['delete-route', 'example.com', '--hostname', 'web', '-f'],
    ['delete', 'web', '-f'],
    ['delete', 'web@v2', '-f'],
  ];
  const before = stateText(s);
  for (const argv of attempts) {
    const r = await s.run(...argv);
    assert.equal(r.exit, 1, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /error DEPLOYMENT /, argv.join(' '));
    assert.match(r.err, /cfmesh (continue|cancel)-deployment web/, argv.join(' '));
  }
  assert.equal(stateText(s), before);
  await ok(s, 'cancel-deployment', 'web');
  await ok(s, 'update-route', 'web', 'example.com', '--hostname', 'web', '--weight', '100');
});

test('--dry-run shows the next step as a diff and writes nothing; -o DIR keeps a directory in sync through the deployment', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', web('v1'));
  s.write('v2.yml', web('v2'));
  await ok(s, 'push', '-f', 'v1.yml');
  const dry = await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,60', '--dry-run');
  assert.match(dry.out, /^\+ {10}weight: 10$/m);
  assert.match(dry.err, /Dry run: nothing was written/);
  assert.equal((await appJson(s, 'web')).deployment, null);

  const dir = join(s.dir, 'out');
  await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,60', '-o', dir);
  const vsFile = join(dir, readdirSync(dir).find((f) => f.startsWith('virtualservice-')) as string);
  assert.match(readFileSync(vsFile, 'utf8'), /weight: 90/);
  const before = stateText(s);
  const next = await ok(s, 'continue-deployment', 'web', '--dry-run');
  assert.match(next.out, /^-\s+weight: 90$/m);
  assert.match(next.out, /^\+\s+weight: 40$/m);
  assert.equal(stateText(s), before);
  await ok(s, 'continue-deployment', 'web', '-o', dir);
  assert.match(readFileSync(vsFile, 'utf8'), /weight: 40/);
  await ok(s, 'continue-deployment', 'web', '-o', dir);
  const text = readFileSync(vsFile, 'utf8');
  assert.doesNotMatch(text, /subset: v1/);
  assert.match(text, /subset: v2/);
});

test('app on a terminal draws a bar per destination; off a terminal it prints the numbers only', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', web('v1'));
  s.write('v2.yml', web('v2'));
  await ok(s, 'push', '-f', 'v1.yml');
  await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '25');
  const tty = await s.runWith({ tty: true }, 'app', 'web');
  assert.equal(tty.exit, 0, tty.err);
  assert.match(tty.out, /^ {2}web {6}75% {2}█{15}░{5}$/m);
  assert.match(tty.out, /^ {2}web@v2 {3}25% {2}█{5}░{15}$/m);
  const plain = await ok(s, 'app', 'web');
  assert.match(plain.out, /^ {2}web {6}75%$/m);
  assert.doesNotMatch(plain.out, /[█░]/);
  const route = await s.runWith({ tty: true }, 'route', 'example.com', '--hostname', 'web');
  assert.match(route.out, /^ {2}web@v2 .* █{5}░{15}$/m);
  assert.doesNotMatch((await ok(s, 'route', 'example.com', '--hostname', 'web')).out, /[█░]/);
});

test('--json: push --strategy canary, continue-deployment and cancel-deployment print the change report, with the deployment', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', web('v1'));
  s.write('v2.yml', web('v2'));
  await ok(s, 'push', '-f', 'v1.yml');
  type Report = { command: string; dryRun: unknown; routes: { route: string; before: unknown; after: { app: string; weight: number }[] | null }[]; deployments?: unknown[] };
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'change-report.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  const report = async (...argv: string[]): Promise<Report> => {
    const r = await ok(s, ...argv);
    const parsed = JSON.parse(r.out) as Report;
    assert.ok(validate(parsed), `${argv.join(' ')}: ${JSON.stringify(validate.errors)}`);
    return parsed;
  };
  const cases = [
    { argv: ['push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '10,30', '--json'], command: 'push', deployment: { app: 'web', action: 'started', shape: 'revision', canary: 'web@v2', step: 1, steps: [10, 30] }, after: { web: 90, 'web@v2': 10 } },
    { argv: ['continue-deployment', 'web', '--json'], command: 'continue-deployment', deployment: { app: 'web', action: 'continued', shape: 'revision', canary: 'web@v2', step: 2, steps: [10, 30] }, after: { web: 70, 'web@v2': 30 } },
    { argv: ['cancel-deployment', 'web', '--json', '--dry-run'], command: 'cancel-deployment', deployment: { app: 'web', action: 'canceled', shape: 'revision', canary: 'web@v2', step: null, steps: [10, 30] }, after: { web: 100 } },
    { argv: ['continue-deployment', 'web', '--json'], command: 'continue-deployment', deployment: { app: 'web', action: 'finished', shape: 'revision', canary: 'web@v2', step: null, steps: [10, 30] }, after: { web: 100 } },
  ];
  for (const c of cases) {
    const r = await report(...c.argv);
    assert.equal(r.command, c.command);
    assert.deepEqual(r.deployments, [c.deployment], c.argv.join(' '));
    const route = r.routes.find((x) => x.route === 'web.example.com');
    assert.deepEqual(Object.fromEntries((route?.after ?? []).map((d) => [d.app, d.weight])), c.after, c.argv.join(' '));
  }
  // Other commands' reports have no deployments member.
  assert.equal((await report('update-route', 'web', 'example.com', '--hostname', 'web', '--weight', '100', '--json')).deployments, undefined);
});

test('--api gateway-api: a takeover moves the HTTPRoute backendRefs step by step (a revision needs subsets, which that target refuses)', async (t) => {
  const s = sandbox(t);
  s.write('v1.yml', REVIEWS_V1);
  s.write('v2.yml', REVIEWS_V2);
  await ok(s, 'push', '-f', 'v1.yml', '--api', 'gateway-api');
  const backends = (text: string) => {
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; spec: { rules?: { backendRefs?: { name: string; weight: number }[] }[] } });
    const route = docs.find((d) => d.kind === 'HTTPRoute');
    return Object.fromEntries((route?.spec.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight]));
  };
  const push = await ok(s, 'push', '-f', 'v2.yml', '--strategy', 'canary', '--instance-steps', '20,60', '--api', 'gateway-api');
  assert.deepEqual(backends(push.out), { 'reviews-v1': 80, 'reviews-v2': 20 });
  assert.deepEqual(backends((await ok(s, 'continue-deployment', 'reviews-v2', '--api', 'gateway-api')).out), { 'reviews-v1': 40, 'reviews-v2': 60 });
  assert.deepEqual(backends((await ok(s, 'continue-deployment', 'reviews-v2', '--api', 'gateway-api')).out), { 'reviews-v2': 100 });
});
