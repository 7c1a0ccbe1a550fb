// The partial translation that finds changed resources must agree with translating the whole state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyManifest } from '../../src/app/push.ts';
import { renderState, resourceChanges, withReferences } from '../../src/app/resource-changes.ts';
import { deleteApp, mapRoute, setWeight, unmapRoute, updateRouteOptions, withRoute } from '../../src/app/route-ops.ts';
import { routeTarget } from '../../src/app/route-target.ts';
import { DEFAULT_ISTIO_OPTIONS } from '../../src/istio/options.ts';
import { resourceId } from '../../src/resource/resource.ts';
import { emptyState } from '../../src/state/index.ts';
import type { AppRecord, JsonObject, State } from '../../src/state/types.ts';

const ISTIO = { routing: { internalDomains: ['apps.internal'] }, istio: DEFAULT_ISTIO_OPTIONS };
const GATEWAY_API = { routing: ISTIO.routing, istio: { ...DEFAULT_ISTIO_OPTIONS, api: 'gateway-api' as const } };
/** The target the tests translate for (istio, except where a test runs for each target). */
let settings: typeof ISTIO = ISTIO;

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
  const hosts = ['x', 'y', 'z', '*']; // '*': hosts below fall back to the wildcard's routes
  const domains = ['example.com', 'apps.internal'];
  for (let seed = 1; seed <= 30; seed++) {
    const pick = rng(seed);
    let state: State = applyManifest(emptyState(), { apps: apps.map((name) => ({ name, instances: 1 + (name.charCodeAt(0) % 3), port: undefined, noRoute: true, randomRoute: false, defaultRoute: undefined, hasRoutesKey: false, routes: [], extensions: {}, data: { name }, span: undefined as never })), routes: [] }, settings.routing).state;
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

/** App data that ties apps into services and DestinationRules: versions of one service, ports, breakers. */
const APP_DATA: readonly (JsonObject | undefined)[] = [
  undefined,
  { service: 'shop', version: 'v1' },
  { service: 'shop', version: 'v2' },
  { service: 'a' },
  { port: 9000 },
  { 'circuit-breaker': { 'max-connections': 10 } },
];

/** Route controls that reach beyond the route: TLS on the Gateway, methods policies, rules and mirrors naming other apps. */
function randomControls(pick: (n: number) => number, apps: readonly string[]): JsonObject | undefined {
  const other = apps[pick(apps.length)] as string;
  switch (pick(7)) {
    case 0:
      return { tls: { 'credential-name': `cert-${pick(2)}` } };
    case 1:
      return { methods: ['GET'] };
    case 2:
      return { mirror: { name: other, percent: 10 } };
    case 3:
      return { rules: [{ match: { headers: { 'x-canary': { exact: '1' } } }, destinations: [{ name: other }] }] };
    case 4:
      return { timeout: '5s' };
    default:
      return undefined;
  }
}

for (const [api, used] of [['istio', ISTIO], ['gateway-api', GATEWAY_API]] as const) test(`changed resources, and what they refer to, are the whole-state ones (services, tls, rules, mirrors, methods; ${api})`, () => {
  settings = used;
  const apps = ['a', 'b', 'c', 'd', 'e', 'f', 'shop-v1'];
  const hosts = ['x', 'y', 'z', 'w'];
  const domains = ['example.com', 'apps.internal'];
  let checked = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const pick = rng(seed * 7919);
    let state: State = applyManifest(emptyState(), { apps: apps.map((name) => ({ name, instances: 1, port: undefined, noRoute: true, randomRoute: false, defaultRoute: undefined, hasRoutesKey: false, routes: [], extensions: {}, data: { name }, span: undefined as never })), routes: [] }, settings.routing).state;
    for (let step = 0; step < 50; step++) {
      const app = apps[pick(apps.length)] as string;
      const domain = domains[pick(4) === 0 ? 1 : 0] as string;
      const tcp = pick(10) === 0;
      const target = tcp ? routeTarget(`tcp.${domain}`, { port: 1024 + pick(3) }) : routeTarget(domain, { hostname: hosts[pick(hosts.length)], path: pick(3) === 0 ? '/p' : undefined });
      let next = state;
      try {
        const op = pick(9);
        if (op <= 2) next = mapRoute(state, app, target).state;
        else if (op === 3) next = unmapRoute(state, app, target).state;
        else if (op === 4) next = setWeight(state, app, target, pick(101)).state;
        else if (op === 5) next = updateRouteOptions(state, target, pick(2) === 0 ? { loadbalancing: 'least-connection' } : {}, pick(2) === 0 ? [] : ['loadbalancing']).state;
        else if (op === 6) {
          const route = state.routes[target.key];
          if (!route || tcp) continue;
          next = withRoute(state, { ...route, controls: randomControls(pick, apps) }, target.key);
        } else if (op === 7) {
          const record = state.apps[app] as AppRecord | undefined;
          if (!record) continue;
          next = { ...state, apps: { ...state.apps, [app]: { ...record, instances: 1 + pick(3), extra: APP_DATA[pick(APP_DATA.length)] } } };
        } else if (pick(3) === 0) next = deleteApp(state, app, pick(2) === 0).state;
      } catch {
        continue; // refused operations change nothing
      }
      let whole: Map<string, string>;
      try {
        whole = new Map(renderState(next, settings).resources.map((r) => [resourceId(r), JSON.stringify(r)]));
        renderState(state, settings);
      } catch {
        continue; // a state the translation refuses (e.g. two tls settings on one host) is not kept
      }
      const result = resourceChanges(state, next, settings);
      assert.deepEqual(result.changes.map((c) => c.id).sort(), fullDiff(state, next), `seed ${seed} step ${step}: which resources changed`);
      const changed = result.changes.filter((c) => c.after !== undefined).map((c) => c.after as NonNullable<(typeof c)['after']>);
      for (const r of withReferences(changed, result.context, settings)) {
        assert.equal(JSON.stringify(r), whole.get(resourceId(r)), `seed ${seed} step ${step}: ${resourceId(r)} as printed equals the whole-state resource`);
        checked++;
      }
      state = next;
    }
  }
  assert.ok(checked > 500, `only ${checked} printed resources were compared`);
  settings = ISTIO;
});

