import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

let digest: string | null | undefined;

/**
 * The SHA-256 of the running bundle (dist/cli.cjs, which holds every line that reads and translates
 * manifests), read once: what a memo of a conversion is keyed on, so that any other build of cfmesh,
 * whatever its version says, does the conversion again. Undefined when cfmesh runs from its
 * TypeScript sources (the tests' in-process runs), which never memo.
 */
export function buildDigest(): string | undefined {
  if (digest === undefined) {
    // `__filename` is Node's own in the CommonJS bundle; it does not exist in an ES module.
    const file = typeof __filename === 'string' && __filename.endsWith('.cjs') ? __filename : undefined;
    try {
      digest = file ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
    } catch {
      digest = null;
    }
  }
  return digest ?? undefined;
}
