// The change report's parts (src/app/change-report.ts): which routes, apps and resources a change
// lists, checked against a brute-force reading of both states; and the printed form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appChanges, emptyReport, renderChangeReport, resourcesApplied, resourcesOf, routeChanges, seedsBetween, viewOf, type ChangeReport } from '../../src/app/change-report.ts';
import { routesView } from '../../src/app/views.ts';
import type { ApplyReport } from '../../src/kube/apply.ts';
import type { Resource } from '../../src/resource/resource.ts';
import { emptyState } from '../../src/state/format.ts';
import type { State } from '../../src/state/types.ts';
import { randomChange, randomState, rng } from '../state/random-state.ts';

/** Every route whose record differs, or whose shares (as `routes --json` shows them) differ, by URL. */
function bruteForceRoutes(before: State, after: State) {
  const shares = (s: State) => new Map(routesView(s).map((v) => [v.url, v.destinations.map((d) => ({ app: d.app, weight: d.weight }))]));
  const b = shares(before);
  const a = shares(after);
  const out = [];
  for (const url of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const record = JSON.stringify(before.routes[url]) !== JSON.stringify(after.routes[url]);
    if (!record && JSON.stringify(b.get(url)) === JSON.stringify(a.get(url))) continue;
    out.push({ route: url, before: b.get(url) ?? null, after: a.get(url) ?? null });
  }
  return out;
}

test('routes: exactly the routes whose record or shares changed, with the shares routes --json gives (random states and changes)', () => {
  let listedByShares = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const pick = rng(seed);
    const before = randomState(pick, 1 + pick(12));
    const after = randomChange(pick, before);
    const got = routeChanges(viewOf(before), viewOf(after), seedsBetween(before, after));
    const want = bruteForceRoutes(before, after);
    assert.deepEqual(got, want, `seed ${seed}`);
    listedByShares += got.filter((c) => JSON.stringify(before.routes[c.route]) === JSON.stringify(after.routes[c.route])).length;
  }
  // the generator changes apps' instances: some routes are listed only because their shares moved
  assert.ok(listedByShares > 0, 'some routes changed only through their apps');
});

test('apps: created, changed and deleted by name; a record replaced by an equal one is no change', () => {
  const app = (name: string, instances = 1) => ({ name, instances });
  const base: State = { ...emptyState(), apps: { a: app('a'), b: app('b'), c: app('c') } };
  const cases: { name: string; after: State['apps']; want: ReturnType<typeof appChanges> }[] = [
    { name: 'nothing', after: base.apps, want: { created: [], changed: [], deleted: [] } },
    { name: 'equal copy', after: { ...base.apps, a: app('a') }, want: { created: [], changed: [], deleted: [] } },
    { name: 'all three', after: { b: app('b', 3), c: app('c'), z: app('z'), d: app('d') }, want: { created: ['d', 'z'], changed: ['b'], deleted: ['a'] } },
  ];
  for (const c of cases) {
    const after = { ...base, apps: c.after };
    assert.deepEqual(appChanges(viewOf(base), viewOf(after), seedsBetween(base, after)), c.want, c.name);
  }
});

test('resources: a change with no before is created, with both changed, with no after deleted; apply actions map likewise', () => {
  const r = (kind: string, name: string, namespace?: string): Resource => ({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec: {} }) as Resource;
  const ref = (kind: string, name: string, namespace: string | null) => ({ apiVersion: 'networking.istio.io/v1', kind, namespace, name });
  assert.deepEqual(
    resourcesOf([
      { id: 'VirtualService/ns/a', after: r('VirtualService', 'a', 'ns') },
      { id: 'VirtualService/ns/b', before: r('VirtualService', 'b', 'ns'), after: r('VirtualService', 'b', 'ns') },
      { id: 'Gateway//g', before: r('Gateway', 'g') },
    ]),
    { created: [ref('VirtualService', 'a', 'ns')], changed: [ref('VirtualService', 'b', 'ns')], deleted: [ref('Gateway', 'g', null)] },
  );
  const item = (name: string, action: ApplyReport['items'][number]['action']) => ({ id: `VirtualService/ns/${name}`, apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name, namespace: 'ns', action });
  const report: ApplyReport = { items: [item('a', 'created'), item('b', 'configured'), item('c', 'unchanged'), item('d', 'pruned')], ok: true, dryRun: false, errors: [] };
  assert.deepEqual(resourcesApplied(report), { created: [ref('VirtualService', 'a', 'ns')], changed: [ref('VirtualService', 'b', 'ns')], deleted: [ref('VirtualService', 'd', 'ns')] });
});

test('printed: every object\'s keys in code-unit order, the same bytes whatever order the report was built in', () => {
  const report: ChangeReport = { ...emptyReport('push', '/s/state.json'), routes: [{ route: 'a.example.com', before: null, after: [{ app: 'a', weight: 100 }] }] };
  const reordered = Object.fromEntries(Object.entries(report).reverse()) as unknown as ChangeReport;
  const text = renderChangeReport(report);
  assert.equal(renderChangeReport(reordered), text);
  assert.ok(text.endsWith('}\n'));
  const keys = [...text.matchAll(/^ {2}"(\w+)":/gm)].map((m) => m[1]);
  assert.deepEqual(keys, ['apps', 'command', 'delivery', 'dryRun', 'notices', 'resources', 'routes', 'settings', 'state']);
  assert.match(text, /"after": \[\n\s+\{\n\s+"app": "a",\n\s+"weight": 100\n/, 'nested keys sorted too');
});
