import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { routeKey } from '../../src/state/format.ts';
import type { RouteRecord, State } from '../../src/state/types.ts';

export async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cfmesh-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function makeRoute(i: number, extra: Partial<RouteRecord> = {}): RouteRecord {
  const host = `app-${i}`;
  const domain = 'apps.example.com';
  return {
    fqdn: `${host}.${domain}`,
    host,
    domain,
    path: i % 3 === 0 ? `/p${i}` : undefined,
    protocol: i % 5 === 0 ? 'http2' : 'http1',
    options: i % 2 === 0 ? { loadbalancing: 'round-robin' } : {},
    destinations: [
      { app: `app-${i}`, weight: 90, port: 8080 },
      { app: `app-${i}-canary`, weight: 10, protocol: 'http1' },
    ],
    controls: i % 4 === 0 ? { timeout: '30s', retries: { attempts: 3, perTryTimeout: '2s' } } : undefined,
    ...extra,
  };
}

export function addRoute(state: State, route: RouteRecord): State {
  return { ...state, routes: { ...state.routes, [routeKey(route)]: route } };
}

/** A state with `n` routes and n/2 apps. */
export function bigState(base: State, n: number, tag = ''): State {
  const routes: Record<string, RouteRecord> = {};
  const apps: Record<string, State['apps'][string]> = {};
  for (let i = 0; i < n; i++) {
    const r = makeRoute(i, tag ? { options: { tag } } : {});
    routes[routeKey(r)] = r;
    if (i % 2 === 0) apps[`app-${i}`] = { name: `app-${i}`, instances: 2, port: 8080, version: 'v1', extra: { env: { A: '1' } } };
  }
  return { ...base, apps, routes, settings: { ...base.settings, defaultDomain: 'apps.example.com', extra: { tag } } };
}
