// `cfmesh version --json` (and `-v --json`): cfmesh's, Node's, the default Istio API's and the state's versions.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STATE_VERSION } from '../../src/state/types.ts';
import { runCli, tempDir } from '../helpers/reliability.ts';
import { cfmesh, cleanEnv, root } from './helpers.ts';

const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface VersionJson {
  version: string;
  node: string;
  istioApiVersion: string;
  stateVersion: number;
  state: { path: string | null; version: number | null };
}

test('version --json, -v --json, --version --json and --json -v give the same report through the real binary', async () => {
  const home = tempDir('cfmesh-version-');
  const env = cleanEnv({ CFMESH_HOME: join(home, 'state') });
  const outs: string[] = [];
  for (const args of [['version', '--json'], ['-v', '--json'], ['--version', '--json'], ['--json', '-v'], ['-V', '--json']]) {
    const run = await cfmesh(args, { env });
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.err}`);
    assert.equal(run.err, '');
    outs.push(run.out);
  }
  assert.equal(new Set(outs).size, 1, 'the same bytes each way');
  const report = JSON.parse(outs[0] as string) as VersionJson;
  assert.deepEqual(Object.keys(report), ['version', 'node', 'istioApiVersion', 'stateVersion', 'state']);
  assert.equal(report.version, VERSION);
  assert.equal(report.node, process.version, 'the Node.js that runs it');
  assert.equal(report.istioApiVersion, 'v1');
  assert.equal(report.stateVersion, STATE_VERSION);
  assert.deepEqual(report.state, { path: join(home, 'state', 'state.json'), version: null }, 'no state yet');
  // plain -v and version are unchanged
  for (const args of [['-v'], ['version']]) assert.equal((await cfmesh(args, { env })).out, `${VERSION}\n`);
});

test('the state version is the one the file declares, read from its first bytes; a broken state is no error', async () => {
  const dir = tempDir('cfmesh-version-state-');
  writeFileSync(join(dir, 'm.yml'), 'applications:\n- name: a\n');
  const state = join(dir, 'state');
  assert.equal((await runCli(['--state', state, 'push', '-f', 'm.yml'], { cwd: dir })).exit, 0);
  const cases: { name: string; make: () => void; version: number | null }[] = [
    { name: 'written by push', make: () => {}, version: STATE_VERSION },
    { name: 'from a newer cfmesh', make: () => writeFileSync(join(state, 'state.json'), '{"version":7,"apps":{}}'), version: 7 },
    { name: 'compact and spaced', make: () => writeFileSync(join(state, 'state.json'), ' { "version" : 1 , "apps": {}}'), version: 1 },
    { name: 'not JSON', make: () => writeFileSync(join(state, 'state.json'), 'garbage'), version: null },
    { name: 'version not first', make: () => writeFileSync(join(state, 'state.json'), '{"apps":{},"version":1}'), version: null },
  ];
  for (const c of cases) {
    c.make();
    const run = await runCli(['--state', state, 'version', '--json']);
    assert.equal(run.exit, 0, `${c.name}: ${run.err}`);
    assert.equal(run.err, '');
    assert.deepEqual((JSON.parse(run.out) as VersionJson).state, { path: join(state, 'state.json'), version: c.version }, c.name);
  }
  const asDir = tempDir('cfmesh-version-dir-');
  mkdirSync(join(asDir, 'state.json'));
  const run = await runCli(['--state', asDir, 'version', '--json']);
  assert.deepEqual([run.exit, (JSON.parse(run.out) as VersionJson).state.version], [0, null], 'state.json is a directory');
});
