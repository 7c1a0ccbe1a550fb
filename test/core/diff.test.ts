import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from '../../src/render/diff.ts';

test('identical texts give no diff', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y'), '');
});

test('hunks as diff -u prints them, with 3 lines of context', () => {
  const before = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n';
  const after = 'a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n';
  assert.equal(
    unifiedDiff(before, after, 'live', 'rendered'),
    '--- live\n+++ rendered\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -9,3 +9,4 @@\n i\n j\n k\n+l\n',
  );
});

test('creation and deletion', () => {
  assert.equal(unifiedDiff('', 'x\ny\n', '/dev/null', 'new'), '--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  assert.equal(unifiedDiff('x\n', '', 'old', '/dev/null'), '--- old\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n');
});

test('a long text with one change gives one small hunk', () => {
  const before = Array.from({ length: 20000 }, (_, i) => `line ${i}`).join('\n');
  const after = before.replace('line 10000', 'changed');
  const out = unifiedDiff(before, after, 'a', 'b');
  assert.match(out, /-line 10000\n\+changed/);
  assert.equal(out.split('\n').length, 12);
});
