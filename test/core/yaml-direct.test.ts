// The direct YAML reader (src/manifest/yaml-direct.ts) must give exactly what the yaml library path
// gives, or decline. Compared here on every fixture, on generated manifests, and on random YAML of
// every style the reader handles (and, mutated, of styles it must decline): values with their
// prototypes, warnings, every span and bool word. The work is bounded by asserting what ran (the
// library's lexer and composer did not, for a valid manifest), never by timing it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { parseYaml } from '../../src/manifest/parse-yaml.ts';
import { resolvePlain } from '../../src/manifest/yaml-direct.ts';
import { generateManifest } from '../bench/generate.ts';
import { compareReaders } from '../helpers/yaml-compare.ts';

const root = join(import.meta.dirname, '..', '..');

function check(text: string, label: string): boolean {
  const r = compareReaders(text);
  assert.deepEqual(r.differences, [], `${label}:\n${text.length < 3000 ? text : `${text.slice(0, 3000)}...`}`);
  return r.direct;
}

test('every fixture manifest and vars file reads the same both ways; all but the unusual ones directly', () => {
  const declined: string[] = [];
  for (const dir of readdirSync(join(root, 'fixtures')).sort()) {
    for (const name of readdirSync(join(root, 'fixtures', dir))) {
      if (!/\.ya?ml$/.test(name) || name.startsWith('expected')) continue;
      const file = join(root, 'fixtures', dir, name);
      if (!check(readFileSync(file, 'utf8'), file)) declined.push(`${dir}/${name}`);
    }
  }
  // deep nesting, a tag run and a second document are refused or warned about by the library path
  assert.deepEqual(declined.filter((d) => d.endsWith('manifest.yml')), ['invalid-deep-nesting/manifest.yml', 'invalid-tag-run/manifest.yml', 'second-document-ignored/manifest.yml']);
});

// 600 apps hold every shape the generator makes (its periods are 6, 10 and 60 apps; shop hosts come
// every 100): a larger manifest only costs the library path's time (~2 ms an app), not coverage.
test('a generated 600-app manifest is read directly: no lexer, no document model, the same result', () => {
  for (const text of [generateManifest(600).text, generateManifest(300, { pathHost: 200 }).text]) {
    const parsed = parseYaml(new SourceFile('m.yml', text));
    assert.equal(parsed.work?.direct, true);
    assert.equal(parsed.work?.lexemes, 0, 'the yaml library lexer never ran');
    assert.equal(parsed.work?.composed, false, 'no document was composed');
    check(text, 'generated');
  }
});

