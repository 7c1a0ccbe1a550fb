// Hostile input is refused with a clear, positioned error: alias bombs, nesting tens of thousands
// deep, tag runs, huge maps, binary and invalid UTF-8, NUL bytes, very long lines, files over the size
// limit, huge numbers, unicode host names, backtracking regexes. Each case asserts the error code and
// exit code through the real binary. No test here times anything: the work is bounded where it is
// done, and proven by counting it (test/core/prescan.test.ts: floods are refused before the lexer
// runs; the alias budget and depth limits in test/core/parse-yaml.test.ts). Timings belong to the
// benchmark (npm run bench) and the README's Reliability section.
import assert from 'node:assert/strict';
import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertHandled, assertNoStackTrace, runCli, tempDir } from '../helpers/reliability.ts';

const root = join(import.meta.dirname, '..', '..');

function billionLaughs(levels: number, fanout: number): string {
  let text = `l0: &l0 ["lol"]\n`;
  for (let i = 1; i <= levels; i++) text += `l${i}: &l${i} [${Array.from({ length: fanout }, () => `*l${i - 1}`).join(', ')}]\n`;
  return `${text}applications:\n- name: a\n  env: {bomb: *l${levels}}\n`;
}

const deepBlockMap = (n: number) => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`;

interface Case {
  readonly name: string;
  readonly input: () => string | Uint8Array;
  readonly args?: readonly string[];
  readonly code: string;
  readonly exit: number;
  /** A position is expected in the message (file:line:col); the line when known. */
  readonly line?: number;
  readonly positioned?: boolean;
  readonly hint?: RegExp;
  readonly longReport?: boolean;
}

const cases: readonly Case[] = [
  { name: 'billion laughs (9 levels of 9)', input: () => billionLaughs(9, 9), code: 'ALIAS_LIMIT', exit: 1, positioned: true },
  { name: 'billion laughs (30 levels of 2)', input: () => billionLaughs(30, 2), code: 'ALIAS_LIMIT', exit: 1, positioned: true },
  { name: 'alias to itself through a merge key', input: () => 'a: &a\n  <<: *a\napplications: [{name: x}]\n', code: 'YAML_SYNTAX', exit: 1, positioned: true },
  { name: '[[[[ 50,000 deep', input: () => `${'['.repeat(50_000)}${']'.repeat(50_000)}\n`, code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: '[[[[ 50,000 deep, never closed', input: () => '['.repeat(50_000), code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: '{a: {a: ... 20,000 deep', input: () => `${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`, code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: '- - - - 100,000 deep', input: () => `${'- '.repeat(100_000)}1\n`, code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: '? ? ? 50,000 deep', input: () => `${'? '.repeat(50_000)}1\n`, code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: 'block map 5,000 deep', input: () => deepBlockMap(5_000), code: 'YAML_SYNTAX', exit: 1, line: 257 },
  { name: 'deep nesting in a vars file', input: () => 'applications: [{name: a}]\n', args: ['--vars-file', 'deep.yml'], code: 'VARS_FILE', exit: 1, line: 1 },
  { name: '100,000 tags in front of one node', input: () => `${'!a '.repeat(100_000)}x\n`, code: 'YAML_SYNTAX', exit: 1, line: 1 },
  { name: 'NUL byte', input: () => 'applications:\n- name: a\u0000b\n', code: 'INPUT_ENCODING', exit: 1, line: 2 },
  { name: 'invalid UTF-8', input: () => Buffer.concat([Buffer.from('applications:\n- name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), code: 'INPUT_ENCODING', exit: 1, line: 2 },
  { name: 'a PNG file', input: () => Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'), code: 'INPUT_ENCODING', exit: 1, line: 1 },
  { name: 'UTF-16 with BOM', input: () => Buffer.from('\ufeffapplications:\n- name: a\n', 'utf16le'), code: 'INPUT_ENCODING', exit: 1, line: 1 },
  { name: 'instances: 1e400', input: () => 'applications:\n- name: a\n  instances: 1e400\n', code: 'SCHEMA', exit: 1, line: 3 },
  { name: 'instances: 99999999999999999999', input: () => 'applications:\n- name: a\n  instances: 99999999999999999999\n', code: 'ATTRIBUTE_INVALID', exit: 1, line: 3 },
  { name: 'weight: -0x7fffffffffffffffffff', input: () => 'applications: [{name: a}]\nroutes:\n- route: a.example.com\n  destinations: [{name: a, weight: -0x7fffffffffffffffffff}]\n', code: 'WEIGHTS', exit: 1, line: 4 },
  { name: 'port: .inf', input: () => 'applications:\n- name: a\n  port: .inf\n', code: 'SCHEMA', exit: 1, line: 3 },
  { name: 'unicode host name', input: () => 'applications:\n- name: a\n  routes:\n  - route: bücher.example.com\n', code: 'ROUTE_INVALID', exit: 1, line: 4, hint: /xn--/ },
  { name: 'host with a right-to-left override', input: () => 'applications:\n- name: a\n  routes:\n  - route: "a\u202eb.example.com"\n', code: 'ROUTE_INVALID', exit: 1, line: 4 },
  { name: 'route 300 labels long', input: () => `applications:\n- name: a\n  routes:\n  - route: ${'a.'.repeat(300)}com\n`, code: 'ROUTE_INVALID', exit: 1, line: 4 },
  { name: 'a 1 MB key', input: () => `applications:\n- name: a\n  ((${'v'.repeat(1_000_000)})): 1\n`, code: 'YAML_SYNTAX', exit: 1, line: 3 },
  // cf's summary names every undefined var, so this report is long; it must still be quick.
  { name: 'undefined var with a 1 MB name', input: () => `applications:\n- name: ((${'v'.repeat(1_000_000)}))\n`, code: 'UNDEFINED_VARS', exit: 1, line: 2, longReport: true },
  { name: '10 MB flow sequence (5M items): over the token limit', input: () => `applications: [{name: a}]\nx: [${'x,'.repeat(5_000_000)}]\n`, code: 'INPUT_TOO_LARGE', exit: 1, line: 2 },
  { name: 'block sequence of 2,500,000 items (10 MB): over the token limit', input: () => `applications: [{name: a}]\nx:\n${'- x\n'.repeat(2_500_000)}`, code: 'INPUT_TOO_LARGE', exit: 1 },
  { name: 'flow sequence of 100,000 items under --max-input-size 1MiB: over its token limit', input: () => `applications: [{name: a}]\nx: [${'x,'.repeat(100_000)}]\n`, args: ['--max-input-size', '1MiB'], code: 'INPUT_TOO_LARGE', exit: 1, line: 2, hint: /--max-input-size/ },
];

for (const c of cases) {
  test(`hostile: ${c.name} → ${c.code} (exit ${c.exit})`, async () => {
    const dir = tempDir();
    if (c.args?.includes('deep.yml')) writeFileSync(join(dir, 'deep.yml'), '['.repeat(50_000));
    const run = await runCli(['convert', '-f', '-', ...(c.args ?? [])], { stdin: c.input(), cwd: dir });
    assertHandled(run, c.name);
    assert.equal(run.exit, c.exit, run.err);
    assert.match(run.err, new RegExp(`error ${c.code} `), run.err.slice(0, 2000));
    if (c.line !== undefined) assert.match(run.err, new RegExp(`^[^\\n]+:${c.line}:\\d+: error ${c.code} `, 'm'), run.err.slice(0, 2000));
    if (c.positioned) assert.match(run.err, new RegExp(`^[^\\n]+:\\d+:\\d+: error ${c.code} `, 'm'));
    if (c.hint) assert.match(run.err, c.hint);
    if (!c.longReport) assert.ok(run.err.length < 20_000, `the report stays readable (${run.err.length} characters)`);
  });
}

// Duplicate keys are found with one set per map while converting (the library's own check compares
// every key with every other: 100,000 keys took 187 s). A key written twice is kept with its last value,
// as cf's yaml.v2 reads it, and warned at both places; --strict refuses it.
test('hostile: a map with 50,000 keys and 50,000 anchors, one written twice', async () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `    k${i}: &a${i} v`).join('\n');
  const stdin = `applications:\n- name: a\n  env:\n${keys}\n    k7: again\n  no-route: true\n`;
  const run = await runCli(['convert', '-f', '-'], { stdin });
  assertHandled(run, '50k keys');
  assert.equal(run.exit, 0, run.err.slice(0, 2000));
  assert.match(run.err, /:11:5: warning DUPLICATE_KEY /);
  assert.match(run.err, /:50004:5: warning DUPLICATE_KEY /);
  const strict = await runCli(['convert', '-f', '-', '--strict'], { stdin });
  assert.equal(strict.exit, 1);
  assert.match(strict.err, /error STRICT /);
});

test('hostile: nesting within the limit is accepted (an unknown app key 200 deep)', async () => {
  const run = await runCli(['convert', '-f', '-'], { stdin: `applications:\n- name: a\n  x-deep: ${'['.repeat(200)}${']'.repeat(200)}\n` });
  assert.equal(run.exit, 0, run.err);
});

test('hostile: a 10 MB single line is handled quickly, and refused under a smaller --max-input-size', async () => {
  const line = `applications: [{name: a, x-blob: "${'x'.repeat(10 * 1024 * 1024)}"}]\n`;
  const ok = await runCli(['convert', '-f', '-'], { stdin: line });
  assertHandled(ok, '10 MB line');
  assert.equal(ok.exit, 0, ok.err.slice(0, 500));
  assert.ok(ok.err.length < 20_000, 'warnings do not echo the 10 MB value');
  const refused = await runCli(['convert', '-f', '-', '--max-input-size', '1MiB'], { stdin: line });
  assert.equal(refused.exit, 1);
  assert.match(refused.err, /error INPUT_TOO_LARGE <stdin> is larger than the input limit/);
});

test('hostile: a file over the size limit is refused before it is read; --max-input-size raises the limit', async () => {
  const dir = tempDir();
  const big = join(dir, 'big.yml');
  writeFileSync(big, 'applications: [{name: a}]\n#');
  truncateSync(big, 40 * 1024 * 1024); // sparse: 40 MiB that cost nothing to write
  const refused = await runCli(['convert', '-f', 'big.yml'], { cwd: dir });
  assert.equal(refused.exit, 1);
  assert.match(refused.err, /^error INPUT_TOO_LARGE big\.yml is larger than the input limit \(41943040 > 33554432 bytes\)/m);
  assert.match(refused.err, /--max-input-size/);
  // Raised: the limit no longer refuses it; what is left is the NUL bytes of the sparse tail.
  const raised = await runCli(['convert', '-f', 'big.yml', '--max-input-size', '64MiB'], { cwd: dir });
  assert.equal(raised.exit, 1);
  assert.match(raised.err, /^big\.yml:2:2: error INPUT_ENCODING /m);
  const stdin = await runCli(['convert', '-f', '-', '--max-input-size', '1KiB'], { stdin: `applications: [{name: a}]\n#${'x'.repeat(2000)}\n` });
  assert.equal(stdin.exit, 1);
  assert.match(stdin.err, /error INPUT_TOO_LARGE <stdin> is larger than the input limit/);
  const usage = await runCli(['convert', '-f', '-', '--max-input-size', 'lots'], { stdin: '' });
  assert.equal(usage.exit, 2);
});

