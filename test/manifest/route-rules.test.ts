// Cloud Controller's domain rules (src/manifest/route-rules.ts): which hosts lie on an internal domain,
// and what a route on one may not have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInternal, routeProblems } from '../../src/manifest/route-rules.ts';

test('a host is on an internal domain when it is the domain or ends with a dot and the domain', () => {
  const domains = ['apps.internal', 'mesh.local'];
  const cases: [string, boolean][] = [
    ['apps.internal', true],
    ['web.apps.internal', true],
    ['a.b.apps.internal', true],
    ['mesh.local', true],
    ['x.mesh.local', true],
    ['myapps.internal', false], // ends with the domain, but not after a dot
    ['apps.internal.example.com', false],
    ['internal', false],
    ['.apps.internal', true], // a dot and the domain
    ['web.example.com', false],
    ['', false],
  ];
  for (const [fqdn, expected] of cases) assert.equal(isInternal(fqdn, domains), expected, fqdn);
  assert.equal(isInternal('web.apps.internal', []), false, 'no internal domains');
});

test('the protocol given apart from the address gives the same problems as in it', () => {
  const internal = ['apps.internal'];
  for (const address of [{ fqdn: 'a.apps.internal', path: '/x' }, { fqdn: '*.apps.internal' }, { fqdn: 'a.apps.internal', port: 2000 }, { fqdn: 'tcp.example.com', port: 80 }, { fqdn: 'tcp.example.com', port: 15021 }, { fqdn: 'tcp.example.com', port: 2000 }]) {
    for (const protocol of ['http', 'tcp'] as const) {
      assert.deepEqual(routeProblems(address, internal, protocol), routeProblems({ ...address, protocol }, internal), `${JSON.stringify(address)} ${protocol}`);
    }
  }
  assert.equal(routeProblems({ fqdn: 'a.apps.internal', port: 2000 }, internal, 'tcp').length, 1);
  assert.match(routeProblems({ fqdn: 'tcp.example.com', port: 80 }, internal, 'tcp')[0]?.message ?? '', /Port '80' is not available/);
  assert.deepEqual(routeProblems({ fqdn: 'tcp.example.com', port: 80 }, internal, 'http'), [], 'an http route with a port is no TCP port problem');
});
