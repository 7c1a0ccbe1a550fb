import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { istioDocs, PROPOSAL, sandbox } from './helpers.ts';

test('routes --json: url, protocol, options and destinations exactly as documented', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', `applications:
- name: web
  routes: [{route: shop.example.com/cart}, {route: tcp.example.com:1024}]
- name: api
  routes: [{route: shop.example.com/cart}]
`);
  assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
  assert.equal((await s.run('update-route', 'example.com', '--hostname', 'shop', '--path', 'cart', '-o', 'loadbalancing=least-connection')).exit, 0);
  const r = await s.run('routes', '--json');
  assert.equal(r.exit, 0, r.err);
  assert.equal(r.err, '');
  const routes = JSON.parse(r.out) as Record<string, unknown>[];
  assert.equal(routes.length, 2);
  const [http, tcp] = routes as [Record<string, unknown>, Record<string, unknown>];
  assert.equal(http['url'], 'shop.example.com/cart');
  assert.equal(http['protocol'], 'http');
  assert.deepEqual(http['options'], { loadbalancing: 'least-connection' });
  assert.deepEqual(http['destinations'], [
    { app: 'api', weight: 50 },
    { app: 'web', weight: 50 },
  ]);
  for (const d of http['destinations'] as object[]) assert.deepEqual(Object.keys(d), ['app', 'weight']);
  assert.equal(tcp['url'], 'tcp.example.com:1024');
  assert.equal(tcp['protocol'], 'tcp');
  assert.deepEqual(tcp['options'], {});
  assert.deepEqual(tcp['destinations'], [{ app: 'web', weight: 100 }]);

  const table = await s.run('routes');
  assert.equal(
    table.out,
    [
      'host   domain            port   path    protocol   apps                   options',
      'shop   example.com              /cart   http       api (50%), web (50%)   {loadbalancing=least-connection}',
      '       tcp.example.com   1024           tcp        web (100%)',
      '',
    ].join('\n'),
  );
  assert.match(table.err, /Getting routes/);

  const apps = JSON.parse((await s.run('apps', '--json')).out);
  assert.deepEqual(apps, [
    { name: 'api', instances: 1, port: null, routes: ['shop.example.com/cart'] },
    { name: 'web', instances: 1, port: null, routes: ['shop.example.com/cart', 'tcp.example.com:1024'] },
  ]);
  const one = JSON.parse((await s.run('route', 'example.com', '--hostname', 'shop', '--path', '/cart', '--json')).out);
  assert.equal(one.url, 'shop.example.com/cart');
  assert.deepEqual(one.destinations[0], { app: 'api', weight: 50, port: null, protocol: 'http1' });
  const tcpOne = await s.run('route', 'tcp.example.com', '--port', '1024');
  assert.match(tcpOne.out, /^domain: +tcp\.example\.com$/m);
  assert.match(tcpOne.out, /web +100%/);
});

test('empty state: No routes found. on stderr, [] with --json', async (t) => {
  const s = sandbox(t);
  assert.equal((await s.run('target', '--default-domain', 'example.com')).exit, 0);
  const r = await s.run('routes');
  assert.equal(r.exit, 0);
  assert.equal(r.out, '');
  assert.match(r.err, /No routes found\./);
  assert.equal((await s.run('routes', '--json')).out, '[]\n');
  assert.equal((await s.run('apps', '--json')).out, '[]\n');
});

test('a --state directory that does not exist (mistyped) is said, even under -q, by every command that only reads it', async (t) => {
  const s = sandbox(t);
  for (const argv of [['routes'], ['routes', '--json'], ['apps'], ['-q', 'apps', '--json'], ['render']]) {
    const r = await s.run(...argv);
    assert.equal(r.exit, 0, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /warning NOTICE there is no cfmesh state in .*state: the directory does not exist/);
    assert.match(r.err, /hint: check --state/);
  }
  assert.equal((await s.run('route', 'example.com', '--hostname', 'x')).exit, 1, 'an unknown route is still NOT_FOUND');
  assert.ok(!existsSync(s.state), 'reading creates nothing');
  // A directory that exists but has no state yet (a push that was refused made it) is an empty platform.
  mkdirSync(s.state);
  const empty = await s.run('routes', '--json');
  assert.equal(empty.exit, 0, empty.err);
  assert.equal(empty.out, '[]\n');
  assert.match(empty.err, /No cfmesh state in .* yet/);
});

test('the default state location without a state yet: said on stderr, empty results', async (t) => {
  const s = sandbox(t);
  const io = memoryIo({ cwd: s.dir, env: { HOME: join(s.dir, 'home') } });
  assert.equal(await main(['routes', '--json'], io), 0, io.err());
  assert.equal(io.out(), '[]\n');
  assert.match(io.err(), /No cfmesh state in .*home\/\.cfmesh yet/);
  assert.doesNotMatch(io.err(), /warning/, 'the default location without a state is not a mistake');
  const viaEnv = memoryIo({ cwd: s.dir, env: { HOME: join(s.dir, 'home'), CFMESH_HOME: join(s.dir, 'typo') } });
  assert.equal(await main(['apps'], viaEnv), 0);
  assert.match(viaEnv.err(), /hint: check CFMESH_HOME/);
});

test('map-route creates the route, maps, and says so; mapping again changes nothing', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: reviews-v1, no-route: true}, {name: reviews-v2, no-route: true}]\n');
  await s.run('push', '-f', 'm.yml');
  const r = await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--path', 'api');
  assert.equal(r.exit, 0, r.err);
  assert.equal(r.err, 'Creating route reviews.example.com/api...\nMapping route reviews.example.com/api to app reviews-v1...\nOK\n');
  const docs = istioDocs(r.out);
  assert.deepEqual(docs.map((d) => d.kind), ['Gateway', 'VirtualService']);
  const again = await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--path', '/api');
  assert.equal(again.exit, 0);
  assert.equal(again.out, '');
  assert.match(again.err, /App 'reviews-v1' is already mapped to route 'reviews\.example\.com\/api'\. Nothing has been updated\.\nOK\n/);
  // Second app on an unweighted route: even split; the VirtualService and the new http2
  // DestinationRule, with the Gateway the VirtualService refers to.
  const second = await s.run('map-route', 'reviews-v2', 'example.com', '--hostname', 'reviews', '--path', '/api', '--app-protocol', 'http2');
  assert.equal(second.exit, 0, second.err);
  assert.deepEqual(istioDocs(second.out).map((d) => d.kind), ['Gateway', 'DestinationRule', 'VirtualService']);
  const unknown = await s.run('map-route', 'ghost', 'example.com', '--hostname', 'reviews');
  assert.equal(unknown.exit, 1);
  assert.match(unknown.err, /App 'ghost' not found\./);
  const opt = await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--path', '/new', '-o', 'loadbalancing=hash');
  assert.equal(opt.exit, 2, 'hash without hash_header is refused before anything');
  const existing = await s.run('map-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--path', '/api', '-o', 'loadbalancing=round-robin');
  assert.equal(existing.exit, 1);
  assert.match(existing.err, /Route specific options can only be specified for nonexistent routes/);
});

test('map-route onto a weighted route adds the app with weight 0; unmap rescales the rest', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL.replace('applications:\n', 'applications:\n- name: reviews-v3\n  no-route: true\n'));
  await s.run('push', '-f', 'reviews.yml');
  const m = await s.run('map-route', 'reviews-v3', 'example.com', '--hostname', 'reviews');
  assert.equal(m.exit, 0, m.err);
  assert.match(m.err, /added with weight 0/);
  let routes = JSON.parse((await s.run('routes', '--json')).out);
  assert.deepEqual(routes[0].destinations, [
    { app: 'reviews-v1', weight: 90 },
    { app: 'reviews-v2', weight: 10 },
    { app: 'reviews-v3', weight: 0 },
  ]);
  const u = await s.run('unmap-route', 'reviews-v2', 'example.com', '--hostname', 'reviews');
  assert.equal(u.exit, 0, u.err);
  routes = JSON.parse((await s.run('routes', '--json')).out);
  assert.deepEqual(routes[0].destinations, [
    { app: 'reviews-v1', weight: 100 },
    { app: 'reviews-v3', weight: 0 },
  ]);
  const again = await s.run('unmap-route', 'reviews-v2', 'example.com', '--hostname', 'reviews');
  assert.equal(again.exit, 0);
  assert.match(again.err, /Route to be unmapped is not currently mapped to the application\.\nOK\n/);
});

test('deletions: the removed VirtualService is listed on stderr, stdout stays appliable', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: a, routes: [{route: a.example.com}, {route: b.example.com}]}]\n');
  await s.run('push', '-f', 'm.yml');
  const r = await s.run('unmap-route', 'a', 'example.com', '--hostname', 'b');
  assert.equal(r.exit, 0, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /Deleted VirtualService\/default\/b\.example\.com: remove it with kubectl delete virtualservice\.networking\.istio\.io b\.example\.com -n default/);
  assert.match(r.err, /--output-dir DIR/);
  // The route itself stays (cf keeps unmapped routes) until delete-route.
  assert.equal(JSON.parse((await s.run('routes', '--json')).out).length, 2);
  const noForce = await s.run('delete-route', 'example.com', '--hostname', 'b');
  assert.equal(noForce.exit, 2);
  assert.match(noForce.err, /delete-route needs -f when stdin is not a terminal/);
  const asked = await s.runWith({ tty: true, answer: 'n' }, 'delete-route', 'example.com', '--hostname', 'b');
  assert.equal(asked.exit, 0);
  assert.equal(JSON.parse((await s.run('routes', '--json')).out).length, 2);
  const yes = await s.runWith({ tty: true, answer: 'y' }, 'delete-route', 'example.com', '--hostname', 'b');
  assert.equal(yes.exit, 0, yes.err);
  assert.equal(JSON.parse((await s.run('routes', '--json')).out).length, 1);
  const d = await s.run('delete', 'a', '-r', '-f');
  assert.equal(d.exit, 0, d.err);
  assert.match(d.err, /Deleted VirtualService\/default\/a\.example\.com/);
  assert.match(d.err, /Deleted Gateway\/default\/cloudfoundry-ingress/);
  assert.deepEqual(JSON.parse((await s.run('routes', '--json')).out), []);
  const gone = await s.run('delete', 'a', '-f');
  assert.equal(gone.exit, 0);
  assert.match(gone.err, /App 'a' does not exist\./);
});

test('--dry-run prints a unified diff and writes nothing (state or directory)', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  await s.run('push', '-f', 'reviews.yml', '-o', 'out');
  const stateBefore = readFileSync(join(s.state, 'state.json'), 'utf8');
  const files = readdirSync(join(s.dir, 'out')).sort();
  const vsFile = join(s.dir, 'out', 'virtualservice-reviews.example.com.yaml');
  const vsBefore = readFileSync(vsFile, 'utf8');
  for (const extra of [[], ['-o', 'out']]) {
    const r = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '50', '--dry-run', ...extra.map((x) => (x === '-o' ? '--output-dir' : x)));
    assert.equal(r.exit, 0, r.err);
    assert.match(r.out, /^--- a\/VirtualService\/default\/reviews\.example\.com\n\+\+\+ b\/VirtualService\/default\/reviews\.example\.com\n@@ /);
    assert.match(r.out, /^-          weight: 90$/m);
    assert.match(r.out, /^\+          weight: 50$/m);
    assert.match(r.err, /Dry run: nothing was written\./);
  }
  const del = await s.run('delete', 'reviews-v1', '--dry-run', '-r');
  assert.equal(del.exit, 0, del.err);
  assert.match(del.out, /^\+\+\+ b\/VirtualService/m);
  assert.equal(readFileSync(join(s.state, 'state.json'), 'utf8'), stateBefore);
  assert.ok(!existsSync(join(s.state, 'state.json.bak')), 'no backup either');
  assert.deepEqual(readdirSync(join(s.dir, 'out')).sort(), files);
  assert.equal(readFileSync(vsFile, 'utf8'), vsBefore);
});

test('-o DIR (flag or stored) keeps a directory in sync with the whole state', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  assert.equal((await s.run('target', '--output-dir', 'deploy')).exit, 0);
  const push = await s.run('push', '-f', 'reviews.yml');
  assert.equal(push.exit, 0, push.err);
  assert.equal(push.out, '');
  const dir = join(s.dir, 'deploy');
  assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('.')).sort(), ['gateway-cloudfoundry-ingress.yaml', 'virtualservice-reviews.example.com.yaml']);
  await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '70');
  assert.match(readFileSync(join(dir, 'virtualservice-reviews.example.com.yaml'), 'utf8'), /weight: 70/);
  await s.run('delete', 'reviews-v1', '-f');
  await s.run('delete', 'reviews-v2', '-f');
  assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('.')), []);
  // render prints the whole (now empty) configuration
  const render = await s.run('render');
  assert.equal(render.exit, 0);
  assert.equal(render.out, '');
});

test('route options: cf v8 update-route -o/-r, validated as cf does', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: a, routes: [{route: a.example.com}]}]\n');
  await s.run('push', '-f', 'm.yml');
  const bad = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'loadbalancing');
  assert.equal(bad.exit, 2);
  assert.match(bad.err, /Route option 'loadbalancing' for route with host 'a', domain 'example\.com', and path '\/' was specified incorrectly\. Please use key-value pair format key=value\./);
  const hashNoHeader = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'loadbalancing=hash');
  assert.equal(hashNoHeader.exit, 2);
  assert.match(hashNoHeader.err, /Hash header must be present/);
  // Cloud Controller accepts hash options without any loadbalancing (route_options_message.rb refuses
  // them only beside another algorithm); they have no effect until loadbalancing is hash.
  const headerNoHash = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'hash_header=X-User');
  assert.equal(headerNoHash.exit, 0, headerNoHash.err);
  const headerRoundRobin = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'loadbalancing=round-robin');
  assert.equal(headerRoundRobin.exit, 2, 'hash_header beside round-robin is refused');
  assert.match(headerRoundRobin.err, /Hash header can only be set when loadbalancing is hash/);
  await s.run('update-route', 'example.com', '--hostname', 'a', '-r', 'hash_header');
  const badLb = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'loadbalancing=random');
  assert.equal(badLb.exit, 2);
  const ok = await s.run('update-route', 'example.com', '--hostname', 'a', '-o', 'loadbalancing=hash', '-o', 'hash_header=X-User');
  assert.equal(ok.exit, 0, ok.err);
  assert.match(ok.err, /Route a\.example\.com has been updated\./);
  const removeOne = await s.run('update-route', 'example.com', '--hostname', 'a', '-r', 'loadbalancing');
  assert.equal(removeOne.exit, 0, 'hash_header may stay without loadbalancing (CC accepts it)');
  assert.deepEqual(JSON.parse((await s.run('routes', '--json')).out)[0].options, { hash_header: 'X-User' });
  const removeBoth = await s.run('update-route', 'example.com', '--hostname', 'a', '-r', 'hash_header');
  assert.equal(removeBoth.exit, 0, removeBoth.err);
  assert.deepEqual(JSON.parse((await s.run('routes', '--json')).out)[0].options, {});
});

test('create-route, TCP ports and path normalisation', async (t) => {
  const s = sandbox(t);
  const c = await s.run('create-route', 'example.com', '--hostname', 'shop', '--path', 'cart');
  assert.equal(c.exit, 0, c.err);
  assert.equal(c.out, '', 'a route with no app emits nothing');
  assert.match(c.err, /Creating route shop\.example\.com\/cart\.\.\.\nRoute shop\.example\.com\/cart has been created\.\nNo Istio resource changed\.\nOK\n/);
  assert.match((await s.run('create-route', 'example.com', '--hostname', 'shop', '--path', '/cart')).err, /already exists/);
  assert.equal((await s.run('create-route', 'tcp.example.com', '--port', '1024')).exit, 0);
  const clash = await s.run('create-route', 'other.example.com', '--port', '1024');
  assert.equal(clash.exit, 1);
  assert.match(clash.err, /Port 1024 is already in use by route 'tcp\.example\.com:1024'/);
  assert.equal((await s.run('create-route', 'example.com', '--port', '1025', '--path', '/x')).exit, 2);
  assert.equal((await s.run('create-route', 'example.com', '--hostname', 'Bad_Host')).exit, 2);
  assert.equal((await s.run('delete-route', 'tcp.example.com', '--port', '1024', '-f')).exit, 0);
  assert.equal((await s.run('create-route', 'other.example.com', '--port', '1024')).exit, 0, 'the port was released');
});

test('a corrupt state is reported (exit 3) and left untouched', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: a, routes: [{route: a.example.com}]}]\n');
  await s.run('push', '-f', 'm.yml');
  const file = join(s.state, 'state.json');
  writeFileSync(file, '{"version": 1, "apps": {');
  for (const argv of [['routes'], ['map-route', 'a', 'example.com', '--hostname', 'b'], ['push', '-f', 'm.yml'], ['render']]) {
    const r = await s.run(...argv);
    assert.equal(r.exit, 3, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /STATE_CORRUPT .*state\.json is corrupt/);
    assert.equal(r.out, '');
  }
  assert.equal(readFileSync(file, 'utf8'), '{"version": 1, "apps": {');
});

test('route shows the timeout and retries of the route (and the other controls by name); --json has them all', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications:\n- name: cart\n  routes:\n  - route: cart.example.com\n    timeout: 2s\n    retries: {attempts: 3, retry-on: [5xx, connect-failure], per-try-timeout: 500ms}\n    mirror: {name: cart, percent: 5}\n');
  assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
  const r = await s.run('route', 'example.com', '--hostname', 'cart');
  assert.equal(r.exit, 0, r.err);
  assert.match(r.out, /^timeout: +2s$/m);
  assert.match(r.out, /^retries: +3 attempts, on 5xx, connect-failure, 500ms per try$/m);
  assert.match(r.out, /^traffic: +mirror \(see --json\)$/m);
  const json = JSON.parse((await s.run('route', 'example.com', '--hostname', 'cart', '--json')).out) as { controls: Record<string, unknown> };
  assert.deepEqual(json.controls, { mirror: { name: 'cart', percent: 5 }, retries: { attempts: 3, 'per-try-timeout': '500ms', 'retry-on': ['5xx', 'connect-failure'] }, timeout: '2s' });
  assert.equal((await s.run('update-route', 'example.com', '--hostname', 'cart', '--retries', '0', '--timeout', 'none')).exit, 0);
  const off = await s.run('route', 'example.com', '--hostname', 'cart');
  assert.match(off.out, /^timeout:$/m);
  assert.match(off.out, /^retries: +off$/m);
});

test('create-route and map-route refuse what Cloud Controller refuses on internal domains, and gateway proxy ports', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', 'applications: [{name: a, routes: [{route: a.example.com}]}]\n');
  await s.run('push', '-f', 'm.yml');
  const before = (await s.run('routes', '--json')).out;
  const cases: [string[], RegExp][] = [
    [['map-route', 'a', 'apps.internal', '--hostname', 'x', '--path', '/p'], /Paths are not supported for internal domains\./],
    [['create-route', 'apps.internal', '--hostname', '*'], /Wildcard hosts are not supported for internal domains\./],
    [['create-route', 'apps.internal', '--port', '5432'], /Routes with protocol 'http' do not support ports\./],
    [['create-route', 'tcp.example.com', '--port', '15021'], /Port '15021' is not available/],
    [['map-route', 'a', 'tcp.example.com', '--port', '80'], /Port '80' is not available/],
  ];
  for (const [argv, message] of cases) {
    const run = await s.run(...argv);
    assert.equal(run.exit, 1, `${argv.join(' ')}: ${run.err}`);
    assert.match(run.err, message);
  }
  assert.equal((await s.run('routes', '--json')).out, before, 'nothing was written');
  const fine = await s.run('map-route', 'a', 'apps.internal', '--hostname', 'x');
  assert.equal(fine.exit, 0, fine.err);
});