test('hostile: a vars file that is an alias bomb is refused', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'vars.yml'), billionLaughs(9, 9));
  const run = await runCli(['convert', '-f', '-', '--vars-file', 'vars.yml'], { cwd: dir, stdin: 'applications: [{name: a}]\n' });
  assertHandled(run, 'vars bomb');
  assert.equal(run.exit, 1);
  assert.match(run.err, /vars\.yml:\d+:\d+: error VARS_FILE .*aliases expand to more than/);
});

// Regexes written to backtrack: Envoy uses RE2 (linear time), and so does cfmesh's check (re2js).
const regexModule = join(root, 'src', 'manifest', 'regex.ts');
test('hostile: regexes written to backtrack are checked in linear time or refused', { skip: existsSync(regexModule) ? false : 'src/manifest/regex.ts (the RE2 check from the traffic branch) is not on this branch yet' }, async () => {
  const evil = ['(a+)+$', '(a|aa)+$', '(a*)*b', '(x+x+)+y', '^(([a-z])+.)+[A-Z]([a-z])+$'];
  for (const regex of evil) {
    const manifest = `applications:\n- name: a\n- name: b\nroutes:\n- route: a.example.com\n  rules:\n  - match:\n      headers:\n        user-agent: {regex: "${regex.replace(/\\/g, '\\\\')}"}\n    destinations: [{name: b}]\n  destinations: [{name: a}]\n`;
    const run = await runCli(['convert', '-f', '-'], { stdin: manifest });
    assertHandled(run, `regex ${regex}`);
  }
  const lookahead = `applications:\n- name: a\n- name: b\nroutes:\n- route: a.example.com\n  rules:\n  - match:\n      headers:\n        user-agent: {regex: "(?=a)(a+)+\\\\1"}\n    destinations: [{name: b}]\n  destinations: [{name: a}]\n`;
  const refused = await runCli(['convert', '-f', '-'], { stdin: lookahead });
  assertHandled(refused, 'lookahead regex');
  assert.equal(refused.exit, 1, refused.err);
  assert.match(refused.err, /:\d+:\d+: error (REGEX|SCHEMA) /);
});

