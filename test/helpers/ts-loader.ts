import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bundles = new Map<string, string>();

/**
 * A .ts script with everything it imports (packages too) bundled by esbuild into one ES module in a
 * temporary directory (removed at exit), for tests that start many processes of one script: each
 * then reads one file and starts no loader hooks thread. On the 2-core machine a process of the
 * state worker took ~0.3 s of CPU through the suite's loader (`--import test/loader/register.mjs`) and ~0.1 s bundled (`node -e 0`: ~0.1 s).
 * Code that finds files next to itself through import.meta.url cannot be bundled this way.
 */
export function bundledScript(entry: string): string {
  const known = bundles.get(entry);
  if (known) return known;
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-test-bundle-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'script.mjs');
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // the CommonJS packages inside an ES module call require() for Node's own modules
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  });
  bundles.set(entry, outfile);
  return outfile;
}
