// Pins each rule of the Istio/Envoy model with hand-written bundles; each case would fail if its
// rule were implemented otherwise (the cited upstream line is in istio-model.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildIstio, istioDecide, normalizePath, selectVirtualHost, sortVHostRoutes, type KubeObject } from './istio-model.ts';
import type { Inventory, Labels } from './inventory.ts';
import type { HttpRequestDesc } from './manifest-desc.ts';
import type { Outcome } from './outcome.ts';

const NS = 'default';
const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace = NS): KubeObject => ({ apiVersion: kind === 'AuthorizationPolicy' ? 'security.istio.io/v1' : 'networking.istio.io/v1', kind, metadata: { name, namespace }, spec });
const svcHost = (name: string) => `${name}.${NS}.svc.cluster.local`;
const dest = (app: string, weight?: number, extra: Record<string, unknown> = {}) => ({ destination: { host: svcHost(app), port: { number: 8080 }, ...extra }, ...(weight !== undefined ? { weight } : {}) });

const GATEWAY = obj('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
const vs = (name: string, hosts: string[], spec: Record<string, unknown>) => obj('VirtualService', name, { hosts, gateways: ['gw'], ...spec });

/** A small inventory: one Service per app with `count` pods labelled app=<service> (+ version). */
function inventory(pods: { app: string; count: number; service?: string; version?: string; ports?: number[] }[], gatewayLabels: Labels = { istio: 'ingressgateway' }): Inventory {
  const services = new Map<string, { name: string; namespace: string; host: string; ports: Set<number>; selector: Labels }>();
  for (const p of pods) {
    const name = p.service ?? p.app;
    const s = services.get(svcHost(name)) ?? { name, namespace: NS, host: svcHost(name), ports: new Set<number>(), selector: { app: name } };
    for (const port of p.ports ?? [8080]) s.ports.add(port);
    services.set(svcHost(name), s);
  }
  return {
    services,
    dns: new Map(),
    pods: pods.map((p) => ({ app: p.app, namespace: NS, count: p.count, labels: { app: p.service ?? p.app, ...(p.version ? { version: p.version } : {}) } })),
    gateway: { namespace: 'istio-system', labels: gatewayLabels, targetPort: (port) => (port === 80 ? 8080 : port === 15021 ? undefined : port) },
    rootNamespace: 'istio-system',
  };
}

const get = (host: string, target: string, method = 'GET', headers: Record<string, string> = {}): HttpRequestDesc => ({ kind: 'http', method, host, target, headers });
const shares = (o: Outcome) => Object.fromEntries([...o.shares.entries()].map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
const decide = (objects: KubeObject[], inv: Inventory, r: Parameters<typeof istioDecide>[1]) => shares(istioDecide(buildIstio(objects, inv), r));

test('gateway.go: two servers on port 80 share one vhost per host; the second APPENDS its routes and sets require_tls', () => {
  const gw = obj('Gateway', 'gw', {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
      { port: { number: 80, name: 'http-redirect', protocol: 'HTTP' }, hosts: ['*.example.com'], tls: { httpsRedirect: true } },
    ],
  });
  const objects = [gw, vs('api', ['api.example.com'], { http: [{ route: [dest('api')] }] }), vs('other', ['other.example.org'], { http: [{ route: [dest('api')] }] })];
  const model = buildIstio(objects, inventory([{ app: 'api', count: 1 }]));
  const vhost = model.http80?.get('api.example.com');
  assert.equal(vhost?.routes.length, 2, 'the routes of api.example.com, once per server');
  assert.equal(vhost?.requireTls, true, 'the *.example.com redirect server intersects api.example.com');
  assert.deepEqual(shares(istioDecide(model, get('api.example.com', '/'))), { 'status:301': 1 });
  assert.deepEqual(shares(istioDecide(model, get('other.example.org', '/'))), { 'app:api:8080': 1 });
  assert.deepEqual(shares(istioDecide(model, get('nothing.example.com', '/'))), { 'status:301': 1 }, 'an empty redirect vhost for the server host');
});

test('route.go SortVHostRoutes: a catch-all of one VirtualService moves behind the other VirtualService\'s routes on the same host', () => {
  const objects = [GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [dest('web')] }] }), vs('b', ['x.example.com'], { http: [{ match: [{ uri: { prefix: '/api' } }], route: [dest('api')] }] })];
  const inv = inventory([{ app: 'web', count: 1 }, { app: 'api', count: 1 }]);
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/api/v1')), { 'app:api:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  const sorted = sortVHostRoutes([
    { path: { kind: 'prefix', value: '/' }, headers: [], query: [] },
    { path: { kind: 'prefix', value: '/' }, headers: [{ name: 'x', invert: false, treatMissingAsEmpty: false, present: true }], query: [] },
  ]);
  assert.equal(sorted[0]?.headers.length, 1, 'a prefix / with a header condition is no catch-all');
});

