// Ctrl-C with the real binary: SIGINT, sent once at a point seen in the child's output or its files
// (never after a fixed sleep), stops convert and push with exit 130, bounds the work done after it,
// and leaves every file old or new and the state unchanged (or, past the commit point, fully written
// and said so). The bounds are counts of files, never times.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/main.ts';
import { setCommitCheck } from '../../src/sinks/commit-check.ts';
import { INDEX_FILE } from '../../src/sinks/directory-sink.ts';
import { STREAM_MIN_CHARS } from '../../src/cli/commands/convert.ts';
import { generateManifest } from '../bench/generate.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { assertNoStackTrace, runCli, tempDir } from '../helpers/reliability.ts';
import { bin, cleanEnv } from './helpers.ts';

const RESOURCE = /^[a-z0-9][a-z0-9.-]*\.(yaml|json)$/;

interface Interrupted {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly err: string;
  /** What the test saw just after it sent SIGINT (see `when`). */
  readonly atSignal: readonly string[];
}

/**
 * Runs the binary and sends one SIGINT when `when` says so, looking at stderr so far and the files
 * of `watch` (polled). `atSignal` is the listing of `watch` taken right after the signal was sent.
 */
function interruptWhen(args: readonly string[], cwd: string, when: (err: string, files: readonly string[]) => boolean, watch?: string): Promise<Interrupted> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let sent = false;
  let atSignal: string[] = [];
  const list = () => (watch && existsSync(watch) ? readdirSync(watch) : []);
  const check = () => {
    if (sent || !when(err, list())) return;
    sent = true;
    child.kill('SIGINT');
    atSignal = list();
  };
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    check();
  });
  const poll = setInterval(check, 2);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, err, atSignal });
    });
  });
}

const resources = (names: readonly string[]) => names.filter((n) => RESOURCE.test(n));

test('Ctrl-C while convert -o DIR writes into an existing directory: no more files are written, each is whole (old or new), exit 130; the next run completes', { timeout: 180_000 }, async () => {
  const work = tempDir('cfmesh-sigint-');
  writeFileSync(join(work, 'manifest.yml'), generateManifest(300).text);
  const out = join(work, 'out');
  // An existing directory gets its files one by one (a new one is made whole: the next test).
  mkdirSync(out);
  const run = await interruptWhen(['convert', '-f', 'manifest.yml', '-o', 'out'], work, (_err, files) => resources(files).length >= 20, out);
  assert.equal(run.code, 130, `exit ${run.code} (signal ${run.signal}):\n${run.err}`);
  assertNoStackTrace(run.err);
  assert.match(run.err, /error INTERRUPTED interrupted \(Ctrl-C\): \d+ of \d+ changed file\(s\) written/);

  const after = resources(readdirSync(out));
  const late = after.filter((n) => !run.atSignal.includes(n));
  // Files go one at a time, and none is renamed into place once the handler has seen the signal
  // (atomic-write.ts). The handler runs at the child's next event-loop turn, so the file in flight
  // and at most one more, started in the same turn, may still land after our listing.
  assert.ok(late.length <= 2, `${late.length} files written after the signal: ${late.join(', ')}`);
  assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.') && n !== INDEX_FILE), [], 'no temporary file left');
  const listed = new Set((JSON.parse(readFileSync(join(out, INDEX_FILE), 'utf8')) as { files: string[] }).files);
  for (const name of after) assert.ok(listed.has(name), `${name} is in the index`);
  const partial = new Map(after.map((n) => [n, readFileSync(join(out, n), 'utf8')]));

  const finish = await runCli(['convert', '-f', 'manifest.yml', '-o', 'out'], { cwd: work });
  assert.equal(finish.exit, 0, finish.err);
  const all = resources(readdirSync(out));
  assert.ok(after.length < all.length, `the run stopped before the end (${after.length} of ${all.length})`);
  assert.match(finish.err, new RegExp(`out: ${all.length - after.length} written, ${after.length} unchanged, 0 removed`));
  // The same manifest: every file the interrupted run left is byte for byte what a whole run writes.
  for (const [name, content] of partial) {
    assert.equal(content, readFileSync(join(out, name), 'utf8'), `${name} is whole`);
    assert.ok(parseAllDocuments(content).every((d) => d.errors.length === 0));
  }
});

