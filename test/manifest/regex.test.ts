import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRe2, MAX_REGEX_LENGTH } from '../../src/manifest/regex.ts';

const cases = [
  { name: 'bookinfo user agent', pattern: '.*(iPhone|iPad).*', ok: true },
  { name: 'bookinfo cookie', pattern: '^(.*?;)?(user=jason)(;.*)?$', ok: true },
  { name: 'case-insensitive flag', pattern: '(?i)mobile', ok: true },
  { name: 'unicode class', pattern: '\\p{L}+', ok: true },
  { name: 'exactly the limit', pattern: 'a'.repeat(MAX_REGEX_LENGTH), ok: true },
  { name: 'lookahead', pattern: '(?=x)', ok: false },
  { name: 'negative lookbehind', pattern: '(?<!x)y', ok: false },
  { name: 'backreference', pattern: '(a)\\1', ok: false },
  { name: 'unbalanced bracket', pattern: '[', ok: false },
  { name: 'possessive quantifier', pattern: 'a++', ok: false },
  { name: 'empty', pattern: '', ok: false },
  { name: 'one over the limit', pattern: 'a'.repeat(MAX_REGEX_LENGTH + 1), ok: false },
];
for (const c of cases) {
  test(`RE2: ${c.name}`, () => {
    assert.equal(checkRe2(c.pattern) === undefined, c.ok, checkRe2(c.pattern));
  });
}
