// The scripts of `cfmesh completion` in the real shells, calling the real binary on PATH:
// bash by sourcing the script and calling its function as bash's programmable completion does
// (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT in, COMPREPLY out); zsh by typing a line and a TAB
// into an interactive zsh on a pseudo-terminal (zsh/zpty) with compinit; fish with `complete -C`,
// its own way of asking what a line completes to. zsh and fish are tested where Debian's packages
// are installed (.ci/run installs them); elsewhere their tests are skipped, saying so.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers/reliability.ts';
import { cfmesh, run } from '../workflows/helpers.ts';
import { APPS, DOMAINS, pushedState, root, shell, shellEnv, shellVersion, shimDir } from './helpers.ts';

let state = '';
let shims = '';
let scripts: Record<string, string> = {};
let files = '';

before(async () => {
  state = await pushedState();
  shims = shimDir();
  const dir = tempDir('cfmesh-completion-scripts-');
  for (const name of ['bash', 'zsh', 'fish']) {
    const out = await cfmesh(['completion', name]);
    assert.equal(out.code, 0, out.err);
    assert.equal(out.err, '');
    writeFileSync(join(dir, `cfmesh.${name}`), out.out);
    scripts[name] = join(dir, `cfmesh.${name}`);
  }
  // a directory to complete file names in
  files = tempDir('cfmesh-completion-files-');
  mkdirSync(join(files, 'deploy dir'));
  for (const f of ['prod.yml', 'staging.yaml', 'notes.txt', 'deploy dir/app.yml']) writeFileSync(join(files, f), 'x: 1\n');
});

const env = () => shellEnv(shims, state);

// ---------------------------------------------------------------------------------------------
// bash

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * COMPREPLY for a line, with COMP_WORDS as bash 5.2 splits it: at blanks, and at = and : (in
 * COMP_WORDBREAKS) into words of their own (`--output=js` is `--output` `=` `js`; seen in an
 * interactive bash, where `--output=<TAB>` then completes what follows the `=`).
 */
async function bashComplete(words: string[], cwd = root): Promise<{ reply: string[]; err: string; code: number | null }> {
  const line = words.join(' ').replace(/ ?([=:]) ?/g, '$1');
  const script = [
    `source ${q(scripts['bash'] as string)}`,
    `COMP_WORDS=(${words.map(q).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${q(line)}`,
    'COMP_POINT=${#COMP_LINE}',
    '_cfmesh_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = await run(shell('bash').path ?? 'bash', ['--norc', '--noprofile', '-c', script], { cwd, env: env() });
  return { reply: r.out.split('\n').filter((l) => l !== ''), err: r.err, code: r.code };
}

describe('bash', { skip: shell('bash').missing }, () => {
  const cases: { name: string; words: string[]; reply: string[]; cwd?: () => string }[] = [
    { name: 'a command', words: ['cfmesh', 'upd'], reply: ['update-route'] },
    { name: 'apps and domains of the state', words: ['cfmesh', 'update-route', ''], reply: [...APPS, ...DOMAINS] },
    { name: 'apps by prefix', words: ['cfmesh', 'update-route', 'rev'], reply: ['reviews-v1', 'reviews-v2'] },
    { name: 'hosts of a domain', words: ['cfmesh', 'update-route', 'reviews-v1', 'example.com', '--hostname', ''], reply: ['reviews', 'shop'] },
    { name: 'a flag', words: ['cfmesh', 'update-route', 'x', '--wei'], reply: ['--weight'] },
    { name: 'a flag value', words: ['cfmesh', 'convert', '--istio-api', 'v1'], reply: ['v1', 'v1beta1', 'v1alpha3'] },
    // bash replaces what follows the = only: the reply is the value
    { name: '--flag=value', words: ['cfmesh', 'convert', '--output', '=', 'js'], reply: ['json'] },
    { name: '--flag= with nothing after', words: ['cfmesh', 'validate', '--output', '='], reply: ['text', 'json', 'github', 'sarif', 'junit'] },
    { name: 'APP=WEIGHT', words: ['cfmesh', 'update-route', 'example.com', '--destination', 'reviews-v'], reply: ['reviews-v1=', 'reviews-v2='] },
    { name: 'manifest files: yml and yaml, and directories', words: ['cfmesh', 'convert', '-f', ''], reply: ['deploy dir', 'prod.yml', 'staging.yaml'], cwd: () => files },
    { name: 'a file in a directory', words: ['cfmesh', 'validate', 'deploy dir/'], reply: ['deploy dir/app.yml'], cwd: () => files },
    { name: 'directories for --state', words: ['cfmesh', '--state', ''], reply: ['deploy dir'], cwd: () => files },
    { name: 'any file for --kubeconfig', words: ['cfmesh', 'convert', '--kubeconfig', 'n'], reply: ['notes.txt'], cwd: () => files },
    { name: 'nothing where nothing fits (and no file names)', words: ['cfmesh', 'routes', ''], reply: [] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await bashComplete(c.words, c.cwd?.());
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '', 'nothing printed into the shell');
      assert.deepEqual([...r.reply].sort(), [...c.reply].sort());
    });
  }

  test('an error inside cfmesh prints nothing into the shell and offers nothing', async () => {
    const broken = tempDir('cfmesh-broken-state-');
    writeFileSync(join(broken, 'state.json'), '{"version":1,\n"apps":{\n');
    const r = await bashComplete(['cfmesh', '--state', broken, 'delete', '']);
    assert.deepEqual([r.code, r.err, r.reply], [0, '', []]);
    // a cfmesh that is not there, or fails, leaves the shell as it was
    const gone = await run('bash', ['--norc', '-c', `source ${q(scripts['bash'] as string)}; COMP_WORDS=(/no/such/cfmesh up); COMP_CWORD=1; COMP_LINE='/no/such/cfmesh up'; COMP_POINT=18; _cfmesh_complete; echo "rc=$? n=\${#COMPREPLY[@]}"`], { env: env() });
    assert.deepEqual([gone.out, gone.err], ['rc=0 n=0\n', '']);
  });

  test('the script loads in a non-interactive shell too (the README\'s source line)', async () => {
    const r = await run('bash', ['--norc', '-c', 'source <(cfmesh completion bash) && complete -p cfmesh'], { env: env() });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'complete -F _cfmesh_complete cfmesh\n');
  });
});

