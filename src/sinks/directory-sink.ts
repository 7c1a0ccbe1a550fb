import { lstatSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../diagnostics/tool-error.ts';
import { fileNameFor, renderFile, type OutputFormat } from '../render/render.ts';
import type { Resource } from '../render/resource.ts';
import { fsyncDir, writeFileAtomic } from './atomic-write.ts';

/** Temporary files are dot-files (`.NAME.tmp-PID-HEX`), so no `kubectl apply -f DIR` ever reads one. */
const tempPrefix = (name: string) => `.${name}.tmp-`;

/** The list of files cfmesh wrote, kept in the directory so stale ones can be removed safely. */
export const INDEX_FILE = '.cfmesh-files.json';
const SAFE_NAME = /^[a-z0-9][a-z0-9.-]*\.(yaml|json)$/;

export interface DirectoryReport {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Keeps DIR in sync with `resources`: one file per resource, each written atomically and only when
 * its content changed; files cfmesh wrote before that are no longer produced are removed; nothing
 * else in DIR is touched, and nothing is ever written outside it.
 *
 * Crash safety: the index first lists old and new files together, then files are written, stale ones
 * removed, and the index narrowed. A crash at any point leaves every file whole (old or new), and the
 * next run finishes the clean-up.
 */
export async function writeDirectory(dir: string, resources: readonly Resource[], format: OutputFormat, options: { dryRun?: boolean } = {}): Promise<DirectoryReport> {
  const files = new Map<string, string>();
  for (const resource of resources) {
    const name = fileNameFor(resource, format);
    if (!SAFE_NAME.test(name) || name.includes('..')) throw new ToolError('INTERNAL', `refusing to write unsafe file name ${JSON.stringify(name)}`);
    if (files.has(name)) throw new ToolError('INTERNAL', `two resources map to the same file ${name}`);
    files.set(name, renderFile(resource, format));
  }
  try {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) throw new ToolError('FILE_WRITE', `${dir} exists and is not a directory`, { hint: '-o takes a directory; use shell redirection (> file) for one file' });
    if (!stat && !options.dryRun) mkdirSync(dir, { recursive: true });
    const previous = stat ? readIndex(dir) : [];
    const written: string[] = [];
    const unchanged: string[] = [];
    for (const [name, content] of files) {
      const path = join(dir, name);
      if (readIfFile(path) === content) unchanged.push(name);
      else written.push(name);
    }
    const removed = previous.filter((name) => !files.has(name) && SAFE_NAME.test(name) && isRegularFile(join(dir, name)));
    if (options.dryRun) return { written, unchanged, removed };

    const all = [...new Set([...previous.filter((n) => SAFE_NAME.test(n)), ...files.keys()])].sort();
    await writeIndex(dir, all);
    for (const name of written) await writeFileAtomic(join(dir, name), files.get(name) as string, tempPrefix(name), 0o644);
    for (const name of removed) unlinkSync(join(dir, name));
    await writeIndex(dir, [...files.keys()].sort());
    await fsyncDir(dir);
    cleanTemporaryFiles(dir);
    return { written, unchanged, removed };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ToolError('FILE_WRITE', `cannot write to ${dir}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '), { cause: error });
  }
}

function readIndex(dir: string): string[] {
  const text = readIfFile(join(dir, INDEX_FILE));
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return []; // an unreadable index only means no stale file is removed this time
  }
}

async function writeIndex(dir: string, files: readonly string[]): Promise<void> {
  await writeFileAtomic(join(dir, INDEX_FILE), `${JSON.stringify({ generator: 'cfmesh', version: 1, files }, null, 2)}\n`, tempPrefix(INDEX_FILE), 0o644);
  await fsyncDir(dir);
}

function readIfFile(path: string): string | undefined {
  try {
    if (!isRegularFile(path)) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function isRegularFile(path: string): boolean {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  return stat?.isFile() ?? false;
}

/** Temporary files left by a killed writer (`.<name>.tmp-<pid>-<hex>`) for files cfmesh manages. */
function cleanTemporaryFiles(dir: string): void {
  for (const entry of readdirSync(dir)) {
    if (/^\.(?:[a-z0-9][a-z0-9.-]*\.(?:yaml|json)|\.cfmesh-files\.json)\.tmp-\d+-[0-9a-f]{12}$/.test(entry)) {
      const pid = Number(/\.tmp-(\d+)-/.exec(entry)?.[1]);
      if (pid !== process.pid && !processAlive(pid)) {
        try {
          unlinkSync(join(dir, entry));
        } catch {
          // another run removed it
        }
      }
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
