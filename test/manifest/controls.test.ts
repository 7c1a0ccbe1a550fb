import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRetryOnToken, parseEndpoint, pathWithinRoute } from '../../src/manifest/controls.ts';

test('retry-on accepts Istio policies and status codes only', () => {
  for (const ok of ['5xx', 'gateway-error', 'connect-failure', 'retriable-4xx', 'cancelled', 'unavailable', '503', '429']) assert.equal(checkRetryOnToken(ok), undefined, ok);
  for (const bad of ['5XX', 'sometimes', '5xx,reset', ' 5xx', 'reset ', '99', '600', '']) assert.notEqual(checkRetryOnToken(bad), undefined, bad);
});

const endpoints = [
  { input: '10.1.2.3:9080', expected: { ok: true, address: '10.1.2.3', port: 9080, ip: true } },
  { input: '10.1.2.3', expected: { ok: true, address: '10.1.2.3', port: undefined, ip: true } },
  { input: '[fd00::5]:9080', expected: { ok: true, address: 'fd00::5', port: 9080, ip: true } },
  { input: 'fd00::5', expected: { ok: true, address: 'fd00::5', port: undefined, ip: true } },
  { input: 'VM1.Corp.example.net:8443', expected: { ok: true, address: 'vm1.corp.example.net', port: 8443, ip: false } },
];
for (const c of endpoints) test(`endpoint ${c.input}`, () => assert.deepEqual(parseEndpoint(c.input), c.expected));
for (const bad of ['10.1.2.300', '10.1.2.3:0', '10.1.2.3:70000', 'localhost', '1.2.3']) test(`endpoint ${bad} is refused`, () => assert.equal(parseEndpoint(bad).ok, false));

const paths = [
  { name: 'no path condition', match: {}, ok: true },
  { name: 'exact below', match: { exact: '/api/v2' }, ok: true },
  { name: 'exact equal', match: { exact: '/api' }, ok: true },
  { name: 'exact beside', match: { exact: '/apix' }, ok: false },
  { name: 'prefix below', match: { prefix: '/api/v2/' }, ok: true },
  { name: 'prefix implied by the route', match: { prefix: '/a' }, ok: true },
  { name: 'prefix outside', match: { prefix: '/web' }, ok: false },
  { name: 'regex', match: { regex: '/api/.*' }, ok: false },
];
for (const c of paths) test(`rule path on route /api: ${c.name}`, () => assert.equal(pathWithinRoute(c.match, '/api') === undefined, c.ok));
