// `cfmesh diff` through the real binary against the API double: kubectl diff's exit codes (0 none,
// 1 differences, >1 errors, with cfmesh's own codes above 1), and diff agreeing with convert --apply
// when the ApplySet parent Secret is forbidden or not served.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PROPOSAL } from '../commands/helpers.ts';
import { startKubeApiServer, type Fault, type KubeApiServer } from './api-server.ts';
import { cfmesh } from './bin.ts';

let server: KubeApiServer;
let dir: string;
before(async () => {
  server = await startKubeApiServer();
  dir = mkdtempSync(join(tmpdir(), 'cfmesh-diff-'));
  writeFileSync(join(dir, 'm.yml'), PROPOSAL);
  writeFileSync(join(dir, 'bad.yml'), PROPOSAL.replace('weight: 10', 'weight: 50'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => cfmesh(args, { cwd: dir, env: { HOME: dir, KUBECONFIG: undefined } });

test('exit codes: 0 no differences, 1 differences, and every error above 1', async () => {
  const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: 'codes' });
  const cases: { name: string; argv: string[]; exit: number; err?: RegExp }[] = [
    { name: 'differences (nothing applied yet)', argv: ['diff', '-f', 'm.yml', '--kubeconfig', kubeconfig], exit: 1 },
    { name: 'no kubeconfig at all', argv: ['diff', '-f', 'm.yml'], exit: 2, err: /KUBECONFIG/ },
    { name: 'an unknown context', argv: ['diff', '-f', 'm.yml', '--kubeconfig', kubeconfig, '--context', 'nope'], exit: 2, err: /KUBECONFIG .*nope/ },
    { name: 'an invalid manifest, at its position', argv: ['diff', '-f', 'bad.yml', '--kubeconfig', kubeconfig], exit: 2, err: /bad\.yml:\d+:\d+: error WEIGHTS/ },
    { name: 'a missing manifest file', argv: ['diff', '-f', 'missing.yml', '--kubeconfig', kubeconfig], exit: 3, err: /FILE_READ/ },
    { name: 'a bad flag', argv: ['diff', '-f', 'm.yml', '--kubeconfig', kubeconfig, '--no-such-flag'], exit: 2, err: /USAGE/ },
    { name: 'an unreachable cluster', argv: ['diff', '-f', 'm.yml', '--kubeconfig', server.writeKubeconfig({ auth: 'token', server: 'https://127.0.0.1:1' })], exit: 4, err: /API_UNREACHABLE/ },
  ];
  for (const c of cases) {
    const r = await run(...c.argv);
    assert.equal(r.code, c.exit, `${c.name}: ${r.err}`);
    if (c.err) assert.match(r.err, c.err, c.name);
    if (c.exit > 1) assert.equal(r.out, '', `${c.name}: nothing on stdout`);
  }
  const apply = await run('convert', '-f', 'm.yml', '--apply', '--kubeconfig', kubeconfig);
  assert.equal(apply.code, 0, apply.err);
  const none = await run('diff', '-f', 'm.yml', '--kubeconfig', kubeconfig);
  assert.equal(none.code, 0, none.err + none.out);
  assert.equal(none.out, '');
});

const parentFaults: { name: string; fault: Fault }[] = [
  { name: 'forbidden (403)', fault: { type: 'status', code: 403 } },
  { name: 'not served (plain 404)', fault: { type: 'plain404' } },
];

for (const { name, fault } of parentFaults) {
  test(`with the ApplySet parent Secret ${name}, apply goes without the ApplySet and diff agrees with it`, async () => {
    const ns = `parent-${fault.type}`;
    const kubeconfig = server.writeKubeconfig({ auth: 'token', namespace: ns });
    server.inject(fault, 10_000, (_method, path) => path.startsWith(`/api/v1/namespaces/${ns}/secrets`));
    try {
      const apply = await run('convert', '-f', 'm.yml', '--apply', '--kubeconfig', kubeconfig);
      assert.equal(apply.code, 0, apply.err);
      assert.match(apply.err, /prune skipped: the ApplySet parent Secret/);
      const diff = await run('diff', '-f', 'm.yml', '--kubeconfig', kubeconfig);
      assert.equal(diff.code, 0, `diff agrees with what apply did:\n${diff.out}${diff.err}`);
      assert.equal(diff.out, '');
      assert.match(diff.err, /compared without the ApplySet/);
      // A real change still shows, and only it.
      writeFileSync(join(dir, `changed-${ns}.yml`), PROPOSAL.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20'));
      const changed = await run('diff', '-f', `changed-${ns}.yml`, '--kubeconfig', kubeconfig);
      assert.equal(changed.code, 1, changed.err);
      assert.match(changed.out, /^-\s+weight: 90$/m);
      assert.doesNotMatch(changed.out, /applyset\.kubernetes\.io/);
    } finally {
      server.clearFaults();
    }
  });
}
