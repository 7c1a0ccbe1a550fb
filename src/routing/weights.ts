/**
 * Integer shares that sum to exactly `total`, in proportion to `parts`: largest-remainder rounding,
 * ties going to the part that comes first. All-zero parts split evenly (the caller warns).
 */
export function largestRemainder(parts: readonly number[], total = 100): number[] {
  if (parts.length === 0) return [];
  const positive = parts.map((p) => (Number.isFinite(p) && p > 0 ? Math.round(p) : 0));
  const sum = positive.reduce((s, p) => s + p, 0);
  const basis = sum > 0 ? positive : positive.map(() => 1);
  const basisSum = sum > 0 ? sum : positive.length;
  // Integer arithmetic: exact quotients and remainders, so ties really are ties.
  const shares = basis.map((p) => Math.floor((p * total) / basisSum));
  const remainders = basis.map((p) => (p * total) % basisSum);
  let left = total - shares.reduce((s, p) => s + p, 0);
  const order = remainders.map((r, i) => ({ i, r })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i] = (shares[i] as number) + 1;
    left -= 1;
  }
  return shares;
}

/**
 * `update-route APP ... --weight W`: APP gets W and the other destinations share 100 − W in
 * proportion to their current weights (evenly when they are all 0), so the route sums to 100.
 * 50/30/20 with the first set to 80 gives 80/12/8.
 */
export function rescaleWeights<T extends { readonly app: string; readonly weight: number }>(destinations: readonly T[], app: string, weight: number): T[] {
  const others = destinations.filter((d) => d.app !== app);
  const shares = largestRemainder(others.map((d) => d.weight), 100 - weight);
  let k = 0;
  return destinations.map((d) => (d.app === app ? { ...d, weight } : { ...d, weight: others.length > 0 ? (shares[k++] as number) : 0 }));
}
