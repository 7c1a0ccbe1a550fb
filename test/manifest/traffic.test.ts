// The one parser of the traffic extension (manifest shape → typed values) and its way back (what the
// state stores): table-driven cases, and a round trip over generated values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAppExtensions, parseLoadBalancing, parseRouteControls, toManifestControls, toRouteOptions } from '../../src/manifest/controls.ts';
import type { MatchRule, RouteControls, StringMatch } from '../../src/manifest/traffic.ts';
import { controlledApps, ruleControls, sameControl } from '../../src/manifest/traffic.ts';

const routeCases: { name: string; raw: Record<string, unknown>; expected: RouteControls }[] = [
  { name: 'nothing', raw: {}, expected: {} },
  { name: 'timeout in milliseconds', raw: { timeout: '1m30s' }, expected: { timeoutMs: 90_000 } },
  { name: 'a fractional duration', raw: { timeout: '1.5s' }, expected: { timeoutMs: 1500 } },
  { name: 'an invalid duration is left out (the checks report it)', raw: { timeout: '1.5ms' }, expected: {} },
  { name: 'a duration of the wrong type is left out', raw: { timeout: 5 }, expected: {} },
  {
    name: 'retries as given, no default filled in',
    raw: { retries: { 'retry-on': ['5xx', 'reset'], 'per-try-timeout': '2s' } },
    expected: { retries: { perTryTimeoutMs: 2000, retryOn: ['5xx', 'reset'] } },
  },
  { name: 'retries off', raw: { retries: { attempts: 0 } }, expected: { retries: { attempts: 0 } } },
  { name: 'unknown keys of a control are not read', raw: { retries: { attempts: 3, perTryTimeout: '2s' } }, expected: { retries: { attempts: 3 } } },
  {
    name: 'fault: delay and abort, percent only when given',
    raw: { fault: { delay: { fixed: '2s' }, abort: { 'http-status': 503, percent: 10 } } },
    expected: { fault: { delay: { fixedMs: 2000 }, abort: { httpStatus: 503, percent: 10 } } },
  },
  { name: 'a fault with nothing usable is no fault', raw: { fault: { delay: { percent: 5 } } }, expected: {} },
  { name: 'mirror', raw: { mirror: { name: 'shadow', percent: 5 } }, expected: { mirror: { app: 'shadow', percent: 5 } } },
  { name: 'methods as written', raw: { methods: ['POST', 'GET'] }, expected: { methods: ['POST', 'GET'] } },
  { name: 'tls without redirect', raw: { tls: { 'credential-name': 'cert' } }, expected: { tls: { credentialName: 'cert', httpsRedirect: false } } },
  { name: 'tls without a secret is no tls', raw: { tls: { 'https-redirect': true } }, expected: {} },
  {
    name: 'a rule: match conditions in written order, own controls only',
    raw: {
      timeout: '1s',
      rules: [
        {
          match: { headers: { 'X-B': { exact: 'b' }, 'x-a': { regex: 'a.*' } }, 'query-params': { q: { prefix: 'p' } }, method: { exact: 'GET' }, path: { prefix: '/api/' } },
          destinations: [{ name: 'v2', weight: 100 }],
          retries: { attempts: 1 },
        },
      ],
    },
    expected: {
      timeoutMs: 1000,
      rules: [
        {
          retries: { attempts: 1 },
          match: {
            headers: [
              { name: 'X-B', match: { type: 'exact', value: 'b' } },
              { name: 'x-a', match: { type: 'regex', value: 'a.*' } },
            ],
            queryParams: [{ name: 'q', match: { type: 'prefix', value: 'p' } }],
            method: { type: 'exact', value: 'GET' },
            path: { type: 'prefix', value: '/api/' },
          },
          destinations: [{ app: 'v2', weight: 100 }],
        },
      ],
    },
  },
];
for (const c of routeCases) test(`parseRouteControls: ${c.name}`, () => assert.deepEqual(parseRouteControls(c.raw), c.expected));

test('parseRouteControls records where each control and rule is written when told', () => {
  const raw = { timeout: '1s', rules: [{ match: { method: { exact: 'GET' } }, destinations: [{ name: 'a' }] }] };
  const span = (what: string) => ({ source: { name: what } }) as never;
  const parsed = parseRouteControls(raw, { at: (_c, k) => span(`at ${String(k)}`), keyAt: (_c, k) => span(`key ${String(k)}`) });
  assert.deepEqual(parsed.spans, { timeout: span('key timeout'), rules: span('key rules') });
  assert.deepEqual(parsed.rules?.[0]?.span, span('at 0'));
  assert.ok(sameControl(parsed, parseRouteControls(raw)), 'where it is written does not make a control different');
});

const lbCases: { name: string; options: Record<string, string>; expected: ReturnType<typeof parseLoadBalancing> }[] = [
  { name: 'none', options: {}, expected: undefined },
  { name: 'round-robin', options: { loadbalancing: 'round-robin' }, expected: { algorithm: 'round-robin' } },
  { name: 'hash with header and balance', options: { loadbalancing: 'hash', hash_header: 'X-User', hash_balance: '1.5' }, expected: { algorithm: 'hash', hashHeader: 'X-User', hashBalance: 1.5 } },
  { name: 'hash options without loadbalancing (Cloud Controller keeps them)', options: { hash_header: 'X-User' }, expected: { hashHeader: 'X-User' } },
  { name: 'an unknown algorithm is none', options: { loadbalancing: 'random' }, expected: undefined },
];
for (const c of lbCases) test(`parseLoadBalancing: ${c.name}`, () => assert.deepEqual(parseLoadBalancing(c.options), c.expected));

