// The translation's rules that are about names, hosts, ports and refusals (issue 11). Where a rule is
// about where a request goes, test/conformance/ proves it request by request; here each case pins one
// decision of the emitted bundle or one refusal, and would fail if the rule were dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertManifests } from '../../src/app/convert.ts';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { DEFAULT_ISTIO_OPTIONS, type IstioOptions } from '../../src/istio/options.ts';
import { parseRoute } from '../../src/manifest/route-address.ts';
import type { Resource } from '../../src/resource/resource.ts';
import { formatProblems, validateIstio } from './validate-istio.ts';

type Obj = Record<string, any>;

function convert(manifest: string, istio: Partial<IstioOptions> = {}) {
  return convertManifests({
    manifests: [new SourceFile('manifest.yml', manifest)],
    varsFiles: [],
    vars: [],
    routing: { internalDomains: ['apps.internal'] },
    istio: { ...DEFAULT_ISTIO_OPTIONS, ...istio },
  });
}

function refusal(manifest: string, istio: Partial<IstioOptions> = {}): ToolError[] {
  try {
    convert(manifest, istio);
  } catch (error) {
    assert.ok(error instanceof ToolError, String(error));
    return error.details.length > 0 ? [...error.details] : [error];
  }
  assert.fail('expected a refusal');
}

function valid(resources: readonly Resource[]): void {
  const problems = validateIstio(resources as never);
  assert.deepEqual(problems, [], formatProblems(problems));
}

const of = (resources: readonly Resource[], kind: string) => resources.filter((r) => r.kind === kind) as Obj[];

test('route paths are canonical as gorouter keys them: lowercased, one trailing slash trimmed, escapes kept', () => {
  const cases: [string, string][] = [
    ['a.example.com/Docs/', '/docs'],
    ['a.example.com/docs', '/docs'],
    ['a.example.com/caf%C3%A9', '/caf%c3%a9'],
    ['a.example.com/a//b', '/a//b'],
    ["a.example.com/x*y;z=1,a@b:c!$&'()+", "/x*y;z=1,a@b:c!$&'()+"],
  ];
  for (const [route, path] of cases) {
    const parsed = parseRoute(route, undefined);
    assert.ok(parsed.ok, route);
    assert.equal(parsed.address.path, path, route);
  }
  for (const bad of ['a.example.com/a b', 'a.example.com/a%2', 'a.example.com/a%zz', 'a.example.com/a#b', 'a.example.com/a"b', 'a.example.com/a<b', 'a.example.com/café', 'a.example.com/a//']) {
    assert.equal(parseRoute(bad, undefined).ok, false, bad);
  }
});

test('`tcp://host` without a port is refused as Cloud Controller refuses it; `protocol: tcp` gets a port', () => {
  const parsed = parseRoute('tcp://db.example.com', undefined);
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? '' : parsed.message, /is not a properly formed URL/);
  assert.deepEqual(parseRoute('db.example.com', 'tcp'), { ok: true, address: { fqdn: 'db.example.com', tcp: true }, protocol: 'tcp' });
});

test('/docs and /Docs/ are one route: their apps share it', () => {
  const { resources, table } = convert('applications:\n- name: a\n  routes: [{route: x.example.com/docs}]\n- name: b\n  routes: [{route: x.example.com/Docs/}]\n');
  assert.deepEqual(table.routes.map((r) => [r.key, r.destinations.map((d) => `${d.app}=${d.weight}`)]), [['x.example.com/docs', ['a=50', 'b=50']]]);
  valid(resources);
});

test('internal domains take no path, no wildcard host and no port (Cloud Controller route_validator.rb)', () => {
  const messages = refusal(
    'applications:\n- name: a\n  routes:\n  - route: a.apps.internal/api\n  - route: "*.apps.internal"\n  - route: db.apps.internal:5432\n',
  ).map((e) => `${e.code} ${e.message}`);
  assert.deepEqual(messages.sort(), [
    "ROUTE_INVALID For route '*.apps.internal': Wildcard hosts are not supported for internal domains.",
    "ROUTE_INVALID For route 'a.apps.internal/api': Paths are not supported for internal domains.",
    "ROUTE_INVALID For route 'db.apps.internal:5432': Routes with protocol 'http' do not support ports.",
  ]);
});

