// The loader as a whole: every stage in one pass, dependent problems left out, positions sorted, and the
// model fields routing reads (hasRoutesKey, extra, the route flags as cf push sends them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import type { ToolError, Warning } from '../../src/diagnostics/tool-error.ts';
import { loadManifest, type LoadResult } from '../../src/manifest/load.ts';

const load = (text: string, opts: { vars?: Record<string, string>; varsFile?: string } = {}): LoadResult =>
  loadManifest({
    manifests: [new SourceFile('m.yml', text)],
    varsFiles: opts.varsFile !== undefined ? [new SourceFile('vars.yml', opts.varsFile)] : [],
    vars: Object.entries(opts.vars ?? {}).map(([name, text]) => ({ name, text })),
  });

function refused(text: string, opts?: Parameters<typeof load>[1]): { errors: ToolError[]; warnings: readonly Warning[] } {
  try {
    load(text, opts);
  } catch (error) {
    const e = error as ToolError & { warnings?: readonly Warning[] };
    return { errors: /^\d+ problems found$/.test(e.message) ? [...e.details] : [e], warnings: e.warnings ?? [] };
  }
  assert.fail('expected the manifest to be refused');
}

const pos = (x: { code: string; span?: ToolError['span'] }) => {
  const p = x.span?.source.linePos(x.span.start);
  return p ? `${x.code}@${p.line}:${p.col}` : x.code;
};

test('every independent problem in one pass: schema, cf rules, routes, weights, references', () => {
  const { errors } = refused(`applications:
- name: a
  instances: two
  memory: 12Q
  routes:
  - route: bad_host.example.com
  - route: ok.example.com
    protocol: http3
- name: b
  routes:
  - route: b.example.com
    rules:
    - match: {headers: {X-A: {exact: "1"}, x-a: {exact: "2"}}}
      destinations: [{name: ghost}]
routes:
- route: w.example.com
  destinations:
  - name: a
    weight: 110
  - name: c
    weight: 10
- route: x.example.com:99999
  destinations: [{name: nobody}]
`);
  assert.deepEqual(errors.map(pos), [
    'SCHEMA@3:14', // instances: two (the CLI's int field)
    'ATTRIBUTE_INVALID@4:11', // memory unit
    'ROUTE_INVALID@6:12', // bad_host
    'SCHEMA@8:15', // protocol http3
    'ROUTE_INVALID@13:44', // X-A and x-a: at the second
    'UNKNOWN_APP@14:22', // ghost
    'WEIGHTS@19:13', // weight 110, at the weight
    'UNKNOWN_APP@20:5', // c
    'ROUTE_INVALID@22:10', // port 99999
    'UNKNOWN_APP@23:18', // nobody, in the route that was refused
  ]);
});

test('what follows from another problem is left out', () => {
  // A weight the schema refuses is not also "mixed weighted and unweighted"; an app named by a list is
  // not also "an application with no name"; a route that holds an undefined var is not also a bad route.
  const { errors } = refused(`applications:
- name: [not, a, string]
- name: a
  routes:
  - route: ((host)).example.com
routes:
- route: r.example.com
  destinations:
  - name: a
    weight: lots
  - name: a2
    weight: 0
`);
  assert.deepEqual(errors.map((e) => e.code).sort(), ['SCHEMA', 'SCHEMA', 'UNDEFINED_VARS', 'UNKNOWN_APP']);
  assert.ok(!errors.some((e) => e.code === 'WEIGHTS' || e.code === 'APP_NAME' || e.code === 'ROUTE_INVALID'), errors.map(pos).join(', '));
});

test('warnings come sorted by position', () => {
  const r = load(`applications:
- name: a
  default-route: false
  host: legacy
  instances: 1
  instances: 2
  routes:
  - route: a.example.com
    timout: 1s
`);
  const at = r.warnings.map(pos);
  assert.deepEqual(at, [...at].sort((x, y) => Number(x.split('@')[1]?.split(':')[0]) - Number(y.split('@')[1]?.split(':')[0])));
  assert.deepEqual(r.warnings.map((w) => w.code), ['IGNORED_KEY', 'LEGACY_KEY', 'DUPLICATE_KEY', 'DUPLICATE_KEY', 'UNKNOWN_KEY']);
  assert.equal(r.warnings[4]?.hint, 'did you mean "timeout"?');
});

test('routes: [] is kept as a routes key; route flags as cf push v8 sends them', () => {
  const r = load(`applications:
- name: empty
  routes: []
- name: plain
- name: hyphen-off
  default-route: false
- name: off-underscore
  default_route: false
- name: random
  random-route: true
- name: none
  no_route: true
`);
  const by = Object.fromEntries(r.manifest.apps.map((a) => [a.name, [a.hasRoutesKey, a.noRoute, a.randomRoute, a.defaultRoute]]));
  assert.deepEqual(by, {
    empty: [true, false, false, true],
    plain: [false, false, false, true],
    'hyphen-off': [false, false, false, true], // default-route: false has no effect (warned)
    'off-underscore': [false, false, false, false], // passed through, and read last by Cloud Controller
    random: [false, false, true, undefined],
    none: [false, true, false, true],
  });
});

