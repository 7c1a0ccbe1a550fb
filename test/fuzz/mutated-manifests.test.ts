// Property: whatever is done to a manifest — lines deleted, swapped or duplicated (duplicate keys),
// truncated at any byte, bytes flipped, scalars replaced by wrong types or YAML syntax, indentation
// changed — cfmesh ends with exit 0, 1 or 2: never 70, never a stack trace, never a hang; an exit 1
// names file:line:col; an exit 0 still gives valid output. Seeds: the repo's fixtures and generated
// manifests. FUZZ_RUNS raises the number of cases (npm run fuzz: 10000).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertHandled, assertValidIstioOutput, fuzzRuns, runCli } from '../helpers/reliability.ts';
import { mutate, mutation, validManifest } from './arbitraries.ts';

const fixturesRoot = join(import.meta.dirname, '..', '..', 'fixtures');
const fixtureSeeds = readdirSync(fixturesRoot)
  .sort()
  .flatMap((name) => ['manifest.yml', 'stdin'].map((f) => join(fixturesRoot, name, f)))
  .filter((path) => existsSync(path))
  .map((path) => new Uint8Array(readFileSync(path)));

const seed = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...fixtureSeeds) },
  { weight: 1, arbitrary: validManifest.map((c) => new Uint8Array(Buffer.from(c.manifest))) },
);

const runs = fuzzRuns(150);

test(`mutated manifests end in exit 0/1/2 with a positioned error, never a crash (${runs} cases)`, { timeout: 600_000 + runs * 500 }, async () => {
  let slowest = 0;
  const exits = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(seed, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (input, mutations, asJson) => {
      const bytes = mutate(input, mutations);
      const argv = asJson ? ['validate', '-f', '-', '--json'] : ['convert', '-f', '-'];
      const run = await runCli(argv, { stdin: bytes });
      slowest = Math.max(slowest, run.ms);
      exits.set(run.exit, (exits.get(run.exit) ?? 0) + 1);
      if (asJson) {
        assertNoCrash(run.exit, run.err);
        const report = JSON.parse(run.out) as { valid: boolean; errors: { file?: string; line?: number; col?: number; code: string; message: string }[] };
        assert.equal(report.valid, run.exit === 0);
        if (run.exit === 1) {
          assert.ok(
            report.errors.some((e) => e.line !== undefined && e.col !== undefined) || report.errors.some((e) => e.code === 'UNDEFINED_VARS'),
            `--json errors carry a position: ${run.out.slice(0, 2000)}`,
          );
        }
        return;
      }
      assertHandled(run, 'mutated manifest');
      if (run.exit === 0) assertValidIstioOutput(run.out, 'mutated manifest that stayed valid');
    }),
    { numRuns: runs },
  );
  assert.ok(slowest < 10_000, `slowest case took ${slowest} ms`);
  if (process.env['FUZZ_RUNS']) console.log(`mutated manifests: ${runs} cases, exits ${JSON.stringify(Object.fromEntries(exits))}, slowest ${slowest.toFixed(1)} ms`);
});

function assertNoCrash(exit: number, err: string): void {
  assert.ok([0, 1, 2].includes(exit), `exit ${exit}: ${err.slice(0, 2000)}`);
  assert.doesNotMatch(err, /^\s+at /m);
}
