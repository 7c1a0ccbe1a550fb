// The binary's first module: answers --version (-v, -V, version) without loading anything else, then hands over.
// Built as dist/entry.cjs (CommonJS); `./main.ts` is dist/cli.cjs there. No top-level await.
declare const CFMESH_VERSION: string;

let argv = process.argv.slice(2);
const isVersion = (a: string | undefined) => a === '--version' || a === '-v' || a === '-V' || a === 'version';
// `-v` and `version` as cf has them; `-V` as commander's default had it.
if (argv.length === 1 && isVersion(argv[0])) {
  process.stdout.write(`${CFMESH_VERSION}\n`);
} else {
  // `cfmesh -v --json` is `cfmesh version --json` (commander would answer -v before seeing --json)
  if (argv.length === 2 && argv.includes('--json') && isVersion(argv.find((a) => a !== '--json'))) argv = ['version', '--json'];
  const cli = loadWithCodeCache();
  if (cli) void cli.run(argv);
  else void import('./main.ts').then(({ run }) => run(argv));
}

/**
 * Node 20 has no compile cache (module.enableCompileCache is Node 22+, which bin/cfmesh.js turns
 * on), so on Node 20 dist/cli.cjs is compiled through vm.Script with a V8 code cache of our own:
 * parsing and compiling the bundle and the functions a command runs is most of what cfmesh adds
 * to Node's start-up. The cache is written at exit when there was none (or V8 rejected it), so it
 * holds the functions that command compiled; one file per command, keyed by cfmesh and Node
 * version, architecture and the bundle's size and mtime (V8 itself only checks the source length).
 * It lives in a per-user directory (mode 0700, must be ours). CFMESH_COMPILE_CACHE=DIR moves it,
 * CFMESH_COMPILE_CACHE=0 turns it off. Any problem means compiling as usual (returns undefined).
 */
function loadWithCodeCache(): { run(argv: readonly string[]): Promise<void> } | undefined {
  const setting = process.env['CFMESH_COMPILE_CACHE'];
  if (setting === '0' || setting === 'off') return undefined;
  const nodeModule = process.getBuiltinModule('node:module');
  if (typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function') return undefined;
  const fs = process.getBuiltinModule('node:fs');
  const path = process.getBuiltinModule('node:path');
  try {
    const dir = setting || defaultCacheDir(path);
    if (!dir) return undefined;
    const file = path.join(__dirname, 'cli.cjs');
    const stat = fs.statSync(file);
    const command = /^[a-z][a-z-]{0,30}$/.test(argv[0] ?? '') ? argv[0] : 'other';
    const build = `${CFMESH_VERSION}-${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}`;
    const cacheFile = path.join(dir, `cli-${build}-${command}.v8cache`);
    let cached: Buffer | undefined;
    try {
      if (ours(fs, dir)) cached = fs.readFileSync(cacheFile);
    } catch {
      cached = undefined;
    }
    const vm = process.getBuiltinModule('node:vm');
    const script = new vm.Script(nodeModule.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: cached });
    const mod = { exports: {} as Record<string, unknown> };
    const requireFromBundle = nodeModule.createRequire(file);
    (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, requireFromBundle, mod, file, path.dirname(file));
    if (cached === undefined || script.cachedDataRejected === true) {
      process.once('exit', () => saveCache(fs, path, dir, cacheFile, `cli-${build}-`, () => script.createCachedData()));
    }
    return mod.exports as unknown as { run(argv: readonly string[]): Promise<void> };
  } catch {
    return undefined;
  }
}

function defaultCacheDir(path: typeof import('node:path')): string | undefined {
  const env = process.env;
  if (process.platform === 'win32') return env['LOCALAPPDATA'] ? path.join(env['LOCALAPPDATA'], 'cfmesh', 'Cache') : undefined;
  if (process.platform === 'darwin') return env['HOME'] ? path.join(env['HOME'], 'Library', 'Caches', 'cfmesh') : undefined;
  const base = env['XDG_CACHE_HOME'] || (env['HOME'] ? path.join(env['HOME'], '.cache') : undefined);
  return base ? path.join(base, 'cfmesh') : undefined;
}

/** Compiled code is only read from, or written to, a directory of this user that others cannot write. */
function ours(fs: typeof import('node:fs'), dir: string): boolean {
  const st = fs.statSync(dir);
  return typeof process.getuid !== 'function' || (st.uid === process.getuid() && (st.mode & 0o022) === 0);
}

/** Atomically (temp file + rename), only into a directory of ours; failures cost only speed. */
function saveCache(fs: typeof import('node:fs'), path: typeof import('node:path'), dir: string, cacheFile: string, current: string, data: () => Buffer): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ours(fs, dir)) return;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data(), { mode: 0o600 });
    fs.renameSync(tmp, cacheFile);
    // caches of other builds (an upgrade, a rebuild) are of no use any more
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('cli-') && name.endsWith('.v8cache') && !name.startsWith(current)) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // read-only, full or foreign: the next run compiles as usual
  }
}
