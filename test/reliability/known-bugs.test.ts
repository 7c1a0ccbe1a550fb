// Bugs the reliability suites found in code owned by other work streams, pinned as `todo` tests:
// they run and report, without failing the suite, until the owner fixes them — then drop `todo`.
// Each one also makes `npm run fuzz` (random seeds, 10,000 cases) fail now and then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertHandled, assertValidIstioOutput, runCli, tempDir } from '../helpers/reliability.ts';

test('push of a TCP route without a port (tcp://host) is not an internal error', { todo: 'src/state/format.ts: the route is stored under its written key "tcp://x.example.com" but its identity has the assigned port (x.example.com:1731); exit 70' }, async () => {
  const run = await runCli(['--state', tempDir(), 'push', '-f', '-'], { stdin: 'applications:\n- name: a\n  routes: [{route: "tcp://x.example.com"}]\n' });
  assertHandled(run, 'push tcp:// without a port');
});

test('an endpoint IPv4 address with a leading zero is refused, not emitted', { todo: 'src/manifest/controls.ts parseEndpoint accepts 00.1.2.3 / 010.1.2.3, which Istio (Go netip) rejects: convert exits 0 with an invalid ServiceEntry' }, async () => {
  const run = await runCli(['convert', '-f', '-'], { stdin: 'applications:\n- name: a\n  service: s\n  version: v1\n  endpoints: [010.1.2.3]\n  routes: [{route: a.example.com}]\n' });
  assertHandled(run, 'leading-zero endpoint');
  if (run.exit === 0) assertValidIstioOutput(run.out, 'leading-zero endpoint');
});

test('convert and push agree on two TCP routes of different hosts on one port', { todo: 'convert emits two VirtualServices matching the same plain-TCP gateway port (Istio cannot tell the hosts apart without SNI); push refuses "Port 1024 is already in use" without a file:line:col' }, async () => {
  const manifest = 'applications:\n- name: a\n  routes: [{route: a.tcp.example.com:1024}]\n- name: b\n  routes: [{route: b.tcp.example.com:1024}]\n';
  const convert = await runCli(['convert', '-f', '-'], { stdin: manifest });
  const push = await runCli(['--state', tempDir(), 'push', '-f', '-'], { stdin: manifest });
  assertHandled(push, 'push same TCP port');
  assert.equal(convert.exit, push.exit, `convert ${convert.exit}, push ${push.exit}`);
});
