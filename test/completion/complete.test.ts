// `cfmesh __complete`: what each TAB gets, from the command tree, the flags' choices and the state.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RETRY_ON } from '../../src/manifest/controls.ts';
import { runCli, tempDir } from '../helpers/reliability.ts';
import { cfmesh } from '../workflows/helpers.ts';
import { APPS, DOMAINS, pushedState, root } from './helpers.ts';

interface Answer {
  values: string[];
  descriptions: Map<string, string>;
  directive: number;
}

function parse(out: string): Answer {
  const lines = out.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const last = lines.pop() ?? '';
  assert.match(last, /^:\d+$/, `the directive line (got ${JSON.stringify(last)})`);
  const descriptions = new Map<string, string>();
  const values = lines.map((l) => {
    const [value, description] = l.split('\t');
    if (description !== undefined) descriptions.set(value as string, description);
    return value as string;
  });
  return { values, descriptions, directive: Number(last.slice(1)) };
}

async function completeIn(words: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Answer> {
  const run = await runCli(['__complete', ...words], { env: { HOME: tempDir('cfmesh-home-'), ...options.env }, cwd: options.cwd ?? root });
  assert.equal(run.exit, 0, `__complete ${words.join(' ')}: exit ${run.exit}`);
  assert.equal(run.err, '', `__complete ${words.join(' ')}: nothing on stderr`);
  return parse(run.out);
}

const NO_FILES = 4;

describe('completion from the command tree and the flags', () => {
  const cases: { words: string[]; values?: string[]; includes?: string[]; excludes?: string[]; directive: number }[] = [
    { words: ['up'], values: ['update-route'], directive: NO_FILES },
    { words: ['u'], values: ['unmap-route', 'update-route'], directive: NO_FILES },
    { words: ['co'], values: ['convert', 'completion'], directive: NO_FILES },
    { words: ['help', 'ro'], values: ['routes', 'route'], directive: NO_FILES },
    { words: ['__c'], values: [], directive: NO_FILES },
    { words: ['--st'], values: ['--strict', '--state'], directive: NO_FILES },
    { words: ['convert', '--istio'], values: ['--istio-api'], directive: NO_FILES },
    { words: ['convert', '--istio-api', ''], values: ['v1', 'v1beta1', 'v1alpha3'], directive: NO_FILES },
    { words: ['convert', '--istio-api=v1'], values: ['v1', 'v1beta1', 'v1alpha3'], directive: NO_FILES },
    { words: ['convert', '--mtls', ''], values: ['off', 'strict', 'istio-mutual'], directive: NO_FILES },
    { words: ['convert', '--output', ''], values: ['yaml', 'json'], directive: NO_FILES },
    { words: ['render', '--output', 'j'], values: ['json'], directive: NO_FILES },
    { words: ['push', '--output', ''], values: ['yaml', 'json'], directive: NO_FILES },
    { words: ['validate', '--output', ''], values: ['text', 'json', 'github', 'sarif', 'junit'], directive: NO_FILES },
    { words: ['validate', '--output=s'], values: ['sarif'], directive: NO_FILES },
    { words: ['convert', '--report', ''], values: ['text', 'json', 'github', 'sarif', 'junit'], directive: NO_FILES },
    { words: ['convert', '--target', ''], values: ['local', 'kubernetes', 'http'], directive: NO_FILES },
    { words: ['routes', '--target', ''], values: ['local', 'kubernetes'], directive: NO_FILES },
    { words: ['push', '--strategy', ''], values: ['rolling', 'canary'], directive: NO_FILES },
    { words: ['push', '--dry-run', ''], values: ['client', 'server'], directive: NO_FILES },
    { words: ['map-route', '--app-protocol', ''], values: ['http1', 'http2'], directive: NO_FILES },
    { words: ['target', '--unset', 'i'], values: ['internal-domain', 'istio-api'], directive: NO_FILES },
    { words: ['target', ''], values: ['local', 'kubernetes', 'http'], directive: NO_FILES },
    { words: ['completion', ''], values: ['bash', 'zsh', 'fish'], directive: NO_FILES },
    { words: ['update-route', 'example.com', '-o', 'load'], values: ['loadbalancing=round-robin', 'loadbalancing=least-connection', 'loadbalancing=hash'], directive: NO_FILES | 2 },
    { words: ['update-route', 'example.com', '-r', ''], values: ['loadbalancing', 'hash_header', 'hash_balance'], directive: NO_FILES },
    { words: ['update-route', 'example.com', '--retry-on', ''], values: [...RETRY_ON], directive: NO_FILES },
    // files and directories are the shell's to list: cfmesh says which
    { words: ['convert', '-f', ''], values: ['yml', 'yaml'], directive: 8 },
    { words: ['convert', '--file=fix'], values: ['yml', 'yaml'], directive: 8 },
    { words: ['validate', ''], values: ['yml', 'yaml'], directive: 8 },
    { words: ['convert', '--vars-file', ''], values: ['yml', 'yaml'], directive: 8 },
    { words: ['convert', '--kubeconfig', ''], values: [], directive: 0 },
    { words: ['convert', '-o', ''], values: [], directive: 16 },
    { words: ['--state', ''], values: [], directive: 16 },
    { words: ['push', '--output-dir', ''], values: [], directive: 16 },
    // -o is a directory on convert, a route option on update-route; -f a file on convert, --force on delete
    { words: ['delete', 'x', '-f', ''], values: [], directive: NO_FILES },
    { words: ['convert', '--var', ''], values: [], directive: NO_FILES },
    { words: ['convert', '-'], includes: ['-f', '--file', '-n', '--namespace', '--output', '--report', '--state', '--quiet', '-q'], excludes: ['-v', '--version', '-V'], directive: NO_FILES },
    { words: ['convert', '--'], includes: ['--file', '--output'], excludes: ['-f', '-n'], directive: NO_FILES },
    { words: ['-'], includes: ['-v', '--version', '--state', '-h', '--help'], excludes: ['-V'], directive: NO_FILES },
    { words: ['delete', '-rf', ''], values: [], directive: NO_FILES },
  ];
  for (const c of cases) {
    test(`__complete ${c.words.map((w) => (w === '' ? "''" : w)).join(' ')}`, async () => {
      const a = await completeIn(c.words);
      if (c.values) assert.deepEqual(a.values, c.values);
      for (const v of c.includes ?? []) assert.ok(a.values.includes(v), `${v} offered (got ${a.values.join(' ')})`);
      for (const v of c.excludes ?? []) assert.ok(!a.values.includes(v), `${v} not offered`);
      assert.equal(a.directive, c.directive);
    });
  }

  test('commands and flags come with their descriptions, each one short line', async () => {
    const a = await completeIn(['']);
    assert.ok(a.values.includes('update-route') && a.values.includes('completion') && a.values.includes('schema') && a.values.includes('help'));
    assert.ok(!a.values.includes('__complete'));
    assert.match(a.descriptions.get('convert') ?? '', /^translate cf manifests into Istio configuration$/);
    for (const d of a.descriptions.values()) assert.ok(d.length <= 80 && !d.includes(';'), d);
    const flags = await completeIn(['update-route', 'x', '--']);
    assert.match(flags.descriptions.get('--weight') ?? '', /share of the route/);
  });
});

describe('the choices offered are what the commands accept, and no more', () => {
  let state = '';
  before(async () => {
    state = await pushedState();
  });
  const convert = (flag: string, value: string) => ['convert', '-f', 'fixtures/proposal-90-10/manifest.yml', flag, value];
  const cases: { flag: string; argv: (value: string) => string[]; words: string[]; bad?: string }[] = [
    { flag: '--istio-api', argv: (v) => convert('--istio-api', v), words: ['convert', '--istio-api', ''], bad: 'v2' },
    { flag: '--mtls', argv: (v) => convert('--mtls', v), words: ['convert', '--mtls', ''], bad: 'permissive' },
    { flag: '--output (convert)', argv: (v) => convert('--output', v), words: ['convert', '--output', ''], bad: 'xml' },
    { flag: '--report', argv: (v) => convert('--report', v), words: ['convert', '--report', ''], bad: 'html' },
    { flag: '--output (validate)', argv: (v) => ['validate', 'fixtures/proposal-90-10/manifest.yml', '--output', v], words: ['validate', '--output', ''], bad: 'yaml' },
    { flag: '--app-protocol', argv: (v) => ['--state', '@', 'map-route', 'shop', 'example.com', '--hostname', 'new', '--app-protocol', v, '--dry-run'], words: ['map-route', '--app-protocol', ''], bad: 'http3' },
    { flag: '--unset', argv: (v) => ['--state', '@', 'target', '--unset', v], words: ['target', '--unset', ''], bad: 'color' },
    { flag: 'target', argv: (v) => ['--state', '@', 'target', v], words: ['target', ''], bad: 'cloud' },
    { flag: '-o (route option)', argv: (v) => ['--state', '@', 'create-route', 'example.com', '--hostname', 'fresh', '-o', v.endsWith('=') ? `${v}X-User` : v, ...(v.startsWith('hash_') ? ['-o', 'loadbalancing=hash'] : []), ...(v === 'loadbalancing=hash' || v.startsWith('hash_balance') ? ['-o', 'hash_header=X-User'] : []), '--dry-run'], words: ['create-route', 'example.com', '-o', ''], bad: 'loadbalancing=random' },
    // -r takes any key (removing one the route does not have changes nothing): the keys cf knows are offered
    { flag: '-r (remove option)', argv: (v) => ['--state', '@', 'update-route', 'example.com', '--hostname', 'shop', '-r', v, '--dry-run'], words: ['update-route', 'example.com', '-r', ''] },
  ];
  for (const c of cases) {
    test(c.flag, async () => {
      const offered = (await completeIn(c.words)).values;
      assert.ok(offered.length > 1, `${c.flag}: choices offered`);
      const withState = (argv: string[]) => argv.map((a) => (a === '@' ? join(tempDir('cfmesh-choices-'), 'state') : a));
      for (const value of offered) {
        const argv = c.flag.startsWith('-o') || c.flag.startsWith('-r') ? c.argv(value).map((a) => (a === '@' ? state : a)) : withState(c.argv(value));
        const run = await runCli(argv, { cwd: root });
        if (value === 'hash_balance=') continue; // a number: X-User is not one (the value, not the key, is wrong)
        assert.notEqual(run.exit, 2, `${c.flag} ${value} is accepted: ${run.err}`);
      }
      if (c.bad === undefined) return;
      const bad = await runCli(c.flag.startsWith('-o') ? c.argv(c.bad).map((a) => (a === '@' ? state : a)) : withState(c.argv(c.bad)), { cwd: root });
      assert.equal(bad.exit, 2, `${c.flag} ${c.bad} is refused, and not offered: ${bad.err}`);
      assert.ok(!offered.includes(c.bad));
    });
  }

  test('--strategy: rolling is accepted; canary is cf\'s other value, offered and refused as not supported yet', async () => {
    const a = await completeIn(['push', '--strategy', '']);
    assert.deepEqual(a.values, ['rolling', 'canary']);
    assert.match(a.descriptions.get('canary') ?? '', /not supported yet/);
    const dir = tempDir('cfmesh-strategy-');
    writeFileSync(join(dir, 'm.yml'), 'applications:\n- name: a\n');
    assert.equal((await runCli(['--state', join(dir, 's'), 'push', '-f', 'm.yml', '--strategy', 'rolling'], { cwd: dir })).exit, 0);
    const canary = await runCli(['--state', join(dir, 's'), 'push', '-f', 'm.yml', '--strategy', 'canary'], { cwd: dir });
    assert.match(canary.err, /--strategy canary is not supported yet/);
  });
});

describe('completion from the state', () => {
  let state = '';
  before(async () => {
    state = await pushedState();
  });
  const S = (...words: string[]) => ['--state', state, ...words];
  const cases: { words: () => string[]; values: string[] }[] = [
    { words: () => S('update-route', ''), values: [...APPS, ...DOMAINS] },
    { words: () => S('update-route', 'rev'), values: ['reviews-v1', 'reviews-v2'] },
    { words: () => S('update-route', 'reviews-v1', ''), values: DOMAINS },
    { words: () => S('update-route', 'example.com', ''), values: [] },
    { words: () => S('update-route', 'reviews-v1', 'example.com', '--hostname', ''), values: ['reviews', 'shop'] },
    { words: () => S('update-route', 'example.com', '--hostname', 's'), values: ['shop'] },
    { words: () => S('update-route', 'example.com', '--hostname', 'shop', '--path', ''), values: ['/cart'] },
    { words: () => S('update-route', 'example.com', '--hostname=sh'), values: ['shop'] },
    { words: () => S('update-route', 'example.com', '--destination', 'reviews-'), values: ['reviews-v1=', 'reviews-v2='] },
    { words: () => S('map-route', ''), values: APPS },
    { words: () => S('map-route', 'shop', 'e'), values: ['example.com', 'example.org'] },
    { words: () => S('unmap-route', 'db', 'tcp.example.com', '--port', ''), values: ['1024'] },
    { words: () => S('unmap-route', 'shop', 'example.org', '--hostname', ''), values: ['shop'] },
    { words: () => S('create-route', ''), values: DOMAINS },
    { words: () => S('delete-route', 'example.com', '--hostname', ''), values: ['reviews', 'shop'] },
    { words: () => S('delete', ''), values: APPS },
    { words: () => S('route', 'ex'), values: ['example.com', 'example.org'] },
    { words: () => S('push', 'sh'), values: ['shop'] },
    { words: () => S('update-route', 'reviews-v1', 'example.com', ''), values: [] },
    // the cluster is the state there: a TAB does not ask it
    { words: () => S('update-route', '--target', 'kubernetes', ''), values: [] },
  ];
  for (const [i, c] of cases.entries()) {
    test(`state #${i + 1}`, async () => {
      const words = c.words();
      const a = await completeIn(words);
      assert.deepEqual(a.values, c.values, words.slice(2).join(' '));
    });
  }

  test('the state is found as the state commands find it: --state, else CFMESH_HOME', async () => {
    assert.deepEqual((await completeIn(['delete', ''], { env: { CFMESH_HOME: state } })).values, APPS);
    assert.deepEqual((await completeIn(['--state', join(state, 'nothing-here'), 'delete', ''], { env: { CFMESH_HOME: state } })).values, []);
  });

  test('domains carry their number of routes; routes read right where nested keys look like a route\'s', async () => {
    const a = await completeIn(S('create-route', ''));
    assert.equal(a.descriptions.get('example.com'), 'domain, 3 routes');
    assert.equal(a.descriptions.get('tcp.example.com'), 'domain, 1 route');
    // the reviews route's rule matches path /domain and a host header: neither is the route's path or host
    assert.deepEqual((await completeIn(S('route', 'example.com', '--hostname', 'reviews', '--path', ''))).values, []);
  });

  test('a stored kubernetes target means no state values; --target local reads them again', async () => {
    const dir = tempDir('cfmesh-k8s-target-');
    const copy = join(dir, 'state');
    mkdirSync(copy);
    writeFileSync(join(copy, 'state.json'), readFileSync(join(state, 'state.json')));
    const set = await runCli(['--state', copy, 'target', 'kubernetes'], { env: { KUBECONFIG: join(dir, 'none') } });
    assert.equal(set.exit, 0, set.err);
    assert.deepEqual((await completeIn(['--state', copy, 'delete', ''])).values, []);
    assert.deepEqual((await completeIn(['--state', copy, 'delete', '--target', 'local', ''])).values, APPS);
  });

  test('a state in another layout (hand-edited, compact) is read whole', async () => {
    const dir = tempDir('cfmesh-compact-');
    const doc = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as Record<string, unknown>;
    delete doc['digest'];
    writeFileSync(join(dir, 'state.json'), JSON.stringify(doc));
    assert.deepEqual((await completeIn(['--state', dir, 'update-route', ''])).values, [...APPS, ...DOMAINS]);
    assert.deepEqual((await completeIn(['--state', dir, 'route', 'example.com', '--hostname', 'shop', '--path', ''])).values, ['/cart']);
  });
});

describe('completion never fails, never prints an error, and bounds its work', () => {
  test('broken, foreign, newer, huge or missing states give no state values, and nothing on stderr', async () => {
    const broken: Record<string, (dir: string) => void> = {
      'not JSON': (d) => writeFileSync(join(d, 'state.json'), '{"version":1,\n"apps":{\n'),
      'a directory': (d) => mkdirSync(join(d, 'state.json')),
      'a newer version': (d) => writeFileSync(join(d, 'state.json'), '{"version":99,"apps":{"x":{}},"routes":{}}'),
      'wrong shapes': (d) => writeFileSync(join(d, 'state.json'), '{"version":1,"apps":[1,2],"routes":{"a":5,"b":{"fqdn":1}},"settings":null}'),
      'larger than the bound (a sparse 65 MiB file)': (d) => {
        writeFileSync(join(d, 'state.json'), '');
        truncateSync(join(d, 'state.json'), 65 * 1024 * 1024);
      },
      missing: () => {},
    };
    for (const [name, make] of Object.entries(broken)) {
      const dir = tempDir('cfmesh-broken-');
      make(dir);
      for (const words of [['delete', ''], ['update-route', 'a', 'example.com', '--hostname', ''], ['create-route', '']]) {
        const run = await runCli(['__complete', '--state', dir, ...words], { env: { HOME: dir } });
        assert.equal(run.exit, 0, name);
        assert.equal(run.err, '', `${name}: nothing on stderr`);
        const a = parse(run.out);
        assert.ok(a.values.every((v) => v === 'x'), `${name}: ${a.values.join(' ')}`);
      }
    }
  });

  test('any words at all: exit 0, nothing on stderr, a directive last', async () => {
    const word = fc.oneof(fc.constantFrom('', '-', '--', '-f', '--state', '--output', '=', '--output=', 'update-route', 'convert', 'x', '-rf', '--no-such', '\u0000', 'a\tb', 'a\nb'), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 8 }), async (words) => {
        const run = await runCli(['__complete', '--state', '/nonexistent/cfmesh', ...words, '']);
        assert.equal(run.exit, 0);
        assert.equal(run.err, '');
        const a = parse(run.out);
        for (const v of a.values) assert.doesNotMatch(v, /[\t\n\r]/);
      }),
      { seed: 17, numRuns: 150 },
    );
  });

  test('the real binary answers as in-process, on stdout only', async () => {
    const state = await pushedState();
    const run = await cfmesh(['__complete', '--state', state, 'update-route', '']);
    assert.equal(run.code, 0);
    assert.equal(run.err, '');
    assert.deepEqual(parse(run.out).values, [...APPS, ...DOMAINS]);
  });
});
