// Hand-written cases pinning each rule of the Gateway API model (gateway-api-model.ts) to the CRD
// text it cites, independent of cfmesh: if a rule of the model were wrong, the matching case fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGatewayApi, gatewayApiDecide } from './gateway-api-model.ts';
import type { KubeObject } from './istio-model.ts';
import { deploymentInventory } from './inventory.ts';
import type { ManifestDesc, RequestDesc } from './manifest-desc.ts';
import { formatShares } from './outcome.ts';

const APPS: ManifestDesc = { apps: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, noRoute: true })), routes: [] };
const meta = (name: string) => ({ name, namespace: 'default' });
const gateway: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: meta('gw'),
  spec: {
    gatewayClassName: 'istio',
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP' },
      { name: 'https-star', hostname: '*.example.com', port: 443, protocol: 'HTTPS' },
      { name: 'https-www', hostname: 'www.example.com', port: 443, protocol: 'HTTPS' },
      { name: 'tcp-5432', port: 5432, protocol: 'TCP' },
    ],
  },
};
const to = (app: string, weight = 1) => ({ name: app, port: 8080, weight });
const route = (name: string, hostnames: string[], rules: object[], section = 'http'): KubeObject => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(name), spec: { parentRefs: [{ name: 'gw', sectionName: section }], hostnames, rules } });
const prefix = (value: string, extra: object = {}) => ({ path: { type: 'PathPrefix', value }, ...extra });
const req = (host: string, target: string, method = 'GET', headers: Record<string, string> = {}, scheme: 'http' | 'https' = 'http'): RequestDesc => ({ kind: 'http', method, host, target, headers, scheme });

function decide(objects: KubeObject[], request: RequestDesc): string {
  return formatShares(gatewayApiDecide(buildGatewayApi([gateway, ...objects], deploymentInventory(APPS)), request));
}

const one = (app: string) => `{app:${app}:8080=100%}`;

