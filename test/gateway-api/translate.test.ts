// The Gateway API target refuses what Gateway API cannot express, each at its manifest position
// with TARGET_UNSUPPORTED (never a silent drop), and keeps the rest: table-driven over manifests,
// asserting codes and lines, not prose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';

async function validate(manifest: string, ...flags: string[]): Promise<{ exit: number; errors: { code: string; line?: number }[]; warnings: { code: string; line?: number }[] }> {
  const io = memoryIo({ cwd: '/', stdin: Buffer.from(manifest) });
  const exit = await main(['validate', '-f', '-', '--api', 'gateway-api', '--json', ...flags], io);
  const report = JSON.parse(io.out()) as { errors: { code: string; line?: number }[]; warnings?: { code: string; line?: number }[] };
  return { exit, errors: report.errors.map((e) => ({ code: e.code, line: e.line })), warnings: (report.warnings ?? []).map((w) => ({ code: w.code, line: w.line })) };
}

const app = (name: string, extra = '') => `- name: ${name}\n${extra}`;
const refusals: { name: string; manifest: string; line: number }[] = [
  { name: 'retries', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    retries: {attempts: 3}\n')}`, line: 5 },
  { name: 'fault injection', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    fault: {abort: {http-status: 503}}\n')}`, line: 5 },
  { name: 'a path condition in a rule', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    rules:\n    - match: {path: {prefix: /x}}\n      destinations: [{name: a}]\n')}`, line: 6 },
  { name: 'a method pattern in a rule', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    rules:\n    - match: {method: {regex: "GET|POST"}}\n      destinations: [{name: a}]\n')}`, line: 6 },
  { name: 'an internal route', manifest: `applications:\n${app('a', '  routes:\n  - route: a.apps.internal\n')}`, line: 4 },
  { name: 'versions of one service', manifest: `applications:\n${app('a', '  service: s\n  version: v1\n  routes:\n  - route: a.example.com\n')}`, line: 2 },
  { name: 'endpoints outside Kubernetes', manifest: `applications:\n${app('a', '  endpoints: [10.0.0.1]\n  routes:\n  - route: a.example.com\n')}`, line: 2 },
  { name: 'an escaped slash in a path', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com/x%2Fy\n')}`, line: 4 },
  {
    name: 'rules whose order Gateway API precedence would invert',
    manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    rules:\n    - match: {headers: {x-a: {exact: "1"}}}\n      destinations: [{name: a}]\n    - match: {method: {exact: POST}}\n      destinations: [{name: a}]\n')}`,
    line: 8,
  },
  { name: 'two load-balancing options for one app', manifest: `applications:\n${app('a', '  routes:\n  - route: a.example.com\n    options: {loadbalancing: round-robin}\n  - route: b.example.com\n    options: {loadbalancing: least-connection}\n')}`, line: 4 },
  {
    name: "a wildcard's https-redirect that would reach a host with routes and no catch-all",
    manifest: `applications:\n${app('a', '  routes:\n  - route: "*.example.com/x"\n    tls: {credential-name: c, https-redirect: true}\n  - route: api.example.com/v1\n')}`,
    line: 4,
  },
  { name: 'more than 16 rules on one host', manifest: `applications:\n${app('a', `  routes:\n${Array.from({ length: 17 }, (_, i) => `  - route: a.example.com/p${i}\n`).join('')}`)}`, line: 4 },
];

for (const c of refusals) {
  test(`refused with TARGET_UNSUPPORTED at its line: ${c.name}`, async () => {
    const r = await validate(c.manifest);
    assert.equal(r.exit, 1);
    assert.ok(r.errors.length > 0 && r.errors.every((e) => e.code === 'TARGET_UNSUPPORTED'), JSON.stringify(r.errors));
    assert.ok(r.errors.some((e) => e.line === c.line), `expected an error at line ${c.line}: ${JSON.stringify(r.errors)}`);
  });
}

test('the same manifests convert with --api istio', async () => {
  for (const c of refusals) {
    const io = memoryIo({ cwd: '/', stdin: Buffer.from(c.manifest) });
    const exit = await main(['validate', '-f', '-', '--json'], io);
    assert.equal(exit, 0, `${c.name}: ${io.out()}`);
  }
});

test('kept, with a warning: one load-balancing option applies to every route to the app', async () => {
  const r = await validate(`applications:\n${app('a', '  routes:\n  - route: a.example.com\n    options: {loadbalancing: least-connection}\n  - route: b.example.com\n')}`);
  assert.equal(r.exit, 0, JSON.stringify(r.errors));
  assert.ok(r.warnings.some((w) => w.code === 'LOSSY' && w.line === 4), JSON.stringify(r.warnings));
});

test('--api and --gateway-class are checked as usage', async () => {
  for (const flags of [['--api', 'linkerd'], ['--gateway-class', 'Bad_Class']]) {
    const io = memoryIo({ cwd: '/', stdin: Buffer.from('applications: [{name: a}]\n') });
    assert.equal(await main(['convert', '-f', '-', ...flags], io), 2, flags.join(' '));
  }
});

test('refused, not emitted: more than 128 matches on one host, more than 64 listeners on the Gateway', async () => {
  const methods = 'methods: [GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE, CONNECT]';
  // 14 match rules, the route's own rule and its methods rule: 16 rules (the most allowed), 136 matches.
  const rules = Array.from({ length: 14 }, (_, i) => `    - match: {headers: {x-h: {exact: "${i}"}}}\n      destinations: [{name: a}]\n`).join('');
  const many = `applications:\n${app('a', `  routes:\n  - route: a.example.com/p\n    ${methods}\n    rules:\n${rules}`)}`;
  const r = await validate(many);
  assert.equal(r.exit, 1);
  assert.deepEqual(r.errors.map((e) => e.code), ['TARGET_UNSUPPORTED']);
  const ports = `applications:\n${app('a', `  routes:\n${Array.from({ length: 65 }, (_, i) => `  - route: tcp://db.example.com:${2000 + i}\n`).join('')}`)}`;
  const p = await validate(ports);
  assert.equal(p.exit, 1);
  assert.deepEqual(p.errors.map((e) => e.code), ['TARGET_UNSUPPORTED']);
});

test('--gateway NS/NAME: no Gateway, HTTPRoutes attach to it without a sectionName, valid by the CRDs; tls there is refused', async () => {
  const { parseAllDocuments } = await import('yaml');
  const { assertValidGatewayApi } = await import('./validate-gateway-api.ts');
  const io = memoryIo({ cwd: '/', stdin: Buffer.from(`applications:\n${app('a', '  routes:\n  - route: a.example.com/v1\n    methods: [GET]\n  - route: "*.example.com"\n')}`) });
  assert.equal(await main(['convert', '-f', '-', '--api', 'gateway-api', '--gateway', 'infra/public'], io), 0, io.err());
  const objects = parseAllDocuments(io.out()).map((d) => d.toJS() as { kind: string; apiVersion: string; metadata: { name: string }; spec: { parentRefs?: unknown[] } });
  assert.deepEqual(objects.map((o) => o.kind), ['HTTPRoute', 'HTTPRoute']);
  for (const o of objects) assert.deepEqual(o.spec.parentRefs, [{ name: 'public', namespace: 'infra' }]);
  assertValidGatewayApi(objects as never);
  const tls = await validate(`applications:\n${app('a', '  routes:\n  - route: a.example.com\n    tls: {credential-name: c, https-redirect: false}\n')}`, '--gateway', 'infra/public');
  assert.deepEqual(tls.errors.map((e) => [e.code, e.line]), [['ROUTE_CONFLICT', 4]]);
});
