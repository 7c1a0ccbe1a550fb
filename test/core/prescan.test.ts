// The token limit is enforced before the yaml library's lexer runs (src/manifest/prescan.ts), so a
// flood is refused after one pass over its characters. These tests bound the work by counting it
// (lexemes produced, documents composed), never by timing it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Lexer } from 'yaml';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { maxTokensFor, parseYaml } from '../../src/manifest/parse-yaml.ts';
import { prescanTokens } from '../../src/manifest/prescan.ts';
import { generateManifest } from '../bench/generate.ts';

const lexerCount = (text: string) => {
  let n = 0;
  for (const l of new Lexer().lex(text)) {
    const c = l.charCodeAt(0);
    if (!(c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x23)) n++;
  }
  return n;
};

const floods: { name: string; text: () => string; line?: number }[] = [
  { name: 'block sequence of 2,500,000 items (10 MB)', text: () => `applications: [{name: a}]\nx:\n${'- x\n'.repeat(2_500_000)}` },
  { name: 'flow sequence of 5,000,000 items (10 MB)', text: () => `applications: [{name: a}]\nx: [${'x,'.repeat(5_000_000)}]\n`, line: 2 },
  { name: 'map of 1,000,000 keys', text: () => `applications: [{name: a}]\nenv:\n${Array.from({ length: 1_000_000 }, (_, i) => `  k${i}: v`).join('\n')}\n` },
];

for (const f of floods) {
  test(`a flood is refused before the lexer runs: ${f.name}`, () => {
    const r = parseYaml(new SourceFile('m.yml', f.text()));
    assert.equal(r.errors[0]?.code, 'INPUT_TOO_LARGE');
    assert.equal(r.work?.lexemes, 0, 'the lexer never ran');
    assert.equal(r.work?.composed, false, 'nothing was composed');
    const limit = maxTokensFor(32 * 1024 * 1024);
    const counted = r.work?.prescanned ?? 0;
    assert.ok(counted > limit && counted <= limit + 3, `the scan stopped right past the limit (${counted})`);
    const span = r.errors[0]?.span;
    assert.ok(span, 'positioned');
    if (f.line !== undefined) assert.equal(span.source.linePos(span.start).line, f.line);
  });
}

test('a smaller limit refuses a smaller flood, still before the lexer', () => {
  const r = parseYaml(new SourceFile('m.yml', `x: [${'x,'.repeat(100_000)}]\n`), { maxTokens: maxTokensFor(1024 * 1024) });
  assert.equal(r.errors[0]?.code, 'INPUT_TOO_LARGE');
  assert.equal(r.work?.lexemes, 0);
});

// The pre-scan must not refuse what the lexer's count accepts: on real manifests it counts what the
// lexer counts, less its one document-start marker per document.
test('the pre-scan counts as the lexer does on every fixture and on a generated 2,000-app manifest', () => {
  const root = join(import.meta.dirname, '..', '..', 'fixtures');
  const texts = readdirSync(root)
    .map((d) => join(root, d, 'manifest.yml'))
    .filter((f) => existsSync(f))
    .map((f) => [f, readFileSync(f, 'utf8')] as const);
  texts.push(['generated', generateManifest(2000).text]);
  for (const [name, text] of texts) {
    const pre = prescanTokens(text, Number.MAX_SAFE_INTEGER).tokens;
    const lexed = lexerCount(text);
    assert.ok(pre <= lexed && pre >= lexed - 1, `${name}: pre-scan ${pre}, lexer ${lexed}`);
  }
});

test('the pre-scan never counts inside quoted or block scalars', () => {
  const cases = ['k: "a, [b], {c}: - d"\n', "k: 'it''s [x], y'\n", 'k: |\n  - a: [b, c]\n  - d\n', 'k: >-\n  a b c\nn: 1\n', 'a: b\n  c\n  d\n', 'command: bundle exec\n  rake db:migrate\n'];
  for (const text of cases) {
    const lexed = lexerCount(text);
    const pre = prescanTokens(text, Number.MAX_SAFE_INTEGER).tokens;
    assert.ok(pre <= lexed && pre >= lexed - 1, `${JSON.stringify(text)}: pre-scan ${pre}, lexer ${lexed}`);
  }
});
