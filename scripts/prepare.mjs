// npm's `prepare` script. npm runs it after `npm ci`/`npm install` in a checkout, after `prepack`
// in `npm pack`/`npm publish`, and for `npm install -g .` (a link to the checkout) before any
// dependency is installed. It builds dist/ when it can, and never fails an install that has a
// usable dist/:
//   - build tools there (esbuild and ajv resolve): build (scripts/build.mjs);
//   - pack/publish: prepack has just built; nothing to do;
//   - no build tools but dist/ built (an installed tarball, which ships dist/): nothing to do;
//   - no build tools, no dist/, in a checkout (`npm install -g .` on a fresh clone): install the
//     locked dependencies first (`npm ci --ignore-scripts`), as npm itself does for a git
//     dependency that has a prepare script, then build;
//   - anything else: say what to do, and fail.
// Shipped in the tarball (package.json "files") so an npm that runs `prepare` there finds it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What prepare does, from what it finds. Pure, so the test can go through every case. */
export function decide({ command, haveBuildTools, built, checkout }) {
  if (command === 'pack' || command === 'publish') return built ? 'nothing' : haveBuildTools ? 'build' : 'fail';
  if (haveBuildTools) return 'build';
  if (built) return 'nothing';
  if (checkout) return 'install-then-build';
  return 'fail';
}

function resolvable(name) {
  try {
    createRequire(join(root, 'package.json')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

function facts() {
  return {
    command: process.env.npm_command,
    haveBuildTools: resolvable('esbuild') && resolvable('ajv'),
    built: existsSync(join(root, 'dist', 'entry.cjs')) && existsSync(join(root, 'dist', 'cli.cjs')),
    checkout: existsSync(join(root, 'src', 'main.ts')) && existsSync(join(root, 'package-lock.json')),
  };
}

async function build() {
  await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href);
}

/** `npm ci --ignore-scripts` in the checkout, with none of the calling npm's settings (a -g install's `global`). */
function installLocked() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config_(global|location|prefix)|command|lifecycle_|package_)/i.test(key)));
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const result = spawnSync(cmd, [...args, 'ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, env, stdio: ['ignore', 2, 2] });
  return result.status === 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const found = facts();
  const action = decide(found);
  if (action === 'build') await build();
  else if (action === 'install-then-build') {
    process.stderr.write('cfmesh: the build tools are not installed; installing the locked dependencies (npm ci --ignore-scripts) to build dist/\n');
    if (!installLocked()) {
      process.stderr.write('cfmesh: npm ci failed; run `npm ci` in this directory, then install again\n');
      process.exit(1);
    }
    await build();
  } else if (action === 'fail') {
    process.stderr.write(
      'cfmesh: dist/ is not built and the build tools (the devDependencies) are not installed.\n' +
        'From a checkout: run `npm ci` (it installs them and builds), then `npm install -g .`; or `npm pack` there and install the tarball.\n',
    );
    process.exit(1);
  }
}
