// `convert -o DIR` on a directory that is already up to date skips the conversion (src/app/output-memo.ts,
// docs/adr/0018): through the real binary, since only the bundle keys a memo on its own code. Each
// test checks both halves: an unchanged run takes the memo and prints what a full run prints, and
// every change to what the files depend on (or to the files) does the whole work again, leaving DIR
// as a conversion into an empty directory leaves it.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { INDEX_FILE, LEGACY_INDEX_FILE } from '../../src/sinks/directory-sink.ts';
import { tempDir } from '../helpers/reliability.ts';
import { cfmesh, cleanEnv, run } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'fixtures');
const TAKEN = /nothing translated/;

/** The files of a directory, index left out, name → bytes. */
function tree(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((n) => n !== INDEX_FILE)
      .sort()
      .map((n) => [n, readFileSync(join(dir, n), 'utf8')]),
  );
}

/** Runs `convert ARGS -o out --verbose` in `cwd` (with another build's bin when given); the verbose lines say whether the memo was taken. */
async function convert(cwd: string, args: readonly string[], otherBin?: string) {
  const argv = ['convert', ...args, '-o', 'out', '--verbose'];
  const r = otherBin ? await run(process.execPath, [otherBin, ...argv], { cwd, env: cleanEnv() }) : await cfmesh(argv, { cwd });
  assert.equal(r.code, 0, r.err);
  return { ...r, taken: TAKEN.test(r.err), quiet: r.err.split('\n').filter((l) => !l.startsWith('debug:')).join('\n') };
}

/** What a conversion into an empty directory writes. */
async function fresh(cwd: string, args: readonly string[]): Promise<Map<string, string>> {
  const dir = join(cwd, 'fresh');
  rmSync(dir, { recursive: true, force: true });
  const r = await cfmesh(['convert', ...args, '-o', 'fresh'], { cwd });
  assert.equal(r.code, 0, r.err);
  return tree(dir);
}

