// `convert -o DIR` into a DIR that does not exist is written while the translation goes on
// (src/sinks/directory-sink.ts NewDirectoryStream); into an existing directory, file by file after it.
// Both must give the very same files and index, for every fixture that converts and both formats.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, snapshotTree, tempDir } from '../helpers/reliability.ts';

const fixtures = join(import.meta.dirname, '../../fixtures');

test('convert -o NEW_DIR and -o EXISTING_EMPTY_DIR write the same files and index, fixture by fixture, yaml and json', async () => {
  let compared = 0;
  for (const name of readdirSync(fixtures).sort()) {
    const manifest = join(fixtures, name, 'manifest.yml');
    if (name.startsWith('invalid-') || !existsSync(manifest)) continue;
    for (const format of ['yaml', 'json']) {
      const work = tempDir('cfmesh-newdir-');
      mkdirSync(join(work, 'existing'));
      const fresh = await runCli(['convert', '-f', manifest, '--output', format, '-o', join(work, 'new')]);
      const existing = await runCli(['convert', '-f', manifest, '--output', format, '-o', join(work, 'existing')]);
      assert.equal(fresh.exit, existing.exit, `${name} ${format}: exit codes\n${fresh.err}\n${existing.err}`);
      if (fresh.exit !== 0) continue;
      assert.deepEqual(snapshotTree(join(work, 'new')), snapshotTree(join(work, 'existing')), `${name} ${format}: the two directories differ`);
      assert.deepEqual(readdirSync(work).sort(), ['existing', 'new'], `${name} ${format}: nothing else is left beside DIR`);
      assert.equal(fresh.err.replace(/\/new:/, '/existing:'), existing.err, `${name} ${format}: the same report`);
      compared++;
    }
  }
  assert.ok(compared >= 20, `only ${compared} conversions compared`);
});
