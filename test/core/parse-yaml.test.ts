import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { parseDocument, visit } from 'yaml';
import { aliasTargets, parseYaml } from '../../src/manifest/parse-yaml.ts';
import { interpolateVars } from '../../src/manifest/vars.ts';

const parse = (text: string) => parseYaml(new SourceFile('m.yml', text));

test('merge keys apply in order, later writes win (yaml.v2)', () => {
  const r = parse('a: &a {k: 1, x: 1}\nb: &b {k: 2}\nm:\n  k: 0\n  <<: *a\n  <<: *b\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual({ ...(r.value as { m: object }).m }, { k: 2, x: 1 });
});

test('a key written after a merge overrides it', () => {
  const r = parse('a: &a {k: 1}\nm:\n  <<: *a\n  k: 3\n');
  assert.deepEqual({ ...(r.value as { m: object }).m }, { k: 3 });
});

test('in a list of merged maps the earlier map wins', () => {
  const r = parse('a: &a {k: 1}\nb: &b {k: 2, j: 2}\nm:\n  <<: [*a, *b]\n');
  assert.deepEqual({ ...(r.value as { m: object }).m }, { k: 1, j: 2 });
});

test('YAML 1.1 scalars, as cf reads them', () => {
  const r = parse('a: yes\nb: off\nc: "yes"\n');
  assert.deepEqual({ ...(r.value as object) }, { a: true, b: false, c: 'yes' });
});

// cf's parser is non-strict yaml.v2 (cf CLI v8.18.4 parser.go: yaml.Unmarshal), which keeps the last
// value of a key written twice; the CLI's own test writes `var1` twice in a vars file and gets the
// second (util/manifestparser/parser_test.go "multiple values for the same variable(s)").
test('a duplicate key keeps its last value, with a warning at both places', () => {
  const r = parse('a: 1\nb: 2\na: 3\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual({ ...(r.value as object) }, { a: 3, b: 2 });
  const at = (r.warnings ?? []).map((w) => ({ code: w.code, ...(w.span ? w.span.source.linePos(w.span.start) : {}) }));
  assert.deepEqual(at, [
    { code: 'DUPLICATE_KEY', line: 3, col: 1 },
    { code: 'DUPLICATE_KEY', line: 1, col: 1 },
  ]);
  const span = r.spans.at(r.value, ['a']);
  assert.deepEqual(span && span.source.linePos(span.start), { line: 3, col: 4 }, 'the kept value is the one positions point at');
});

test('a key repeated through a merge is not a duplicate (the merge is overridden)', () => {
  const r = parse('d: &d {k: 1}\nm:\n  <<: *d\n  k: 2\n');
  assert.deepEqual(r.warnings ?? [], []);
});

test('an alias bomb is refused', () => {
  let text = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 9; i++) text += `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i - 1]}`).join(', ')}]\n`;
  const r = parse(text);
  assert.equal(r.errors[0]?.code, 'ALIAS_LIMIT');
});

test('a merge key with a scalar is an error', () => {
  assert.equal(parse('m:\n  <<: 3\n').errors[0]?.code, 'MERGE_KEY');
});

test('a BOM and CRLF line ends are fine', () => {
  const r = parse('\uFEFFa: 1\r\nb:\r\n  - x\r\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(JSON.parse(JSON.stringify(r.value)), { a: 1, b: ['x'] });
});

test('spans survive merges: an entry merged from an anchor points at the anchor', () => {
  const r = parse('d: &d\n  k: bad\nm:\n  <<: *d\n');
  const m = (r.value as { m: object }).m;
  const span = r.spans.at(r.value, ['m', 'k']);
  assert.ok(span);
  assert.deepEqual(span.source.linePos(span.start), { line: 2, col: 6 });
  assert.ok(m);
});

const vars = (text: string, values: Record<string, unknown>) => {
  const r = parse(text);
  return interpolateVars(r.value, r.spans, new Map(Object.entries(values)));
};

test('a whole-value var keeps its type; inside a string ints and strings only', () => {
  const r = vars('a: ((n))\nb: x-((n))\nc: ((m))\nd: ((s.k))\n', { n: 3, m: { q: 1 }, s: { k: 'v' } });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(JSON.parse(JSON.stringify(r.value)), { a: 3, b: 'x-3', c: { q: 1 }, d: 'v' });
  const bad = vars('b: x-((f))\n', { f: true });
  assert.equal(bad.errors[0]?.code, 'VAR_TYPE');
  assert.match(bad.errors[0]?.message ?? '', /Invalid type 'bool' for value 'true' and variable 'f'/);
});

test("undefined vars: cf's message, sorted, each with a position", () => {
  const r = vars('a: ((zeta))\nb: ((alpha))-x\nc: ((zeta))\n', {});
  assert.equal(r.errors[0]?.message, 'Expected to find variables: alpha, zeta');
  assert.equal(r.errors[0]?.details.length, 2);
});

test('a var value is not interpolated again', () => {
  const r = vars('a: ((x))\n', { x: '((y))' });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(JSON.parse(JSON.stringify(r.value)), { a: '((y))' });
});

test('a trailing --- is fine; a second document is ignored with a warning, as yaml.v2 reads only the first', () => {
  const trailing = parse('a: 1\n---\n');
  assert.deepEqual(trailing.errors, []);
  assert.deepEqual(trailing.warnings ?? [], []);
  const two = parse('a: 1\n---\nb: 2\n');
  assert.deepEqual(two.errors, []);
  assert.deepEqual(JSON.parse(JSON.stringify(two.value)), { a: 1 });
  assert.equal(two.warnings?.[0]?.code, 'LOSSY');
});

test('errors in a document after the first are ignored, as yaml.v2 reads only the first', () => {
  const r = parse('a: 1\n---\n: bad\n  - [\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual({ ...(r.value as object) }, { a: 1 });
});

test('a boolean written as a YAML 1.1 word is remembered with its spelling', () => {
  const r = parse('a: no\nb: false\nc: On\nd: "no"\n');
  const root = r.value as object;
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => r.spans.boolWord(root, k)), ['no', undefined, 'On', undefined]);
});

test('unquoted *.example.com: the alias error says to quote it', () => {
  const r = parse('applications:\n- name: a\n  routes:\n  - route: *.example.com\n');
  assert.equal(r.errors[0]?.code, 'YAML_SYNTAX');
  assert.match(r.errors[0]?.hint ?? '', /quote it: "\*\.example\.com"/);
});

test("aliasTargets finds for every alias the node the library's Alias.resolve finds (redefined anchors, self-reference, nesting, random documents)", () => {
  const docs = [
    'a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: [*x, &x 3, *x]\n',
    'm: &m\n  k: 1\n  self: *m\nn: *m\n',
    'list: &l [&i 1, *i, {k: &i 2, v: *i}]\nafter: [*i, *l]\n',
    'early: *late\nlate: &late v\n',
    '- &a {x: &b [1, 2]}\n- *b\n- &b z\n- [*a, *b]\n',
  ];
  // Random documents: anchors redefined many times, aliases anywhere, in block and flow styles.
  let seed = 7;
  const pick = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  for (let d = 0; d < 60; d++) {
    const names = ['a', 'b', 'c'];
    let text = '';
    for (let i = 0; i < 12; i++) {
      const anchor = pick(3) === 0 ? `&${names[pick(3)]} ` : '';
      const value = pick(3) === 0 ? `*${names[pick(3)]}` : pick(2) === 0 ? `${anchor}[${anchor ? '' : `&${names[pick(3)]} `}x${i}, *${names[pick(3)]}]` : `${anchor}v${i}`;
      text += `k${i}: ${value}\n`;
    }
    docs.push(text);
  }
  let compared = 0;
  for (const text of docs) {
    const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
    const targets = aliasTargets(doc);
    visit(doc, {
      Alias: (_key, alias) => {
        assert.equal(targets.get(alias), alias.resolve(doc), `${text}: *${alias.source}`);
        compared++;
      },
    });
  }
  assert.ok(compared > 200, `only ${compared} aliases compared`);
});