const appCases: { name: string; raw: Record<string, unknown>; expected: ReturnType<typeof parseAppExtensions> }[] = [
  { name: 'a plain app', raw: { name: 'a', instances: 2 }, expected: {} },
  { name: 'a version of a service', raw: { service: 'reviews', version: 'v1' }, expected: { service: 'reviews', version: 'v1' } },
  {
    name: 'a circuit breaker, durations in milliseconds',
    raw: { 'circuit-breaker': { 'max-connections': 10, 'consecutive-errors': 5, interval: '10s', 'base-ejection-time': '3m', 'max-ejection-percent': 50 } },
    expected: { circuitBreaker: { maxConnections: 10, consecutiveErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 50 } },
  },
  {
    name: 'endpoints: valid ones parsed, the rest left out, the list kept even when empty',
    raw: { endpoints: ['10.0.0.1:9080', 'VM.example.net', 'localhost'] },
    expected: { endpoints: [{ address: '10.0.0.1', port: 9080, ip: true }, { address: 'vm.example.net', ip: false }] },
  },
  { name: 'an empty endpoint list still says the app runs outside Kubernetes', raw: { endpoints: [] }, expected: { endpoints: [] } },
];
for (const c of appCases) test(`parseAppExtensions: ${c.name}`, () => assert.deepEqual(parseAppExtensions(c.raw), c.expected));

test('a rule inherits its route\'s request controls field by field', () => {
  const route = parseRouteControls({ timeout: '1s', fault: { abort: { 'http-status': 503 } }, rules: [{ match: { method: { exact: 'GET' } }, destinations: [{ name: 'b' }], timeout: '2s' }] });
  const rule = route.rules?.[0] as MatchRule;
  assert.deepEqual(ruleControls(route, rule), { timeoutMs: 2000, retries: undefined, fault: { abort: { httpStatus: 503 } } });
});

test('controlledApps: the mirror and every rule destination', () => {
  const c = parseRouteControls({ mirror: { name: 'm' }, rules: [{ match: { method: { exact: 'GET' } }, destinations: [{ name: 'x' }, { name: 'y' }] }] });
  assert.deepEqual(controlledApps(c), ['m', 'x', 'y']);
});

// The state keeps the manifest's shape: what cfmesh writes there must read back to the same values.
const duration = fc.integer({ min: 1, max: 10_000_000 });
const percent = fc.option(fc.constantFrom(0, 0.5, 10, 100), { nil: undefined });
const stringMatch: fc.Arbitrary<StringMatch> = fc.record({ type: fc.constantFrom('exact' as const, 'prefix' as const, 'regex' as const), value: fc.string({ minLength: 1, maxLength: 5 }) });
const named = fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/), match: stringMatch }), { selector: (m) => m.name, maxLength: 3 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const requestControls = {
  timeoutMs: optional(duration),
  retries: optional(fc.record({ attempts: optional(fc.nat(10)), perTryTimeoutMs: optional(duration), retryOn: optional(fc.array(fc.constantFrom('5xx', 'reset', '503'), { minLength: 1, maxLength: 3 })) }, { requiredKeys: [] })),
  fault: optional(
    fc
      .record({ delay: optional(fc.record({ fixedMs: duration, percent }, { requiredKeys: ['fixedMs'] })), abort: optional(fc.record({ httpStatus: fc.integer({ min: 200, max: 599 }), percent }, { requiredKeys: ['httpStatus'] })) }, { requiredKeys: [] })
      .filter((f) => f.delay !== undefined || f.abort !== undefined),
  ),
};
const rule = fc.record(
  {
    ...requestControls,
    match: fc.record({ headers: named, queryParams: named, method: optional(stringMatch), path: optional(stringMatch) }, { requiredKeys: ['headers', 'queryParams'] }),
    destinations: fc.array(fc.record({ app: fc.constantFrom('a', 'b', 'c'), weight: optional(fc.nat(100)) }), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ['match', 'destinations'] },
);
const controls: fc.Arbitrary<RouteControls> = fc.record(
  {
    ...requestControls,
    mirror: optional(fc.record({ app: fc.constantFrom('a', 'b'), percent }, { requiredKeys: ['app'] })),
    methods: optional(fc.array(fc.constantFrom('GET', 'POST', 'HEAD'), { minLength: 1, maxLength: 3 })),
    tls: optional(fc.record({ credentialName: fc.constantFrom('cert', 'other'), httpsRedirect: fc.boolean() })),
    rules: optional(fc.array(rule, { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

/** Optional fields the generator left undefined are absent in what the parser builds. */
function defined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

test('typed controls → the manifest shape → the same typed controls', () => {
  fc.assert(
    fc.property(controls, (c) => {
      assert.deepEqual(parseRouteControls(toManifestControls(c)), defined(c));
    }),
    { numRuns: 300 },
  );
});

test('cf route options → LoadBalancing → the same options', () => {
  const cases: Record<string, string>[] = [{}, { loadbalancing: 'least-connection' }, { loadbalancing: 'hash', hash_header: 'X-User', hash_balance: '1.5' }, { hash_header: 'X' }];
  for (const options of cases) {
    assert.deepEqual(toRouteOptions(parseLoadBalancing(options)), options);
  }
});