test('route.go BuildHTTPRoutesForVirtualService: nothing after a catch-all of the same VirtualService is built', () => {
  const objects = [GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [dest('web')] }, { match: [{ uri: { prefix: '/api' } }], route: [dest('api')] }] })];
  assert.deepEqual(decide(objects, inventory([{ app: 'web', count: 1 }, { app: 'api', count: 1 }]), get('x.example.com', '/api')), { 'app:web:8080': 1 });
});

test('route.go TranslateRoute: a match for another port is dropped; a VirtualService left without routes gets no vhost', () => {
  const objects = [
    GATEWAY,
    vs('a', ['x.example.com'], { http: [{ match: [{ port: 443 }], redirect: { uri: '/tls' } }, { route: [dest('web')] }] }),
    vs('b', ['y.example.com'], { http: [{ match: [{ port: 443 }], redirect: { uri: '/tls' } }] }),
    vs('c', ['*.example.com'], { http: [{ route: [dest('api')] }] }),
  ];
  const inv = inventory([{ app: 'web', count: 1 }, { app: 'api', count: 1 }]);
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('y.example.com', '/')), { 'app:api:8080': 1 }, 'y.example.com has no vhost, *.example.com answers');
  const redirect = [GATEWAY, vs('a', ['x.example.com'], { http: [{ match: [{ port: 80 }], redirect: { uri: '/new', redirectCode: 302 } }] })];
  assert.deepEqual(decide(redirect, inv, get('x.example.com', '/')), { 'status:302': 1 });
  const direct = [GATEWAY, vs('a', ['x.example.com'], { http: [{ match: [{ method: { exact: 'PUT' } }], directResponse: { status: 405 } }, { route: [dest('web')] }] })];
  assert.deepEqual(decide(direct, inv, get('x.example.com', '/', 'PUT')), { 'status:405': 1 });
  assert.deepEqual(decide(direct, inv, get('x.example.com', '/', 'GET')), { 'app:web:8080': 1 });
});

test('Envoy virtual host selection: exact, then the longest suffix wildcard, then `*`; no case, no port', () => {
  const v = (domain: string) => [domain, { domain }] as const;
  const vhosts = new Map([v('api.example.com'), v('*.example.com'), v('*.b.example.com'), v('*')]);
  assert.equal(selectVirtualHost(vhosts, 'API.Example.com:8080')?.domain, 'api.example.com');
  assert.equal(selectVirtualHost(vhosts, 'a.b.example.com')?.domain, '*.b.example.com');
  assert.equal(selectVirtualHost(vhosts, 'x.example.com')?.domain, '*.example.com');
  assert.equal(selectVirtualHost(vhosts, 'b.example.com')?.domain, '*.example.com');
  assert.equal(selectVirtualHost(vhosts, 'example.com')?.domain, '*');
  assert.equal(selectVirtualHost(new Map([v('*.example.com')]), '.example.com'), undefined, 'a wildcard never matches the empty string');
});

test('TranslateRouteMatch + Envoy RouteMatch: exact ignores the query, prefix is a string prefix, regex matches the whole path, ignoreUriCase', () => {
  const objects = [
    GATEWAY,
    vs('a', ['x.example.com'], {
      http: [
        { match: [{ uri: { exact: '/docs' } }], route: [dest('exact')] },
        { match: [{ uri: { regex: '/v[0-9]+' } }], route: [dest('regex')] },
        { match: [{ uri: { prefix: '/API' }, ignoreUriCase: true }], route: [dest('nocase')] },
        { match: [{ uri: { prefix: '/shop' } }], route: [dest('prefix')] },
      ],
    }),
  ];
  const inv = inventory(['exact', 'regex', 'nocase', 'prefix'].map((app) => ({ app, count: 1 })));
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/docs?x=1')), { 'app:exact:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/Docs')), { 'status:404': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/v12?a=b')), { 'app:regex:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/v12/x')), { 'status:404': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/apiary')), { 'app:nocase:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/shopping')), { 'app:prefix:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/Shop')), { 'status:404': 1 });
});