test('Ctrl-C while convert -o DIR writes a new directory: DIR is not created, nothing is left beside it, exit 130; the next run completes', { timeout: 180_000 }, async () => {
  // The new directory's files go into a temporary copy beside it: after the translation
  // (writeNewDirectory), or, for manifests past STREAM_MIN_CHARS, while it goes on
  // (NewDirectoryStream), when Ctrl-C may also come before the translation ends. The streamed run
  // is one of 3,000 apps: its first files land while most of the translation is still to do, so the
  // signal sent on seeing them is handled before the commit. (With 300 apps the writers' one batch
  // and the commit took a few milliseconds on a fast disk: the run was done before the signal came.)
  const small = generateManifest(300).text;
  const streamed = generateManifest(3000).text;
  assert.ok(streamed.length >= STREAM_MIN_CHARS && small.length < STREAM_MIN_CHARS, 'the first manifest is written after the translation, the second streamed');
  for (const [variant, text, said] of [
    ['after the translation', small, /error INTERRUPTED interrupted \(Ctrl-C\): 0 of \d+ changed file\(s\) written: .*out was not created/],
    ['streamed', streamed, /error INTERRUPTED interrupted \(Ctrl-C\): (0 of \d+ changed file\(s\) written: .*out was not created|nothing was written to out)/],
  ] as const) {
    const work = tempDir('cfmesh-sigint-');
    writeFileSync(join(work, 'manifest.yml'), text);
    const copies = () => readdirSync(work).filter((n) => n.startsWith('.out.cfmesh-tmp-'));
    const written = () => copies().reduce((n, copy) => n + (existsSync(join(work, copy)) ? readdirSync(join(work, copy)).length : 0), 0);
    const run = await interruptWhen(['convert', '-f', 'manifest.yml', '-o', 'out'], work, () => written() >= 20);
    assert.equal(run.code, 130, `${variant}: exit ${run.code} (signal ${run.signal}):\n${run.err}`);
    assertNoStackTrace(run.err);
    assert.match(run.err, said, variant);
    assert.ok(!existsSync(join(work, 'out')), `${variant}: no directory, not a part of one`);
    assert.deepEqual(copies(), [], `${variant}: the temporary copy was removed`);

    const finish = await runCli(['convert', '-f', 'manifest.yml', '-o', 'out'], { cwd: work });
    assert.equal(finish.exit, 0, finish.err);
    const all = resources(readdirSync(join(work, 'out')));
    assert.ok(all.length > 20, `${all.length} files`);
    assert.match(finish.err, new RegExp(`out: ${all.length} written, 0 unchanged, 0 removed`));
  }
});

test('Ctrl-C while convert parses: nothing is written, exit 130', { timeout: 180_000 }, async () => {
  const work = tempDir('cfmesh-sigint-');
  writeFileSync(join(work, 'manifest.yml'), generateManifest(5000).text);
  const run = await interruptWhen(['convert', 'manifest.yml', '-o', 'out', '--verbose'], work, (err) => err.includes('debug: parsing'), join(work, 'out'));
  assert.equal(run.code, 130, `exit ${run.code} (signal ${run.signal}):\n${run.err}`);
  assertNoStackTrace(run.err);
  assert.doesNotMatch(run.err, /debug: translated/, 'the parse was stopped, not finished');
  assert.match(run.err, /error INTERRUPTED interrupted \(Ctrl-C\): nothing was written to out/);
  assert.ok(!existsSync(join(work, 'out')), 'the directory was not even created');
  // A new DIR's temporary copy exists from the start (NewDirectoryStream): it is removed too.
  assert.deepEqual(readdirSync(work).filter((n) => n.includes('.cfmesh-tmp-')), [], 'no temporary copy is left');
});

