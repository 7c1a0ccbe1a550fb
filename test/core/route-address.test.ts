import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoute, routeUrl, splitHostDomain } from '../../src/manifest/route-address.ts';

const ok: { route: string; protocol?: 'http1' | 'http2' | 'tcp'; url: string; kind: 'http1' | 'http2' | 'tcp' }[] = [
  { route: 'reviews.example.com', url: 'reviews.example.com', kind: 'http1' },
  { route: 'Reviews.Example.COM', url: 'reviews.example.com', kind: 'http1' },
  { route: 'https://shop.example.com/cart', url: 'shop.example.com/cart', kind: 'http1' },
  { route: 'example.com', url: 'example.com', kind: 'http1' },
  { route: '*.example.com', url: '*.example.com', kind: 'http1' },
  { route: 'tcp.example.com:1024', url: 'tcp.example.com:1024', kind: 'tcp' },
  { route: 'tcp://tcp.example.com:1025', url: 'tcp.example.com:1025', kind: 'tcp' },
  { route: 'grpc.example.com', protocol: 'http2', url: 'grpc.example.com', kind: 'http2' },
  { route: 'a.example.com/api/v2', url: 'a.example.com/api/v2', kind: 'http1' },
];
for (const c of ok) {
  test(`route ${c.route} parses`, () => {
    const parsed = parseRoute(c.route, c.protocol);
    assert.ok(parsed.ok, !parsed.ok ? parsed.message : '');
    assert.equal(routeUrl(parsed.address), c.url);
    assert.equal(parsed.protocol, c.kind);
  });
}

const bad = [
  'example.com/', // path cannot be exactly /
  'my_app.example.com', // underscore: not a DNS label
  'ftp://files.example.com',
  'api.example.com/v1?debug=true',
  'db.example.com:5432/path',
  'localhost',
  '-bad.example.com',
  'bücher.example.com',
  `a.example.com/${'x'.repeat(200)}`,
  'a.example.com:0',
  'a.example.com:99999',
  '10.0.0.1',
  ' spaced.example.com',
  '',
];
for (const route of bad) {
  test(`route ${JSON.stringify(route.slice(0, 40))} is refused`, () => {
    const parsed = parseRoute(route, undefined);
    assert.equal(parsed.ok, false);
  });
}

test('http1 with a port is refused as cf refuses it; tcp without one gets its port allocated later', () => {
  assert.equal(parseRoute('web.example.com:8080', 'http1').ok, false);
  assert.deepEqual(parseRoute('tcp.example.com', 'tcp'), { ok: true, address: { fqdn: 'tcp.example.com', tcp: true }, protocol: 'tcp' });
});

test('host and domain split prefers known domains', () => {
  assert.deepEqual(splitHostDomain('reviews.example.com', []), { host: 'reviews', domain: 'example.com' });
  assert.deepEqual(splitHostDomain('example.com', ['example.com']), { host: '', domain: 'example.com' });
  assert.deepEqual(splitHostDomain('a.b.example.com', ['b.example.com']), { host: 'a', domain: 'b.example.com' });
});
