import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';

const schemaUrl = new URL('../../schemas/manifest.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addVocabulary(['x-cf-message']); // cf's wording per keyword, an annotation (scripts/build.mjs does the same)
const validate = ajv.compile(schema);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function errorsOf(manifest: Json): ErrorObject[] {
  return validate(manifest) ? [] : [...(validate.errors ?? [])];
}

/** A manifest with one app, the app's keys replaced by `app`. */
function oneApp(app: { [key: string]: Json }): Json {
  return { applications: [{ name: 'myapp', ...app }] };
}

const valid: { name: string; manifest: Json }[] = [
  { name: 'simple app', manifest: { applications: [{ name: 'myapp', memory: '512M', instances: 2, path: './app' }] } },
  {
    name: 'every cf app attribute',
    manifest: {
      version: 1,
      applications: [
        {
          name: 'api',
          path: 'api.zip',
          buildpacks: ['java_buildpack', 'https://github.com/cloudfoundry/java-buildpack.git#v4.50'],
          command: 'bundle exec rackup',
          'disk-quota': '1G',
          memory: '1024m',
          instances: 0,
          env: { RAILS_ENV: 'production', WORKERS: 4, DEBUG: false, EMPTY: null },
          features: { ssh: true, revisions: false },
          'health-check-type': 'http',
          'health-check-http-endpoint': '/health',
          'health-check-invocation-timeout': 10,
          'health-check-interval': 30,
          'readiness-health-check-type': 'http',
          'readiness-health-check-http-endpoint': '/ready',
          'readiness-health-check-invocation-timeout': 5,
          'readiness-health-check-interval': 5,
          'log-rate-limit-per-second': '16K',
          lifecycle: 'buildpack',
          metadata: { labels: { team: 'payments', old: null }, annotations: { 'contact.example.com/owner': 'jane' } },
          'no-route': false,
          'random-route': true,
          'default-route': false,
          stack: 'cflinuxfs4',
          timeout: 120,
          routes: [{ route: 'api.example.com' }, { route: 'example.com/api', protocol: 'http2' }, { route: 'tcp.example.com:1024', protocol: 'tcp' }],
          processes: [
            { type: 'web', instances: 3, memory: '256M', 'health-check-type': 'port' },
            { type: 'worker', command: 'bin/worker', disk_quota: '2G', 'health-check-type': 'process', timeout: 15, user: 'vcap', 'log-rate-limit-per-second': -1 },
          ],
          sidecars: [{ name: 'proxy', process_types: ['web'], command: './proxy', memory: '64M' }],
          services: ['db', { name: 'cache', binding_name: 'redis', parameters: { ttl: 60 } }],
        },
      ],
    },
  },
  {
    name: 'multi-app with anchors resolved and an anchor holder at the top level',
    manifest: {
      defaults: { memory: '256M', instances: 2 },
      applications: [
        { name: 'a', memory: '256M', instances: 2 },
        { name: 'b', memory: '256M', instances: 2, 'no-route': true },
      ],
    },
  },
  { name: 'docker app', manifest: oneApp({ docker: { image: 'nginx:1.27', username: 'me' }, lifecycle: 'docker' }) },
  { name: 'underscore spellings', manifest: oneApp({ disk_quota: '512MB', health_check_type: 'none', health_check_http_endpoint: '/h', log_rate_limit_per_second: '1M' }) },
  { name: 'command null', manifest: oneApp({ command: null }) },
  { name: 'log rate 0 and "-1"', manifest: { applications: [{ name: 'a', 'log-rate-limit-per-second': 0 }, { name: 'b', 'log-rate-limit-per-second': '-1' }] } },
  { name: 'empty buildpacks list', manifest: oneApp({ buildpacks: [] }) },
  { name: 'env value that is a list (CC stringifies it)', manifest: oneApp({ env: { JBP_CONFIG: ['a'] } }) },
  {
    name: 'legacy keys and unknown keys are kept',
    manifest: {
      inherit: 'base.yml',
      domain: 'example.com',
      'x-team': 'payments',
      applications: [{ name: 'a', host: 'a', hosts: ['a', 'b'], domain: 'example.com', domains: ['x.com'], 'no-hostname': false, 'x-custom': { any: 1 } }],
    },
  },
  {
    name: 'hash options',
    manifest: oneApp({
      routes: [
        { route: 'a.example.com', options: { loadbalancing: 'hash', hash_header: 'X-User', hash_balance: 1.25 } },
        { route: 'b.example.com', options: { loadbalancing: 'hash', hash_header: 'X-User', hash_balance: '0' } },
        { route: 'c.example.com', options: { loadbalancing: 'hash', hash_header: 'X-User', hash_balance: 10 } },
        { route: 'd.example.com', options: { loadbalancing: 'least-connection' } },
        { route: 'e.example.com', options: {} },
      ],
    }),
  },
  {
    name: 'weighted route extension (PRODUCT example)',
    manifest: {
      applications: [{ name: 'reviews-v1', path: './v1/' }, { name: 'reviews-v2', path: './v2/' }],
      routes: [
        {
          route: 'reviews.example.com',
          destinations: [
            { name: 'reviews-v1', weight: 90 },
            { name: 'reviews-v2', weight: 10, port: 8080, protocol: 'http2' },
          ],
        },
      ],
    },
  },
  {
    name: 'traffic-feature extension',
    manifest: {
      applications: [
        {
          name: 'reviews-v1',
          service: 'reviews',
          version: 'v1',
          port: 9080,
          'circuit-breaker': {
            'max-connections': 1,
            'max-pending-requests': 1,
            'max-requests-per-connection': 1,
            'consecutive-errors': 1,
            interval: '1s',
            'base-ejection-time': '3m',
            'max-ejection-percent': 100,
          },
          endpoints: ['10.1.2.3:9080', 'vm1.internal', '[fd00::1]:9080', 'fd00::2'],
          routes: [{ route: 'r1.example.com', timeout: '500ms', methods: ['GET'], tls: { 'credential-name': 'c' } }],
        },
        { name: 'reviews-v2', service: 'reviews', version: 'v2' },
        { name: 'reviews-v3', service: 'reviews', version: 'v3' },
      ],
      routes: [
        {
          route: 'reviews.example.com',
          timeout: '1s',
          retries: { attempts: 3, 'per-try-timeout': '2s', 'retry-on': ['5xx', 'connect-failure'] },
          fault: { delay: { fixed: '2s', percent: 100 }, abort: { 'http-status': 503, percent: 10 } },
          mirror: { name: 'reviews-v3', percent: 5 },
          methods: ['GET', 'HEAD'],
          tls: { 'credential-name': 'reviews-cert', 'https-redirect': true },
          rules: [
            {
              match: {
                headers: { 'user-agent': { regex: '(iPod|iPhone|iPad)' }, cookie: { regex: '^(.*?;)?(user=jason)(;.*)?$' } },
                path: { prefix: '/api' },
                method: { exact: 'GET' },
                'query-params': { debug: { exact: '1' } },
              },
              destinations: [{ name: 'reviews-v2' }],
              timeout: '1m30s',
            },
          ],
          destinations: [{ name: 'reviews-v1', weight: 100 }],
        },
      ],
    },
  },
];

for (const c of valid) {
  test(`valid: ${c.name}`, () => {
    assert.deepEqual(errorsOf(c.manifest), []);
  });
}

// What the schema refuses on its own; value rules that need code (units, ranges, combinations, metadata
// formats) are proven through the loader in test/manifest/cf-acceptance.test.ts.
const invalid: { name: string; manifest: Json; path: string; keyword: string }[] = [
  { name: 'applications missing', manifest: { version: 1 }, path: '', keyword: 'required' },
  { name: 'applications empty', manifest: { applications: [] }, path: '/applications', keyword: 'minItems' },
  { name: 'applications not a list', manifest: { applications: { name: 'a' } }, path: '/applications', keyword: 'type' },
  { name: 'version as string', manifest: { version: '1', applications: [{ name: 'a' }] }, path: '/version', keyword: 'type' },
  { name: 'instances "two"', manifest: oneApp({ instances: 'two' }), path: '/applications/0/instances', keyword: 'type' },
  { name: 'disk_quota as integer', manifest: oneApp({ disk_quota: 1024 }), path: '/applications/0/disk_quota', keyword: 'type' },
  { name: 'lifecycle unknown', manifest: oneApp({ lifecycle: 'kpack' }), path: '/applications/0/lifecycle', keyword: 'enum' },
  { name: 'buildpack and buildpacks', manifest: oneApp({ buildpack: 'a', buildpacks: ['b'] }), path: '/applications/0', keyword: 'not' },
  { name: 'docker without image', manifest: oneApp({ docker: { username: 'me' } }), path: '/applications/0/docker', keyword: 'required' },
  { name: 'buildpacks not a list', manifest: oneApp({ buildpacks: 'java' }), path: '/applications/0/buildpacks', keyword: 'type' },
  { name: 'env not a map', manifest: oneApp({ env: ['A=1'] }), path: '/applications/0/env', keyword: 'type' },
  { name: 'feature not boolean', manifest: oneApp({ features: { ssh: 'yes' } }), path: '/applications/0/features/ssh', keyword: 'type' },
  { name: 'no-route not boolean', manifest: oneApp({ 'no-route': 'true' }), path: '/applications/0/no-route', keyword: 'type' },
  { name: 'service object without name', manifest: oneApp({ services: [{ binding_name: 'b' }] }), path: '/applications/0/services/0', keyword: 'required' },
  { name: 'service a number', manifest: oneApp({ services: [7] }), path: '/applications/0/services/0', keyword: 'type' },
  { name: 'legacy host a list', manifest: oneApp({ host: ['a'] }), path: '/applications/0/host', keyword: 'type' },
  { name: 'legacy hosts a string', manifest: oneApp({ hosts: 'a' }), path: '/applications/0/hosts', keyword: 'type' },
  { name: 'legacy no-hostname a string', manifest: oneApp({ 'no-hostname': 'yes' }), path: '/applications/0/no-hostname', keyword: 'type' },
  { name: 'app route without route', manifest: oneApp({ routes: [{ protocol: 'http1' }] }), path: '/applications/0/routes/0', keyword: 'required' },
  { name: 'app routes a string', manifest: oneApp({ routes: 'a.example.com' }), path: '/applications/0/routes', keyword: 'type' },
  { name: 'protocol http3', manifest: oneApp({ routes: [{ route: 'a.example.com', protocol: 'http3' }] }), path: '/applications/0/routes/0/protocol', keyword: 'enum' },
  {
    name: 'destination with an unknown key',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ name: 'a', weight: 100, app: 'a' }] }] },
    path: '/routes/0/destinations/0',
    keyword: 'additionalProperties',
  },
  {
    name: 'destination without name',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ weight: 100 }] }] },
    path: '/routes/0/destinations/0',
    keyword: 'required',
  },
  {
    name: 'weight as a string',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ name: 'a', weight: '100' }] }] },
    path: '/routes/0/destinations/0/weight',
    keyword: 'type',
  },
  {
    name: 'weight 90.5',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ name: 'a', weight: 90.5 }] }] },
    path: '/routes/0/destinations/0/weight',
    keyword: 'type',
  },
  {
    name: 'destination port 80',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ name: 'a', port: 80 }] }] },
    path: '/routes/0/destinations/0/port',
    keyword: 'minimum',
  },
  {
    name: 'destination protocol tcp',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [{ name: 'a', protocol: 'tcp' }] }] },
    path: '/routes/0/destinations/0/protocol',
    keyword: 'enum',
  },
  {
    name: 'empty destinations',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destinations: [] }] },
    path: '/routes/0/destinations',
    keyword: 'minItems',
  },
  {
    name: 'top-level route with a typo',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', destination: [{ name: 'a' }] }] },
    path: '/routes/0',
    keyword: 'additionalProperties',
  },
  { name: 'service not a DNS label', manifest: oneApp({ service: 'Reviews' }), path: '/applications/0/service', keyword: 'pattern' },
  { name: 'version not a DNS label', manifest: oneApp({ version: 'v1.0' }), path: '/applications/0/version', keyword: 'pattern' },
  { name: 'app port 0', manifest: oneApp({ port: 0 }), path: '/applications/0/port', keyword: 'minimum' },
  { name: 'app port 65536', manifest: oneApp({ port: 65536 }), path: '/applications/0/port', keyword: 'maximum' },
  {
    name: 'circuit-breaker negative',
    manifest: oneApp({ 'circuit-breaker': { 'max-connections': -1 } }),
    path: '/applications/0/circuit-breaker/max-connections',
    keyword: 'minimum',
  },
  {
    name: 'circuit-breaker max-ejection-percent 101',
    manifest: oneApp({ 'circuit-breaker': { 'max-ejection-percent': 101 } }),
    path: '/applications/0/circuit-breaker/max-ejection-percent',
    keyword: 'maximum',
  },
  {
    name: 'circuit-breaker interval not a duration',
    manifest: oneApp({ 'circuit-breaker': { interval: 1 } }),
    path: '/applications/0/circuit-breaker/interval',
    keyword: 'type',
  },
  { name: 'endpoint with a scheme', manifest: oneApp({ endpoints: ['http://10.0.0.1'] }), path: '/applications/0/endpoints/0', keyword: 'pattern' },
  {
    name: 'route timeout without unit',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', timeout: '10' }] },
    path: '/routes/0/timeout',
    keyword: 'pattern',
  },
  {
    name: 'retries attempts negative',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', retries: { attempts: -1 } }] },
    path: '/routes/0/retries/attempts',
    keyword: 'minimum',
  },
  {
    name: 'retry-on a string',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', retries: { 'retry-on': '5xx' } }] },
    path: '/routes/0/retries/retry-on',
    keyword: 'type',
  },
  {
    name: 'fault percent 150',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', fault: { delay: { fixed: '1s', percent: 150 } } }] },
    path: '/routes/0/fault/delay/percent',
    keyword: 'maximum',
  },
  {
    name: 'abort http-status 600',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', fault: { abort: { 'http-status': 600 } } }] },
    path: '/routes/0/fault/abort/http-status',
    keyword: 'maximum',
  },
  {
    name: 'mirror without name',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', mirror: { percent: 5 } }] },
    path: '/routes/0/mirror',
    keyword: 'required',
  },
  {
    name: 'lowercase method',
    manifest: oneApp({ routes: [{ route: 'a.example.com', methods: ['get'] }] }),
    path: '/applications/0/routes/0/methods/0',
    keyword: 'pattern',
  },
  {
    name: 'https-redirect not boolean',
    manifest: oneApp({ routes: [{ route: 'a.example.com', tls: { 'https-redirect': 'yes' } }] }),
    path: '/applications/0/routes/0/tls/https-redirect',
    keyword: 'type',
  },
  {
    name: 'match with exact and prefix',
    manifest: {
      applications: [{ name: 'a' }],
      routes: [{ route: 'r.example.com', rules: [{ match: { path: { exact: '/a', prefix: '/a' } }, destinations: [{ name: 'a' }] }] }],
    },
    path: '/routes/0/rules/0/match/path',
    keyword: 'maxProperties',
  },
  {
    name: 'header match with neither exact, prefix nor regex',
    manifest: {
      applications: [{ name: 'a' }],
      routes: [{ route: 'r.example.com', rules: [{ match: { headers: { 'x-a': {} } }, destinations: [{ name: 'a' }] }] }],
    },
    path: '/routes/0/rules/0/match/headers/x-a',
    keyword: 'minProperties',
  },
  {
    name: 'rule without destinations',
    manifest: { applications: [{ name: 'a' }], routes: [{ route: 'r.example.com', rules: [{ match: { path: { prefix: '/a' } } }] }] },
    path: '/routes/0/rules/0',
    keyword: 'required',
  },
  {
    name: 'rule destination with unknown key',
    manifest: {
      applications: [{ name: 'a' }],
      routes: [{ route: 'r.example.com', rules: [{ match: { path: { prefix: '/a' } }, destinations: [{ name: 'a', subset: 'v1' }] }] }],
    },
    path: '/routes/0/rules/0/destinations/0',
    keyword: 'additionalProperties',
  },
];