test('a written TCP port below 1024 or among the gateway proxy ports is refused at the route', () => {
  for (const port of [80, 443, 1023, 15000, 15001, 15006, 15008, 15020, 15021, 15053, 15090]) {
    const [error] = refusal(`applications:\n- name: a\n  routes: [{route: db.example.com:${port}}]\n`);
    assert.equal(error?.code, 'ROUTE_INVALID', String(port));
    assert.match(error?.message ?? '', new RegExp(`Port '${port}' is not available`));
    assert.equal(error?.span?.source.linePos(error.span.start).line, 3);
  }
  assert.doesNotThrow(() => convert('applications:\n- name: a\n  routes: [{route: db.example.com:15002}]\n'));
});

test("a port-less TCP route keeps its port when other routes are added (convert keeps no state)", () => {
  const one = 'applications:\n- name: orders-db\n  routes: [{route: orders-db.example.com, protocol: tcp}]\n';
  const port = (text: string) => convert(text).table.routes.find((r) => r.fqdn === 'orders-db.example.com')?.port;
  const alone = port(one);
  assert.ok(alone !== undefined && alone >= 1024);
  for (let i = 0; i < 40; i++) {
    const more = `${one}- name: db${i}\n  routes: [{route: db${i}.example.com, protocol: tcp}]\n`;
    try {
      assert.equal(port(more), alone, `after adding db${i}`);
    } catch (error) {
      // The only other outcome: the clash is refused, naming the route, never resolved by moving it.
      assert.ok(error instanceof ToolError && error.details.concat(error).some((e) => e.code === 'ROUTE_CONFLICT'), String(error));
    }
  }
});

test('a route none of whose apps runs is not emitted, with a warning; a weighted app with 0 instances gives its share away', () => {
  const { resources, warnings } = convert(
    'applications:\n- name: idle\n  instances: 0\n  routes: [{route: x.example.com/api}]\n- name: web\n  routes: [{route: x.example.com}]\n- name: a\n- name: b\n  instances: 0\n- name: c\nroutes:\n- route: w.example.com\n  destinations: [{name: a, weight: 60}, {name: b, weight: 20}, {name: c, weight: 20}]\n',
  );
  const vs = of(resources, 'VirtualService');
  const x = vs.find((r) => r.spec.hosts[0] === 'x.example.com');
  assert.deepEqual(x?.spec.http.map((h: Obj) => h.name), ['x.example.com'], 'the idle /api route is gone: its requests go to the catch-all');
  const w = vs.find((r) => r.spec.hosts[0] === 'w.example.com');
  assert.deepEqual(w?.spec.http[0].route.map((d: Obj) => [d.destination.host.split('.')[0], d.weight]), [['a', 75], ['c', 25]]);
  assert.ok(warnings.some((w) => w.code === 'ZERO_INSTANCES' && /x\.example\.com\/api/.test(w.message)));
  assert.ok(warnings.some((w) => w.code === 'ZERO_INSTANCES' && /"b" \(weight 20\)/.test(w.message)));
  valid(resources);
});

test('methods never become a gateway policy: no AuthorizationPolicy, the TCP route untouched', () => {
  const { resources } = convert('applications:\n- name: a\n  routes:\n  - route: "*.example.com"\n    methods: [GET]\n  - route: db.example.com:5432\n');
  assert.deepEqual(of(resources, 'AuthorizationPolicy'), []);
  const wildcard = of(resources, 'VirtualService').find((r) => r.spec.hosts[0] === '*.example.com');
  assert.deepEqual(wildcard?.spec.http[0].directResponse, { status: 405 });
  assert.deepEqual(wildcard?.spec.http[0].match, [{ withoutHeaders: { ':method': { exact: 'GET' } } }]);
  const db = of(resources, 'VirtualService').find((r) => r.spec.hosts[0] === 'db.example.com');
  assert.deepEqual(Object.keys(db?.spec), ['hosts', 'gateways', 'tcp']);
  valid(resources);
});

