// The state keeps controls, options and app extensions in the manifest's shape; where it becomes a
// route table they are parsed by the manifest's own parser. Pushed, serialised, read back and turned
// into a table, every route and app must carry the typed values the manifest's table carries.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyManifest } from '../../src/app/push.ts';
import { stateToTable } from '../../src/app/state-model.ts';
import { SourceFile } from '../../src/diagnostics/source-file.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import { sameControl } from '../../src/manifest/traffic.ts';
import { buildRouteTable, type RoutingOptions } from '../../src/routing/route-table.ts';
import { emptyState, serializeState } from '../../src/state/index.ts';
import { parseState } from '../../src/state/format.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');
const routing: RoutingOptions = { internalDomains: ['apps.internal'] };

for (const name of readdirSync(fixtures).sort()) {
  const file = join(fixtures, name, 'manifest.yml');
  if (!name.startsWith('feature-') || !existsSync(file)) continue;
  test(`fixture ${name}: the state's table has the manifest's typed controls`, () => {
    const { manifest } = loadManifest({ manifests: [new SourceFile('manifest.yml', readFileSync(file, 'utf8'))] });
    const direct = buildRouteTable(manifest, { ...routing, defaultDomain: undefined }).table;
    const pushed = applyManifest(emptyState(), manifest, routing).state;
    const read = parseState(serializeState(pushed));
    const fromState = stateToTable(read, routing).table;
    const byKey = new Map(fromState.routes.map((r) => [r.key, r]));
    let compared = 0;
    for (const route of direct.routes) {
      const other = byKey.get(route.key);
      if (!other) continue; // a port-less TCP route is stored under its port
      const text = (c: unknown) => JSON.stringify(c, (k, v: unknown) => (k === 'span' || k === 'spans' ? undefined : v));
      assert.ok(sameControl(other.controls, route.controls), `${route.key}: ${text(other.controls)} ≠ ${text(route.controls)}`);
      assert.deepEqual(other.loadBalancing, route.loadBalancing, route.key);
      compared++;
    }
    assert.ok(compared > 0, 'routes were compared');
    const apps = new Map(fromState.apps.map((a) => [a.name, a]));
    for (const app of direct.apps) {
      const other = apps.get(app.name);
      assert.ok(other, app.name);
      assert.deepEqual({ ...other, span: undefined }, { ...app, span: undefined }, app.name);
    }
  });
}