test('TranslateRouteMatch: method is the :method header; headers, withoutHeaders and query params all must hold', () => {
  const objects = [
    GATEWAY,
    vs('a', ['x.example.com'], {
      http: [
        { match: [{ method: { exact: 'POST' }, headers: { 'x-canary': { exact: '1' } } }], route: [dest('canary')] },
        { match: [{ queryParams: { debug: { exact: '1' } } }], route: [dest('debug')] },
        { match: [{ withoutHeaders: { 'x-user': { prefix: 'a' } } }], route: [dest('anon')] },
        { route: [dest('web')] },
      ],
    }),
  ];
  const inv = inventory(['canary', 'debug', 'anon', 'web'].map((app) => ({ app, count: 1 })));
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/', 'POST', { 'x-canary': '1', 'x-user': 'al' })), { 'app:canary:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/?debug=1', 'GET', { 'x-user': 'al' })), { 'app:debug:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/?debug=0', 'GET', { 'x-user': 'al' })), { 'app:web:8080': 1 });
  assert.deepEqual(decide(objects, inv, get('x.example.com', '/', 'GET')), { 'app:anon:8080': 1 }, 'a missing header is "" for withoutHeaders');
});

test('destinations: weights over clusters, endpoints by pod; unknown host, undefined subset, missing port or no pods → 503 for that share', () => {
  const dr = obj('DestinationRule', 'catalog', { host: svcHost('catalog'), subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
  const inv = inventory([{ app: 'c1', count: 1, service: 'catalog', version: 'v1' }, { app: 'c2', count: 3, service: 'catalog', version: 'v2' }, { app: 'zero', count: 0 }, { app: 'web', count: 2 }]);
  const route = (dests: unknown[]) => [GATEWAY, dr, vs('a', ['x.example.com'], { http: [{ route: dests }] })];
  assert.deepEqual(decide(route([dest('catalog', 60, { subset: 'v1' }), dest('catalog', 40, { subset: 'v2' })]), inv, get('x.example.com', '/')), { 'app:c1:8080': 0.6, 'app:c2:8080': 0.4 });
  assert.deepEqual(decide(route([dest('catalog')]), inv, get('x.example.com', '/')), { 'app:c1:8080': 0.25, 'app:c2:8080': 0.75 }, 'no subset: every pod of the Service');
  assert.deepEqual(decide(route([dest('catalog', 50, { subset: 'v3' }), dest('web', 50)]), inv, get('x.example.com', '/')), { 'status:503': 0.5, 'app:web:8080': 0.5 });
  assert.deepEqual(decide(route([dest('zero', 20), dest('web', 80)]), inv, get('x.example.com', '/')), { 'status:503': 0.2, 'app:web:8080': 0.8 });
  assert.deepEqual(decide(route([dest('zero', 0), dest('web', 100)]), inv, get('x.example.com', '/')), { 'app:web:8080': 1 }, 'weight 0 is dropped');
  assert.deepEqual(decide(route([dest('web', 7)]), inv, get('x.example.com', '/')), { 'app:web:8080': 1 }, 'one destination: its weight is ignored');
  assert.deepEqual(decide(route([{ destination: { host: 'web.service.consul', port: { number: 8080 } } }]), inv, get('x.example.com', '/')), { 'status:503': 1 });
  assert.deepEqual(decide(route([{ destination: { host: svcHost('web'), port: { number: 9001 } } }]), inv, get('x.example.com', '/')), { 'status:503': 1 });
});

test('ServiceEntry: DNS without endpoints resolves the host; a cluster Service name as endpoint reaches its pods', () => {
  const inv: Inventory = { ...inventory([{ app: 'web', count: 2 }]), dns: new Map([['web.service.consul', { app: 'web', port: 8080, count: 2 }]]) };
  const se = (spec: Record<string, unknown>) => obj('ServiceEntry', 'se', { hosts: ['web.service.consul'], location: 'MESH_INTERNAL', ports: [{ number: 8080, name: 'http-8080', protocol: 'HTTP' }], ...spec });
  const route = [GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [{ destination: { host: 'web.service.consul', port: { number: 8080 } } }] }] })];
  assert.deepEqual(decide([...route, se({ resolution: 'DNS' })], inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  assert.deepEqual(decide([...route, se({ resolution: 'STATIC' })], inv, get('x.example.com', '/')), { 'status:503': 1 });
  assert.deepEqual(decide([...route, se({ resolution: 'DNS', endpoints: [{ address: svcHost('web') }] })], inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  assert.deepEqual(decide([...route, se({ resolution: 'STATIC', workloadSelector: { labels: { app: 'web' } } })], inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  assert.deepEqual(decide([...route, se({ resolution: 'STATIC', workloadSelector: { labels: { app: 'other' } } })], inv, get('x.example.com', '/')), { 'status:503': 1 });
});

test('VirtualService exportTo: one private to another namespace is not seen by the gateway', () => {
  const inv = inventory([{ app: 'web', count: 1 }]);
  const route = (exportTo: string[] | undefined) => [GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [dest('web')] }], ...(exportTo ? { exportTo } : {}) })];
  assert.deepEqual(decide(route(undefined), inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
  assert.deepEqual(decide(route(['.']), inv, get('x.example.com', '/')), { 'status:404': 1 });
  assert.deepEqual(decide(route(['istio-system']), inv, get('x.example.com', '/')), { 'app:web:8080': 1 });
});

test('AuthorizationPolicy: DENY before ALLOW; a DENY rule without ports also denies TCP (its HTTP fields count as matching)', () => {
  const tcpGw = obj('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }, { port: { number: 5432, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] }] });
  const routes = [tcpGw, vs('a', ['x.example.com'], { http: [{ route: [dest('web')] }] }), vs('db', ['db.example.com'], { tcp: [{ match: [{ port: 5432 }], route: [dest('db')] }] })];
  const inv = inventory([{ app: 'web', count: 1 }, { app: 'db', count: 1 }]);
  const deny = (operation: Record<string, unknown>) => obj('AuthorizationPolicy', 'deny', { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation }] }] }, 'istio-system');
  const methodsOnly = deny({ hosts: ['x.example.com', 'x.example.com:*'], notMethods: ['GET'] });
  assert.deepEqual(decide([...routes, methodsOnly], inv, { kind: 'tcp', port: 5432 }), { refused: 1 });
  assert.deepEqual(decide([...routes, methodsOnly], inv, get('x.example.com', '/', 'POST')), { 'status:403': 1 });
  assert.deepEqual(decide([...routes, methodsOnly], inv, get('X.example.com:80', '/', 'POST')), { 'status:403': 1 }, 'hosts ignore case; host:* covers a port');
  assert.deepEqual(decide([...routes, methodsOnly], inv, get('x.example.com', '/', 'GET')), { 'app:web:8080': 1 });
  const withPort = deny({ ports: ['8080'], hosts: ['x.example.com'], notMethods: ['GET'] });
  assert.deepEqual(decide([...routes, withPort], inv, { kind: 'tcp', port: 5432 }), { 'app:db:8080': 1 }, 'the ports match keeps TCP out');
  assert.deepEqual(decide([...routes, withPort], inv, get('x.example.com', '/', 'POST')), { 'status:403': 1 }, 'HTTP reaches the listener on targetPort 8080');
  const wildcard = deny({ hosts: ['*.example.com', '*.example.com:*'], notMethods: ['GET'] });
  assert.deepEqual(decide([...routes, wildcard], inv, get('x.example.com:80', '/', 'POST')), { 'app:web:8080': 1 }, '`*.example.com:*` is a literal suffix: a port bypasses it');
  const allow = obj('AuthorizationPolicy', 'allow', { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }, 'istio-system');
  assert.deepEqual(decide([...routes, allow], inv, { kind: 'tcp', port: 5432 }), { refused: 1 }, 'an ALLOW rule with HTTP fields never matches TCP');
  assert.deepEqual(decide([...routes, allow], inv, get('x.example.com', '/', 'POST')), { 'status:403': 1 });
  assert.deepEqual(decide([...routes, allow], inv, get('x.example.com', '/', 'GET')), { 'app:web:8080': 1 });
  const elsewhere = obj('AuthorizationPolicy', 'deny', { action: 'DENY', rules: [{}] }, NS);
  assert.deepEqual(decide([...routes, elsewhere], inv, get('x.example.com', '/')), { 'app:web:8080': 1 }, 'a policy in another namespace than the gateway pods and the root does not apply');
  const paths = deny({ paths: ['/v*'] });
  assert.deepEqual(decide([...routes, paths], inv, get('x.example.com', '/version?x')), { 'status:403': 1 }, 'a `*` at the end of a path is a prefix');
  assert.deepEqual(decide([...routes, paths], inv, get('x.example.com', '/a/v')), { 'app:web:8080': 1 });
});

