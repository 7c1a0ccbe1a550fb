// Golden fixtures: one folder per scenario under fixtures/, the input beside the expected output.
//   args                  the command line (default: convert -f manifest.yml); one argument per line
//   expected.yaml         expected stdout, byte for byte (success cases)
//   expected.stderr       expected stderr, byte for byte (when the wording is part of the contract)
//   expected-errors.json  {exit, errors: [{code, file, line, col}]} for refusals (via validate --json)
//   gateway-api.yaml      the same command with --api gateway-api (every success case has one), or
//   gateway-api-errors.json  what the Gateway API target refuses, as expected-errors.json
// `npm run golden:update` regenerates them; review the diff like code.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { main } from '../src/main.ts';
import { expectGolden } from './helpers/golden.ts';
import { memoryIo } from './helpers/memory-io.ts';
import { assertValidIstio } from './istio/validate-istio.ts';
import { assertValidGatewayApi, GATEWAY_API_GROUP } from './gateway-api/validate-gateway-api.ts';
import type { Resource } from '../src/resource/resource.ts';

const root = join(import.meta.dirname, '..', 'fixtures');

for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'manifest.yml')) && !existsSync(join(dir, 'args'))) continue;
  const args = existsSync(join(dir, 'args'))
    ? readFileSync(join(dir, 'args'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    : ['convert', '-f', 'manifest.yml'];

  test(`fixture ${name}`, async () => {
    const stdin = existsSync(join(dir, 'stdin')) ? readFileSync(join(dir, 'stdin')) : undefined;
    if (existsSync(join(dir, 'expected-errors.json')) || process.env['UPDATE_GOLDEN'] === '1' && name.startsWith('invalid-')) {
      const io = memoryIo({ cwd: dir, stdin });
      const argv = args[0] === 'convert' ? ['validate', ...args.slice(1), '--json'] : [...args, '--json'];
      const exit = await main(argv, io);
      const report = JSON.parse(io.out()) as { errors: { code: string; file?: string; line?: number; col?: number }[] };
      const actual = { exit, errors: report.errors.map((e) => ({ code: e.code, file: e.file, line: e.line, col: e.col })) };
      expectGolden(`${JSON.stringify(actual, null, 2)}\n`, join(dir, 'expected-errors.json'));
      assert.ok(exit === 1 || exit === 2, `a refusal exits 1 or 2 (got ${exit})`);
      // The same input through convert fails the same way, with nothing on stdout.
      const io2 = memoryIo({ cwd: dir, stdin });
      assert.equal(await main(args, io2), exit);
      assert.equal(io2.out(), '');
      assert.doesNotMatch(io2.err(), /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace');
      if (existsSync(join(dir, 'expected.stderr'))) expectGolden(io2.err(), join(dir, 'expected.stderr'));
      return;
    }
    const io = memoryIo({ cwd: dir, stdin });
    const exit = await main(args, io);
    assert.equal(exit, 0, `exit ${exit}: ${io.err()}`);
    expectGolden(io.out(), join(dir, 'expected.yaml'));
    if (existsSync(join(dir, 'expected.stderr'))) expectGolden(io.err(), join(dir, 'expected.stderr'));
    const docs = parseAllDocuments(io.out());
    assert.ok(Array.isArray(docs));
    for (const doc of docs) assert.deepEqual(doc.errors, []);
    // Every golden output passes Istio's CRD schemas and validation rules, and cfmesh's own.
    const resources = io.out().trimStart().startsWith('{')
      ? (JSON.parse(io.out()) as { items: Resource[] }).items
      : docs.map((d) => d.toJS() as Resource).filter((r) => r !== null);
    assertValidIstio(resources);
    // Same input, same bytes.
    const again = memoryIo({ cwd: dir, stdin });
    await main(args, again);
    assert.equal(again.out(), io.out());
  });

  // The same manifest through the Gateway API target: its golden, every Gateway API object valid
  // by the v1.5.1 CRDs' schemas and CEL rules, the Istio policies beside them valid Istio.
  if (existsSync(join(dir, 'expected-errors.json'))) continue;
  test(`fixture ${name} (--api gateway-api)`, async () => {
    const stdin = existsSync(join(dir, 'stdin')) ? readFileSync(join(dir, 'stdin')) : undefined;
    const gwArgs = [...args, '--api', 'gateway-api'];
    const io = memoryIo({ cwd: dir, stdin });
    const exit = await main(gwArgs, io);
    if (exit !== 0 || existsSync(join(dir, 'gateway-api-errors.json'))) {
      const v = memoryIo({ cwd: dir, stdin });
      const vexit = await main(['validate', ...gwArgs.slice(1), '--json'], v);
      const report = JSON.parse(v.out()) as { errors: { code: string; file?: string; line?: number; col?: number }[] };
      expectGolden(`${JSON.stringify({ exit: vexit, errors: report.errors.map((e) => ({ code: e.code, file: e.file, line: e.line, col: e.col })) }, null, 2)}\n`, join(dir, 'gateway-api-errors.json'));
      assert.equal(exit, vexit);
      assert.equal(io.out(), '');
      assert.doesNotMatch(io.err(), /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace');
      return;
    }
    expectGolden(io.out(), join(dir, 'gateway-api.yaml'));
    const resources = parseAllDocuments(io.out()).map((d) => d.toJS() as Resource).filter((r) => r !== null);
    assertValidGatewayApi(resources.filter((r) => r.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)));
    const policies = resources.filter((r) => !r.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`));
    if (policies.length > 0) assertValidIstio(policies);
    const again = memoryIo({ cwd: dir, stdin });
    await main(gwArgs, again);
    assert.equal(again.out(), io.out());
  });
}
