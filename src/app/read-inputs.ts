import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SourceFile } from '../diagnostics/source-file.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import { decodeSource } from '../manifest/decode.ts';
import type { Io } from '../ui/io.ts';

export const DEFAULT_MAX_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * The files named on the command line (positional ones first, then `-f`), else the manifest in the
 * current directory as cf finds it: `manifest.yml`, then `manifest.yaml` (cloudfoundry/cli v8.18.4,
 * util/manifestparser/locator.go `NewLocator` / `handleDir`).
 */
export function resolveManifestFiles(cwd: string, positional: readonly string[], flagged: readonly string[] | undefined): string[] {
  const given = [...positional, ...(flagged ?? [])];
  if (given.length > 0) return given;
  const found = ['manifest.yml', 'manifest.yaml'].find((name) => statSync(resolve(cwd, name), { throwIfNoEntry: false })?.isFile());
  if (found) return [found];
  throw new ToolError('USAGE', 'no manifest given, and there is no manifest.yml or manifest.yaml in the current directory', { hint: 'pass the file (cfmesh convert manifest.yml, or -f manifest.yml; - reads stdin)' });
}

/**
 * Reads manifests and vars files: `-` is stdin (read once, whatever the number of `-`s), a size
 * limit applies before anything is parsed, and every failure names the file.
 */
export async function readSources(io: Io, paths: readonly string[], maxBytes: number): Promise<SourceFile[]> {
  let stdin: Promise<Uint8Array> | undefined;
  const out: SourceFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      stdin ??= io.readStdin(maxBytes);
      const bytes = await stdin;
      if (bytes.length > maxBytes) throw tooLarge('<stdin>', undefined, maxBytes);
      out.push(decodeSource('<stdin>', bytes));
      continue;
    }
    out.push(decodeSource(path, readFileLimited(resolve(io.cwd, path), path, maxBytes)));
  }
  return out;
}

function readFileLimited(absolute: string, shown: string, maxBytes: number): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ToolError('FILE_READ', `${shown} is a directory, not a manifest file`);
    if (stat.size > maxBytes) throw tooLarge(shown, stat.size, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total) || 1);
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(shown, total, maxBytes);
      chunks.push(buffer.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ToolError('FILE_READ', `cannot read ${shown}: ${why}`, { cause: error });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `size` is undefined for stdin, which is not read past the limit. */
function tooLarge(name: string, size: number | undefined, max: number): ToolError {
  return new ToolError('INPUT_TOO_LARGE', `${name} is larger than the input limit (${size === undefined ? `more than ${max}` : `${size} > ${max}`} bytes)`, { hint: 'raise the limit with --max-input-size if the file is genuine' });
}