test('the https redirect is a rule of its host, never a Gateway server a wildcard could spread', () => {
  const { resources } = convert(
    'applications:\n- name: a\n  routes:\n  - route: "*.example.com"\n    tls: {credential-name: wild, https-redirect: true}\n- name: b\n  routes: [{route: api.example.com}]\n',
  );
  const gateway = of(resources, 'Gateway')[0] as Obj;
  assert.ok(gateway.spec.servers.every((s: Obj) => s.tls?.httpsRedirect === undefined));
  const vs = of(resources, 'VirtualService');
  assert.deepEqual(vs.find((r) => r.spec.hosts[0] === '*.example.com')?.spec.http[0].redirect, { scheme: 'https', redirectCode: 301 });
  assert.ok(!JSON.stringify(vs.find((r) => r.spec.hosts[0] === 'api.example.com')).includes('redirect'));
  valid(resources);
});

test('two apps on one mesh host must both be versions of it (an app named like a service is refused)', () => {
  const [error] = refusal('applications:\n- name: reviews\n- name: reviews-v2\n  service: reviews\n  version: v2\nroutes:\n- route: reviews.example.com\n  destinations: [{name: reviews, weight: 50}, {name: reviews-v2, weight: 50}]\n');
  assert.equal(error?.code, 'ROUTE_CONFLICT');
  assert.match(error?.message ?? '', /app "reviews" has the mesh host reviews\.default\.svc\.cluster\.local, which app "reviews-v2" uses too/);
  assert.equal(error?.span?.source.linePos(error.span.start).line, 2);
});

