import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { allocateTcpPorts, homePort, parsePortRange, RESERVED_GATEWAY_PORTS, tcpPortProblem } from '../../src/routing/tcp-ports.ts';

const range = { from: 1024, to: 1033 };
const wide = { from: 1024, to: 65535 };

test('the same routes get the same ports, inside the range, all distinct', () => {
  const routes = [{ key: 'tcp://a.example.com' }, { key: 'tcp://orders-db.example.com' }, { key: 'tcp://c.example.com' }];
  const first = allocateTcpPorts(routes, wide);
  assert.deepEqual(allocateTcpPorts([...routes].reverse(), wide), first, 'order of the input does not matter');
  const ports = [...first.ports.values()];
  assert.equal(new Set(ports).size, 3);
  for (const p of ports) assert.ok(p >= 1024 && p <= 65535);
});

test("a route's port depends on its own key only: adding or removing other routes never moves it", () => {
  const orders = { key: 'tcp://orders-db.example.com' };
  const alone = allocateTcpPorts([orders], wide).ports.get(orders.key);
  for (let n = 0; n < 200; n++) {
    const others = Array.from({ length: n % 20 }, (_, i) => ({ key: `tcp://db-${n}-${i}.example.com` }));
    const got = allocateTcpPorts([orders, ...others], wide);
    // Either orders-db keeps its port, or the conflict is refused: it is never silently moved.
    if (got.conflicts.length === 0) assert.equal(got.ports.get(orders.key), alone);
    else assert.ok(got.conflicts.every((c) => c.key !== orders.key || c.port === alone));
  }
});

test('without a state, a hashed port taken by another route is refused, naming both', () => {
  const a = { key: 'tcp://a.example.com' };
  const home = homePort(a.key, range) as number;
  const got = allocateTcpPorts([a, { key: `x.example.com:${home}`, port: home }], range);
  assert.deepEqual(got.conflicts, [{ key: a.key, port: home, other: `x.example.com:${home}` }]);
  assert.equal(got.ports.has(a.key), false);
});

test('with a state, recorded ports are kept and a new route that collides probes upward', () => {
  const got = allocateTcpPorts([{ key: 'tcp://a.example.com' }, { key: 'tcp://b.example.com' }], range, { recorded: new Map([['tcp://a.example.com', 1030]]) });
  assert.equal(got.ports.get('tcp://a.example.com'), 1030);
  assert.notEqual(got.ports.get('tcp://b.example.com'), 1030);
  assert.deepEqual(got.conflicts, []);
  const home = homePort('tcp://b.example.com', range) as number;
  const taken = allocateTcpPorts([{ key: 'tcp://b.example.com' }], range, { recorded: new Map(), taken: new Set([home]) });
  assert.notEqual(taken.ports.get('tcp://b.example.com'), home);
});

test('the gateway proxy ports are never handed out', () => {
  const proxy = { from: 15000, to: 15010 };
  const keys = Array.from({ length: 300 }, (_, i) => `tcp://h${i}.example.com`);
  for (const key of keys) {
    const port = homePort(key, proxy) as number;
    assert.ok(!RESERVED_GATEWAY_PORTS.has(port), `${key} got ${port}`);
  }
  assert.equal(homePort('tcp://x.example.com', { from: 15000, to: 15001 }), undefined, 'a range of only reserved ports has no port');
});

test('written ports: below 1024 or a gateway proxy port is refused', () => {
  for (const port of [80, 443, 1023, 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]) assert.ok(tcpPortProblem(port), String(port));
  for (const port of [1024, 5432, 14999, 15002, 15010, 65535]) assert.equal(tcpPortProblem(port), undefined, String(port));
});

test('a full range is a usage error (state commands)', () => {
  const routes = Array.from({ length: 11 }, (_, i) => ({ key: `tcp://h${i}.example.com` }));
  assert.throws(() => allocateTcpPorts(routes, range, { recorded: new Map() }), (e: unknown) => e instanceof ToolError && e.code === 'USAGE');
});

test('--tcp-port-range parses FROM-TO within 1024-65535', () => {
  assert.deepEqual(parsePortRange('1024-2047'), { from: 1024, to: 2047 });
  for (const bad of ['2047-1024', '0-10', '1-70000', '1024', 'a-b', '80-2000', '1023-2000']) assert.throws(() => parsePortRange(bad), (e: unknown) => e instanceof ToolError && e.code === 'USAGE');
});
