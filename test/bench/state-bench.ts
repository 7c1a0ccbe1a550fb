// Benchmark: update-route on a state of N routes, against `node -e 0`. Run: npm run build && node --import tsx test/bench/state-bench.ts [N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyState, routeKey, serializeState } from '../../src/state/index.ts';
import type { AppRecord, RouteRecord, State } from '../../src/state/types.ts';

const n = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'cfmesh-bench-'));
const routes: Record<string, RouteRecord> = {};
const apps: Record<string, AppRecord> = {};
for (let i = 0; i < n; i++) {
  const a = `app-${i}-v1`;
  const b = `app-${i}-v2`;
  apps[a] = { name: a, instances: 1 };
  apps[b] = { name: b, instances: 1 };
  const r: RouteRecord = { fqdn: `app-${i}.example.com`, host: `app-${i}`, domain: 'example.com', protocol: 'http1', options: {}, destinations: [{ app: a, weight: 50 }, { app: b, weight: 50 }] };
  routes[routeKey(r)] = r;
}
const state: State = { ...emptyState(), apps, routes, settings: { defaultDomain: 'example.com' } };
mkdirSync(join(dir, 'state'));
const file = join(dir, 'state', 'state.json');
const text = serializeState(state);
writeFileSync(file, text);
console.log(`state: ${n} routes, ${(text.length / 1e6).toFixed(1)} MB`);

const bin = join(import.meta.dirname, '..', '..', 'bin', 'cfmesh.js');
function time(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base: number[] = [];
const upd: number[] = [];
for (let k = 0; k < runs; k++) {
  base.push(time(['-e', '0']));
  const i = k % n;
  upd.push(time([bin, '--state', join(dir, 'state'), 'update-route', `app-${i}-v1`, 'example.com', '--hostname', `app-${i}`, '--weight', String(10 + (k % 80))]));
}
const b = median(base);
const u = median(upd);
console.log(`node -e 0: ${b.toFixed(1)} ms; update-route: ${u.toFixed(1)} ms; ratio ${(u / b).toFixed(2)}x`);
void execFileSync;
rmSync(dir, { recursive: true, force: true });