const cases: { name: string; objects: KubeObject[]; request: RequestDesc; expected: string }[] = [
  { name: 'HR: PathPrefix /abc matches /abc/def', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/abc')], backendRefs: [to('a')] }])], request: req('x.example.com', '/abc/def'), expected: one('a') },
  { name: 'HR: PathPrefix /abc does not match /abcd', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/abc')], backendRefs: [to('a')] }])], request: req('x.example.com', '/abcd'), expected: '{status:404=100%}' },
  { name: 'HR: PathPrefix /abc/ (trailing slash ignored) matches /abc', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/abc/')], backendRefs: [to('a')] }])], request: req('x.example.com', '/abc'), expected: one('a') },
  { name: 'HR: paths match case-sensitively', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/abc')], backendRefs: [to('a')] }])], request: req('x.example.com', '/ABC'), expected: '{status:404=100%}' },
  { name: 'HR precedence: Exact before a longer-listed PathPrefix', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/v1')], backendRefs: [to('a')] }, { matches: [{ path: { type: 'Exact', value: '/v1' } }], backendRefs: [to('b')] }])], request: req('x.example.com', '/v1'), expected: one('b') },
  { name: 'HR precedence: the longest prefix, whatever the list order', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/v1')], backendRefs: [to('a')] }, { matches: [prefix('/v1/users')], backendRefs: [to('b')] }])], request: req('x.example.com', '/v1/users/1'), expected: one('b') },
  { name: 'HR precedence: a method match before more header matches', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/', { headers: [{ name: 'x-a', value: '1' }, { name: 'x-b', value: '1' }] })], backendRefs: [to('a')] }, { matches: [prefix('/', { method: 'POST' })], backendRefs: [to('b')] }])], request: req('x.example.com', '/', 'POST', { 'x-a': '1', 'x-b': '1' }), expected: one('b') },
  { name: 'HR precedence: more header matches before more query matches', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/', { queryParams: [{ name: 'q', value: '1' }, { name: 'r', value: '1' }] })], backendRefs: [to('a')] }, { matches: [prefix('/', { headers: [{ name: 'X-A', value: '1' }] })], backendRefs: [to('b')] }])], request: req('x.example.com', '/?q=1&r=1', 'GET', { 'x-a': '1' }), expected: one('b') },
  { name: 'HR precedence: a tie goes to the first rule in list order', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/', { headers: [{ name: 'x-a', value: '1' }] })], backendRefs: [to('a')] }, { matches: [prefix('/', { headers: [{ name: 'x-b', value: '1' }] })], backendRefs: [to('b')] }])], request: req('x.example.com', '/', 'GET', { 'x-a': '1', 'x-b': '1' }), expected: one('a') },
  { name: 'HR: header regex matches the whole value (Istio: RE2 full match)', objects: [route('r', ['x.example.com'], [{ matches: [prefix('/', { headers: [{ name: 'ua', type: 'RegularExpression', value: 'i.*' }] })], backendRefs: [to('a')] }])], request: req('x.example.com', '/', 'GET', { ua: 'xiPhone' }), expected: '{status:404=100%}' },
  { name: 'HR hostnames: the exact hostname route wins over the wildcard one', objects: [route('star', ['*.example.com'], [{ backendRefs: [to('a')] }]), route('api', ['api.example.com'], [{ matches: [prefix('/v1')], backendRefs: [to('b')] }])], request: req('api.example.com', '/v1'), expected: one('b') },
  { name: 'HR hostnames: a request no rule of the exact route matches goes to the wildcard route', objects: [route('star', ['*.example.com'], [{ backendRefs: [to('a')] }]), route('api', ['api.example.com'], [{ matches: [prefix('/v1')], backendRefs: [to('b')] }])], request: req('api.example.com', '/v2'), expected: one('a') },
  { name: 'HR hostnames: *.example.com does not match example.com; port in Host ignored', objects: [route('star', ['*.example.com'], [{ backendRefs: [to('a')] }])], request: req('Example.com:80', '/'), expected: '{status:404=100%}' },
  { name: 'HR hostnames: port in the Host header is ignored, letter case too', objects: [route('star', ['*.example.com'], [{ backendRefs: [to('a')] }])], request: req('X.Example.com:8080', '/'), expected: one('a') },
  { name: 'GW listeners: SNI www.example.com takes the exact listener over the wildcard', objects: [route('w', ['www.example.com'], [{ backendRefs: [to('a')] }], 'https-www'), route('s', ['*.example.com'], [{ backendRefs: [to('b')] }], 'https-star')], request: req('www.example.com', '/', 'GET', {}, 'https'), expected: one('a') },
  { name: 'GW listeners: no HTTPS listener for the SNI → refused', objects: [], request: req('www.example.org', '/', 'GET', {}, 'https'), expected: '{refused=100%}' },
  { name: 'HR parentRefs: a route attached to another listener does not serve this one', objects: [route('s', ['*.example.com'], [{ backendRefs: [to('b')] }], 'https-star')], request: req('x.example.com', '/'), expected: '{status:404=100%}' },
  { name: 'HR weight: backends split by weight', objects: [route('r', ['x.example.com'], [{ backendRefs: [to('a', 90), to('b', 10)] }])], request: req('x.example.com', '/'), expected: '{app:a:8080=90%, app:b:8080=10%}' },
  { name: 'HR weight: every weight 0 → 500 (Istio conversion.go)', objects: [route('r', ['x.example.com'], [{ backendRefs: [to('a', 0)] }])], request: req('x.example.com', '/'), expected: '{status:500=100%}' },
  { name: 'HR backendRefs: a Service without endpoints → 503', objects: [route('r', ['x.example.com'], [{ backendRefs: [{ name: 'nobody', port: 8080 }] }])], request: req('x.example.com', '/'), expected: '{status:503=100%}' },
  { name: 'HR filters: RequestRedirect answers its status', objects: [route('r', ['x.example.com'], [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }])], request: req('x.example.com', '/a'), expected: '{status:301=100%}' },
  {
    name: 'TR: a connection to a TCP listener goes to its TCPRoute',
    objects: [{ apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: meta('t'), spec: { parentRefs: [{ name: 'gw', sectionName: 'tcp-5432' }], rules: [{ backendRefs: [to('c')] }] } }],
    request: { kind: 'tcp', port: 5432 },
    expected: one('c'),
  },
];

for (const c of cases) {
  test(c.name, () => assert.equal(decide(c.objects, c.request), c.expected));
}

test('fields the model does not know make it throw, never guess', () => {
  assert.throws(() => decide([route('r', ['x.example.com'], [{ backendRefs: [to('a')], retry: { attempts: 2 } }])], req('x.example.com', '/')), /not modelled/);
  assert.throws(() => decide([route('r', ['x.example.com'], [{ matches: [{ path: { type: 'RegularExpression', value: '/.*' } }], backendRefs: [to('a')] }])], req('x.example.com', '/')), /not modelled/);
});