test('TCP: the first bound VirtualService with a tcp match for the server port; none → refused; an unexposed port → refused', () => {
  const gw = obj('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 2000, name: 'tcp-2000', protocol: 'TCP' }, hosts: ['*'] }, { port: { number: 15021, name: 'tcp-15021', protocol: 'TCP' }, hosts: ['*'] }] });
  const inv = inventory([{ app: 'a', count: 1 }, { app: 'b', count: 3 }]);
  const objects = [gw, vs('one', ['a.example.com'], { tcp: [{ match: [{ port: 3000 }], route: [dest('a')] }, { match: [{ port: 2000 }], route: [dest('a', 50), dest('b', 50)] }] }), vs('two', ['b.example.com'], { tcp: [{ match: [{ port: 15021 }], route: [dest('b')] }] })];
  assert.deepEqual(decide(objects, inv, { kind: 'tcp', port: 2000 }), { 'app:a:8080': 0.5, 'app:b:8080': 0.5 });
  assert.deepEqual(decide(objects, inv, { kind: 'tcp', port: 3000 }), { refused: 1 });
  assert.deepEqual(decide(objects, inv, { kind: 'tcp', port: 15021 }), { refused: 1 });
});

test('Gateway selector: a Gateway that selects no gateway pod serves nothing', () => {
  const objects = [GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [dest('web')] }] })];
  assert.deepEqual(decide(objects, inventory([{ app: 'web', count: 1 }], { istio: 'ingress' }), get('x.example.com', '/')), { refused: 1 });
});

