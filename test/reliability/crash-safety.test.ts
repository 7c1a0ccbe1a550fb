// Crash safety of `-o DIR`: the real binary is SIGKILLed at random moments while it rewrites a large
// directory, alternating between two manifests (different content for shared files, files added and
// removed). After every kill DIR holds, for every resource file, exactly the old or the new content
// (whole and parseable), every resource file is listed in the index (so a later run can clean it
// up), temporary files are hidden dot-files only, and no file kubectl would read (.json, .yaml, .yml,
// dot-files too) is anything but a whole resource. Every few rounds the directory is turned back into
// one written by cfmesh 0.1 (index `.cfmesh-files.json`), so the migration is killed too. A final run
// completes and leaves exactly the new set. Bounded by rounds, not by time: it runs until KILLS kills
// have landed (at most MAX_ROUNDS runs), each kill at a random moment after the run's temporary files
// were seen (FUZZ_RUNS set raises KILLS: FUZZ_RUNS=1 node test/run.mjs test/reliability). A second
// test kills runs that make a new DIR: it is absent or whole after each kill.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli, tempDir } from '../helpers/reliability.ts';
import { padPastStream } from '../helpers/stream-padding.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'cfmesh.js');
const INDEX = '.cfmesh-files';
const LEGACY_INDEX = '.cfmesh-files.json';
const TEMP = /^\..+\.tmp-\d+-[0-9a-f]{12}$/;
/** What `kubectl apply -f DIR` reads (k8s.io/cli-runtime v0.32.4 pkg/resource/builder.go FileExtensions). */
const KUBECTL_READS = /\.(json|yaml|yml)$/;
const KILLS = process.env['FUZZ_RUNS'] ? 60 : 8;
const MAX_ROUNDS = KILLS * 4;
/**
 * Per poll (1 ms) once the writes are seen: a kill ~40 polls in on average, so that some land among
 * the renames of an existing DIR; a new DIR has no such later phase, so ~12 in.
 */
const KILL_CHANCE = 1 / 40;
const NEW_DIR_KILL_CHANCE = 1 / 12;

function manifest(from: number, to: number, instances: number): string {
  let text = 'applications:\n';
  for (let i = from; i < to; i++) text += `- name: app-${i}\n  instances: ${instances}\n  routes:\n  - route: app-${i}.example.com\n  - route: shared-${i % 50}.example.com/p${i}\n`;
  return text;
}

function spawnConvert(cwd: string, file: string, extra: readonly string[]): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; kill: () => void; pid: number } {
  const child = spawn(process.execPath, [bin, 'convert', '-f', file, '-o', 'out', ...extra], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { done, kill: () => void child.kill('SIGKILL'), pid: child.pid as number };
}

/**
 * One run with a SIGKILL at a random moment of its writes: the files are polled every millisecond,
 * and once `writing(pid)` sees the run's own temporary files (a killed run's stay until a run completes) each poll kills it with `chance` (kills
 * spread over the writes, the renames included; some runs finish first). A run the kill missed must
 * succeed. `polls`: how many polls after the writes were seen the kill came.
 */
async function runKilledWhileWriting(cwd: string, file: string, extra: readonly string[], writing: (pid: number) => boolean, chance: number): Promise<{ killed: boolean; polls: number }> {
  const run = spawnConvert(cwd, file, extra);
  let polls = -1;
  const poll = setInterval(() => {
    if (polls < 0 && !writing(run.pid)) return;
    polls++;
    if (Math.random() < chance) {
      clearInterval(poll);
      run.kill();
    }
  }, 1);
  const result = await run.done;
  clearInterval(poll);
  const killed = result.signal === 'SIGKILL';
  if (!killed) assert.equal(result.code, 0, result.stderr);
  return { killed, polls };
}

function readDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir)) out.set(entry, readFileSync(join(dir, entry), 'utf8'));
  return out;
}

