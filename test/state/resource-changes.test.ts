// The partial translation that finds changed resources must agree with translating the whole state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyManifest } from '../../src/app/push.ts';
import { renderState, resourceChanges } from '../../src/app/resource-changes.ts';
import { deleteApp, mapRoute, setWeight, unmapRoute, updateRouteOptions } from '../../src/app/route-ops.ts';
import { routeTarget } from '../../src/app/route-target.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { resourceId } from '../../src/render/resource.ts';
import { emptyState } from '../../src/state/index.ts';
import type { State } from '../../src/state/types.ts';

const settings = { routing: { internalDomains: ['apps.internal'] }, istio: DEFAULT_ISTIO_OPTIONS };

function fullDiff(before: State, after: State): string[] {
  const a = new Map(renderState(before, settings).resources.map((r) => [resourceId(r), JSON.stringify(r)]));
  const b = new Map(renderState(after, settings).resources.map((r) => [resourceId(r), JSON.stringify(r)]));
  const ids = new Set([...a.keys(), ...b.keys()]);
  return [...ids].filter((id) => a.get(id) !== b.get(id)).sort();
}

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

test('changed resources from the partial translation equal a full before/after comparison (random operations)', () => {
  const apps = ['a', 'b', 'c', 'd', 'e'];
  const hosts = ['x', 'y', 'z'];
  const domains = ['example.com', 'apps.internal'];
  for (let seed = 1; seed <= 30; seed++) {
    const pick = rng(seed);
    let state: State = applyManifest(emptyState(), { apps: apps.map((name) => ({ name, instances: 1 + (name.charCodeAt(0) % 3), port: undefined, noRoute: true, randomRoute: false, defaultRoute: undefined, routes: [], data: { name }, span: undefined as never })), routes: [] }, settings.routing).state;
    for (let step = 0; step < 40; step++) {
      const app = apps[pick(apps.length)] as string;
      const domain = domains[pick(domains.length)] as string;
      const tcp = pick(8) === 0;
      const target = tcp ? routeTarget(`tcp.${domain}`, { port: 1024 + pick(3) }) : routeTarget(domain, { hostname: hosts[pick(hosts.length)], path: pick(3) === 0 ? '/p' : undefined });
      let next = state;
      try {
        const op = pick(6);
        if (op <= 1) next = mapRoute(state, app, target, { appProtocol: !tcp && pick(4) === 0 ? 'http2' : undefined }).state;
        else if (op === 2) next = unmapRoute(state, app, target).state;
        else if (op === 3) next = setWeight(state, app, target, pick(101)).state;
        else if (op === 4) next = updateRouteOptions(state, target, { loadbalancing: 'least-connection' }, []).state;
        else if (pick(4) === 0) next = deleteApp(state, app, pick(2) === 0).state;
      } catch {
        continue; // refused operations change nothing
      }
      const partial = resourceChanges(state, next, settings).changes.map((c) => c.id).sort();
      assert.deepEqual(partial, fullDiff(state, next), `seed ${seed} step ${step}`);
      const full = resourceChanges(state, next, settings, true).changes.map((c) => c.id).sort();
      assert.deepEqual(partial, full);
      state = next;
    }
  }
});
