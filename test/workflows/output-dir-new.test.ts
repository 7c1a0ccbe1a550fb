// `convert -o DIR` into a DIR that does not exist is written while the translation goes on
// (src/sinks/directory-sink.ts NewDirectoryStream); into an existing directory, file by file after it.
// Both must give the very same files and index, for every fixture that converts and both formats.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { STREAM_MIN_CHARS } from '../../src/cli/commands/convert.ts';
import { runCli, snapshotTree, tempDir } from '../helpers/reliability.ts';
import { padPastStream } from '../helpers/stream-padding.ts';
import { generateManifest } from '../bench/generate.ts';
import { cfmesh, cleanEnv } from './helpers.ts';

const fixtures = join(import.meta.dirname, '../../fixtures');

/**
 * The fixture as it is, and padded with a comment past STREAM_MIN_CHARS: a new DIR is then written
 * while the translation goes on (the same resources; a comment changes nothing else).
 */
function variants(manifest: string, work: string): [string, string][] {
  const padded = join(work, 'padded.yml');
  writeFileSync(padded, padPastStream(`${readFileSync(manifest, 'utf8')}\n`));
  return [
    ['as written', manifest],
    ['padded', padded],
  ];
}

test('convert -o NEW_DIR and -o EXISTING_EMPTY_DIR write the same files and index, fixture by fixture, yaml and json, streamed or not', async () => {
  let compared = 0;
  for (const name of readdirSync(fixtures).sort()) {
    const fixture = join(fixtures, name, 'manifest.yml');
    if (name.startsWith('invalid-') || !existsSync(fixture)) continue;
    // (JSON only streamed: the path after the translation is the sink's, compared in directory-sink.test.ts)
    for (const [variant, manifest] of variants(fixture, tempDir('cfmesh-newdir-')))
    for (const format of variant === 'padded' ? ['yaml', 'json'] : ['yaml']) {
      const work = tempDir('cfmesh-newdir-');
      mkdirSync(join(work, 'existing'));
      const fresh = await runCli(['convert', '-f', manifest, '--output', format, '-o', join(work, 'new')]);
      const existing = await runCli(['convert', '-f', manifest, '--output', format, '-o', join(work, 'existing')]);
      const what = `${name} (${variant}) ${format}`;
      assert.equal(fresh.exit, existing.exit, `${what}: exit codes\n${fresh.err}\n${existing.err}`);
      if (fresh.exit !== 0) continue;
      assert.deepEqual(snapshotTree(join(work, 'new')), snapshotTree(join(work, 'existing')), `${what}: the two directories differ`);
      assert.deepEqual(readdirSync(work).sort(), ['existing', 'new'], `${what}: nothing else is left beside DIR`);
      assert.equal(fresh.err.replace(/\/new:/, '/existing:'), existing.err, `${what}: the same report`);
      compared++;
    }
  }
  assert.ok(compared >= 30, `only ${compared} conversions compared`);
});

test('a refused manifest with -o NEW_DIR: the error as without -o, no DIR, and the temporary copy made at the start is gone', async () => {
  for (const name of ['invalid-unknown-app', 'invalid-mixed-weights', 'invalid-vars-missing']) {
    const work = tempDir('cfmesh-newdir-');
    const [, [, manifest]] = variants(join(fixtures, name, 'manifest.yml'), tempDir('cfmesh-newdir-')) as [unknown, [string, string]];
    const run = await runCli(['convert', '-f', manifest, '-o', join(work, 'out')]);
    const plain = await runCli(['convert', '-f', manifest]);
    assert.equal(run.exit, 1, `${name}: exit ${run.exit}\n${run.err}`);
    assert.equal(run.err, plain.err, `${name}: the same report as to stdout`);
    assert.deepEqual(readdirSync(work), [], `${name}: nothing is left`);
  }
});

test('a streamed new DIR is flushed while the writers finish, and synced once more after its last file: the last sync sees every file', async () => {
  // A `sync` first on PATH that logs what it was asked and how many entries the directory had then,
  // and runs the real one. The flush started when the translation ends (earlyFlush) guarantees
  // nothing; the sync that makes the copy durable (durable) must still come after the last file.
  const work = tempDir('cfmesh-newdir-');
  const real = spawnSync('sh', ['-c', 'command -v sync'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(real, 'sync is on PATH');
  const fake = join(work, 'bin');
  mkdirSync(fake);
  const log = join(work, 'sync.log');
  writeFileSync(join(fake, 'sync'), `#!/bin/sh\nn=$(ls -A "$2" | wc -l)\necho "$1 $2 $n" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(real)} "$@"\n`, { mode: 0o755 });
  const manifest = join(work, 'manifest.yml');
  writeFileSync(manifest, generateManifest(3000).text);
  assert.ok(readFileSync(manifest, 'utf8').length >= STREAM_MIN_CHARS, 'the manifest is streamed');
  const run = await cfmesh(['convert', '-f', manifest, '-o', join(work, 'out')], { env: cleanEnv({ PATH: `${fake}:${process.env['PATH'] ?? ''}` }) });
  assert.equal(run.code, 0, run.err);
  const files = readdirSync(join(work, 'out')).length;
  const syncs = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '));
  const ofCopy = syncs.filter(([flag, dir]) => flag === '-f' && /\/\.out\.cfmesh-tmp-[^/]+$/.test(dir ?? ''));
  assert.equal(ofCopy.length, 2, `the early flush and the sync before the commit, both of the copy: ${JSON.stringify(syncs)}`);
  assert.equal(Number(ofCopy[1]?.[2]), files, 'the last sync saw every file and the index');
});
