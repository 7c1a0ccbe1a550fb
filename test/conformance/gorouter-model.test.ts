// Pins each rule of the gorouter model (and of the CC rules it starts from) with hand-written
// cases; each would fail if its rule were implemented otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cfView, webInstances } from './cloud-controller.ts';
import { buildGorouter, escapedPath, gorouterDecide, hostWithoutPort, lookupPool, nextWildcard, routeKey } from './gorouter-model.ts';
import type { AppDesc, HttpRequestDesc, ManifestDesc } from './manifest-desc.ts';
import type { Outcome } from './outcome.ts';

const get = (host: string, target: string, method = 'GET', headers: Record<string, string> = {}): HttpRequestDesc => ({ kind: 'http', method, host, target, headers });
const shares = (o: Outcome) => Object.fromEntries([...o.shares.entries()].map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
const decide = (m: ManifestDesc, r: HttpRequestDesc, tcpPorts?: ReadonlyMap<string, number>) => shares(gorouterDecide(buildGorouter(m, tcpPorts), r));
const apps = (...list: AppDesc[]): ManifestDesc => ({ apps: list, routes: [] });

test('CC: web instances come from the `web` process entry when there is one, wholesale', () => {
  const cases: { app: AppDesc; expected: number }[] = [
    { app: { name: 'a' }, expected: 1 },
    { app: { name: 'a', instances: 3 }, expected: 3 },
    { app: { name: 'a', instances: 0 }, expected: 0 },
    { app: { name: 'a', instances: 3, processes: [{ type: 'web' }] }, expected: 1 },
    { app: { name: 'a', instances: 3, processes: [{ type: 'web', instances: 2 }] }, expected: 2 },
    { app: { name: 'a', instances: 0, processes: [{ type: 'web', instances: 2 }] }, expected: 2 },
    { app: { name: 'a', instances: 3, processes: [{ type: 'worker', instances: 5 }] }, expected: 3 },
  ];
  for (const c of cases) assert.equal(webInstances(c.app), c.expected, JSON.stringify(c.app));
});

test('CC: one destination per (app, port); an app with no route gets the default route only with a default domain', () => {
  const view = cfView({
    apps: [{ name: 'api', routes: [{ route: 'api.example.com' }] }, { name: 'lone' }],
    routes: [{ route: 'api.example.com', destinations: [{ name: 'api' }, { name: 'api', port: 9001 }] }],
    defaultDomain: 'apps.example.com',
  });
  const api = view.routes.find((r) => r.url === 'api.example.com');
  assert.deepEqual(api?.destinations.map((d) => `${d.app}:${d.port}`), ['api:8080', 'api:9001']);
  assert.ok(view.routes.some((r) => r.url === 'lone.apps.example.com'));
  assert.ok(!cfView({ apps: [{ name: 'lone' }], routes: [] }).routes.some((r) => r.url.startsWith('lone')));
});

test('GR route/uris.go: RouteKey lowercases and cuts the query; NextWildcard keeps the path', () => {
  assert.equal(routeKey('API.Example.com/Docs?x=1'), 'api.example.com/docs');
  assert.equal(nextWildcard('a.b.example.com/x'), '*.b.example.com/x');
  assert.equal(nextWildcard('*.b.example.com/x'), '*.example.com/x');
  assert.equal(nextWildcard('*.example.com/x'), '*.com/x');
  assert.equal(nextWildcard('*.com/x'), undefined);
  assert.equal(hostWithoutPort('api.example.com:8080'), 'api.example.com');
});

test('GR trie.go MatchUri: longest match by whole path segments; one trailing slash trimmed', () => {
  const m = buildGorouter(apps({ name: 'a', routes: [{ route: 'x.example.com/api' }, { route: 'x.example.com/api/v2' }, { route: 'x.example.com' }] }));
  assert.equal(lookupPool(m, 'x.example.com/api/v2/users')?.key, 'x.example.com/api/v2');
  assert.equal(lookupPool(m, 'x.example.com/api/v3')?.key, 'x.example.com/api');
  assert.equal(lookupPool(m, 'x.example.com/apiary')?.key, 'x.example.com');
  assert.equal(lookupPool(m, 'x.example.com/api/')?.key, 'x.example.com/api');
  assert.equal(lookupPool(m, 'X.EXAMPLE.COM/API')?.key, 'x.example.com/api');
});

test('GR registry.go lookup: a host without a matching path falls back along the wildcard walk', () => {
  const m = apps({ name: 'api', routes: [{ route: 'api.example.com/v1' }] }, { name: 'web', routes: [{ route: '*.example.com' }] }, { name: 'deep', routes: [{ route: '*.b.example.com/v1' }] });
  assert.deepEqual(decide(m, get('api.example.com', '/other')), { 'app:web:8080': 1 });
  assert.deepEqual(decide(m, get('api.example.com', '/v1/x')), { 'app:api:8080': 1 });
  assert.deepEqual(decide(m, get('a.b.example.com', '/v1')), { 'app:deep:8080': 1 });
  assert.deepEqual(decide(m, get('a.b.example.com', '/v2')), { 'app:web:8080': 1 });
  assert.deepEqual(decide(m, get('example.com', '/')), { 'status:404': 1 }, 'a wildcard never matches its bare domain');
});

test('GR registry.go register/unregister: a route without running instances is not in the registry', () => {
  const m = apps({ name: 'web', routes: [{ route: 'api.example.com' }] }, { name: 'api', instances: 0, routes: [{ route: 'api.example.com/api' }] }, { name: 'off', instances: 0, routes: [{ route: 'off.example.com' }] });
  assert.deepEqual(decide(m, get('api.example.com', '/api/x')), { 'app:web:8080': 1 });
  assert.deepEqual(decide(m, get('off.example.com', '/')), { 'status:404': 1 });
});

test('GR pool.go: routes with one key are one pool; an instance registered twice is one endpoint; shares ∝ instances', () => {
  const m = apps({ name: 'a', instances: 2, routes: [{ route: 'x.example.com/docs' }, { route: 'x.example.com/DOCS' }] }, { name: 'b', instances: 1, routes: [{ route: 'x.example.com/Docs/' }] });
  assert.deepEqual(decide(m, get('x.example.com', '/docs')), { 'app:a:8080': 0.667, 'app:b:8080': 0.333 });
  assert.deepEqual(decide(m, get('x.example.com', '/docs/')), { 'app:a:8080': 0.667, 'app:b:8080': 0.333 });
  const slash = apps({ name: 'a', routes: [{ route: 'x.example.com/docs/' }] });
  assert.deepEqual(decide(slash, get('x.example.com', '/docs')), { 'app:a:8080': 1 }, 'a route written with a trailing slash is the key without it');
});

test('shares: two ports are two destinations; weights over live destinations; all live weights 0 → by instances', () => {
  const twoPorts: ManifestDesc = { apps: [{ name: 'a' }, { name: 'b', instances: 2 }], routes: [{ route: 'x.example.com', destinations: [{ name: 'a' }, { name: 'a', port: 9001 }, { name: 'b' }] }] };
  assert.deepEqual(decide(twoPorts, get('x.example.com', '/')), { 'app:a:8080': 0.25, 'app:a:9001': 0.25, 'app:b:8080': 0.5 });
  const weighted: ManifestDesc = { apps: [{ name: 'a', instances: 5 }, { name: 'b' }, { name: 'c', instances: 0 }], routes: [{ route: 'x.example.com', destinations: [{ name: 'a', weight: 30 }, { name: 'b', weight: 50 }, { name: 'c', weight: 20 }] }] };
  assert.deepEqual(decide(weighted, get('x.example.com', '/')), { 'app:a:8080': 0.375, 'app:b:8080': 0.625 });
  const idle: ManifestDesc = { apps: [{ name: 'a', instances: 0 }, { name: 'b', instances: 3 }], routes: [{ route: 'x.example.com', destinations: [{ name: 'a', weight: 100 }, { name: 'b', weight: 0 }] }] };
  assert.deepEqual(decide(idle, get('x.example.com', '/')), { 'app:b:8080': 1 });
});

test('EXT methods: 405 for the route that lists them, never for another host or a more specific route', () => {
  const m = apps(
    { name: 'web', routes: [{ route: '*.example.com', controls: { methods: ['GET'] } }] },
    { name: 'api', routes: [{ route: 'api.example.com' }, { route: 'api.example.com/admin', controls: { methods: ['GET', 'HEAD'] } }] },
  );
  assert.deepEqual(decide(m, get('x.example.com:80', '/', 'POST')), { 'status:405': 1 });
  assert.deepEqual(decide(m, get('api.example.com', '/', 'POST')), { 'app:api:8080': 1 });
  assert.deepEqual(decide(m, get('API.example.com', '/Admin/x', 'POST')), { 'status:405': 1 });
  assert.deepEqual(decide(m, get('api.example.com', '/admin', 'HEAD')), { 'app:api:8080': 1 });
});

test('EXT rules: the first matching rule picks its destinations; a rule without running instances is skipped', () => {
  const m: ManifestDesc = {
    apps: [{ name: 'v1' }, { name: 'v2' }, { name: 'v3', instances: 0 }],
    routes: [
      {
        route: 'r.example.com',
        destinations: [{ name: 'v1' }],
        controls: {
          rules: [
            { match: { headers: { 'x-dark': { exact: '1' } } }, destinations: [{ name: 'v3' }] },
            { match: { headers: { 'user-agent': { regex: '.*iPhone.*' } } }, destinations: [{ name: 'v2' }] },
            { match: { queryParams: { debug: { exact: '1' } }, method: { exact: 'POST' } }, destinations: [{ name: 'v1', weight: 50 }, { name: 'v2', weight: 50 }] },
            { match: { headers: { 'x-user': { prefix: 'a' } } }, destinations: [{ name: 'v2' }] },
          ],
        },
      },
    ],
  };
  assert.deepEqual(decide(m, get('r.example.com', '/', 'GET', { 'user-agent': 'Mozilla (iPhone)' })), { 'app:v2:8080': 1 });
  assert.deepEqual(decide(m, get('r.example.com', '/', 'GET', { 'user-agent': 'iPhone-ish', 'x-dark': '1' })), { 'app:v2:8080': 1 }, 'v3 has no instance');
  assert.deepEqual(decide(m, get('r.example.com', '/?debug=1', 'POST')), { 'app:v1:8080': 0.5, 'app:v2:8080': 0.5 });
  assert.deepEqual(decide(m, get('r.example.com', '/?debug=1', 'GET')), { 'app:v1:8080': 1 });
  assert.deepEqual(decide(m, get('r.example.com', '/', 'GET', { 'x-user': 'alice' })), { 'app:v2:8080': 1 });
  assert.deepEqual(decide(m, get('r.example.com', '/', 'GET', { 'x-user': 'bob' })), { 'app:v1:8080': 1 });
});

test('EXT https-redirect: decided by the most specific host with live routes', () => {
  const m = apps(
    { name: 'web', routes: [{ route: '*.example.com', controls: { tls: { credentialName: 'w', httpsRedirect: true } } }] },
    { name: 'api', routes: [{ route: 'api.example.com/v1' }] },
    { name: 'off', instances: 0, routes: [{ route: 'off.example.com' }] },
    { name: 'shop', routes: [{ route: 'shop.example.com/x', controls: { tls: { credentialName: 's', httpsRedirect: true } } }, { route: 'shop.example.com' }] },
  );
  assert.deepEqual(decide(m, get('api.example.com', '/v1')), { 'app:api:8080': 1 });
  assert.deepEqual(decide(m, get('api.example.com', '/other')), { 'app:web:8080': 1 }, 'the fallback to the wildcard pool is not redirected');
  assert.deepEqual(decide(m, get('off.example.com', '/')), { 'status:301': 1 }, 'a host without live routes is the wildcard\'s');
  assert.deepEqual(decide(m, get('shop.example.com', '/')), { 'status:301': 1 }, 'TLS belongs to the host');
});

test('TCP: a connection reaches the route on its port, by instances; refused without one', () => {
  const m: ManifestDesc = {
    apps: [{ name: 'db', instances: 2, routes: [{ route: 'db.example.com:5432' }] }, { name: 'db2', routes: [{ route: 'db.example.com:5432' }] }, { name: 'q', routes: [{ route: 'q.example.com', protocol: 'tcp' }] }, { name: 'z', instances: 0, routes: [{ route: 'z.example.com:2000' }] }],
    routes: [],
  };
  const ports = new Map([['tcp://q.example.com', 3000]]);
  const model = buildGorouter(m, ports);
  assert.deepEqual(shares(gorouterDecide(model, { kind: 'tcp', port: 5432 })), { 'app:db:8080': 0.667, 'app:db2:8080': 0.333 });
  assert.deepEqual(shares(gorouterDecide(model, { kind: 'tcp', port: 3000 })), { 'app:q:8080': 1 });
  assert.deepEqual(shares(gorouterDecide(model, { kind: 'tcp', port: 2000 })), { refused: 1 });
  assert.deepEqual(shares(gorouterDecide(model, { kind: 'tcp', port: 4000 })), { refused: 1 });
  assert.throws(() => buildGorouter(m), /no platform port/);
});

test('Go EscapedPath: valid escapes are matched as sent (hex case folded by RouteKey); invalid ones are outside the model', () => {
  const m = apps({ name: 'a', routes: [{ route: 'x.example.com/caf%C3%A9' }] });
  assert.deepEqual(decide(m, get('x.example.com', '/caf%c3%a9/menu')), { 'app:a:8080': 1 });
  assert.deepEqual(decide(m, get('x.example.com', '/caf%C3%A9s')), { 'status:404': 1 });
  assert.deepEqual(decide(m, get('x.example.com', '/caf%2Fx')), { 'status:404': 1 });
  assert.equal(escapedPath(''), '/');
  assert.throws(() => escapedPath('/a b'), /outside the model/);
  assert.throws(() => escapedPath('/%zz'), /outside the model/);
});
