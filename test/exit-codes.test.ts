// Every exit code of the README's table (0, 1, 2, 3, 4, 130), produced by the real binary in a child
// process (stream separation and exit status as a shell sees them), except 70: there is no honest way to make the
// shipped binary hit a bug, and a test-only backdoor would ship too, so 70 is produced in-process by
// an Io whose stdout throws an ordinary Error — the same catch in main() that guards the binary.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../src/main.ts';
import { assertNoStackTrace, tempDir } from './helpers/reliability.ts';
import { memoryIo } from './helpers/memory-io.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'cfmesh.js');
const good = join(root, 'fixtures', 'proposal-90-10', 'manifest.yml');
const bad = join(root, 'fixtures', 'invalid-weights-140', 'manifest.yml');

function cfmesh(args: readonly string[], options: { input?: string; cwd?: string } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? root, input: options.input ?? '', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CFMESH_DEBUG: '' }, timeout: 20_000 });
  assertNoStackTrace(result.stderr, args.join(' '));
  return { exit: result.status, out: result.stdout, err: result.stderr };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('exit codes: the binary is built', () => assert.ok(existsSync(join(root, 'dist', 'entry.cjs')), 'npm test builds first'));

test('exit 0: success, the product on stdout and nothing else', () => {
  const run = cfmesh(['convert', '-f', good]);
  assert.equal(run.exit, 0, run.err);
  assert.match(run.out, /^apiVersion: networking\.istio\.io\/v1\nkind: Gateway/);
  assert.equal(run.err, '');
});

test('exit 1: invalid input, positioned error on stderr, nothing on stdout', () => {
  const run = cfmesh(['convert', '-f', bad]);
  assert.equal(run.exit, 1);
  assert.equal(run.out, '');
  assert.match(run.err, /manifest\.yml:\d+:\d+: error WEIGHTS /);
  const stdin = cfmesh(['validate', '-f', '-'], { input: '['.repeat(100_000) });
  assert.equal(stdin.exit, 1, 'deep nesting through the real binary (its own stack size) is an input error');
  assert.match(stdin.err, /^<stdin>:1:\d+: error YAML_SYNTAX nesting deeper than/m);
});

test('exit 1: warnings under --strict', () => {
  const run = cfmesh(['--strict', 'convert', '-f', '-'], { input: 'applications: [{name: a}]\n' });
  assert.equal(run.exit, 1, run.err);
  assert.match(run.err, /error STRICT /);
});

test('exit 2: wrong usage', () => {
  for (const args of [['convert', '--no-such-flag'], ['convert'], ['no-such-command'], ['convert', '-f', good, '--output', 'xml']]) {
    const run = cfmesh(args);
    assert.equal(run.exit, 2, `${args.join(' ')}: ${run.err}`);
    assert.equal(run.out, '');
    assert.match(run.err, /error USAGE /);
  }
});

test('exit 3: local file I/O (missing manifest, unreadable path, -o onto a file, stdout on a full disk)', () => {
  const missing = cfmesh(['convert', '-f', 'no-such-file.yml']);
  assert.equal(missing.exit, 3);
  assert.match(missing.err, /error FILE_READ cannot read no-such-file\.yml: no such file/);
  const directory = cfmesh(['convert', '-f', 'fixtures']);
  assert.equal(directory.exit, 3);
  const ontoFile = cfmesh(['convert', '-f', good, '-o', good]);
  assert.equal(ontoFile.exit, 3);
  assert.match(ontoFile.err, /error FILE_WRITE /);
  if (existsSync('/dev/full')) {
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" convert -f "${good}" > /dev/full`], { encoding: 'utf8' });
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /error FILE_WRITE cannot write to stdout: ENOSPC/);
  }
});

test('exit 4: the control plane failed (connection refused)', async () => {
  const port = await closedPort();
  const run = cfmesh(['convert', '-f', good, '--target', 'http', '--url', `http://127.0.0.1:${port}/bundles`]);
  assert.equal(run.exit, 4, run.err);
  assert.match(run.err, /error API_UNREACHABLE /);
  const dir = tempDir();
  const kube = cfmesh(['convert', '-f', good, '--target', 'kubernetes', '--kubeconfig', join(dir, 'none')], { cwd: dir });
  assert.ok(kube.exit === 1 || kube.exit === 3 || kube.exit === 4, `a missing kubeconfig is a clear refusal (got ${kube.exit}): ${kube.err}`);
});

test('exit 70: an internal error gives the bug notice, never a stack trace', async () => {
  const io = memoryIo();
  const failing = {
    ...io,
    stdout: {
      isTTY: false,
      write: () => {
        throw new TypeError('stdout exploded');
      },
    },
  };
  const exit = await main(['convert', '-f', '-'], { ...failing, readStdin: async () => Buffer.from('applications: [{name: a, routes: [{route: a.example.com}]}]\n') });
  assert.equal(exit, 70);
  assert.match(io.err(), /hit an internal error: stdout exploded\nThis is a bug in cfmesh/);
  assert.match(io.err(), /set CFMESH_DEBUG=1 to include the stack trace/);
  assertNoStackTrace(io.err());
  // With CFMESH_DEBUG=1 the stack is there for the report, on request only.
  const debug = memoryIo({ env: { CFMESH_DEBUG: '1' } });
  const exitDebug = await main(['convert', '-f', '-'], { ...debug, stdout: failing.stdout, readStdin: async () => Buffer.from('applications: [{name: a, routes: [{route: a.example.com}]}]\n') });
  assert.equal(exitDebug, 70);
  assert.match(debug.err(), /^\s+at /m);
});

test('exit 70: a ToolError INTERNAL (a broken invariant) is told once, as the bug notice', async () => {
  const io = memoryIo({ stdin: 'applications: [{name: a, routes: [{route: a.example.com}]}]\n' });
  const { ToolError } = await import('../src/diagnostics/tool-error.ts');
  const exit = await main(['convert', '-f', '-'], {
    ...io,
    stdout: {
      isTTY: false,
      write: () => {
        throw new ToolError('INTERNAL', 'invariant broken: two resources map to one file');
      },
    },
  });
  assert.equal(exit, 70);
  assert.equal(io.err().split('invariant broken').length - 1, 1, io.err());
  assert.match(io.err(), /hit an internal error: invariant broken/);
  assertNoStackTrace(io.err());
});

test('exit 130: Ctrl-C while the control plane does not answer stops cleanly', async () => {
  // An endpoint that accepts the connection and never answers.
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const child = spawn(process.execPath, [bin, 'convert', '-f', good, '--target', 'http', '--url', `http://127.0.0.1:${port}/bundles`], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // Once: a second SIGINT landing while Node tears the process down meets the default action
      // (death by signal, which a shell also shows as 130) instead of our handler.
      if (err.includes('Posting') && !sent) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 130, err);
    assertNoStackTrace(err);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});
