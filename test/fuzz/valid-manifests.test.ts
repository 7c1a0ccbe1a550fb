// Property: every generated VALID manifest converts (exit 0) to Istio output that parses, has weights
// summing to 100 in every route, valid unique names, one VirtualService per host, and is the same
// bytes twice and through stdin; -o DIR writes one file per resource and a second run changes nothing. FUZZ_RUNS raises the number of cases (npm run fuzz: 10000).
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertHandled, assertValidIstioOutput, fuzzRuns, fuzzSeed, runCli, tempDir } from '../helpers/reliability.ts';
import { validManifest } from './arbitraries.ts';

const runs = fuzzRuns(60);

test(`generated valid manifests convert to consistent Istio config (${runs} cases)`, { timeout: 600_000 + runs * 200 }, async () => {
  const dir = tempDir();
  let slowest = 0;
  await fc.assert(
    fc.asyncProperty(validManifest, async (c) => {
      writeFileSync(join(dir, 'manifest.yml'), c.manifest);
      if (c.varsFile !== undefined) writeFileSync(join(dir, 'vars.yml'), c.varsFile);
      const argv = ['convert', '-f', 'manifest.yml', ...c.args];
      const first = await runCli(argv, { cwd: dir });
      slowest = Math.max(slowest, first.ms);
      assertHandled(first, 'valid manifest');
      assert.equal(first.exit, 0, `a valid manifest must convert:\n${c.manifest}\nargs: ${c.args.join(' ')}\n${first.err}`);
      assertValidIstioOutput(first.out, 'valid manifest');
      const second = await runCli(argv, { cwd: dir });
      assert.equal(second.out, first.out, 'same input, same bytes');
      const viaStdin = await runCli(['convert', '-f', '-', ...c.args], { cwd: dir, stdin: c.manifest });
      assert.equal(viaStdin.exit, 0);
      assert.equal(viaStdin.out, first.out, 'stdin and file give the same bytes');
      // -o DIR: one file per resource, the same documents as stdout; a second run rewrites nothing.
      const toDir = await runCli([...argv, '-o', 'out'], { cwd: dir });
      assert.equal(toDir.exit, 0, toDir.err);
      const files = readdirSync(join(dir, 'out')).filter((f) => !f.startsWith('.')).sort();
      assert.equal(files.length, (first.out.match(/^kind: /gm) ?? []).length, 'one file per resource');
      const again = await runCli([...argv, '-o', 'out'], { cwd: dir });
      assert.match(again.err, new RegExp(`out: 0 written, ${files.length} unchanged, 0 removed`));
      rmSync(join(dir, 'out'), { recursive: true });
      const validate = await runCli(['validate', '-f', 'manifest.yml', '--json', ...c.args], { cwd: dir });
      assert.equal(validate.exit, 0);
      assert.equal((JSON.parse(validate.out) as { valid: boolean }).valid, true);
    }),
    { numRuns: runs, ...fuzzSeed() },
  );
  if (process.env['FUZZ_RUNS']) console.log(`valid manifests: ${runs} cases, slowest convert ${slowest.toFixed(1)} ms`);
});
