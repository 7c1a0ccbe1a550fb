// The direct YAML emitter must print exactly what the yaml library prints, or decline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fastYamlDocument } from '../../src/render/fast-yaml.ts';
import { libraryYamlDocument } from '../../src/render/render.ts';

const agree = (value: unknown) => {
  const fast = fastYamlDocument(value);
  if (fast !== undefined) assert.equal(fast, libraryYamlDocument(value), JSON.stringify(value));
  return fast;
};

test('a VirtualService renders as the library renders it', () => {
  const vs = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews.example.com', namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } },
    spec: {
      hosts: ['reviews.example.com'],
      gateways: ['cloudfoundry-ingress'],
      http: [
        { name: 'reviews.example.com/api', match: [{ uri: { exact: '/api' } }, { uri: { prefix: '/api/' } }], route: [{ destination: { host: 'a.default.svc.cluster.local', port: { number: 8080 } }, weight: 100 }] },
        { name: 'reviews.example.com', route: [{ destination: { host: 'b', port: { number: 8080 } }, weight: 90 }, { destination: { host: 'c', port: { number: 8080 } }, weight: 10 }] },
      ],
      tcp: [{ match: [{ port: 1024 }], route: [{ destination: { host: 'd' }, weight: 0 }] }],
      flags: { enabled: true, dry: false },
    },
  };
  assert.notEqual(agree(vs), undefined);
});

test('writes the Gateway wildcard and YAML 1.1 words quoted, as the library does', () => {
  for (const value of [{ hosts: ['*'] }, { a: 'yes', b: ['No', 'e0', 'E-12'] }]) assert.notEqual(agree(value), undefined, JSON.stringify(value));
});

test('writes rule names with words and wildcard hosts as the library does', () => {
  for (const value of [
    { name: 'x.example.com https-redirect', hosts: ['*.example.com'] },
    { name: '*.d.example.com/api (fallback for h.example.com)', b: ['*', '*.a.b', 'a (b) c'] },
    { exact: '1', b: ['007', '08', '0.5', '1.0', '10.25', '123456789012345678901234567890'] },
  ]) assert.notEqual(agree(value), undefined, JSON.stringify(value));
});

test('declines what needs a quoting decision, and the library decides', () => {
  for (const value of [
    { y: 1 },
    { a: '' },
    { a: 1.5 },
    { a: null },
    { a: {} },
    { a: [] },
    { a: [[1]] },
    { a: undefined },
    { a: 'x: y' },
    { a: 'a b ' },
    { a: 'a  b' },
    { a: 'a #b' },
    { a: '*a: b' },
    { a: '1 2' },
    { a: '2024-01-01' },
    { a: 'multi\nline' },
    { ['k'.repeat(1001)]: 1 },
    (() => { const shared = { x: 1 }; return { a: shared, b: shared }; })(),
  ]) {
    assert.equal(fastYamlDocument(value), undefined, JSON.stringify(value));
  }
});

// strings the emitter would write plain (so every near-miss of a YAML 1.1 tag is tried) and others
const word = fc.oneof(
  fc.stringMatching(/^[A-Za-z_/][\w./-]{0,5}$/),
  fc.stringMatching(/^[A-Za-z_/.0-9:* -]{0,12}$/),
  // words with spaces and parentheses, a wildcard first or not (rule names, wildcard hosts)
  fc.stringMatching(/^\*?[A-Za-z_/.0-9()#:*' -]{0,16}$/),
  // numbers as strings (header values), with near misses
  fc.stringMatching(/^[-+.0-9_:eE]{1,10}$/),
);
const leaf = fc.oneof(word, fc.integer(), fc.boolean(), fc.constantFrom('yes', 'No', 'ON', 'null', '~', '-1', '0x1F', '1:20', '.inf', 'y', '/api/v1', 'a.b-c_d'));
const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('map'), tie('list')),
  map: fc.dictionary(word, tie('value'), { minKeys: 0, maxKeys: 4 }),
  list: fc.array(tie('value'), { minLength: 0, maxLength: 4 }),
}));

test('property: for any value, the emitter agrees with the library or declines', () => {
  fc.assert(
    fc.property(tree.map, (value) => {
      agree(value);
    }),
    { numRuns: Number(process.env['FUZZ_RUNS'] ?? 2000) },
  );
});

test('property: resource-shaped values are taken by the emitter', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}$/).filter((s) => !/^(y|n|yes|no|true|false|on|off|null|e[-+]?\d+)$/i.test(s));
  const dest = fc.record({ destination: fc.record({ host: name, port: fc.record({ number: fc.integer({ min: 1, max: 65535 }) }) }), weight: fc.integer({ min: 0, max: 100 }) });
  const resource = fc.record({
    apiVersion: fc.constant('networking.istio.io/v1'),
    kind: fc.constantFrom('VirtualService', 'DestinationRule'),
    metadata: fc.record({ name, namespace: name }),
    spec: fc.record({ hosts: fc.array(name, { minLength: 1, maxLength: 3 }), http: fc.array(fc.record({ name, route: fc.array(dest, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }) }),
  });
  fc.assert(
    fc.property(resource, (value) => {
      assert.notEqual(agree(value), undefined);
    }),
    { numRuns: 500 },
  );
});

test('every spelling of the YAML 1.1 words agrees with the library', () => {
  const words = ['yes', 'no', 'true', 'false', 'on', 'off', 'null', 'y', 'n', 'e0', 'e-1', 'e+2'];
  for (const word of words) {
    // every upper/lower-case combination
    for (let mask = 0; mask < 1 << word.length; mask++) {
      const spelled = [...word].map((ch, i) => (mask & (1 << i) ? ch.toUpperCase() : ch)).join('');
      agree({ a: spelled, b: [spelled] });
    }
  }
});