test('a host outside the cluster gets a DNS ServiceEntry; versions there need endpoints', () => {
  const consul = { serviceHostTemplate: '{app}.service.consul' };
  const { resources } = convert('applications:\n- name: catalog\n  port: 9090\n  routes: [{route: catalog.example.com}]\n- name: unrouted\n  no-route: true\n', consul);
  assert.deepEqual(
    of(resources, 'ServiceEntry').map((r) => r.spec),
    [{ hosts: ['catalog.service.consul'], location: 'MESH_INTERNAL', ports: [{ number: 9090, name: 'http-9090', protocol: 'HTTP' }], resolution: 'DNS' }],
  );
  valid(resources);
  const [error] = refusal('applications:\n- name: r1\n  service: r\n  version: v1\n  routes: [{route: r.example.com}]\n', consul);
  assert.match(error?.message ?? '', /outside the cluster's Service registry/);
  assert.deepEqual(of(convert('applications:\n- name: a\n  routes: [{route: a.example.com}]\n').resources, 'ServiceEntry'), [], 'a Kubernetes Service host needs none');
});

test('ServiceEntries of one host are merged into one object (never two of one name)', () => {
  const { resources } = convert(
    'applications:\n- name: orders\n  routes: [{route: orders.apps.internal}]\n  service: orders\n  version: v1\n  endpoints: [10.0.0.1]\n',
    { serviceHostTemplate: '{app}.apps.internal' },
  );
  const entries = of(resources, 'ServiceEntry');
  assert.deepEqual(entries.map((r) => r.metadata.name), ['orders.apps.internal']);
  assert.deepEqual(entries[0]?.spec.endpoints, [{ address: '10.0.0.1', labels: { version: 'v1' } }]);
  const names = resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`);
  assert.equal(new Set(names).size, names.length);
});

test('routes hashing on headers that slug alike get subsets of their own', () => {
  const { resources } = convert(
    'applications:\n- name: a\n  routes:\n  - route: one.example.com\n    options: {loadbalancing: hash, hash_header: X-User}\n  - route: two.example.com\n    options: {loadbalancing: hash, hash_header: x_user}\n',
  );
  const dr = of(resources, 'DestinationRule')[0] as Obj;
  const subsets = dr.spec.subsets.map((s: Obj) => [s.name, s.trafficPolicy.loadBalancer.consistentHash.httpHeaderName]);
  assert.equal(new Set(subsets.map((s: string[]) => s[0])).size, 2, JSON.stringify(subsets));
  const used = of(resources, 'VirtualService').map((r) => [r.spec.hosts[0], r.spec.http[0].route[0].destination.subset]);
  const header = new Map(subsets as [string, string][]);
  assert.deepEqual(used.map(([host, subset]) => [host, header.get(subset)]), [['one.example.com', 'x-user'], ['two.example.com', 'x_user']]);
  valid(resources);
});

test('hash_balance 0 is what Istio does: no warning; another value has no Istio field: LOSSY', () => {
  const manifest = (balance: string) => `applications:\n- name: a\n  routes:\n  - route: one.example.com\n    options: {loadbalancing: hash, hash_header: x-user, hash_balance: ${balance}}\n`;
  assert.ok(!convert(manifest('0')).warnings.some((w) => w.code === 'LOSSY'));
  assert.ok(convert(manifest('1.5')).warnings.some((w) => w.code === 'LOSSY'));
});

test('the Gateway selects the pods --gateway-selector names', () => {
  const { resources } = convert('applications:\n- name: a\n  routes: [{route: a.example.com}]\n', { gatewaySelector: { istio: 'ingress' } });
  assert.deepEqual((of(resources, 'Gateway')[0] as Obj).spec.selector, { istio: 'ingress' });
  assert.deepEqual((of(convert('applications:\n- name: a\n  routes: [{route: a.example.com}]\n').resources, 'Gateway')[0] as Obj).spec.selector, { istio: 'ingressgateway' });
});

test('internal routes and http2 each get one notice per run', () => {
  const { warnings } = convert(
    'applications:\n- name: a\n  routes:\n  - {route: a.apps.internal}\n  - {route: b.apps.internal}\n  - {route: g.example.com, protocol: http2}\n  - {route: h.example.com, protocol: http2}\n  - {route: s.example.com, tls: {credential-name: s-cert}}\n',
  );
  const notices = warnings.filter((w) => w.code === 'NOTICE').map((w) => w.message);
  assert.equal(notices.filter((m) => m.includes('DNS proxy')).length, 1);
  assert.equal(notices.filter((m) => m.includes('h2c')).length, 1);
  assert.equal(notices.filter((m) => m.includes('s-cert')).length, 0, 'the Secret namespace is in the docs, not said on every command');
});

test('--gateway NS/NAME binds routes to an existing Gateway and emits none; routes needing servers it cannot add are refused', () => {
  const shared = { gateway: 'istio-ingress/public' };
  const { resources } = convert('applications:\n- name: a\n  routes: [{route: a.example.com}, {route: a.apps.internal}]\n', shared);
  assert.deepEqual(of(resources, 'Gateway'), []);
  assert.deepEqual(of(resources, 'VirtualService').map((r) => [r.spec.hosts[0], r.spec.gateways]), [['a.apps.internal', ['mesh']], ['a.example.com', ['istio-ingress/public']]]);
  valid(resources);
  const errors = refusal('applications:\n- name: a\n  routes:\n  - route: s.example.com\n    tls: {credential-name: s-cert}\n  - route: db.example.com:5432\n', shared);
  assert.deepEqual(errors.map((e) => [e.code, e.span?.source.linePos(e.span.start).line]), [['ROUTE_CONFLICT', 4], ['ROUTE_CONFLICT', 6]]);
  assert.match(errors[0]?.message ?? '', /tls needs an HTTPS server for s\.example\.com \(port 443, credentialName s-cert\) on the Gateway istio-ingress\/public/);
  assert.match(errors[1]?.message ?? '', /needs a TCP server on port 5432 of the Gateway istio-ingress\/public/);
});

test('a `routes:` key, even `routes: []`, means exactly those routes; `default-route: false` is ignored as cf v8 ignores it', () => {
  const withDefault = (manifest: string) =>
    convertManifests({ manifests: [new SourceFile('m.yml', manifest)], varsFiles: [], vars: [], routing: { internalDomains: ['apps.internal'], defaultDomain: 'example.com' }, istio: DEFAULT_ISTIO_OPTIONS }).table.routes.map((r) => r.key);
  assert.deepEqual(withDefault('applications:\n- name: a\n  routes: []\n'), []);
  assert.deepEqual(withDefault('applications:\n- name: a\n  routes: []\n  random-route: true\n'), []);
  assert.deepEqual(withDefault('applications:\n- name: a\n'), ['a.example.com']);
  assert.deepEqual(withDefault('applications:\n- name: a\n  default-route: false\n'), ['a.example.com']);
});

test('silent reinterpretations are said: https:// gives no HTTPS, a port makes TCP, two spellings are one route', () => {
  const { warnings } = convert(
    'applications:\n- name: a\n  routes:\n  - route: https://a.example.com\n  - route: web.example.com:8443\n  - route: db.example.com:5432\n  - route: Shop.example.com/Docs/\n- name: b\n  routes:\n  - route: shop.example.com/docs\n',
  );
  const notices = warnings.filter((w) => w.code === 'NOTICE').map((w) => [w.span?.source.linePos(w.span.start).line, w.message]);
  assert.deepEqual(notices.map(([line, m]) => [line, String(m).split(':')[0]]), [
    [4, 'route https'],
    [5, 'route web.example.com'],
    [10, 'route shop.example.com/docs and route Shop.example.com/Docs/ (at manifest.yml'],
  ]);
  assert.ok(!convert('applications:\n- name: a\n  routes:\n  - route: https://a.example.com\n    tls: {credential-name: c}\n').warnings.some((w) => /https:\/\/ scheme/.test(w.message)));
});

test('validate reports the route rules that need the domain together with every other problem', () => {
  const errors = refusal('applications:\n- name: a\n  instances: two\n  routes:\n  - route: a.apps.internal/api\n  - route: b.example.com:80\n');
  assert.deepEqual(errors.map((e) => [e.code, e.span?.source.linePos(e.span.start).line]), [['SCHEMA', 3], ['ROUTE_INVALID', 5], ['ROUTE_INVALID', 6]]);
});

test("a wildcard route under a host's own path is not copied into the host's VirtualService (it could never match there)", () => {
  const { resources } = convert(`applications:
- name: api
  routes: [{route: api.example.com/v1}]
- name: users
  routes: [{route: "*.example.com/v1/users"}, {route: "*.example.com/v2"}]
- name: star
  routes: [{route: "*.example.com"}]
`);
  // gorouter: api.example.com/v1/users is api's (/v1 is the host's own, tried before the wildcard);
  // the wildcard's /v2 and its catch-all still serve api.example.com's other paths.
  const vs = resources.find((r) => r.kind === 'VirtualService' && (r.spec as Obj)['hosts'][0] === 'api.example.com') as Obj;
  const prefixes = (vs['spec']['http'] as Obj[]).map((e) => (e['match'] ?? []).map((m: Obj) => m['uri']?.['prefix'] ?? m['uri']?.['exact'] ?? m['uri']?.['regex']).join(',') || '*');
  assert.ok(!prefixes.some((p: string) => p.includes('/v1/users')), `no entry for the wildcard's /v1/users: ${prefixes.join(' | ')}`);
  assert.ok(prefixes.some((p: string) => p.includes('/v2')), `the wildcard's /v2 is kept: ${prefixes.join(' | ')}`);
  assert.equal(prefixes.at(-1), '*', 'the wildcard catch-all ends it');
  // istioctl analyze's unreachable-rule checks (IST0130, IST0131) find nothing.
  valid(resources);
});
