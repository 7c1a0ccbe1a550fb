// The line layout of the state file: splicing changed lines gives the bytes a whole rewrite gives,
// the digest lets only untouched files be read by line, and the file view answers every query as
// the whole state in memory does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileView } from '../../src/state/file-view.ts';
import { parseState, recordText, routeKey, serializeState } from '../../src/state/format.ts';
import { crc32Js, StateLines, type RecordSection } from '../../src/state/lines.ts';
import { crc32 } from 'node:zlib';
import type { AppRecord, RouteRecord, State } from '../../src/state/types.ts';
import { APP_NAMES, DOMAINS, HOSTS, randomChange, randomState, rng } from './random-state.ts';
import { stateView, type StateView } from '../../src/state/view.ts';

function open(state: State): StateLines {
  const lines = StateLines.open(Buffer.from(serializeState(state)));
  assert.ok(lines, 'a file cfmesh wrote opens by line');
  return lines;
}

function edits<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] !== after[key]) out.set(key, Object.hasOwn(after, key) ? recordText(after[key], 'test') : undefined);
  }
  return out;
}

test('splicing the changed lines gives the bytes of writing the changed state whole (random states and changes)', () => {
  let spliced = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const pick = rng(seed);
    const before = randomState(pick, pick(3) === 0 ? 0 : 1 + pick(25));
    const text = serializeState(before);
    assert.deepEqual(parseState(text), JSON.parse(JSON.stringify(before)), `seed ${seed}: the file reads back as the state`);
    const lines = open(before);
    const after = randomChange(pick, before);
    const sections = new Map<RecordSection, Map<string, string | undefined>>([
      ['apps', edits(before.apps, after.apps)],
      ['randomRouteHosts', edits(before.randomRouteHosts, after.randomRouteHosts)],
      ['routes', edits(before.routes, after.routes)],
      ['tcpPorts', edits(before.tcpPorts, after.tcpPorts)],
    ]);
    const members = new Map<string, string>(after.settings !== before.settings ? [['settings', recordText(after.settings, 'test')]] : []);
    const out = lines.splice(sections, members).toString('utf8');
    assert.equal(out, serializeState(after), `seed ${seed}`);
    assert.ok(StateLines.open(Buffer.from(out)), `seed ${seed}: the spliced file opens by line`);
    spliced++;
  }
  assert.equal(spliced, 300);
});

test('only a file exactly as cfmesh wrote it is read by line', () => {
  const state = randomState(rng(7), 12);
  const text = serializeState(state);
  assert.ok(StateLines.open(Buffer.from(text)));
  // One byte changed anywhere (a hand edit, a bad sector): the digest no longer matches.
  const flipped = text.replace('"instances":', '"instances": ');
  assert.notEqual(flipped, text);
  assert.equal(StateLines.open(Buffer.from(flipped)), undefined);
  // Compact JSON of an earlier build, a byte-order mark, a truncated file, pretty JSON.
  const { version, ...rest } = state;
  assert.equal(StateLines.open(Buffer.from(`${JSON.stringify({ version, ...rest })}\n`)), undefined);
  assert.equal(StateLines.open(Buffer.from(`\ufeff${text}`)), undefined);
  assert.equal(StateLines.open(Buffer.from(text.slice(0, text.length - 10))), undefined);
  assert.equal(StateLines.open(Buffer.from(JSON.stringify(JSON.parse(text), null, 2))), undefined);
  assert.equal(StateLines.open(Buffer.alloc(0)), undefined);
});

/** Records compared as the file holds them (an undefined field is no field). */
const json = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function sameAnswers(file: StateView, memory: StateView, where: string): void {
  const keys = (routes: RouteRecord[]) => routes.map(routeKey);
  const internal = (fqdn: string) => fqdn.endsWith('.apps.internal') || fqdn === 'apps.internal';
  assert.deepEqual(keys(file.gatewayRoutes(internal)), keys(memory.gatewayRoutes(internal)), `${where}: gatewayRoutes`);
  assert.deepEqual(file.appNames(), memory.appNames(), `${where}: appNames`);
  for (const service of [['shop'], ['a'], ['shop', 'a'], ['none']]) {
    assert.deepEqual(json(file.appsOfServices(new Set(service))), json(memory.appsOfServices(new Set(service))), `${where}: appsOfServices ${service}`);
  }
  for (const name of APP_NAMES) {
    assert.deepEqual(json(file.app(name)), json(memory.app(name)), `${where}: app ${name}`);
    assert.deepEqual(keys(file.routesTo(new Set([name]))), keys(memory.routesTo(new Set([name]))), `${where}: routesTo ${name}`);
  }
  assert.deepEqual(keys(file.routesTo(new Set(APP_NAMES.slice(0, 4)))), keys(memory.routesTo(new Set(APP_NAMES.slice(0, 4)))), `${where}: routesTo several`);
  for (const host of HOSTS) {
    for (const domain of DOMAINS) {
      const fqdns = new Set([`${host}.${domain}`, domain]);
      assert.deepEqual(keys(file.routesOf(fqdns)), keys(memory.routesOf(fqdns)), `${where}: routesOf ${[...fqdns]}`);
      for (const path of ['', '/p0', '/p1', ':1024', ':1025']) {
        const key = `${host}.${domain}${path}`;
        assert.deepEqual(json(file.route(key)), json(memory.route(key)), `${where}: route ${key}`);
      }
    }
  }
}

test('the file view answers every query as the state in memory does, before and after a change laid over it', () => {
  for (let seed = 1; seed <= 120; seed++) {
    const pick = rng(seed * 31);
    const before = randomState(pick, pick(30));
    const after = randomChange(pick, before);
    const view = new FileView(open(before), before.settings);
    sameAnswers(view, stateView(before), `seed ${seed} before`);
    const routes = new Map<string, RouteRecord | undefined>();
    for (const key of new Set([...Object.keys(before.routes), ...Object.keys(after.routes)])) if (before.routes[key] !== after.routes[key]) routes.set(key, after.routes[key]);
    const apps = new Map<string, AppRecord | undefined>();
    for (const name of new Set([...Object.keys(before.apps), ...Object.keys(after.apps)])) if (before.apps[name] !== after.apps[name]) apps.set(name, after.apps[name]);
    sameAnswers(view.with(after.settings, { routes, apps }), stateView(after), `seed ${seed} after`);
  }
});

test('the JavaScript CRC-32 (for Node 22.0 and 22.1, which lack zlib.crc32) is zlib\'s, also continued', () => {
  const pick = rng(11);
  for (let i = 0; i < 200; i++) {
    const bytes = Buffer.from(Array.from({ length: pick(300) }, () => pick(256)));
    const cut = pick(bytes.length + 1);
    assert.equal(crc32Js(bytes), crc32(bytes));
    assert.equal(crc32Js(bytes.subarray(cut), crc32Js(bytes.subarray(0, cut))), crc32(bytes));
  }
  assert.equal(crc32Js('é😀 state'), crc32('é😀 state'));
});
