// The documented `-o DIR` workflow with the real kubectl: `cfmesh convert -o DIR`, then
// `kubectl apply -f DIR` (with and without --prune) against the Kubernetes API double. kubectl reads
// every .json/.yaml/.yml file of DIR, dot-files included, so DIR must hold nothing else of that kind.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { INDEX_FILE, LEGACY_INDEX_FILE, NAME_MAX } from '../../src/sinks/directory-sink.ts';
import { tempDir } from '../helpers/reliability.ts';
import { useKubeServer } from '../kube/helpers.ts';
import { cfmesh, kubectl, kubectlMissing, PRUNE_ALLOWLIST } from './helpers.ts';

const V1 = `applications:
- name: reviews-v1
- name: reviews-v2
- name: ratings
  routes: [{route: ratings.example.com}]
- name: details
  routes: [{route: details.example.com/api}]
routes:
- route: reviews.example.com
  destinations: [{name: reviews-v1, weight: 90}, {name: reviews-v2, weight: 10}]
`;
// reviews shifts to 50/50, ratings is gone, web is new
const V2 = `applications:
- name: reviews-v1
- name: reviews-v2
- name: web
  routes: [{route: www.example.com}]
- name: details
  routes: [{route: details.example.com/api}]
routes:
- route: reviews.example.com
  destinations: [{name: reviews-v1, weight: 50}, {name: reviews-v2, weight: 50}]
`;

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

/** `Kind/name` of every resource file in DIR, with its spec. */
function filesIn(dir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const name of readdirSync(dir)) {
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    const doc = parse(readFileSync(join(dir, name), 'utf8')) as Obj;
    out.set(`${doc.kind}/${doc.metadata.name}`, doc.spec);
  }
  return out;
}

function cfmeshObjects(all: readonly unknown[], namespace: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const o of all as Obj[]) {
    if (o.metadata.namespace !== namespace || o.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'cfmesh') continue;
    out.set(`${o.kind}/${o.metadata.name}`, o.spec);
  }
  return out;
}

/** The files kubectl would read in DIR (k8s.io/cli-runtime v0.32.4 pkg/resource/builder.go FileExtensions). */
function kubectlReads(dir: string): string[] {
  return readdirSync(dir).filter((name) => ['.json', '.yaml', '.yml'].some((ext) => name.endsWith(ext)));
}

