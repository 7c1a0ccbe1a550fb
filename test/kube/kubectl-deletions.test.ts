// Deletions with the local state and kubectl: the notice of a deleted resource is printed even under -q,
// and both commands it gives (kubectl delete of that object, and the whole state with kubectl apply
// --prune) really delete it, run with the real kubectl against the API double. The docs give the same
// prune command.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { targetFor } from '../../src/app/targets.ts';
import { pruneCommand } from '../../src/app/state-change.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';
import { BIN, cfmesh, hasKubectl, KUBECTL, start } from './bin.ts';

const KINDS = targetFor({ istio: DEFAULT_ISTIO_OPTIONS }).kinds;

const skip = hasKubectl ? false : `kubectl is not installed at ${KUBECTL}`;

const MANIFEST = `applications:
- name: cart
- name: search
routes:
- route: cart.example.com
  options: {loadbalancing: least-connection}
  destinations:
  - name: cart
- route: search.example.com
  options: {loadbalancing: least-connection}
  destinations:
  - name: search
`;

let server: KubeApiServer;
before(async () => {
  server = await startKubeApiServer();
});
after(async () => {
  await server.close();
});

function sandbox(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-kubectl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'm.yml'), MANIFEST);
  // `cfmesh` on PATH, so that the documented command runs as written.
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'cfmesh'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(binDir, 'cfmesh'), 0o755);
  const env = { HOME: dir, CFMESH_HOME: join(dir, 'state'), KUBECONFIG: server.writeKubeconfig({ auth: 'token', namespace: 'default' }), PATH: `${binDir}:${process.env['PATH'] ?? ''}` };
  const sh = (command: string) => start('/bin/sh', ['-c', command], { cwd: dir, env }).done;
  const run = (...args: string[]) => cfmesh(args, { cwd: dir, env });
  const dr = (name: string) => server.store.get('networking.istio.io/v1', 'DestinationRule', 'default', name);
  return { dir, env, sh, run, dr };
}

test('under -q the deletion notice is still printed, and its kubectl delete command deletes the DestinationRule', { skip }, async (t) => {
  const s = sandbox(t);
  const push = await s.sh('cfmesh push -f m.yml | kubectl apply -f -');
  assert.equal(push.code, 0, push.err);
  assert.ok(s.dr('cart.default.svc.cluster.local'), 'kubectl applied the DestinationRule');

  const r = await s.run('-q', 'update-route', 'example.com', '--hostname', 'cart', '-r', 'loadbalancing');
  assert.equal(r.code, 0, r.err);
  const m = /warning NOTICE Deleted DestinationRule\/default\/cart\.default\.svc\.cluster\.local: remove it with (kubectl delete \S+ \S+ -n default)\n/.exec(r.err);
  assert.ok(m, `the notice survives -q:\n${r.err}`);
  const del = await s.sh(m[1] as string);
  assert.equal(del.code, 0, del.err);
  assert.equal(s.dr('cart.default.svc.cluster.local'), undefined, 'the command in the notice deleted it');
  assert.ok(s.dr('search.default.svc.cluster.local'), 'nothing else was deleted');
});

test('the whole state with kubectl apply --prune, as the notice and the docs give it, deletes what the state no longer has', { skip }, async (t) => {
  const s = sandbox(t);
  assert.equal((await s.run('push', '-f', 'm.yml')).code, 0);
  const first = await s.sh(pruneCommand(KINDS));
  assert.equal(first.code, 0, first.err);
  assert.ok(s.dr('search.default.svc.cluster.local'));

  const r = await s.run('update-route', 'example.com', '--hostname', 'search', '-r', 'loadbalancing');
  assert.equal(r.code, 0, r.err);
  const hint = /apply the whole state: (cfmesh render \| kubectl apply --prune .* -f -)\)/.exec(r.err);
  assert.ok(hint, r.err);
  assert.equal(hint[1], pruneCommand(KINDS));
  const prune = await s.sh(hint[1] as string);
  assert.equal(prune.code, 0, prune.err);
  assert.match(prune.out, /^destinationrule\.networking\.istio\.io\/search\.default\.svc\.cluster\.local pruned$/m);
  assert.equal(s.dr('search.default.svc.cluster.local'), undefined);
  assert.ok(s.dr('cart.default.svc.cluster.local'), 'what the state still has stays');
});

test('README and docs/commands.md give the working prune command', () => {
  const root = join(import.meta.dirname, '..', '..');
  for (const file of ['README.md', 'docs/commands.md']) {
    const text = readFileSync(join(root, file), 'utf8');
    assert.ok(text.includes(pruneCommand(KINDS)), `${file} has ${pruneCommand(KINDS)}`);
    assert.ok(!/kubectl apply --prune -l app\.kubernetes\.io\/managed-by=cfmesh -f -/.test(text), `${file} has no prune command without --prune-allowlist`);
  }
});
