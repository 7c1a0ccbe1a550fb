// The Gateway API checker itself: it accepts what the API server accepts and refuses, by schema
// or by CEL rule, each kind of mistake a translator could make. Each bad case names the check that
// must catch it, so a checker that stopped evaluating CEL (or the schema) fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelOf, validateGatewayApi } from './validate-gateway-api.ts';

const meta = (name: string) => ({ name, namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } });
const gateway = (listeners: unknown[]) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('gw'), spec: { gatewayClassName: 'istio', listeners } });
const route = (rules: unknown[], extra: Record<string, unknown> = {}) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('r'), spec: { parentRefs: [{ name: 'gw', sectionName: 'http' }], hostnames: ['a.example.com'], rules, ...extra } });
const backend = { name: 'app', port: 8080, weight: 100 };
const good = [
  gateway([{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'https-a', hostname: 'a.example.com', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'c' }] } }, { name: 'tcp-5432', port: 5432, protocol: 'TCP' }]),
  route([{ name: 'route-1', matches: [{ path: { type: 'PathPrefix', value: '/v1' }, method: 'GET', headers: [{ name: 'x-a', type: 'Exact', value: '1' }] }], backendRefs: [backend], timeouts: { request: '1m30s' }, filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 8080 }, percent: 10 } }] }]),
  route([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]),
  { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: meta('t'), spec: { parentRefs: [{ name: 'gw', sectionName: 'tcp-5432' }], rules: [{ backendRefs: [backend] }] } },
  { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: meta('g'), spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], to: [{ group: '', kind: 'Service' }] } },
];

test('valid objects pass schema and CEL', () => {
  assert.deepEqual(validateGatewayApi(good), []);
});

const bad: { name: string; object: unknown; rule: string }[] = [
  { name: 'a PathPrefix without a leading slash (CEL)', object: route([{ matches: [{ path: { type: 'PathPrefix', value: 'v1' } }], backendRefs: [backend] }]), rule: 'cel' },
  { name: "'%2F' in a path (CEL)", object: route([{ matches: [{ path: { value: '/a%2Fb' } }], backendRefs: [backend] }]), rule: 'cel' },
  { name: 'a redirect beside backendRefs (CEL)', object: route([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }], backendRefs: [backend] }]), rule: 'cel' },
  { name: 'a Service backendRef without a port (CEL)', object: route([{ backendRefs: [{ name: 'app' }] }]), rule: 'cel' },
  { name: 'a backend timeout longer than the request timeout (CEL, duration())', object: route([{ backendRefs: [backend], timeouts: { request: '1s', backendRequest: '2s' } }]), rule: 'cel' },
  { name: 'percent and fraction on one mirror (CEL)', object: route([{ backendRefs: [backend], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 1 }, percent: 1, fraction: { numerator: 1 } } }] }]), rule: 'cel' },
  { name: 'two parentRefs to one section (CEL, __namespace__ escaping)', object: route([{ backendRefs: [backend] }], { parentRefs: [{ name: 'gw', sectionName: 'http' }, { name: 'gw', sectionName: 'http' }] }), rule: 'cel' },
  { name: 'an HTTP listener with tls (CEL)', object: gateway([{ name: 'http', port: 80, protocol: 'HTTP', tls: { mode: 'Terminate', certificateRefs: [{ name: 'c' }] } }]), rule: 'cel' },
  { name: 'two listeners with one name (CEL on the list)', object: gateway([{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'http', port: 8080, protocol: 'HTTP' }]), rule: 'cel' },
  { name: 'a weight above 1000000 (schema)', object: route([{ backendRefs: [{ ...backend, weight: 1000001 }] }]), rule: 'schema/maximum' },
  { name: 'a duration in Go form the pattern refuses (schema)', object: route([{ backendRefs: [backend], timeouts: { request: '1.5s' } }]), rule: 'schema/pattern' },
  { name: 'an unknown field (schema)', object: route([{ backendRefs: [backend], retries: { attempts: 2 } }]), rule: 'schema/additionalProperties' },
  { name: 'a method outside the enum (schema)', object: route([{ matches: [{ method: 'PURGE' }], backendRefs: [backend] }]), rule: 'schema/enum' },
  { name: 'two headers of one name (list-type map)', object: route([{ matches: [{ headers: [{ name: 'x', value: '1' }, { name: 'x', value: '2' }] }], backendRefs: [backend] }]), rule: 'list-type' },
  { name: 'a TCPRoute as v1 (not served)', object: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'TCPRoute', metadata: meta('t'), spec: {} }, rule: 'served' },
];

for (const c of bad) {
  test(`refused: ${c.name}`, () => {
    const rules = validateGatewayApi([c.object as never]).map((p) => p.rule);
    assert.ok(rules.includes(c.rule), `expected a ${c.rule} problem, got ${JSON.stringify(rules)}`);
  });
}

test('channels: TCPRoute is experimental, the rest standard', () => {
  assert.deepEqual(['Gateway', 'HTTPRoute', 'ReferenceGrant', 'GRPCRoute', 'TCPRoute'].map(channelOf), ['standard', 'standard', 'standard', 'standard', 'experimental']);
});
