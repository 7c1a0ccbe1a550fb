// Runs the test suite with node's own runner (its summary is what CI reads). TypeScript tests load
// through test/loader/register.mjs (esbuild, cached). Arguments narrow the run: files or directories under test/.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--typecheck` (npm test) runs tsc beside the tests rather than before them (TypeScript 7, native: ~2 s, ~4 s of CPU).
const typecheck = process.argv.includes('--typecheck');
const targets = process.argv.slice(2).filter((a) => a !== '--typecheck');
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

// The files that take longest (wall time, measured on the 2-core machine) start first, so that the run
// does not end with one long file alone on a core; the rest keep their order. A file missing from the
// list only starts later.
const LONGEST = [
  'test/workflows/docs-examples.test.ts',
  'test/workflows/change-json.test.ts',
  'test/metrics/auto-promote.test.ts',
  'test/kube/cluster-state.test.ts',
  'test/completion/shells.test.ts',
  'test/core/yaml-direct.test.ts',
  'test/kube/gateway-api-cluster.test.ts',
  'test/hostile/hostile-input.test.ts',
  'test/kube/diff.test.ts',
  'test/state/crash.test.ts',
  'test/e2e/state-processes.test.ts',
  'test/reliability/secrets.test.ts',
  'test/core/atomic-write.test.ts',
  'test/reliability/crash-safety.test.ts',
  'test/workflows/output-dir-new.test.ts',
  'test/state/resource-changes.test.ts',
];
const rank = (f) => {
  const i = LONGEST.indexOf(f);
  return i === -1 ? LONGEST.length : i;
};
const files = (targets.length > 0 ? targets : ['test'])
  .flatMap((t) => collect(join(root, t), []))
  .map((f, i) => ({ f, i }))
  .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
  .map(({ f }) => f);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Files run side by side, one more than there are cores: node's default (cores - 1) runs them one at
// a time on a 2-core machine, and a file that waits (on Prometheus's scrapes, on kubectl, on child
// processes) would otherwise hold a core idle. Measured on the 2-core machine, quiet: 3m28s with 2
// at a time, 3m13s with 3; with the other core busy, 3 at a time still passes. TEST_CONCURRENCY
// overrides it (1 reproduces a serial run).
const concurrency = Number(process.env.TEST_CONCURRENCY) || availableParallelism() + 1;
function codeCache() {
  const dir = join(tmpdir(), `cfmesh-test-code-cache-${userInfo().uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
const exited = (child) => new Promise((done) => child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0))));
let tscOutput = '';
const tsc = typecheck ? spawn(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }) : undefined;
tsc?.stdout.on('data', (d) => (tscOutput += d));
tsc?.stderr.on('data', (d) => (tscOutput += d));
const loader = pathToFileURL(join(root, 'test', 'loader', 'register.mjs')).href;
const tests = spawn(process.execPath, ['--enable-source-maps', '--import', loader, '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  // One V8 code cache for the real binary across the suite (src/entry.ts: on Node 20 it keeps its own):
  // most tests give it a fresh HOME, where it would compile the bundle anew and write a cache no run
  // reads again, ~0.08 s of CPU per process for a few hundred processes. Tests of the cache set
  // their own CFMESH_COMPILE_CACHE.
  env: { ...process.env, NO_COLOR: process.env.NO_COLOR ?? '', CFMESH_COMPILE_CACHE: process.env.CFMESH_COMPILE_CACHE ?? codeCache() },
});
const [testStatus, tscStatus] = await Promise.all([exited(tests), tsc ? exited(tsc) : Promise.resolve(0)]);
if (tsc) {
  if (tscStatus !== 0) process.stderr.write(`\n✖ type-check (tsc -p tsconfig.json) failed:\n${tscOutput}`);
  else process.stdout.write('\n✔ type-check (tsc -p tsconfig.json)\n');
}
process.exit(testStatus !== 0 ? testStatus : tscStatus);
