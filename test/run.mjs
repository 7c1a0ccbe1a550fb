// Runs the test suite with node's own runner (its summary is what CI reads). TypeScript tests load
// through tsx. Arguments narrow the run: files or directories under test/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const targets = process.argv.slice(2);
const skipDirs = new Set(['fixtures', 'bench', 'node_modules']);

function collect(path, out) {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (skipDirs.has(entry) && targets.length === 0) continue;
      collect(join(path, entry), out);
    }
  } else if (/\.test\.ts$/.test(path)) out.push(relative(root, path));
  return out;
}

const files = (targets.length > 0 ? targets : ['test']).flatMap((t) => collect(join(root, t), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NO_COLOR: process.env.NO_COLOR ?? '' },
});
process.exit(result.status ?? 1);
