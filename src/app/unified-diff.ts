/**
 * A unified diff of two texts (`diff -u` style, 3 lines of context), for `--dry-run`. Resources are
 * small, so a plain LCS table is enough; past a size limit the hunk is the whole text replaced.
 */
export function unifiedDiff(oldName: string, newName: string, a: string, b: string, context = 3): string {
  if (a === b) return '';
  const x = splitLines(a);
  const y = splitLines(b);
  const ops = x.length * y.length > 4_000_000 ? replaceAll(x, y) : lcsOps(x, y);
  let out = `--- ${oldName}\n+++ ${newName}\n`;
  // Group ops into hunks with `context` lines around changes.
  const changes = ops.map((o, i) => (o.kind !== ' ' ? i : -1)).filter((i) => i >= 0);
  let i = 0;
  while (i < changes.length) {
    const start = Math.max(0, (changes[i] as number) - context);
    let end = Math.min(ops.length, (changes[i] as number) + context + 1);
    while (i + 1 < changes.length && (changes[i + 1] as number) - context <= end) {
      i++;
      end = Math.min(ops.length, (changes[i] as number) + context + 1);
    }
    i++;
    const slice = ops.slice(start, end);
    const first = ops[start] as Op;
    const oldCount = slice.filter((o) => o.kind !== '+').length;
    const newCount = slice.filter((o) => o.kind !== '-').length;
    const oldStart = oldCount === 0 ? first.oldLine : first.oldLine + 1;
    const newStart = newCount === 0 ? first.newLine : first.newLine + 1;
    out += `@@ -${oldStart},${oldCount} +${newStart},${newCount} @@\n`;
    for (const o of slice) out += `${o.kind}${o.text}\n`;
  }
  return out;
}

interface Op {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  /** Lines of the old and new text before this one (0-based positions). */
  readonly oldLine: number;
  readonly newLine: number;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function replaceAll(x: readonly string[], y: readonly string[]): Op[] {
  return [...x.map((text, i) => ({ kind: '-' as const, text, oldLine: i, newLine: 0 })), ...y.map((text, j) => ({ kind: '+' as const, text, oldLine: x.length, newLine: j }))];
}

function lcsOps(x: readonly string[], y: readonly string[]): Op[] {
  const n = x.length;
  const m = y.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = x[i] === y[j] ? (table[(i + 1) * (m + 1) + j + 1] as number) + 1 : Math.max(table[(i + 1) * (m + 1) + j] as number, table[i * (m + 1) + j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      ops.push({ kind: ' ', text: x[i] as string, oldLine: i, newLine: j });
      i++;
      j++;
    } else if (j < m && (i === n || (table[i * (m + 1) + j + 1] as number) >= (table[(i + 1) * (m + 1) + j] as number))) {
      ops.push({ kind: '+', text: y[j] as string, oldLine: i, newLine: j });
      j++;
    } else {
      ops.push({ kind: '-', text: x[i] as string, oldLine: i, newLine: j });
      i++;
    }
  }
  return ops;
}
