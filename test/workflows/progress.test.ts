// Progress of long work: a spinner with counts on a terminal (a pty made by util-linux `script`),
// nothing extra off a terminal, and none with NO_COLOR, --no-color or -q.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateManifest } from '../bench/generate.ts';
import { tempDir } from '../helpers/reliability.ts';
import { bin, cfmesh, cleanEnv, run } from './helpers.ts';

const SCRIPT = '/usr/bin/script';
const skip = existsSync(SCRIPT) ? undefined : `${SCRIPT} (util-linux) is not installed: no pseudo-terminal to test the spinner on`;

/** Runs `cfmesh ARGS` with stdin and stderr on a pseudo-terminal of 100 columns (stdout to /dev/null); returns what the terminal showed. */
async function onTerminal(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const command = `stty cols 100 rows 30; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${args.map((a) => JSON.stringify(a)).join(' ')} > /dev/null`;
  const result = await run(SCRIPT, ['-qefc', command, '/dev/null'], { cwd, env: cleanEnv({ NO_COLOR: undefined, CI: undefined, TERM: 'xterm-256color', ...env }) });
  return { ...result, screen: result.out.replace(/\r/g, '') };
}

test('convert -o DIR on a terminal: a spinner counts the files written; off a terminal only the summary line', { skip }, async () => {
  const work = tempDir('cfmesh-progress-');
  writeFileSync(join(work, 'manifest.yml'), generateManifest(150).text);
  const tty = await onTerminal(['convert', '-o', 'out'], work);
  assert.equal(tty.code, 0, tty.screen);
  const total = Number(/out: (\d+) written, 0 unchanged, 0 removed/.exec(tty.screen)?.[1]);
  assert.ok(total > 100, tty.screen);
  assert.match(tty.screen, new RegExp(`Writing out: ${total.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`), 'the last count is shown');
  assert.match(tty.screen, /Reading and translating manifest\.yml/);

  const piped = await cfmesh(['convert', '-o', 'out2'], { cwd: work });
  assert.equal(piped.code, 0, piped.err);
  assert.equal(piped.err, `out2: ${total} written, 0 unchanged, 0 removed\n`, 'nothing but the summary off a terminal');

  for (const quiet of [{ env: { NO_COLOR: '1' }, args: [] }, { env: {}, args: ['--no-color'] }, { env: {}, args: ['-q'] }]) {
    const plain = await onTerminal([...quiet.args, 'convert', '-o', 'out3'], work, quiet.env);
    assert.equal(plain.code, 0, plain.screen);
    assert.doesNotMatch(plain.screen, /Writing out3|Reading and translating/, `no spinner with ${JSON.stringify(quiet)}`);
  }
});

test('push of many apps: one summary line of app names, and a spinner on a terminal', { skip }, async () => {
  const work = tempDir('cfmesh-progress-');
  writeFileSync(join(work, 'manifest.yml'), generateManifest(300).text);
  const piped = await cfmesh(['--state', join(work, 'state-a'), 'push'], { cwd: work });
  assert.equal(piped.code, 0, piped.err);
  const lines = piped.err.split('\n');
  assert.equal(lines[0], 'Pushing 300 apps (app-000000, app-000001, app-000002, app-000003, app-000004, app-000005, app-000006, app-000007, app-000008, app-000009 and 290 more)...');
  assert.ok(lines.every((l) => l.length < 200), 'no line of every app name');
  assert.doesNotMatch(piped.err, /Applying 300 apps/, 'no spinner text off a terminal');

  const tty = await onTerminal(['--state', join(work, 'state-b'), 'push'], work);
  assert.equal(tty.code, 0, tty.screen);
  assert.ok(/Applying 300 apps/.test(tty.screen), tty.screen.slice(0, 2000));
  assert.ok(/Manifest applied\n(\x1b\[32m)?OK/.test(tty.screen), tty.screen.slice(0, 2000));
});