test('hostile: no stack trace even with CFMESH_DEBUG unset and a deep input through the real binary path', async () => {
  const run = await runCli(['validate', '-f', '-', '--json'], { stdin: '['.repeat(100_000) });
  assertNoStackTrace(run.err);
  assert.equal(run.exit, 1);
  const report = JSON.parse(run.out) as { errors: { code: string; line?: number }[] };
  assert.equal(report.errors[0]?.code, 'YAML_SYNTAX');
  assert.equal(report.errors[0]?.line, 1);
});

test('hostile: an endless stdin is refused once past the limit, not read to the end', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [join(root, 'bin', 'cfmesh.js'), 'convert', '-f', '-', '--max-input-size', '1MiB'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  child.stdin.on('error', () => {}); // EPIPE once cfmesh has stopped reading
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  const pump = () => {
    while (sent < 512 * 1024 * 1024 && child.stdin.writable) {
      sent += chunk.length;
      if (!child.stdin.write(chunk)) return void child.stdin.once('drain', pump);
    }
  };
  pump();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  child.stdin.destroy();
  assert.equal(code, 1, err);
  assert.match(err, /error INPUT_TOO_LARGE <stdin> is larger than the input limit \(more than 1048576 bytes\)/);
  assert.ok(sent < 64 * 1024 * 1024, `stopped reading early (${sent} bytes sent)`);
});