test('only the control keys are controls; other keys of a route entry are kept apart, so two apps agree on the route', () => {
  const r = load(`applications:
- name: a
  routes:
  - route: shared.example.com
    x-team: a
    timeout: 2s
- name: b
  routes:
  - route: shared.example.com
    x-team: b
    timeout: 2s
`);
  const [a, b] = r.manifest.apps.map((x) => x.routes[0]);
  assert.equal(a?.controls.timeoutMs, 2000);
  assert.equal(b?.controls.timeoutMs, 2000);
  assert.deepEqual(Object.keys(a?.controls.spans ?? {}), ['timeout'], 'where the control is written is kept');
  assert.deepEqual([a?.extra, b?.extra], [{ 'x-team': 'a' }, { 'x-team': 'b' }]);
});

test('both spellings of a key: cf uses the underscore one, and cfmesh warns', () => {
  const r = load('applications:\n- name: a\n  health-check-type: port\n  health_check_type: http\n  health-check-http-endpoint: /h\n');
  assert.deepEqual(r.warnings.map(pos), ['DUPLICATE_KEY@3:3']);
});

test('a misspelt var gets a did-you-mean; the summary names the first part of a dotted name', () => {
  const { errors } = refused('applications:\n- name: ((hostname))\n  env: {A: ((db.port))}\n', { vars: { hostnme: 'x' } });
  const summary = errors.find((e) => e.message.startsWith('Expected'));
  assert.equal(summary?.message, 'Expected to find variables: db, hostname');
  const hostname = summary?.details.find((d) => d.message.includes('"hostname"'));
  assert.equal(hostname?.hint, 'did you mean "hostnme"?');
});

test('a vars-file `no` that became false: the error, and a landing as text, say so', () => {
  const inString = refused('applications:\n- name: shop-((country))\n', { varsFile: 'country: no\n' });
  assert.equal(inString.errors[0]?.code, 'VAR_TYPE');
  assert.match(inString.errors[0]?.hint ?? '', /vars\.yml has `country: no`, which YAML 1\.1 .* takes for false; quote it \("no"\)/);
  const whole = load('applications:\n- name: a\n  env: {COUNTRY: ((country))}\n  no-route: ((closed))\n', { varsFile: 'country: no\nclosed: no\n' });
  assert.deepEqual(whole.warnings.map(pos), ['LOSSY@3:18'], 'warned where it lands as text, not where a boolean is meant');
});

test('a top-level variables: list is bosh variable definitions: each must be given', () => {
  const { errors } = refused('applications:\n- name: a\nvariables:\n- name: admin_password\n  type: password\n');
  assert.equal(errors[0]?.message, 'Expected to find variables: admin_password');
  assert.doesNotThrow(() => load('applications:\n- name: a\nvariables:\n- name: admin_password\n  type: password\n', { vars: { admin_password: 's3cret' } }));
});

test('a --var value that is not YAML is refused, as bosh-cli refuses it', () => {
  assert.throws(() => load('applications:\n- name: a\n', { vars: { x: '[a' } }), (e: ToolError) => e.code === 'USAGE' && /^Deserializing variables 'x=\[a'/.test(e.message));
});

test('a top-level route that looks like an app\'s routes gets a hint to indent it', () => {
  const { errors } = refused('applications:\n- name: api\nroutes:\n- route: api.example.com\n');
  assert.equal(pos(errors[0] as ToolError), 'ROUTE_INVALID@4:3');
  assert.match(errors[0]?.hint ?? '', /indent `routes:` under `- name: api`/);
});

test('mutually exclusive keys name both keys and point at the later one', () => {
  const { errors } = refused('applications:\n- name: a\n  buildpack: go\n  buildpacks: [ruby]\n');
  assert.deepEqual(errors.map(pos), ['SCHEMA@4:3']);
  assert.match(errors[0]?.message ?? '', /Buildpack and Buildpacks fields cannot be used together/);
});

test('a (( made by a YAML escape is a var as any other (bosh interpolates the parsed values); a text with no (( and no backslash has none', () => {
  // "\x28(" is "((" once parsed; an escaped line break joins two lines without a space.
  const escaped = load('applications:\n- name: a\n  env:\n    A: "\\x28(v))"\n    B: "(\\\n      (v))"\n', { vars: { v: 'x' } });
  const env = (escaped.manifest.apps[0]?.data as { env?: Record<string, unknown> }).env;
  assert.deepEqual({ ...env }, { A: 'x', B: 'x' });
  const plain = load('applications:\n- name: a\n  env: {A: "( (v))", B: "(v)"}\n', { vars: { v: 'x' } });
  assert.deepEqual({ ...(plain.manifest.apps[0]?.data as { env?: Record<string, unknown> }).env }, { A: '( (v))', B: '(v)' });
});