describe('kubectl apply -f DIR on the output of convert -o DIR', { skip: kubectlMissing() }, () => {
  const k = useKubeServer();

  it('applies, then updates, then prunes with --prune -l app.kubernetes.io/managed-by=cfmesh', async () => {
    const kubeconfig = k.server.writeKubeconfig({ auth: 'token', namespace: 'shop' });
    const work = tempDir('cfmesh-kubectl-');
    writeFileSync(join(work, 'v1.yml'), V1);
    writeFileSync(join(work, 'v2.yml'), V2);

    const first = await cfmesh(['convert', 'v1.yml', '-n', 'shop', '-o', 'deploy'], { cwd: work });
    assert.equal(first.code, 0, first.err);
    const dir = join(work, 'deploy');
    for (const name of kubectlReads(dir)) assert.doesNotThrow(() => (parse(readFileSync(join(dir, name), 'utf8')) as Obj).kind.length, `${name} is a Kubernetes object`);
    assert.ok(existsSync(join(dir, INDEX_FILE)), 'the index is kept in DIR, under a name kubectl skips');

    const applied = await kubectl(kubeconfig, ['apply', '-f', dir]);
    assert.equal(applied.code, 0, applied.err);
    assert.match(applied.out, /^virtualservice\.networking\.istio\.io\/reviews\.example\.com created$/m);
    assert.deepEqual(cfmeshObjects(k.server.store.all(), 'shop'), filesIn(dir), 'the cluster holds exactly what DIR holds');

    const second = await cfmesh(['convert', 'v2.yml', '-n', 'shop', '-o', 'deploy'], { cwd: work });
    assert.equal(second.code, 0, second.err);
    assert.match(second.err, /deploy: \d+ written, \d+ unchanged, 1 removed/);
    const again = await kubectl(kubeconfig, ['apply', '-f', dir]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^virtualservice\.networking\.istio\.io\/reviews\.example\.com configured$/m);
    assert.match(again.out, /^virtualservice\.networking\.istio\.io\/www\.example\.com created$/m);
    assert.ok(cfmeshObjects(k.server.store.all(), 'shop').has('VirtualService/ratings.example.com'), 'without --prune a removed file stays applied');

    const pruned = await kubectl(kubeconfig, ['apply', '-f', dir, '--prune', '-l', 'app.kubernetes.io/managed-by=cfmesh', ...PRUNE_ALLOWLIST]);
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, /^virtualservice\.networking\.istio\.io\/ratings\.example\.com pruned$/m);
    assert.deepEqual(cfmeshObjects(k.server.store.all(), 'shop'), filesIn(dir), 'after --prune the cluster holds exactly what DIR holds');
    const weights = (filesIn(dir).get('VirtualService/reviews.example.com') as { http: { route: { weight: number }[] }[] }).http[0]?.route.map((r) => r.weight);
    assert.deepEqual(weights, [50, 50]);

    const idle = await kubectl(kubeconfig, ['apply', '-f', dir, '--prune', '-l', 'app.kubernetes.io/managed-by=cfmesh', ...PRUNE_ALLOWLIST]);
    assert.equal(idle.code, 0, idle.err);
    assert.doesNotMatch(idle.out, / (created|configured|pruned)$/m, 'a second apply changes nothing');
  });

  it('a directory written by cfmesh 0.1 (index .cfmesh-files.json) is migrated: read once, replaced, and kubectl then applies it', async () => {
    const kubeconfig = k.server.writeKubeconfig({ auth: 'token', namespace: 'old' });
    const work = tempDir('cfmesh-kubectl-');
    const dir = join(work, 'deploy');
    mkdirSync(dir);
    writeFileSync(join(work, 'v2.yml'), V2);
    // What 0.1 left: its index, listing a file it wrote that this manifest no longer produces.
    const stale = 'virtualservice-ratings.example.com.yaml';
    writeFileSync(join(dir, stale), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ratings.example.com\n  namespace: old\nspec:\n  hosts: [ratings.example.com]\n');
    writeFileSync(join(dir, 'kustomization-notes.txt'), 'not ours\n');
    writeFileSync(join(dir, LEGACY_INDEX_FILE), `${JSON.stringify({ generator: 'cfmesh', version: 1, files: [stale] }, null, 2)}\n`);
    const refused = await kubectl(kubeconfig, ['apply', '-f', dir]);
    assert.notEqual(refused.code, 0, 'kubectl stops at the old index (the bug this fixes)');

    const run = await cfmesh(['convert', 'v2.yml', '-n', 'old', '-o', 'deploy'], { cwd: work });
    assert.equal(run.code, 0, run.err);
    assert.ok(!existsSync(join(dir, LEGACY_INDEX_FILE)), 'the old index is gone');
    assert.ok(!existsSync(join(dir, stale)), 'the file the old index listed was removed as stale');
    assert.equal(readFileSync(join(dir, 'kustomization-notes.txt'), 'utf8'), 'not ours\n');
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')) as { files: string[] };
    assert.deepEqual(index.files, kubectlReads(dir).sort());

    const applied = await kubectl(kubeconfig, ['apply', '-f', dir, '--prune', '-l', 'app.kubernetes.io/managed-by=cfmesh', ...PRUNE_ALLOWLIST]);
    assert.equal(applied.code, 0, applied.err);
    assert.deepEqual(cfmeshObjects(k.server.store.all(), 'old'), filesIn(dir));
  });

  it('a route of 253 characters: file names within NAME_MAX, and kubectl applies them', async () => {
    const kubeconfig = k.server.writeKubeconfig({ auth: 'token', namespace: 'long' });
    const work = tempDir('cfmesh-kubectl-');
    const fqdn = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(49)}.example.com`;
    assert.equal(fqdn.length, 253);
    const sibling = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'e'.repeat(49)}.example.com`;
    writeFileSync(
      join(work, 'long.yml'),
      `applications:\n- name: v1\n- name: v2\n- name: other\n  routes: [{route: ${sibling}}]\nroutes:\n- route: ${fqdn}/api\n  destinations: [{name: v1, weight: 70}, {name: v2, weight: 30}]\n`,
    );
    const run = await cfmesh(['convert', 'long.yml', '-n', 'long', '-o', 'deploy'], { cwd: work });
    assert.equal(run.code, 0, run.err);
    const dir = join(work, 'deploy');
    const names = readdirSync(dir);
    for (const name of names) assert.ok(Buffer.byteLength(name) <= NAME_MAX, `${name.length} bytes: ${name}`);
    const files = filesIn(dir);
    assert.ok(files.has(`VirtualService/${fqdn}`) && files.has(`VirtualService/${sibling}`), [...files.keys()].join('\n'));
    const again = await cfmesh(['convert', 'long.yml', '-n', 'long', '-o', 'deploy'], { cwd: work });
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /deploy: 0 written, \d+ unchanged, 0 removed/, 'the shortened names are the same on every run');
    assert.deepEqual(readdirSync(dir), names);

    const applied = await kubectl(kubeconfig, ['apply', '-f', dir]);
    assert.equal(applied.code, 0, applied.err);
    assert.deepEqual(cfmeshObjects(k.server.store.all(), 'long'), files);
  });
});
