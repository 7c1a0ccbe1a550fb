// Reading live HTTPRoutes and TCPRoutes back as cf routes, and the weights-only JSON patch: cfmesh's
// own rules by their names, another tool's by their first path match; the patch touches only
// backendRefs[*].weight and refuses a backend it cannot find.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { gatewayApiLive, weightOps } from '../../src/gateway-api/live.ts';
import type { LiveObject } from '../../src/target/live.ts';

const live = gatewayApiLive();
const ours: LiveObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'api.example.com', namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } },
  spec: {
    hostnames: ['api.example.com'],
    rules: [
      { name: 'route-1-rule-1', matches: [{ path: { type: 'PathPrefix', value: '/v1' }, headers: [{ name: 'x', value: '1' }] }], backendRefs: [{ name: 'canary', port: 8080, weight: 100 }] },
      { name: 'route-1', matches: [{ path: { type: 'PathPrefix', value: '/v1' }, method: 'GET' }], backendRefs: [{ name: 'a', port: 8080, weight: 60 }, { name: 'b', port: 8080, weight: 40 }] },
      { name: 'route-1-methods', matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], backendRefs: [{ name: 'a', port: 8080, weight: 0 }] },
      { name: 'route-2', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'a', port: 8080 }] },
      { name: 'fallback-1-route-1', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'star', port: 8080, weight: 100 }] },
    ],
  },
};
const theirs: LiveObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'other', namespace: 'default', managedFields: [{ manager: 'argocd' }] },
  spec: {
    hostnames: ['shop.example.com'],
    rules: [
      { matches: [{ path: { type: 'Exact', value: '/cart' } }], backendRefs: [{ name: 'cart', namespace: 'shop', port: 80 }] },
      { matches: [{ path: { type: 'RegularExpression', value: '/x.*' } }], backendRefs: [{ name: 'x', port: 80 }] },
      { backendRefs: [{ name: 'web', port: 80, weight: 1 }] },
    ],
  },
};
const tcp: LiveObject = { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: { name: 'tcp-5432.db.example.com' }, spec: { parentRefs: [{ name: 'gw', sectionName: 'tcp-5432' }], rules: [{ backendRefs: [{ name: 'db', port: 5432, weight: 100 }] }] } };

test("reads cfmesh's own rules by name and other tools' by path; HTTP first, then TCP", () => {
  const routes = live.read([theirs, tcp, ours]).map((r) => ({ fqdn: r.fqdn, path: r.path, port: r.port, own: r.own, managedBy: r.managedBy, rule: r.rule, apps: r.destinations.map((d) => `${d.key}=${d.weight ?? '-'}`) }));
  assert.deepEqual(routes, [
    { fqdn: 'api.example.com', path: '/v1', port: undefined, own: true, managedBy: 'cfmesh', rule: 'route-1', apps: ['a=60', 'b=40'] },
    { fqdn: 'api.example.com', path: undefined, port: undefined, own: true, managedBy: 'cfmesh', rule: 'route-2', apps: ['a=-'] },
    { fqdn: 'shop.example.com', path: '/cart', port: undefined, own: false, managedBy: 'argocd', rule: 0, apps: ['shop/cart=-'] },
    { fqdn: 'shop.example.com', path: undefined, port: undefined, own: false, managedBy: 'argocd', rule: 2, apps: ['web=1'] },
    { fqdn: 'db.example.com', path: undefined, port: 5432, own: false, managedBy: 'unknown', rule: 0, apps: ['db=100'] },
  ]);
});

test('the weight patch: replace where a weight is written, add where none is, nothing where it is right', () => {
  assert.deepEqual(weightOps(ours, 'route-1', new Map([['a', 90], ['b', 40]])), [{ op: 'replace', path: '/spec/rules/1/backendRefs/0/weight', value: 90 }]);
  assert.deepEqual(weightOps(ours, 'route-2', new Map([['a', 100]])), [{ op: 'add', path: '/spec/rules/3/backendRefs/0/weight', value: 100 }]);
  assert.deepEqual(weightOps(theirs, 0, new Map([['shop/cart', 5]])), [{ op: 'add', path: '/spec/rules/0/backendRefs/0/weight', value: 5 }]);
});

test('the weight patch refuses a rule or backend that is not there (NOT_FOUND) and a bad weight (WEIGHTS)', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof ToolError ? e.code : 'other';
    }
    return 'none';
  };
  assert.equal(code(() => weightOps(ours, 'route-9', new Map([['a', 1]]))), 'NOT_FOUND');
  assert.equal(code(() => weightOps(ours, 'route-1', new Map([['c', 1]]))), 'NOT_FOUND');
  assert.equal(code(() => weightOps(ours, 'route-1', new Map([['a', 1.5]]))), 'WEIGHTS');
});