function workspace(fixture: string): string {
  const dir = tempDir('cfmesh-memo-');
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

describe('convert -o DIR on an up-to-date directory', { concurrency: true }, () => {
  test('an unchanged run takes the memo: every file unchanged, the same warnings, in every report format', async (t) => {
    const dir = workspace('legacy-keys');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = await convert(dir, ['-f', 'manifest.yml']);
    assert.equal(first.taken, false, 'an empty directory has no memo');
    assert.match(first.quiet, /warning LEGACY_KEY/);
    const second = await convert(dir, ['-f', 'manifest.yml']);
    assert.equal(second.taken, true, second.err);
    assert.match(second.quiet, /out: 0 written, 3 unchanged, 0 removed/);
    // What a full run prints on the same up-to-date directory: the index without its memo.
    const index = JSON.parse(readFileSync(join(dir, 'out', INDEX_FILE), 'utf8')) as { memo?: unknown };
    assert.ok(index.memo, 'a finished run records its memo');
    for (const extra of [[], ['--report', 'github']]) {
      const taken = await convert(dir, ['-f', 'manifest.yml', ...extra]);
      assert.equal(taken.taken, true);
      const { memo: _, ...bare } = JSON.parse(readFileSync(join(dir, 'out', INDEX_FILE), 'utf8')) as { memo?: unknown };
      writeFileSync(join(dir, 'out', INDEX_FILE), JSON.stringify(bare));
      const full = await convert(dir, ['-f', 'manifest.yml', ...extra]);
      assert.equal(full.taken, false);
      assert.equal(taken.quiet, full.quiet, `the memo prints what the conversion prints (${extra.join(' ') || 'text'})`);
      assert.equal(taken.out, full.out);
    }
    assert.deepEqual(tree(join(dir, 'out')), await fresh(dir, ['-f', 'manifest.yml']));
  });

  test('a change to the manifest, a vars file, a --var, an option or the format does the whole conversion again', async (t) => {
    const dir = workspace('vars-file-and-flag');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const base = ['-f', 'manifest.yml', '--vars-file', 'vars.yml'];
    assert.equal((await convert(dir, base)).taken, false);
    assert.equal((await convert(dir, base)).taken, true);
    const text = (name: string) => readFileSync(join(dir, name), 'utf8');
    const edit = (name: string, change: (text: string) => string) => {
      const before = text(name);
      writeFileSync(join(dir, name), change(before));
      return () => writeFileSync(join(dir, name), before);
    };
    // Each is checked with --dry-run, which converts and compares but writes nothing, so DIR keeps
    // the memo of the base arguments for the next; each edit is undone after its check.
    const variants: { what: string; args: string[]; edit?: () => () => void }[] = [
      { what: '--var', args: [...base, '--var', 'major=2'] },
      { what: '--namespace', args: [...base, '--namespace', 'other'] },
      { what: '--output json', args: [...base, '--output', 'json'] },
      { what: '--api gateway-api', args: [...base, '--api', 'gateway-api'] },
      { what: 'the vars file', args: base, edit: () => edit('vars.yml', (v) => `${v}unused: 1\n`) },
      { what: 'the manifest (only a comment)', args: base, edit: () => edit('manifest.yml', (m) => `${m}# a comment\n`) },
      { what: 'the manifest', args: base, edit: () => edit('manifest.yml', (m) => m.replace('((app))', '((app))-two')) },
    ];
    for (const v of variants) {
      const undo = v.edit?.();
      const r = await convert(dir, [...v.args, '--dry-run']);
      undo?.();
      assert.equal(r.taken, false, `${v.what}: ${r.err}`);
    }
    assert.equal((await convert(dir, base)).taken, true, 'the base memo is still there');
    // A full run of a variant replaces DIR with exactly its files, and the next run takes its memo.
    const other = [...base, '--var', 'app=renamed'];
    assert.equal((await convert(dir, other)).taken, false);
    assert.deepEqual(tree(join(dir, 'out')), await fresh(dir, other));
    assert.equal((await convert(dir, other)).taken, true);
  });

  test('a file of DIR edited, removed or replaced by a symlink since, or a cfmesh 0.1 index beside it: the whole work, and DIR repaired', async (t) => {
    const dir = workspace('proposal-90-10');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const args = ['-f', 'manifest.yml'];
    await convert(dir, args);
    const expected = await fresh(dir, args);
    const out = join(dir, 'out');
    const name = [...expected.keys()].find((n) => n.startsWith('virtualservice-')) as string;
    const damage: { what: string; apply: () => void }[] = [
      { what: 'edited', apply: () => writeFileSync(join(out, name), expected.get(name)?.replace('weight: 90', 'weight: 91') ?? '') },
      { what: 'removed', apply: () => unlinkSync(join(out, name)) },
      {
        what: 'a symlink to the same bytes',
        apply: () => {
          writeFileSync(join(dir, 'elsewhere.yaml'), expected.get(name) ?? '');
          unlinkSync(join(out, name));
          symlinkSync(join(dir, 'elsewhere.yaml'), join(out, name));
        },
      },
      { what: 'a cfmesh 0.1 index', apply: () => writeFileSync(join(out, LEGACY_INDEX_FILE), JSON.stringify({ generator: 'cfmesh', version: 1, files: [] })) },
    ];
    for (const d of damage) {
      assert.equal((await convert(dir, args)).taken, true, `before ${d.what}`);
      d.apply();
      const r = await convert(dir, args);
      assert.equal(r.taken, false, `${d.what}: ${r.err}`);
      assert.deepEqual(tree(out), expected, d.what);
    }
  });

  test('another build of cfmesh never takes a memo this one wrote, whatever its version says; the same bytes elsewhere do', async (t) => {
    const dir = workspace('proposal-90-10');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const copy = (label: string) => {
      const pkg = join(dir, label);
      mkdirSync(pkg);
      for (const part of ['bin', 'dist', 'schemas', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
      return pkg;
    };
    const same = copy('same');
    const other = copy('other');
    appendFileSync(join(other, 'dist', 'cli.cjs'), '\n// another build\n');
    const args = ['-f', 'manifest.yml'];
    await convert(dir, args);
    assert.equal((await convert(dir, args, join(same, 'bin', 'cfmesh.js'))).taken, true, 'the same bundle at another path');
    const r = await convert(dir, args, join(other, 'bin', 'cfmesh.js'));
    assert.equal(r.taken, false, r.err);
    assert.match(r.quiet, /out: 0 written, 2 unchanged, 0 removed/);
    assert.equal((await convert(dir, args)).taken, false, 'the other build wrote its own memo');
  });
});