test('SIGKILL at random moments during -o DIR: every file old or new, whole, and cleaned up by the next run', { timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(join(root, 'dist', 'entry.cjs')), 'the binary is built (npm test builds first)');
  const dir = tempDir();
  writeFileSync(join(dir, 'a.yml'), manifest(0, 200, 1));
  writeFileSync(join(dir, 'b.yml'), manifest(40, 240, 2));
  const targets = [
    { file: 'a.yml', extra: [] as string[] },
    { file: 'b.yml', extra: ['--namespace', 'shop'] },
  ];
  // What each run writes when it completes (in-process, same code).
  const refs = await Promise.all(
    targets.map(async ({ file, extra }, i) => {
      const refDir = join(dir, `ref-${i}`);
      const run = await runCli(['convert', '-f', file, '-o', refDir, ...extra], { cwd: dir });
      assert.equal(run.exit, 0, run.err);
      const files = readDir(refDir);
      files.delete(INDEX);
      assert.ok(!files.has(LEGACY_INDEX));
      return files;
    }),
  );

  const out = join(dir, 'out');
  const first = spawnConvert(dir, 'a.yml', []);
  assert.equal((await first.done).code, 0);
  const writing = (pid: number) => readdirSync(out).some((name) => TEMP.test(name) && name.includes(`.tmp-${pid}-`));

  let kills = 0;
  let completed = 0;
  let tempLeft = 0;
  let mixed = 0;
  let migrations = 0;
  for (let round = 0; kills < KILLS && round < MAX_ROUNDS; round++) {
    const target = targets[round % 2] as (typeof targets)[number];
    const { killed, polls } = await runKilledWhileWriting(dir, target.file, target.extra, writing, KILL_CHANCE);
    if (killed) kills++;
    else completed++;

    const entries = readDir(out);
    const index = entries.get(INDEX);
    const legacy = entries.get(LEGACY_INDEX);
    assert.ok(index !== undefined || legacy !== undefined, 'an index is always there once a run has completed');
    // While a 0.1 directory is migrated both may be there; together they list every file.
    const listed = new Set([index, legacy].flatMap((text) => (text === undefined ? [] : (JSON.parse(text) as { files: string[] }).files)));
    let fromA = 0;
    let fromB = 0;
    for (const [name, content] of entries) {
      if (name === INDEX || name === LEGACY_INDEX) continue;
      if (TEMP.test(name)) {
        assert.doesNotMatch(name, KUBECTL_READS, `kubectl would read the temporary file ${name}`);
        tempLeft++;
        continue;
      }
      assert.ok(!name.startsWith('.'), `unexpected hidden file ${name}`);
      const a = refs[0]?.get(name);
      const b = refs[1]?.get(name);
      assert.ok(content === a || content === b, `${name} is neither the old nor the new content (round ${round}, killed ${polls} polls into the writes):\n${content.slice(0, 300)}`);
      if (content === a) fromA++;
      else fromB++;
      const docs = parseAllDocuments(content);
      assert.ok(Array.isArray(docs) && docs.every((d) => d.errors.length === 0), `${name} parses`);
      assert.ok(listed.has(name), `${name} is listed in the index, so a later run can remove it`);
    }
    if (fromA > 0 && fromB > 0) mixed++;
    // Now and then: the directory as cfmesh 0.1 left it, same list under the old name.
    if (round % 4 === 3 && index !== undefined && legacy === undefined) {
      renameSync(join(out, INDEX), join(out, LEGACY_INDEX));
      migrations++;
    }
  }

  // The next run completes and cleans up: exactly the new set, no temporary files.
  const final = spawnConvert(dir, 'b.yml', ['--namespace', 'shop']);
  assert.equal((await final.done).code, 0);
  const entries = readDir(out);
  assert.deepEqual((JSON.parse(entries.get(INDEX) ?? '{}') as { files: string[] }).files, [...(refs[1]?.keys() ?? [])].sort());
  assert.ok(!entries.has(LEGACY_INDEX), 'the old index was replaced');
  entries.delete(INDEX);
  assert.deepEqual([...entries.keys()].sort(), [...(refs[1]?.keys() ?? [])].sort(), 'stale files removed, temporary files cleaned');
  for (const [name, content] of entries) assert.equal(content, refs[1]?.get(name));
  t.diagnostic(`${kills} kills, ${completed} runs completed, ${mixed} kills left a mix of old and new files, ${tempLeft} temporary files seen after kills, ${migrations} directories of 0.1 migrated under kills; ${refs[0]?.size} files`);
  assert.ok(kills >= 3, `only ${kills} kills landed`);
  assert.ok(tempLeft > 0, 'some kill landed while temporary files were there (mid-write)');
});