test('Ctrl-C during push (parsing, then merging into the state): the state is unchanged, exit 130', { timeout: 180_000 }, async () => {
  const work = tempDir('cfmesh-sigint-');
  writeFileSync(join(work, 'small.yml'), 'applications:\n- name: web\n  routes: [{route: web.example.com}]\n');
  writeFileSync(join(work, 'big.yml'), generateManifest(3000).text);
  const state = join(work, 'state');
  const first = await runCli(['--state', state, 'push', '-f', 'small.yml'], { cwd: work });
  assert.equal(first.exit, 0, first.err);
  const before = readFileSync(join(state, 'state.json'));

  for (const point of ['debug: parsing', 'debug: merging']) {
    const run = await interruptWhen(['--state', state, 'push', '-f', 'big.yml', '--verbose'], work, (err) => err.includes(point));
    assert.equal(run.code, 130, `${point}: exit ${run.code} (signal ${run.signal}):\n${run.err}`);
    assertNoStackTrace(run.err);
    assert.match(run.err, /error INTERRUPTED interrupted \(Ctrl-C\): the state was not changed/, point);
    assert.doesNotMatch(run.err, /Manifest applied/);
    assert.ok(readFileSync(join(state, 'state.json')).equals(before), `${point}: state.json is byte for byte what it was`);
    assert.ok(!existsSync(join(state, 'state.json.lock')), 'the lock was released');
  }
});

test('Ctrl-C past the commit point of push: the state is whole and new, and stderr says so (exit 130)', async () => {
  const work = tempDir('cfmesh-sigint-');
  writeFileSync(join(work, 'm.yml'), 'applications:\n- name: web\n  routes: [{route: web.example.com}]\n');
  const controller = new AbortController();
  const io = memoryIo({ cwd: work });
  // The first bytes on stdout are the changed resources, printed after the state was written.
  const stdout = io.stdout.write;
  const signalled = { ...io, signal: controller.signal, stdout: { isTTY: false, write: (s: string) => (stdout(s), controller.abort()) } };
  const exit = await main(['--state', join(work, 'state'), 'push', '-f', 'm.yml'], signalled);
  assert.equal(exit, 130, io.err());
  assert.match(io.err(), /interrupted \(Ctrl-C\): after the push had finished: the state \(.*state\.json\) and the output are complete/);
  const routes = await runCli(['--state', join(work, 'state'), 'routes', '--json'], { cwd: work });
  assert.deepEqual((JSON.parse(routes.out) as { url: string }[]).map((r) => r.url), ['web.example.com']);
});

test('Ctrl-C after push saved the state but before its --output-dir was written: stderr says the state was saved and the delivery cut short', async () => {
  const work = tempDir('cfmesh-sigint-');
  writeFileSync(join(work, 'm.yml'), 'applications:\n- name: web\n  routes: [{route: web.example.com}]\n');
  const controller = new AbortController();
  const io = memoryIo({ cwd: work });
  const stderr = io.stderr.write;
  // "Manifest applied" is printed once the state is written, before the directory is.
  const signalled = { ...io, signal: controller.signal, stderr: { isTTY: false, write: (s: string) => (stderr(s), s.includes('Manifest applied') && controller.abort()) } };
  // The binary's commit check (main.ts run()): no file is renamed into place after Ctrl-C.
  setCommitCheck(() => controller.signal.aborted);
  let exit: number;
  try {
    exit = await main(['--state', join(work, 'state'), 'push', '-f', 'm.yml', '--output-dir', 'out'], signalled);
  } finally {
    setCommitCheck(undefined);
  }
  assert.equal(exit, 130, io.err());
  assert.match(io.err(), /interrupted \(Ctrl-C\): after the state was saved: the push is complete in .*state\.json, but its delivery was cut short \(0 of \d+ changed file\(s\) written/);
  assert.match(io.err(), /hint: cfmesh render prints the whole configuration of the state/);
  assert.ok(existsSync(join(work, 'state', 'state.json')));
  const finish = await runCli(['--state', join(work, 'state'), 'render', '-o', 'out'], { cwd: work });
  assert.equal(finish.exit, 0, finish.err);
});
