// Bugs the fuzzers found where work streams met (state × traffic features × Istio's address rules),
// kept as regression tests now that they are fixed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertHandled, assertValidIstioOutput, runCli, tempDir } from '../helpers/reliability.ts';

test('push of a TCP route without a port (protocol: tcp) stores it with its assigned port, the same on every push', async () => {
  const state = tempDir();
  // `tcp://host` without a port is refused as Cloud Controller refuses it (manifest_route.rb valid?);
  // `protocol: tcp` is how a manifest asks for an allocated port.
  const refused = await runCli(['convert', '-f', '-'], { stdin: 'applications:\n- name: a\n  routes: [{route: "tcp://x.example.com"}]\n' });
  assert.equal(refused.exit, 1, refused.err);
  assert.match(refused.err, /<stdin>:3:\d+: error ROUTE_INVALID The route 'tcp:\/\/x\.example\.com' is not a properly formed URL/);
  const stdin = 'applications:\n- name: a\n  routes: [{route: "x.example.com", protocol: tcp}]\n';
  const first = await runCli(['--state', state, 'push', '-f', '-'], { stdin });
  assertHandled(first, 'push tcp:// without a port');
  assert.equal(first.exit, 0, first.err);
  const again = await runCli(['--state', state, 'push', '-f', '-'], { stdin });
  assert.equal(again.exit, 0, again.err);
  const routes = await runCli(['--state', state, 'routes', '--json']);
  const urls = (JSON.parse(routes.out) as { url: string }[]).map((r) => r.url);
  assert.equal(urls.length, 1, urls.join(' '));
  assert.match(urls[0] ?? '', /^x\.example\.com:\d+$/);
});

test('an endpoint IPv4 address with a leading zero is refused, not emitted', async () => {
  const run = await runCli(['convert', '-f', '-'], { stdin: 'applications:\n- name: a\n  service: s\n  version: v1\n  endpoints: [010.1.2.3]\n  routes: [{route: a.example.com}]\n' });
  assertHandled(run, 'leading-zero endpoint');
  assert.equal(run.exit, 1);
  assert.match(run.err, /<stdin>:5:\d+: error/);
  const fine = await runCli(['convert', '-f', '-'], { stdin: 'applications:\n- name: a\n  service: s\n  version: v1\n  endpoints: [10.1.2.3, "2001:db8::1"]\n  routes: [{route: a.example.com}]\n' });
  assert.equal(fine.exit, 0, fine.err);
  assertValidIstioOutput(fine.out, 'valid endpoints');
});

test('convert and push agree on two TCP routes of different hosts on one port: refused at the second route', async () => {
  const manifest = 'applications:\n- name: a\n  routes: [{route: a.tcp.example.com:1024}]\n- name: b\n  routes: [{route: b.tcp.example.com:1024}]\n';
  const convert = await runCli(['convert', '-f', '-'], { stdin: manifest });
  const push = await runCli(['--state', tempDir(), 'push', '-f', '-'], { stdin: manifest });
  assertHandled(push, 'push same TCP port');
  assert.equal(convert.exit, 1);
  assert.equal(push.exit, 1);
  for (const run of [convert, push]) assert.match(run.err, /<stdin>:5:\d+: error ROUTE_CONFLICT .*Port '1024' is not available/);
});