// Plain scalars not starting with one of these characters are strings, without a look at the tags.
test('plain scalars resolve as the yaml library resolves them (YAML 1.1)', () => {
  const alphabet = ['', '0', '1', '7', '9', '_', '.', '-', '+', ':', 'e', 'x', 'b', 'o', 'n', 'N', 'y', 'Y', 'a', 'f', 'F', 'l', 'u', 'L', 'i', 'I', 't', 'T', 'r', 's', '~', '<', 'E', 'O', 'Z', ' '];
  const seen = new Set<string>();
  const cases: string[] = ['2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '1:20', '190:20:30.15', '0x_1F', '0b1_0', '-.inf', '.NaN', 'NULL', 'Null', 'nULL', 'YES', 'yEs', 'On', 'oN', '1e3', '1E+3', '.5e-3', '1_000.5', '+.5', '0o17', '1__'];
  for (const a of alphabet) for (const b of alphabet) for (const c of alphabet) cases.push(`${a}${b}${c}`.trim());
  for (const s of cases) {
    if (seen.has(s) || s === '' || /^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /[:#]/.test(s) || s !== s.trim()) continue;
    seen.add(s);
  }
  // The library resolves each as the value of its own key of one map (`k0: s0`, `k1: s1`, ...): a plain
  // scalar's tag does not depend on its neighbours. A batch the library finds an error in is read one
  // scalar at a time, and a scalar with an error of its own is skipped.
  const libraryValues = (batch: readonly string[]): unknown[] | undefined => {
    const doc = parseDocument(batch.map((s, i) => `k${i}: ${s}\n`).join(''), { version: '1.1' });
    if (doc.errors.length > 0) return undefined;
    const items = (doc.contents as { items: { value: { value: unknown } }[] }).items;
    assert.equal(items.length, batch.length);
    return items.map((item) => item.value.value);
  };
  const all = [...seen];
  let compared = 0;
  for (let from = 0; from < all.length; from += 500) {
    const batch = all.slice(from, from + 500);
    const values = libraryValues(batch) ?? batch.map((s) => libraryValues([s])?.[0] ?? SKIP);
    batch.forEach((s, i) => {
      const library = values[i];
      if (library === SKIP) return;
      compared++;
      const direct = resolvePlain(s);
      if (library instanceof Date) assert.ok(direct instanceof Date && direct.getTime() === library.getTime(), s);
      else assert.ok(Object.is(direct, library), `${JSON.stringify(s)}: direct ${String(direct)}, library ${String(library)}`);
    });
  }
  assert.ok(compared > 20_000, `${compared} scalars compared`);
});

const SKIP = Symbol('the library reports an error for this scalar alone');

// ---------------------------------------------------------------------------------------------
// Random YAML: a seeded generator of documents in every style the reader handles, and mutations.

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const PLAIN = ['a', 'web', 'app-1', 'x y', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'False', '~', 'null', 'Null', '1', '012', '08', '0x1F', '0b11', '1_000', '1.5', '.5', '1e3', '1.0', '+1', '-1', '-x', '.inf', '-.Inf', '.nan', '12:30', '1:2:3.5', '2001-12-14', 'http://a.b/c?d=e', 'a#b', 'a:b', 'é', '日本', '<<', 'x-', 'a[0]', 'b{c}', '.', '..', 'e5', '1.2.3', '3GB', '512M', '((var))', '((a.b))', 'pre-((x))-post', '%x', 'a  b', 'a,b', 'x!'];
const KEYS = ['name', 'memory', 'instances', 'routes', 'route', 'env', 'a', 'b', 'k', '1', '1.0', 'yes', 'true', 'null', '~', 'a b', 'x-y', '<<', '"q"', "'s'", '"yes"', '2001-12-14', '.nan', '0x1', 'é', 'k:v'];
const QUOTED = ['"a"', '"yes"', '"1"', '""', "''", "'it''s'", '"a\\"b"', '"tab\\tx"', '"\\u00e9\\x41\\U0001F600"', '"a # b"', "'a: b'", '"[x]"', '"\\\\"', '"\\/"', '"\\N\\_\\L\\P\\0"', "'#'", '"((v))"'];
const BLOCK_HEADERS = ['|', '|-', '>', '>-', '| # c', '>- # c'];

interface Gen {
  readonly r: () => number;
  anchors: string[];
  anchorCount: number;
}

const pick = <T,>(g: Gen, xs: readonly T[]): T => xs[Math.floor(g.r() * xs.length)] as T;
const chance = (g: Gen, p: number) => g.r() < p;
const sp = (g: Gen) => (chance(g, 0.15) ? '  ' : ' ');
const comment = (g: Gen) => (chance(g, 0.1) ? `${sp(g)}# ${pick(g, ['c', 'x: y', '- z', '#'])}` : '');

function scalar(g: Gen, flow: boolean): string {
  if (g.anchors.length > 0 && chance(g, 0.08)) return `*${pick(g, g.anchors)}`;
  if (chance(g, 0.25)) return pick(g, QUOTED);
  const s = pick(g, PLAIN);
  return flow && /[,[\]{}#]/.test(s) ? 'f' : s;
}

function anchor(g: Gen): string {
  if (!chance(g, 0.08)) return '';
  const name = `a${g.anchorCount++}`;
  g.anchors.push(name);
  return `&${name} `;
}

function flowNode(g: Gen, depth: number): string {
  const roll = g.r();
  if (depth > 2 || roll < 0.55) return scalar(g, true);
  if (roll < 0.78) {
    const n = Math.floor(g.r() * 4);
    return `[${Array.from({ length: n }, () => flowNode(g, depth + 1)).join(`,${sp(g)}`)}]`;
  }
  const n = Math.floor(g.r() * 4);
  return `{${Array.from({ length: n }, () => `${pick(g, KEYS)}:${sp(g)}${flowNode(g, depth + 1)}`).join(`,${sp(g)}`)}}`;
}

function blockScalar(g: Gen, indent: string): string {
  const lines = Array.from({ length: 1 + Math.floor(g.r() * 4) }, () => pick(g, ['text', 'a: b', '- x', '  more indented', '', '# not a comment', 'x  y', '"q"']));
  if (lines[0] === '') lines[0] = 'first';
  const body = lines.map((l) => (l === '' ? '' : `${indent}  ${l}`)).join('\n');
  return `${pick(g, BLOCK_HEADERS)}\n${body}${chance(g, 0.3) ? '\n' : ''}`;
}

/** A block node as the value after `key:` or `-` (its text starts right after the indicator). */
function blockValue(g: Gen, indent: string, depth: number, inSeq: boolean): string {
  const roll = g.r();
  const a = anchor(g);
  if (depth > 4 || roll < 0.4) return ` ${a}${scalar(g, false)}${comment(g)}`;
  if (roll < 0.5) return ` ${a}${flowNode(g, 0)}${comment(g)}`;
  if (roll < 0.56 && !a) return ` ${blockScalar(g, indent)}`;
  if (roll < 0.6) return `${a ? ` ${a.trim()}` : ''}${comment(g)}`; // empty (null), or an anchored null
  const child = `${indent}${pick(g, ['  ', '  ', '    ', '   '])}`;
  if (roll < 0.8) {
    // a map on the next lines, or (in a sequence) on the same line
    if (inSeq && !a && chance(g, 0.5)) return ` ${blockMapBody(g, `${indent}  `, depth + 1).slice(indent.length + 2)}`;
    return `${a ? ` ${a.trim()}` : ''}\n${blockMapBody(g, child, depth + 1)}`;
  }
  if (inSeq && !a && chance(g, 0.4)) return ` ${blockSeqBody(g, `${indent}  `, depth + 1).slice(indent.length + 2)}`;
  // a sequence, indented or (under a key) at the key's column
  return `${a ? ` ${a.trim()}` : ''}\n${blockSeqBody(g, !inSeq && chance(g, 0.4) ? indent : child, depth + 1)}`;
}

function blockMapBody(g: Gen, indent: string, depth: number): string {
  const n = 1 + Math.floor(g.r() * 4);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (chance(g, 0.08)) lines.push(chance(g, 0.5) ? '' : `${' '.repeat(Math.floor(g.r() * (indent.length + 3)))}# comment`);
    const key = pick(g, KEYS);
    if (key === '<<' && g.anchors.length > 0) {
      lines.push(`${indent}<<:${sp(g)}${chance(g, 0.7) ? `*${pick(g, g.anchors)}` : `[${g.anchors.slice(-2).map((x) => `*${x}`).join(', ')}]`}`);
      continue;
    }
    lines.push(`${indent}${key === '<<' ? 'k' : key}${chance(g, 0.05) ? ' ' : ''}:${blockValue(g, indent, depth, false)}`);
  }
  return lines.join('\n');
}

function blockSeqBody(g: Gen, indent: string, depth: number): string {
  const n = 1 + Math.floor(g.r() * 4);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (chance(g, 0.06)) lines.push(chance(g, 0.5) ? '' : `${' '.repeat(Math.floor(g.r() * (indent.length + 3)))}# comment`);
    lines.push(`${indent}-${blockValue(g, indent, depth, true)}`);
  }
  return lines.join('\n');
}

function document(g: Gen): string {
  const head = chance(g, 0.1) ? '---\n' : chance(g, 0.05) ? '# leading comment\n\n' : '';
  const body = chance(g, 0.75) ? blockMapBody(g, '', 0) : chance(g, 0.8) ? blockSeqBody(g, '', 0) : flowNode(g, 0);
  const tail = chance(g, 0.05) ? '\n---\n' : chance(g, 0.05) ? '\n...\n' : chance(g, 0.1) ? '' : '\n';
  return `${head}${body}${tail}`;
}

const MUTATION_CHARS = [' ', '\n', ':', '-', '#', '"', "'", '[', ']', '{', '}', ',', '&', '*', '|', '>', '?', '!', '%', '@', '\t', '\r', 'x', '  ', ': ', '- ', '\\'];

function mutate(g: Gen, text: string): string {
  const at = Math.floor(g.r() * (text.length + 1));
  const roll = g.r();
  if (roll < 0.5) return text.slice(0, at) + pick(g, MUTATION_CHARS) + text.slice(at);
  if (roll < 0.75) return text.slice(0, at) + text.slice(at + 1 + Math.floor(g.r() * 3));
  const lines = text.split('\n');
  const i = Math.floor(g.r() * lines.length);
  lines[i] = chance(g, 0.5) ? ` ${lines[i]}` : (lines[i] ?? '').replace(/^ /, '');
  return lines.join('\n');
}

const RUNS = process.env['FUZZ_RUNS'] ? Number(process.env['FUZZ_RUNS']) : 3000;
const SEED = Number(process.env['FUZZ_SEED'] ?? 0x9e3779b9);

test(`random YAML (${RUNS} documents, and each mutated): read the same both ways, or declined`, (t) => {
  let direct = 0;
  let mutatedDirect = 0;
  for (let i = 0; i < RUNS; i++) {
    const g: Gen = { r: prng(SEED ^ (i * 2654435761)), anchors: [], anchorCount: 0 };
    const text = document(g);
    if (check(text, `document ${i}`)) direct++;
    let mutated = text;
    for (let k = 0, n = 1 + Math.floor(g.r() * 3); k < n; k++) mutated = mutate(g, mutated);
    if (check(mutated, `mutated document ${i}`)) mutatedDirect++;
  }
  t.diagnostic(`${direct} of ${RUNS} documents and ${mutatedDirect} mutated ones read directly`);
  // the generator mostly writes what the reader reads; a mutation sometimes keeps it readable
  assert.ok(direct > RUNS * 0.6, `${direct} of ${RUNS} documents read directly`);
  assert.ok(mutatedDirect > RUNS * 0.1, `${mutatedDirect} of ${RUNS} mutated documents read directly`);
});
