// What a cf or kubectl user types first: manifests found as cf finds them, cf's push flags, the
// version flags, and clear refusals where a flag means something else here.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MULTI_APP_FLAGS_MESSAGE } from '../../src/app/push.ts';
import { VERSION as SOURCE_VERSION } from '../../src/cli/version.ts';
import { runCli, tempDir } from '../helpers/reliability.ts';
import { cfmesh, root } from './helpers.ts';

const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const TWO_APPS = readFileSync(join(root, 'fixtures', 'proposal-90-10', 'manifest.yml'), 'utf8');
const EXPECTED = readFileSync(join(root, 'fixtures', 'proposal-90-10', 'expected.yaml'), 'utf8');

test('the version: cfmesh -v, --version, -V and cfmesh version (cf has -v and `cf version`)', async () => {
  for (const args of [['-v'], ['--version'], ['-V'], ['version']]) {
    const run = await cfmesh(args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.err}`);
    assert.equal(run.out, `${VERSION}\n`, args.join(' '));
    // in-process the version is the source's (the build defines the package's)
    const inProcess = await runCli(args);
    assert.deepEqual([inProcess.exit, inProcess.out], [0, `${SOURCE_VERSION}\n`], `in-process ${args.join(' ')}`);
  }
});

test('manifests as cf finds them: a positional file is -f, and no file means ./manifest.yml, else ./manifest.yaml', async () => {
  const cases = [
    { name: 'positional', files: { 'm.yml': TWO_APPS }, argv: ['convert', 'm.yml'], exit: 0 },
    { name: 'positional and -f', files: { 'a.yml': 'applications:\n- name: reviews-v1\n', 'b.yml': TWO_APPS.replace(/^- name: reviews-v1\n(  .*\n)*/m, '') }, argv: ['convert', 'a.yml', '-f', 'b.yml'], exit: 0 },
    { name: 'bare convert reads manifest.yml', files: { 'manifest.yml': TWO_APPS, 'manifest.yaml': 'not: [valid' }, argv: ['convert'], exit: 0 },
    { name: 'then manifest.yaml', files: { 'manifest.yaml': TWO_APPS }, argv: ['convert'], exit: 0 },
    { name: 'validate too', files: { 'manifest.yml': TWO_APPS }, argv: ['validate'], exit: 0 },
    { name: 'validate positional', files: { 'x.yml': TWO_APPS }, argv: ['validate', 'x.yml', '--json'], exit: 0 },
    { name: 'nothing to read', files: {}, argv: ['convert'], exit: 2 },
    { name: 'nothing to read, validate', files: {}, argv: ['validate'], exit: 2 },
  ];
  for (const c of cases) {
    const dir = tempDir('cfmesh-habits-');
    for (const [name, text] of Object.entries(c.files)) writeFileSync(join(dir, name), text);
    const run = await runCli(c.argv, { cwd: dir });
    assert.equal(run.exit, c.exit, `${c.name}: ${run.err}`);
    if (c.exit === 2) assert.match(run.err, /error USAGE no manifest given, and there is no manifest\.yml or manifest\.yaml in the current directory/, c.name);
    if (c.exit === 0 && c.argv[0] === 'convert') assert.equal(run.out, EXPECTED, c.name);
    if (c.argv.includes('--json')) assert.equal((JSON.parse(run.out) as { valid: boolean }).valid, true);
  }
  const dir = tempDir('cfmesh-habits-');
  writeFileSync(join(dir, 'manifest.yaml'), TWO_APPS);
  const push = await runCli(['--state', join(dir, 'state'), 'push'], { cwd: dir });
  assert.equal(push.exit, 0, push.err);
  assert.match(push.err, /Applying manifest file manifest\.yaml\.\.\./);
});

test('refusals that say what the flag means here', async () => {
  const dir = tempDir('cfmesh-habits-');
  writeFileSync(join(dir, 'manifest.yml'), TWO_APPS);
  const cases = [
    // --json is the report of a control-plane delivery; the configuration's format is --output
    { argv: ['convert', '--json'], message: /error USAGE --json is the delivery report of --target kubernetes/, hint: /hint: for the configuration as JSON use --output json/ },
    { argv: ['convert', '-o', 'out', '--json'], message: /error USAGE --json is the delivery report/, hint: /--output json/ },
    // -o is cf's route option on update-route: a path there was meant as a directory
    { argv: ['update-route', 'example.com', '--hostname', 'reviews', '-o', 'out/'], message: /error USAGE Route option 'out\/' for route with host 'reviews'/, hint: /hint: -o is cf's route option \(-o KEY=VALUE\) on map-route, create-route and update-route; to write files into out\/ use --output-dir out\// },
    { argv: ['push', '--strategy', 'canary', '--instance-steps', '10,5'], message: /error USAGE Incorrect Usage: invalid argument for flag '--instance-steps'/, hint: /ascending percentages/ },
    { argv: ['push', '--instance-steps', '10'], message: /error USAGE Incorrect Usage: The following arguments cannot be used together: --instance-steps, --strategy=rolling or --strategy not provided/, hint: /--strategy canary/ },
    { argv: ['push', '--strategy', 'canary', '--no-start'], message: /error USAGE Incorrect Usage: The following arguments cannot be used together: --no-start, --strategy=canary/, hint: /./ },
    { argv: ['push', '--strategy', 'blue-green'], message: /error USAGE Incorrect Usage: STRATEGY must be "canary", "rolling" or not set/, hint: /./ },
    { argv: ['push', '--strategy', 'rolling', '--no-start'], message: /error USAGE Incorrect Usage: The following arguments cannot be used together: --no-start, --strategy=rolling/, hint: /./ },
    { argv: ['push', '-i', '2'], message: new RegExp(`error USAGE ${MULTI_APP_FLAGS_MESSAGE.replace(/[().]/g, '\\$&')}`), hint: /./ },
    { argv: ['push', 'reviews-v1', '-i', 'two'], message: /error USAGE Incorrect Usage: invalid argument for flag '-i'/, hint: /./ },
    { argv: ['push', 'reviews-v1', '-m', '512'], message: /error USAGE Incorrect Usage: invalid argument for flag '-m'/, hint: /./ },
  ];
  for (const c of cases) {
    const run = await runCli(['--state', join(dir, 'state'), ...c.argv], { cwd: dir });
    assert.equal(run.exit, 2, `${c.argv.join(' ')}: ${run.err}`);
    assert.match(run.err, c.message, c.argv.join(' '));
    assert.match(run.err, c.hint, c.argv.join(' '));
    assert.doesNotMatch(run.err, /Did you mean --state/, c.argv.join(' '));
    assert.equal(run.out, '');
  }
});

test('push -i N sets web instances as cf push does (the web process when there is one), and instances split unweighted routes', async () => {
  const dir = tempDir('cfmesh-habits-');
  const state = ['--state', join(dir, 'state')];
  writeFileSync(join(dir, 'a.yml'), 'applications:\n- name: a\n  routes: [{route: shared.example.com}]\n');
  writeFileSync(join(dir, 'b.yml'), 'applications:\n- name: b\n  instances: 5\n  processes: [{type: web, instances: 1}, {type: worker, instances: 2}]\n  routes: [{route: shared.example.com}]\n');
  assert.equal((await runCli([...state, 'push', '-f', 'a.yml', '-i', '3', '-m', '1G'], { cwd: dir })).exit, 0);
  const b = await runCli([...state, 'push', '-f', 'b.yml'], { cwd: dir });
  assert.equal(b.exit, 0, b.err);
  const shares = async () => {
    const routes = JSON.parse((await runCli([...state, 'routes', '--json'], { cwd: dir })).out) as { url: string; destinations: { app: string; weight: number }[] }[];
    return routes.find((r) => r.url === 'shared.example.com')?.destinations.map((d) => `${d.app}=${d.weight}`);
  };
  assert.deepEqual(await shares(), ['a=75', 'b=25'], 'a has 3 instances, b 1 (its web process)');
  // -i on an app with a web process sets that process, as cf does; the app-level 5 never counted
  const scaled = await runCli([...state, 'push', '-f', 'b.yml', '-i', '9'], { cwd: dir });
  assert.equal(scaled.exit, 0, scaled.err);
  assert.deepEqual(await shares(), ['a=25', 'b=75']);
  const apps = JSON.parse((await runCli([...state, 'apps', '--json'], { cwd: dir })).out) as { name: string; instances: number }[];
  assert.deepEqual(apps.map((a) => [a.name, a.instances]), [['a', 3], ['b', 9]]);
  const stored = readFileSync(join(dir, 'state', 'state.json'), 'utf8');
  assert.match(stored, /"memory":"1G"/, '-m is recorded with the app');
  assert.match(stored, /"processes":\[\{"instances":9,"type":"web"\},\{"instances":2,"type":"worker"\}\]|"type":"web"[^}]*"instances":9|"instances":9[^}]*"type":"web"/);
});

test('push --no-start is accepted and says what it means; push --dry-run does not say the manifest was applied', async () => {
  const dir = tempDir('cfmesh-habits-');
  writeFileSync(join(dir, 'manifest.yml'), TWO_APPS);
  const state = ['--state', join(dir, 'state')];
  const dry = await runCli([...state, 'push', '--dry-run'], { cwd: dir });
  assert.equal(dry.exit, 0, dry.err);
  assert.doesNotMatch(dry.err, /Manifest applied/);
  assert.match(dry.err, /Dry run: nothing was written\./);
  const noStart = await runCli([...state, 'push', '--no-start'], { cwd: dir });
  assert.equal(noStart.exit, 0, noStart.err);
  assert.match(noStart.err, /--no-start: cfmesh runs no app instances, so there is nothing to stage or start/);
  assert.match(noStart.err, /Manifest applied/);
  const routes = JSON.parse((await runCli([...state, 'routes', '--json'], { cwd: dir })).out) as unknown[];
  assert.equal(routes.length, 1);
});
