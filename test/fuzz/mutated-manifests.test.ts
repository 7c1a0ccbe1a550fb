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
import { assertHandled, assertValidIstioOutput, fuzzRuns, fuzzSeed, runCli } from '../helpers/reliability.ts';
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
    { numRuns: runs, ...fuzzSeed() },
  );
  assert.ok(slowest < 10_000, `slowest case took ${slowest} ms`);
  if (process.env['FUZZ_RUNS']) console.log(`mutated manifests: ${runs} cases, exits ${JSON.stringify(Object.fromEntries(exits))}, slowest ${slowest.toFixed(1)} ms`);
});

function assertNoCrash(exit: number, err: string): void {
  assert.ok([0, 1, 2].includes(exit), `exit ${exit}: ${err.slice(0, 2000)}`);
  assert.doesNotMatch(err, /^\s+at /m);
}

// The same for the other inputs: a mutated vars file (through stdin), mutated --var values, and a
// mutated second -f file beside a valid first one.
const varsFixture = join(fixturesRoot, 'vars-file-and-flag');
const varsManifest = readFileSync(join(varsFixture, 'manifest.yml'), 'utf8');
const varsFile = new Uint8Array(readFileSync(join(varsFixture, 'vars.yml')));

test(`mutated vars files, --var values and second manifests never crash (${Math.ceil(runs / 2)} cases)`, { timeout: 600_000 + runs * 500 }, async () => {
  const { hostileScalar } = await import('./arbitraries.ts');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-fuzz-vars-'));
  writeFileSync(join(dir, 'manifest.yml'), varsManifest);
  let pushes = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.oneof(hostileScalar, fc.string({ maxLength: 12 })),
      fc.oneof(hostileScalar, fc.string({ maxLength: 12 })),
      fc.constantFrom('vars-file', 'var-flag', 'second-manifest', 'push'),
      validManifest,
      async (mutations, domain, major, which, second) => {
        let run;
        if (which === 'vars-file') {
          run = await runCli(['convert', '-f', 'manifest.yml', '--vars-file', '-', '--var', 'domain=example.com', '--var', 'major=2'], { cwd: dir, stdin: mutate(varsFile, mutations) });
        } else if (which === 'var-flag') {
          writeFileSync(join(dir, 'vars.yml'), varsFile);
          run = await runCli(['convert', '-f', 'manifest.yml', '--vars-file', 'vars.yml', '--var', `domain=${domain}`, '--var', `major=${major}`], { cwd: dir });
        } else if (which === 'push') {
          // The state commands read manifests through the same loader; a refused push leaves the state
          // readable. A fresh state each time: conflicts with earlier pushes are not about the manifest.
          const state = join(dir, `state-${++pushes}`);
          run = await runCli(['--state', state, 'push', '-f', '-', ...secondArgs(second.args)], { cwd: dir, stdin: mutate(new Uint8Array(Buffer.from(second.manifest)), mutations) });
          assertHandled({ ...run, out: run.exit === 1 ? '' : run.out }, 'mutated push');
          const routes = await runCli(['--state', state, 'routes', '--json'], { cwd: dir });
          assert.equal(routes.exit, 0, routes.err);
          JSON.parse(routes.out);
          return;
        } else {
          writeFileSync(join(dir, 'vars.yml'), varsFile);
          run = await runCli(['convert', '-f', 'manifest.yml', '-f', '-', '--vars-file', 'vars.yml', '--var', 'domain=example.com', '--var', 'major=2', ...secondArgs(second.args)], {
            cwd: dir,
            stdin: mutate(new Uint8Array(Buffer.from(second.manifest)), mutations),
          });
        }
        assertHandled(run, `mutated ${which}`);
        if (run.exit === 0) assertValidIstioOutput(run.out, `mutated ${which} that stayed valid`);
      },
    ),
    { numRuns: Math.ceil(runs / 2), ...fuzzSeed() },
  );
});

/** The generated manifest's own flags except its vars file (the slot is taken by the fixture's). */
function secondArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 2) if (args[i] !== '--vars-file') out.push(args[i] as string, args[i + 1] as string);
  return out;
}