for (const c of invalid) {
  test(`invalid: ${c.name}`, () => {
    const errors = errorsOf(c.manifest);
    const found = errors.some((e) => e.instancePath === c.path && e.keyword === c.keyword);
    assert.ok(
      found,
      `expected ${c.keyword} at "${c.path}", got:\n${errors.map((e) => `  ${e.keyword} at "${e.instancePath}"`).join('\n')}`,
    );
  });
}

/** Every entry of every `properties` map in the schema, with its JSON pointer. */
function* propertySchemas(node: unknown, pointer: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* propertySchemas(child, `${pointer}/${i}`);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' && child !== null && typeof child === 'object') {
      for (const [name, prop] of Object.entries(child)) {
        if (prop !== null && typeof prop === 'object') yield [`${pointer}/properties/${name}`, prop as Record<string, unknown>];
      }
    }
    yield* propertySchemas(child, `${pointer}/${key}`);
  }
}

/** Placeholders that only exist to satisfy ajv's strictRequired inside `not`/`then` (`true`), or that forbid a key. */
function isHelper(prop: Record<string, unknown>): boolean {
  return 'const' in prop && Object.keys(prop).length === 1;
}

test('every property has a description', () => {
  const missing = [...propertySchemas(schema, '#')]
    .filter(([, prop]) => !isHelper(prop) && typeof prop['description'] !== 'string')
    .map(([pointer]) => pointer);
  assert.deepEqual(missing, []);
});

test('the schema is draft-07 with a stable $id', () => {
  assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema['$id'], 'https://cfmesh.dev/schemas/manifest.schema.json');
});

test('errors are collected, not stopped at the first', () => {
  const errors = errorsOf({ version: '2', applications: [{ name: 'a', instances: 'two', 'no-route': 'yes' }] });
  const paths = new Set(errors.map((e) => e.instancePath));
  assert.ok(paths.has('/version') && paths.has('/applications/0/instances') && paths.has('/applications/0/no-route'));
});
