// A hand-edited state gets the manifest's rules, each problem at state.json:line:col with a code frame;
// a state cfmesh wrote (digest intact) and a hand edit that keeps the rules read as before.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandbox } from '../commands/helpers.ts';

const MANIFEST = `applications:
- name: reviews-v1
- name: reviews-v2
- name: db
  routes:
  - route: tcp.example.com:1024
- name: cart
  routes:
  - route: cart.example.com
    timeout: 2s
routes:
- route: reviews.example.com
  destinations:
  - name: reviews-v1
    weight: 60
  - name: reviews-v2
    weight: 40
`;

/** line:col of the first occurrence of `needle` in `text` (1-based), plus `shift` characters. */
function position(text: string, needle: string, shift = 0): string {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} is in the state file`);
  const before = text.slice(0, at + shift);
  const line = before.split('\n').length;
  return `${line}:${at + shift - before.lastIndexOf('\n')}`;
}

const cases: { name: string; edit: (text: string) => string; code: string; at: (text: string) => string; message: RegExp }[] = [
  {
    name: 'weights that sum to 110',
    edit: (t) => t.replace('"app":"reviews-v2","weight":40', '"app":"reviews-v2","weight":50'),
    code: 'WEIGHTS',
    at: (t) => position(t, '"destinations":[{"app":"reviews-v1"', '"destinations":'.length),
    message: /route reviews\.example\.com: weights sum to 110, they must sum to 100/,
  },
  {
    name: 'a destination that is not an app of the state',
    edit: (t) => t.replace('"app":"reviews-v2"', '"app":"ghost"'),
    code: 'UNKNOWN_APP',
    at: (t) => position(t, '"app":"ghost"', '"app":'.length),
    message: /route reviews\.example\.com: destination "ghost" is not an app of the state/,
  },
  {
    name: 'a weight above 100',
    edit: (t) => t.replace('"weight":60', '"weight":160').replace('"weight":40', '"weight":-60'),
    code: 'WEIGHTS',
    at: (t) => position(t, '160'),
    message: /weight of "reviews-v1" must be an integer from 0 to 100 \(got 160\)/,
  },
  {
    name: 'weighted and unweighted destinations',
    edit: (t) => t.replace(',"weight":40', ''),
    code: 'WEIGHTS',
    at: (t) => position(t, '{"app":"reviews-v2"}'),
    message: /both weighted and unweighted/,
  },
  {
    name: 'a bad duration in the traffic controls',
    edit: (t) => t.replace('"controls":{"timeout":"2s"}', '"controls":{"timeout":"2.5ms"}'),
    code: 'DURATION',
    at: (t) => position(t, '"2.5ms"'),
    message: /route cart\.example\.com: /,
  },
  {
    name: 'an unknown route option',
    edit: (t) => t.replace('"options":{},"protocol":"http1"}', '"options":{"speed":"fast"},"protocol":"http1"}'),
    code: 'OPTION_INVALID',
    at: (t) => position(t, '{"speed":"fast"}'),
    message: /unknown route option 'speed'/,
  },
];

for (const c of cases) {
  test(`hand-edited state: ${c.name} is ${c.code} at state.json:line:col, for every command that reads it`, async (t) => {
    const s = sandbox(t);
    s.write('m.yml', MANIFEST);
    assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
    const file = join(s.state, 'state.json');
    const edited = c.edit(readFileSync(file, 'utf8'));
    assert.notEqual(edited, readFileSync(file, 'utf8'), 'the edit applies');
    writeFileSync(file, edited);
    for (const argv of [['render'], ['routes'], ['map-route', 'db', 'example.com', '--hostname', 'x']]) {
      const r = await s.run(...argv);
      assert.equal(r.exit, 1, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.out, '');
      const where = `${file}:${c.at(edited)}: error ${c.code} `;
      assert.ok(r.err.includes(where), `${argv.join(' ')}: expected ${where} in\n${r.err}`);
      assert.match(r.err, c.message);
      assert.match(r.err, /\n\s+\d+ \| .*\n\s+\| +\^/, 'a code frame with a caret');
    }
    assert.equal(readFileSync(file, 'utf8'), edited, 'the file is left as it is');
  });
}

test('several problems of a hand-edited state are reported in one pass, in file order', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', MANIFEST);
  assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
  const file = join(s.state, 'state.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"weight":40', '"weight":50').replace('"controls":{"timeout":"2s"}', '"controls":{"timeout":"0s"}'));
  const r = await s.run('routes');
  assert.equal(r.exit, 1);
  const codes = [...r.err.matchAll(/: error (\w+) /g)].map((m) => m[1]);
  assert.deepEqual(codes, ['DURATION', 'WEIGHTS'], 'cart.example.com comes before reviews.example.com in the file');
  assert.match(r.err, /2 errors/);
});

test('a hand edit that keeps the rules is read (and the next write gives the file its digest again)', async (t) => {
  const s = sandbox(t);
  s.write('m.yml', MANIFEST);
  assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
  const file = join(s.state, 'state.json');
  // jq-style reformatting plus a weight change that still sums to 100
  const text = JSON.stringify(JSON.parse(readFileSync(file, 'utf8').replace('"weight":60', '"weight":70').replace('"weight":40', '"weight":30')), null, 2);
  writeFileSync(file, text);
  const routes = await s.run('routes', '--json');
  assert.equal(routes.exit, 0, routes.err);
  const reviews = (JSON.parse(routes.out) as { url: string; destinations: { weight: number }[] }[]).find((r) => r.url === 'reviews.example.com');
  assert.deepEqual(reviews?.destinations.map((d) => d.weight), [70, 30]);
  assert.equal((await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '80')).exit, 0);
  assert.match(readFileSync(file, 'utf8'), /\n"digest":"crc32:[0-9a-f]{8}"\}\n$/);
});