test('SIGKILL at random moments while -o DIR makes a new directory: DIR is absent or whole, and the next run removes what a killed one left', { timeout: 240_000 }, async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.yml'), manifest(0, 200, 1));
  // The same apps padded with a comment past STREAM_MIN_CHARS: its files are written by the writer
  // thread while the translation goes on (NewDirectoryStream); a.yml's after it.
  writeFileSync(join(dir, 'p.yml'), padPastStream(manifest(0, 200, 1)));
  const out = join(dir, 'out');
  const copies = () => readdirSync(dir).filter((n) => n.startsWith('.out.cfmesh-tmp-'));
  // What a whole run writes (the binary's: its index's memo records the binary's build and input).
  const wholes = new Map<string, Map<string, string>>();
  for (const file of ['a.yml', 'p.yml']) {
    const first = spawnConvert(dir, file, []);
    assert.equal((await first.done).code, 0);
    wholes.set(file, readDir(out));
    assert.ok((wholes.get(file)?.size ?? 0) > 200, `${wholes.get(file)?.size} files`);
    rmSync(out, { recursive: true });
  }

  // Files in a copy (0 when it is gone meanwhile). p.yml's copy exists from the start of its run, so
  // kills are placed once the run's own copy has files in it: while the files are being written.
  const filesIn = (copy: string) => {
    try {
      return readdirSync(join(dir, copy)).length;
    } catch {
      return 0;
    }
  };
  const writing = (pid: number) => copies().some((name) => name.includes(`-tmp-${pid}-`) && filesIn(name) > 0);
  let kills = 0;
  let absent = 0;
  let leftCopies = 0;
  const killedWriting = new Map<string, number>([
    ['a.yml', 0],
    ['p.yml', 0],
  ]);
  for (let round = 0; kills < KILLS && round < MAX_ROUNDS; round++) {
    const file = round % 2 === 0 ? 'a.yml' : 'p.yml';
    const expected = wholes.get(file);
    const { killed, polls } = await runKilledWhileWriting(dir, file, [], writing, NEW_DIR_KILL_CHANCE);
    if (killed) kills++;
    else assert.deepEqual(copies(), [], 'a run that completes leaves no temporary copy beside DIR');
    if (!existsSync(out)) absent++;
    else {
      // Whole: exactly the files of a completed run, byte for byte (the index and its memo included).
      assert.deepEqual(readDir(out), expected, `round ${round} (${file}): DIR exists but is not what a whole run writes (killed ${polls} polls into the writes)`);
      rmSync(out, { recursive: true });
    }
    leftCopies += copies().length;
    if (killed && copies().some((name) => filesIn(name) > 0)) killedWriting.set(file, (killedWriting.get(file) ?? 0) + 1);
  }
  const final = spawnConvert(dir, 'a.yml', []);
  assert.equal((await final.done).code, 0);
  assert.deepEqual(readDir(out), wholes.get('a.yml'));
  assert.deepEqual(copies(), [], "the killed runs' temporary copies were removed");
  t.diagnostic(`${kills} kills, ${absent} left no DIR, ${leftCopies} temporary copies seen after kills; kills while files were written: ${[...killedWriting].map(([f, n]) => `${f} ${n}`).join(', ')}`);
  assert.ok(kills >= 3, `only ${kills} kills landed`);
  // Both paths were killed while writing: after the translation (a.yml) and during it (p.yml).
  for (const [file, n] of killedWriting) assert.ok(n > 0, `no kill of a ${file} run landed while its copy was being written`);
});
