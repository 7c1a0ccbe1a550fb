/**
 * A unified diff of two texts (Myers' O(ND) line diff), as `diff -u` prints it: for `--dry-run` and
 * `cfmesh diff`. Pure and deterministic.
 */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if ((ops[i] as Op).kind === ' ') {
      i++;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    // extend the hunk while changes are within 2*context lines of each other
    for (;;) {
      while (end < ops.length && (ops[end] as Op).kind !== ' ') end++;
      let next = end;
      while (next < ops.length && (ops[next] as Op).kind === ' ' && next - end < 2 * context) next++;
      if (next < ops.length && (ops[next] as Op).kind !== ' ' && next - end <= 2 * context) end = next;
      else break;
    }
    end = Math.min(ops.length, end + context);
    const slice = ops.slice(start, end);
    const aStart = (ops[start] as Op).a;
    const bStart = (ops[start] as Op).b;
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    hunks.push(`@@ -${aCount === 0 ? aStart : aStart + 1},${aCount} +${bCount === 0 ? bStart : bStart + 1},${bCount} @@\n`);
    for (const op of slice) hunks.push(`${op.kind}${op.text}\n`);
    i = end;
    start = end;
  }
  return `--- ${fromName}\n+++ ${toName}\n${hunks.join('')}`;
}

interface Op {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  /** Index in a (for ' ' and '-') or the a-position before which a '+' goes. */
  readonly a: number;
  readonly b: number;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(new Map(v));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v.get(k - 1) ?? -1) < (v.get(k + 1) ?? -1));
      let x = down ? (v.get(k + 1) ?? 0) : (v.get(k - 1) ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v.set(k, x);
      if (x >= n && y >= m) break outer;
    }
  }
  // backtrack
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Map<number, number>;
    const k = x - y;
    const down = k === -d || (k !== d && (vd.get(k - 1) ?? -1) < (vd.get(k + 1) ?? -1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = vd.get(prevK) ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', text: a[x] as string, a: x, b: y });
    }
    if (d > 0) {
      if (down) {
        y--;
        ops.push({ kind: '+', text: b[y] as string, a: x, b: y });
      } else {
        x--;
        ops.push({ kind: '-', text: a[x] as string, a: x, b: y });
      }
    }
  }
  return ops.reverse();
}
