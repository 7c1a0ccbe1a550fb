// Module hooks for test/loader/register.mjs: `.ts` files under the project are compiled by esbuild's
// transform (type annotations erased, nothing else changed: tsconfig.json has verbatimModuleSyntax
// and erasableSyntaxOnly, so an import is kept exactly as written) with an inline source map, and
// cached by content hash in the system temp directory. Everything else goes to Node's own loader.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), `cfmesh-test-ts-${userInfo().uid}`);
// A change of esbuild or of these options must not reuse old output.
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } } };
const require = createRequire(import.meta.url);
const SALT = `${JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version}\0${JSON.stringify(OPTIONS)}`;
// Loaded on the first cache miss only: most runs compile nothing.
let esbuild;

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(SALT).update('\0').update(file).update('\0').update(source).digest('hex').slice(0, 40);
  const cached = join(CACHE, `${key}.mjs`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    code = (await esbuild.transform(source, { ...OPTIONS, sourcefile: file })).code;
    mkdirSync(CACHE, { recursive: true });
    // Another test process may write the same entry at once: each writes its own temp, then renames.
    const temp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(temp, code);
    renameSync(temp, cached);
  }
  return { format: 'module', source: code, shortCircuit: true };
}
