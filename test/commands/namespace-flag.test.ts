// Every state command takes the flags that shape the output (README, docs/commands.md), -n/--namespace
// among them: the resources it prints are in that namespace, and the deletion notices name it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROPOSAL, istioDocs, sandbox } from './helpers.ts';

const MANIFEST = `${PROPOSAL}`.replace('applications:\n', 'applications:\n- name: reviews-v3\n  no-route: true\n');

const cases: { name: string; argv: string[]; prints: 'resources' | 'deletions' }[] = [
  { name: 'map-route', argv: ['map-route', 'reviews-v3', 'example.com', '--hostname', 'shop'], prints: 'resources' },
  { name: 'update-route --weight', argv: ['update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '50'], prints: 'resources' },
  { name: 'update-route --destination', argv: ['update-route', 'example.com', '--hostname', 'reviews', '--destination', 'reviews-v1=20', '--destination', 'reviews-v2=80'], prints: 'resources' },
  { name: 'unmap-route', argv: ['unmap-route', 'reviews-v2', 'example.com', '--hostname', 'reviews'], prints: 'resources' },
  { name: 'create-route', argv: ['create-route', 'example.com', '--hostname', 'empty'], prints: 'resources' },
  { name: 'delete-route', argv: ['delete-route', 'example.com', '--hostname', 'reviews', '-f'], prints: 'deletions' },
  { name: 'delete', argv: ['delete', 'reviews-v1', '-r', '-f'], prints: 'resources' },
];

for (const c of cases) {
  for (const flag of ['-n', '--namespace']) {
    test(`${c.name} takes ${flag}`, async (t) => {
      const s = sandbox(t);
      s.write('m.yml', MANIFEST);
      assert.equal((await s.run('push', '-f', 'm.yml')).exit, 0);
      const r = await s.run(...c.argv, flag, 'shop');
      assert.equal(r.exit, 0, r.err);
      const docs = istioDocs(r.out);
      for (const d of docs) assert.equal(d.metadata.namespace, 'shop', `${d.kind}/${d.metadata.name}`);
      if (c.prints === 'deletions') assert.match(r.err, /Deleted VirtualService\/shop\/reviews\.example\.com: remove it with kubectl delete virtualservice\.networking\.istio\.io reviews\.example\.com -n shop/);
      else if (c.name !== 'create-route') assert.ok(docs.length > 0, 'printed the changed resources');
    });
  }
}