test("Istio's BASE path normalization: unreserved escapes decoded, dot segments resolved, other escapes kept, query untouched", () => {
  assert.equal(normalizePath('/%61pi/%7Ex?q=%61'), '/api/~x?q=%61');
  assert.equal(normalizePath('/a/./b/../c'), '/a/c');
  assert.equal(normalizePath('/a/b/..'), '/a/');
  assert.equal(normalizePath('/caf%C3%A9%2Fx'), '/caf%C3%A9%2Fx');
  assert.equal(normalizePath('/a\\b'), '/a/b');
});

test('the model refuses what it does not know instead of guessing', () => {
  const inv = inventory([{ app: 'web', count: 1 }]);
  assert.throws(() => decide([GATEWAY, vs('a', ['x.example.com'], { http: [{ route: [dest('web')], delegate: { name: 'x' } }] })], inv, get('x.example.com', '/')), /not modelled/);
  assert.throws(() => buildIstio([obj('EnvoyFilter', 'x', {})], inv), /not modelled/);
});

test('HTTPS: the filter chain is chosen by SNI (exact name, then the longest *.suffix); each TLS server has its own virtual hosts from the VirtualServices of its Gateway', () => {
  const inv = inventory([{ app: 'www', count: 1 }, { app: 'star', count: 1 }]);
  const tlsGw = (name: string, host: string) => obj('Gateway', name, { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: `https-${name}`, protocol: 'HTTPS' }, hosts: [host], tls: { mode: 'SIMPLE', credentialName: name } }] });
  const objects = [
    GATEWAY,
    tlsGw('gw-www', 'www.example.com'),
    tlsGw('gw-star', '*.example.com'),
    obj('VirtualService', 'www', { hosts: ['www.example.com'], gateways: ['gw', 'gw-www'], http: [{ route: [dest('www')] }] }),
    obj('VirtualService', 'star', { hosts: ['*.example.com'], gateways: ['gw', 'gw-star'], http: [{ route: [dest('star')] }] }),
  ];
  const https = (host: string): HttpRequestDesc => ({ ...get(host, '/'), scheme: 'https' });
  assert.deepEqual(decide(objects, inv, https('www.example.com')), { 'app:www:8080': 1 });
  assert.deepEqual(decide(objects, inv, https('a.b.example.com')), { 'app:star:8080': 1 });
  assert.deepEqual(decide(objects, inv, https('example.org')), { refused: 1 }, 'no chain for the SNI');
  // With both VirtualServices on one Gateway, www's HTTPS server also gets the wildcard's routes, in
  // the vhost named www.example.com, and the older VirtualService's come first (here: by name).
  const merged = [GATEWAY, tlsGw('gw-www', 'www.example.com'), obj('VirtualService', 'a-star', { hosts: ['*.example.com'], gateways: ['gw', 'gw-www'], http: [{ route: [dest('star')] }] }), objects[3] as KubeObject];
  assert.deepEqual(decide(merged, inv, https('www.example.com')), { 'app:star:8080': 1 });
});
