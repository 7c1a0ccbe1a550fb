import assert from 'node:assert/strict';
import { test } from 'node:test';
import { largestRemainder, rescaleWeights } from '../../src/routing/weights.ts';

const cases: { name: string; parts: number[]; expected: number[] }[] = [
  { name: 'even split of two', parts: [1, 1], expected: [50, 50] },
  { name: 'three equal: the remainder goes to the first', parts: [1, 1, 1], expected: [34, 33, 33] },
  { name: 'six equal (Copilot test: 17,17,17,17,16,16)', parts: [1, 1, 1, 1, 1, 1], expected: [17, 17, 17, 17, 16, 16] },
  { name: '1:2:3 by instances', parts: [1, 2, 3], expected: [17, 33, 50] },
  { name: '2:1 → 67/33', parts: [2, 1], expected: [67, 33] },
  { name: 'zero instances get zero', parts: [0, 1, 3], expected: [0, 25, 75] },
  { name: 'all zero split evenly', parts: [0, 0], expected: [50, 50] },
  { name: 'one destination', parts: [7], expected: [100] },
  { name: 'largest remainder, not first', parts: [1, 1, 4], expected: [17, 17, 66] },
];
for (const c of cases) {
  test(`largestRemainder: ${c.name}`, () => {
    const shares = largestRemainder(c.parts);
    assert.deepEqual(shares, c.expected);
    assert.equal(shares.reduce((s, x) => s + x, 0), 100);
  });
}

test('rescale: 50/30/20 with A set to 80 gives 80/12/8', () => {
  const out = rescaleWeights([{ app: 'a', weight: 50 }, { app: 'b', weight: 30 }, { app: 'c', weight: 20 }], 'a', 80);
  assert.deepEqual(out.map((d) => d.weight), [80, 12, 8]);
});

test('rescale: the proposal, 90 then 10, ends at 90/10 whatever the route held', () => {
  for (const start of [[50, 50], [0, 100], [100, 0], [33, 67]]) {
    let route = [{ app: 'reviews-v1', weight: start[0] as number }, { app: 'reviews-v2', weight: start[1] as number }];
    route = rescaleWeights(route, 'reviews-v1', 90);
    route = rescaleWeights(route, 'reviews-v2', 10);
    assert.deepEqual(route.map((d) => d.weight), [90, 10], `from ${start.join('/')}`);
  }
});

test('rescale: others at zero share the rest evenly', () => {
  const out = rescaleWeights([{ app: 'a', weight: 100 }, { app: 'b', weight: 0 }, { app: 'c', weight: 0 }], 'a', 40);
  assert.deepEqual(out.map((d) => d.weight), [40, 30, 30]);
});