test("a change to a wildcard route changes the VirtualServices of the hosts that fall back to it", () => {
  const app = (name: string): AppRecord => ({ name, instances: 1, port: undefined, extra: undefined });
  let state: State = { ...emptyState(), apps: { api: app('api'), star: app('star'), other: app('other') } };
  state = mapRoute(state, 'api', routeTarget('example.com', { hostname: 'api', path: '/v1' }), {}).state;
  state = mapRoute(state, 'star', routeTarget('example.com', { hostname: '*' }), {}).state;
  const next = mapRoute(state, 'other', routeTarget('example.com', { hostname: '*' }), {}).state;
  const ids = resourceChanges(state, next, settings).changes.map((c) => c.id).sort();
  assert.deepEqual(ids, fullDiff(state, next));
  assert.ok(ids.some((id) => id.includes('VirtualService') && id.includes('api.example.com')), ids.join(' '));
});

test("a tls host's routes going idle change the VirtualService of the wildcard whose routes its HTTPS server then serves", async () => {
  const { loadManifest } = await import('../../src/manifest/load.ts');
  const { SourceFile } = await import('../../src/diagnostics/source-file.ts');
  const manifest = (instances: number) =>
    loadManifest({
      manifests: [
        new SourceFile(
          'm.yml',
          `applications:\n- name: w\n  routes: [{route: "*.example.com"}]\n- name: t\n  instances: ${instances}\n  routes:\n  - route: "*.b.example.com"\n    tls: {credential-name: b-cert}\n`,
        ),
      ],
    }).manifest;
  const before = applyManifest(emptyState(), manifest(1), settings.routing).state;
  const after = applyManifest(before, manifest(0), settings.routing).state;
  const ids = resourceChanges(before, after, settings).changes.map((c) => c.id).sort();
  assert.deepEqual(ids, fullDiff(before, after));
  assert.ok(ids.some((id) => id.includes('VirtualService') && id.includes('wildcard.example.com')), ids.join(' '));
});
