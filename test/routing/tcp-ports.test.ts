import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { allocateTcpPorts, parsePortRange } from '../../src/routing/tcp-ports.ts';

const range = { from: 1024, to: 1033 };

test('the same routes get the same ports, inside the range, all distinct', () => {
  const routes = [{ key: 'tcp://a.example.com' }, { key: 'tcp://b.example.com' }, { key: 'tcp://c.example.com' }];
  const first = allocateTcpPorts(routes, range);
  assert.deepEqual(allocateTcpPorts([...routes].reverse(), range), first, 'order of the input does not matter');
  const ports = [...first.values()];
  assert.equal(new Set(ports).size, 3);
  for (const p of ports) assert.ok(p >= 1024 && p <= 1033);
});

test('written ports are never handed out', () => {
  const written = Array.from({ length: 9 }, (_, i) => ({ key: `x${i}.example.com:${1024 + i}`, port: 1024 + i }));
  const got = allocateTcpPorts([...written, { key: 'tcp://free.example.com' }], range);
  assert.deepEqual([...got.entries()], [['tcp://free.example.com', 1033]]);
});

test('recorded ports are kept, even where the hash would land elsewhere', () => {
  const got = allocateTcpPorts([{ key: 'tcp://a.example.com' }, { key: 'tcp://b.example.com' }], range, new Map([['tcp://a.example.com', 1030]]));
  assert.equal(got.get('tcp://a.example.com'), 1030);
  assert.notEqual(got.get('tcp://b.example.com'), 1030);
});

test('a recorded port now taken by a written one is reallocated', () => {
  const got = allocateTcpPorts([{ key: 'x.example.com:1030', port: 1030 }, { key: 'tcp://a.example.com' }], range, new Map([['tcp://a.example.com', 1030]]));
  assert.notEqual(got.get('tcp://a.example.com'), 1030);
});

test('a full range is a usage error', () => {
  const routes = Array.from({ length: 11 }, (_, i) => ({ key: `tcp://h${i}.example.com` }));
  assert.throws(() => allocateTcpPorts(routes, range), (e: unknown) => e instanceof ToolError && e.code === 'USAGE');
});

test('--tcp-port-range parses FROM-TO', () => {
  assert.deepEqual(parsePortRange('1024-2047'), { from: 1024, to: 2047 });
  for (const bad of ['2047-1024', '0-10', '1-70000', '1024', 'a-b']) assert.throws(() => parsePortRange(bad), (e: unknown) => e instanceof ToolError && e.code === 'USAGE');
});