// ---------------------------------------------------------------------------------------------
// zsh

async function zshMatches(line: string, cwd = root): Promise<string[]> {
  const r = await run(shell('zsh').path as string, ['-f', join(import.meta.dirname, 'zsh-capture.zsh'), scripts['zsh'] as string, line], { cwd, env: env() });
  assert.equal(r.code, 0, `zsh-capture: ${r.err}`);
  return r.out.split('\n').filter((l) => l !== '');
}

describe('zsh', { skip: shell('zsh').missing }, () => {
  before(() => {
    const v = shellVersion(shell('zsh').path as string);
    assert.match(v, /^zsh \d/);
  });
  const cases: { name: string; line: string; matches: string[]; cwd?: () => string; subset?: boolean }[] = [
    { name: 'a command', line: 'cfmesh upd', matches: ['update-route'] },
    { name: 'apps and domains of the state', line: 'cfmesh update-route ', matches: [...APPS, ...DOMAINS] },
    { name: 'hosts of a domain', line: 'cfmesh unmap-route shop example.com --hostname ', matches: ['reviews', 'shop'] },
    { name: '--flag=value', line: 'cfmesh convert --output=j', matches: ['json'] },
    { name: 'a flag value', line: 'cfmesh convert --mtls ', matches: ['off', 'strict', 'istio-mutual'] },
    { name: 'APP=WEIGHT', line: 'cfmesh update-route example.com --destination reviews-v', matches: ['reviews-v1=', 'reviews-v2='] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const matches = await zshMatches(c.line, c.cwd?.());
      assert.deepEqual([...new Set(matches)].sort(), [...c.matches].sort());
    });
  }
  test('manifest files: yml and yaml (and directories), not other files', async () => {
    const matches = await zshMatches('cfmesh convert -f ', files);
    for (const f of ['prod.yml', 'staging.yaml']) assert.ok(matches.includes(f), `${f} in ${matches.join(', ')}`);
    assert.ok(!matches.includes('notes.txt'), matches.join(', '));
    const dirs = await zshMatches('cfmesh --state ', files);
    // as zsh inserts it: quoted
    assert.ok(dirs.includes('deploy\\ dir'), dirs.join(', '));
    assert.ok(!dirs.includes('prod.yml'), dirs.join(', '));
  });
});

// ---------------------------------------------------------------------------------------------
// fish

async function fishComplete(line: string, cwd = root): Promise<{ values: string[]; raw: string }> {
  const r = await run(shell('fish').path as string, ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scripts['fish'] as string, line], { cwd, env: env() });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '', 'nothing printed into the shell');
  return { values: r.out.split('\n').filter(Boolean).map((l) => l.split('\t')[0] as string), raw: r.out };
}

describe('fish', { skip: shell('fish').missing }, () => {
  const cases: { name: string; line: string; values: string[]; cwd?: () => string }[] = [
    { name: 'a command', line: 'cfmesh upd', values: ['update-route'] },
    { name: 'apps and domains of the state', line: 'cfmesh update-route ', values: [...APPS, ...DOMAINS] },
    { name: 'hosts of a domain', line: 'cfmesh route example.com --hostname ', values: ['reviews', 'shop'] },
    // fish wants the whole word: the script puts --flag= back in front
    { name: '--flag=value', line: 'cfmesh validate --output=s', values: ['--output=sarif'] },
    { name: 'a flag value', line: 'cfmesh push --strategy ', values: ['rolling', 'canary'] },
    { name: 'manifest files: yml and yaml, and directories', line: 'cfmesh convert -f ', values: ['deploy dir/', 'prod.yml', 'staging.yaml'], cwd: () => files },
    { name: 'directories for --output-dir', line: 'cfmesh convert -o ', values: ['deploy dir/'], cwd: () => files },
    { name: 'nothing where nothing fits', line: 'cfmesh routes ', values: [] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await fishComplete(c.line, c.cwd?.());
      assert.deepEqual([...r.values].sort(), [...c.values].sort(), r.raw);
    });
  }
  test('descriptions come along', async () => {
    const r = await fishComplete('cfmesh create-route ');
    assert.match(r.raw, /^example\.com\tdomain, 3 routes$/m);
  });
});
