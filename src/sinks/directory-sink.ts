import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ToolError } from '../diagnostics/tool-error.ts';
import { fileNameFor, renderFile, type OutputFormat } from '../render/render.ts';
import type { Resource } from '../resource/resource.ts';
import { durable, earlyFlush, fsyncDir, isCommitStopped, tempName, writeFileAtomic, writeFilesAtomic } from './atomic-write.ts';
import { guardCommit } from './commit-check.ts';

/**
 * The list of files cfmesh wrote, kept in the directory so stale ones can be removed safely.
 *
 * `kubectl apply -f DIR` reads every file of DIR whose extension is `.json`, `.yaml` or `.yml`,
 * dot-files included, and fails on one that is not a Kubernetes object; it skips every other
 * extension (k8s.io/cli-runtime v0.32.4, pkg/resource/builder.go `FileExtensions` and
 * pkg/resource/visitor.go `ExpandPathsToFileVisitors`/`ignoreFile`, which compares
 * `filepath.Ext(path)`, the suffix from the last dot). So the index has no such extension:
 * `filepath.Ext(".cfmesh-files")` is `.cfmesh-files`. Its content is JSON all the same.
 */
export const INDEX_FILE = '.cfmesh-files';
/** The index as cfmesh 0.1 wrote it: kubectl stops at it. Read once, then replaced by INDEX_FILE. */
export const LEGACY_INDEX_FILE = '.cfmesh-files.json';

/**
 * Temporary files: `.cfmesh.tmp-PID-HEX`, whatever the file being written. A dot-file whose
 * extension (`.tmp-PID-HEX`) kubectl skips, and of a fixed length (33 bytes with a 7-digit pid), so
 * a long resource file name never makes its temporary name too long.
 */
const TEMP_PREFIX = '.cfmesh.tmp-';
const TEMP_FILE = /^\.cfmesh\.tmp-(\d+)-[0-9a-f]{12}$/;
/** Temporary names of cfmesh 0.1 (`.NAME.tmp-PID-HEX`), still cleaned up after a killed run. */
const LEGACY_TEMP_FILE = /^\.(?:[a-z0-9][a-z0-9.-]*\.(?:yaml|json)|\.cfmesh-files\.json)\.tmp-(\d+)-[0-9a-f]{12}$/;

/** NAME_MAX: the longest file name (in bytes) Linux, macOS and Windows file systems take. */
export const NAME_MAX = 255;
const SAFE_NAME = /^[a-z0-9][a-z0-9.-]*\.(yaml|json)$/;
/** A name cfmesh writes, or trusts from an index: no path, no `..`, a resource file's extension. */
const isSafeName = (name: string) => SAFE_NAME.test(name) && !name.includes('..');

export interface DirectoryReport {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

export interface DirectoryOptions {
  readonly dryRun?: boolean | undefined;
  /** Ctrl-C: checked before each file is written or removed; the file in flight is finished. */
  readonly signal?: AbortSignal | undefined;
  /** Runs the synchronous part (rendering every file, comparing with DIR) so that Ctrl-C can stop it. */
  readonly runSync?: (<T>(work: () => T) => Promise<T>) | undefined;
  /** Called after each file written or removed: (done, total). */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** Recorded in the index once every file is written, for `readUpToDate` (see DirectoryMemo). */
  readonly memo?: DirectoryMemo | undefined;
}

/**
 * What a run records so that the next identical run can skip its work: `key`, a digest of
 * everything its files depend on (the caller's to make: inputs, options, the program's own code), and
 * `data`, what else the run reported (JSON). The index keeps them with a digest of every file it
 * lists, names and bytes, so that a file changed, removed or replaced since is noticed.
 */
export interface DirectoryMemo {
  readonly key: string;
  readonly data: unknown;
}

/**
 * The file of a resource: `<kind>-<name>.<ext>`. A Kubernetes name can be 253 characters, so that
 * can exceed NAME_MAX; such a name keeps its start and gets 16 hex digits of the SHA-256 of the
 * full file name, so it stays deterministic and distinct.
 */
export function resourceFileName(resource: Resource, format: OutputFormat): string {
  const full = fileNameFor(resource, format);
  if (Buffer.byteLength(full) <= NAME_MAX) return full;
  const ext = format === 'json' ? '.json' : '.yaml';
  const kind = resource.kind.toLowerCase();
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(full).digest('hex').slice(0, 16);
  const room = NAME_MAX - kind.length - hash.length - ext.length - 2;
  const start = resource.metadata.name.slice(0, Math.max(0, room)).replace(/[-.]+$/, '');
  return start ? `${kind}-${start}-${hash}${ext}` : `${kind}-${hash}${ext}`;
}

/**
 * Keeps DIR in sync with `resources`: one file per resource, each written atomically and only when
 * its content changed; files cfmesh wrote before that are no longer produced are removed; nothing
 * else in DIR is touched, and nothing is ever written outside it.
 *
 * Crash safety: the index first lists old and new files together, then files are written, stale ones
 * removed, and the index narrowed. A crash (or Ctrl-C, which stops between two files) at any point
 * leaves every file whole (old or new), and the next run finishes the clean-up. An index of cfmesh
 * 0.1 (LEGACY_INDEX_FILE) is merged into the first write of the new one and then removed.
 */
export async function writeDirectory(dir: string, resources: readonly Resource[], format: OutputFormat, options: DirectoryOptions = {}): Promise<DirectoryReport> {
  const runSync = options.runSync ?? (async <T>(work: () => T): Promise<T> => work());
  try {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) throw new ToolError('FILE_WRITE', `${dir} exists and is not a directory`, { hint: '-o takes a directory; use shell redirection (> file) for one file' });
    // (a dangling symlink at DIR is no new directory: it is left to fail below as before)
    if (!stat && !options.dryRun && !lstatSync(dir, { throwIfNoEntry: false })) {
      const entries = fileNames(resources, format);
      // reported in the resources' order, as for an existing directory
      if (await writeNewDirectory(dir, [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)), format, options)) return { written: entries.map(([name]) => name), unchanged: [], removed: [] };
      // DIR appeared while this run wrote its copy: it is now an existing directory like any other.
      return await writeDirectory(dir, resources, format, options);
    }
    const plan = await runSync(() => planDirectory(dir, resources, format, stat !== undefined));
    const { files, previous, legacy, written, unchanged, removed } = plan;
    if (options.dryRun) return { written, unchanged, removed };

    const total = written.length + removed.length;
    let done = 0;
    const stop = () => interrupted(dir, done, written, removed);
    try {
      const all = [...new Set([...previous, ...files.keys()])].sort();
      await writeIndex(dir, all);
      // The new index covers everything the old one listed: the old one can go (kubectl stops at it).
      if (legacy) unlinkSync(join(dir, LEGACY_INDEX_FILE));
      if (options.signal?.aborted) throw stop();
      await writeFilesAtomic(
        dir,
        written.map((name) => [name, files.get(name) as string] as const),
        TEMP_PREFIX,
        0o644,
        { signal: options.signal, onCommitted: () => options.onProgress?.(++done, total) },
      );
      for (const name of removed) {
        if (options.signal?.aborted) throw stop();
        unlinkSync(join(dir, name));
        options.onProgress?.(++done, total);
      }
      const names = [...files.keys()].sort();
      const memo = options.memo ? { key: options.memo.key, outputs: outputsDigest(names, (name) => files.get(name) as string), data: options.memo.data } : undefined;
      await writeIndex(dir, names, memo);
    } catch (error) {
      // Ctrl-C stopped a write before its rename: that file is as it was.
      if (isCommitStopped(error)) throw stop();
      throw error;
    }
    cleanTemporaryFiles(dir);
    return { written, unchanged, removed };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ToolError('FILE_WRITE', `cannot write to ${dir}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '), { cause: error });
  }
}

/**
 * A directory that does not exist yet is made whole or not at all: its files (final names, and the
 * index) are written into a temporary directory beside it, made durable, and that directory is
 * renamed to DIR, one rename(2) for every file (a reader, kubectl, or a crash at any moment sees no
 * DIR or all of it). Each file pays an open, a write and a close, no temporary name and rename of its
 * own (34,000 files: ~0.5 s less). Files are rendered and written in chunks, with a turn of the event
 * loop between two (Ctrl-C is seen there). The temporary directory, `.<DIR's name>.cfmesh-tmp-PID-HEX`
 * in DIR's parent, is removed on an error or Ctrl-C, and by the next run to that DIR when its writer
 * was killed. `entries` come sorted by name (the index's order). Returns false when DIR was made by
 * someone else meanwhile (nothing of this run's is left then).
 */
async function writeNewDirectory(dir: string, entries: readonly (readonly [string, Resource])[], format: OutputFormat, options: DirectoryOptions): Promise<boolean> {
  const temp = makeCopy(dir);
  const names = entries.map(([name]) => name);
  const stop = () => newDirectoryInterrupted(dir, names.length);
  try {
    const outputs = options.memo ? createHash('sha256') : undefined;
    for (let from = 0; from < entries.length; from += RENDER_CHUNK) {
      if (options.signal?.aborted) throw stop();
      const chunk = entries.slice(from, from + RENDER_CHUNK);
      const texts = chunk.map(([, resource]) => renderFile(resource, format));
      if (outputs) chunk.forEach(([name], i) => hashEntry(outputs, name, Buffer.byteLength(texts[i] as string)).update(texts[i] as string, 'utf8'));
      chunk.forEach(([name], i) => {
        writeNew(join(temp, name), texts[i] as string);
        options.onProgress?.(from + i + 1, names.length);
      });
      // A turn of the event loop: Ctrl-C (the abort of `signal`) is seen there.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const memo = options.memo && outputs ? { key: options.memo.key, outputs: outputs.digest('hex'), data: options.memo.data } : undefined;
    return await commitCopy(dir, temp, names, memo, options.signal);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** The empty temporary copy of a new DIR, in DIR's parent (made if need be); leftovers of killed runs removed first. */
function makeCopy(dir: string): string {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  removeLeftoverDirectories(parent, copyStem(dir));
  const temp = tempName(parent, `.${copyStem(dir)}${TEMP_DIR_INFIX}`);
  mkdirSync(temp);
  return temp;
}

/**
 * The end of a new directory: its index written into the copy, the copy made durable and renamed
 * to DIR, DIR's parent synced. False (the copy removed) when DIR was made by someone else meanwhile;
 * an error or Ctrl-C leaves the copy for the caller to remove.
 */
async function commitCopy(dir: string, temp: string, names: readonly string[], memo: { key: string; outputs: string; data: unknown } | undefined, signal: AbortSignal | undefined): Promise<boolean> {
  const stop = () => newDirectoryInterrupted(dir, names.length);
  writeNew(join(temp, INDEX_FILE), indexText(names, memo));
  if (signal?.aborted) throw stop();
  await durable(temp, names.length + 1, () => [...names, INDEX_FILE].map((name) => join(temp, name)), signal);
  await fsyncDir(temp);
  if (signal?.aborted) throw stop();
  try {
    guardCommit(dir);
  } catch {
    throw stop();
  }
  try {
    renameSync(temp, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
      rmSync(temp, { recursive: true, force: true });
      return false;
    }
    throw error;
  }
  await fsyncDir(dirname(dir));
  return true;
}

/**
 * A new DIR written while the resources are still being made: `add` renders each resource as the
 * translation hands it out and writer threads (WRITERS) write its file into the temporary copy, so the
 * file system's work (most of a 34,000-file run) overlaps the rest of the translation and the
 * rendering instead of following them. `finish` takes the translation's final list: what was not
 * handed out is written then, and the copy is committed as writeNewDirectory commits it (the same
 * files, index and report). A resource handed out that is not in the final list as it was given, or
 * a name refused, gives up the stream (`finish` returns undefined; the caller writes the usual way).
 * `abort` stops the writers and removes the copy (an error, Ctrl-C).
 */
export class NewDirectoryStream {
  readonly #dir: string;
  readonly #temp: string;
  readonly #format: OutputFormat;
  readonly #workers: import('node:worker_threads').Worker[] = [];
  /** Files each worker has written (as it last said). */
  readonly #counts: number[] = [];
  #next = 0;
  /** The file name of each resource handed out (checked safe, none twice). */
  readonly #nameOf = new Map<Resource, string>();
  readonly #sentNames = new Set<string>();
  /** Every file's text, for the index's digest (in the names' order, once all are known). */
  readonly #texts = new Map<string, string>();
  #names: string[] = [];
  #batch: string[] = [];
  /** A digest is wanted (the index will record a memo): the texts are kept for it. */
  readonly #keepTexts: boolean;
  #failure: Error | undefined;
  #broken = false;
  #closed = false;
  readonly #waiters: (() => void)[] = [];
  /** The flush of the files written so far, started when the translation ended (earlyFlush). */
  #flush: { wait(): Promise<void>; stop(): void } | undefined;

  private constructor(dir: string, temp: string, format: OutputFormat, digest: boolean) {
    this.#dir = dir;
    this.#temp = temp;
    this.#format = format;
    this.#keepTexts = digest;
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    for (let k = 0; k < WRITERS; k++) {
      const worker = new Worker(WRITER, { eval: true, workerData: { dir: temp } });
      this.#counts.push(0);
      worker.on('message', (m: { written?: number; error?: { code?: string; message: string } }) => {
        if (m.written !== undefined) this.#counts[k] = m.written;
        if (m.error) this.#failure = Object.assign(new Error(m.error.message), { code: m.error.code });
        for (const wake of this.#waiters.splice(0)) wake();
      });
      worker.on('error', (error) => {
        this.#failure ??= error;
        for (const wake of this.#waiters.splice(0)) wake();
      });
      this.#workers.push(worker);
    }
  }

  get #written(): number {
    return this.#counts.reduce((a, b) => a + b, 0);
  }

  /**
   * A stream for DIR when DIR does not exist (a dangling symlink is no new directory) and its copy
   * can be made; else undefined. `digest`: the index will record a memo (DirectoryOptions.memo), so
   * the texts are kept for the digest of the files.
   */
  static start(dir: string, format: OutputFormat, options: { readonly digest?: boolean } = {}): NewDirectoryStream | undefined {
    try {
      if (lstatSync(dir, { throwIfNoEntry: false })) return undefined;
      return new NewDirectoryStream(dir, makeCopy(dir), format, options.digest === true);
    } catch {
      return undefined; // the usual path reports what is wrong
    }
  }

  /** A resource the translation will not change again. Never throws: a problem gives up the stream. */
  add(resource: Resource): void {
    if (this.#broken || this.#closed) return;
    const name = resourceFileName(resource, this.#format);
    if (!isSafeName(name) || this.#sentNames.has(name) || this.#nameOf.has(resource)) {
      this.#broken = true;
      return;
    }
    this.#sentNames.add(name);
    this.#nameOf.set(resource, name);
    const text = renderFile(resource, this.#format);
    if (this.#keepTexts) this.#texts.set(name, text);
    this.#names.push(name);
    this.#batch.push(text);
    if (this.#names.length >= STREAM_BATCH) this.#post();
  }

  #post(): void {
    if (this.#names.length === 0) return;
    (this.#workers[this.#next++ % this.#workers.length] as import('node:worker_threads').Worker).postMessage([this.#names, this.#batch]);
    this.#names = [];
    this.#batch = [];
  }

  /**
   * The translation's final resources: DIR made from them, with the report writeDirectory gives; or
   * undefined when the stream was given up (its copy removed) or DIR appeared meanwhile.
   */
  async finish(resources: readonly Resource[], options: DirectoryOptions): Promise<DirectoryReport | undefined> {
    const entries = fileNames(resources, this.#format, this.#nameOf);
    const total = entries.length;
    const stop = () => newDirectoryInterrupted(this.#dir, total);
    try {
      // Every resource handed out must be in the final list (then under the name it was written
      // as); another object under a handed-out name means one handed out is missing, so is caught too.
      const rest = entries.filter(([, resource]) => !this.#nameOf.has(resource));
      if (this.#broken || entries.length - rest.length !== this.#nameOf.size) {
        await this.abort();
        return undefined;
      }
      for (let from = 0; from < rest.length; from += RENDER_CHUNK) {
        if (options.signal?.aborted) throw stop();
        for (const [name, resource] of rest.slice(from, from + RENDER_CHUNK)) {
          const text = renderFile(resource, this.#format);
          if (this.#keepTexts) this.#texts.set(name, text);
          this.#names.push(name);
          this.#batch.push(text);
        }
        this.#post();
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.#post();
      this.#closed = true;
      const names = entries.map(([name]) => name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const worker of this.#workers) worker.postMessage(null);
      // The writers are behind the translation (most of a second at 40,000 apps): what they wrote
      // so far is flushed meanwhile, so that the sync before the commit has little left to do.
      this.#flush = earlyFlush(this.#temp, total + 1);
      // Wait for the writers: their progress is reported, Ctrl-C (the abort of `signal`) stops the wait.
      const wakeAll = () => {
        for (const wake of this.#waiters.splice(0)) wake();
      };
      options.signal?.addEventListener('abort', wakeAll);
      try {
        for (;;) {
          if (this.#failure) throw this.#failure;
          if (options.signal?.aborted) throw stop();
          options.onProgress?.(this.#written, total);
          if (this.#written >= total) break;
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      } finally {
        options.signal?.removeEventListener('abort', wakeAll);
      }
      await Promise.all(this.#workers.map((w) => w.terminate()));
      await this.#flush?.wait();
      this.#flush = undefined;
      if (options.memo && !this.#keepTexts) throw new Error('a memo needs the stream started with digest: true');
      const memo = options.memo ? { key: options.memo.key, outputs: outputsDigest(names, (name) => this.#texts.get(name) as string), data: options.memo.data } : undefined;
      this.#texts.clear();
      if (!(await commitCopy(this.#dir, this.#temp, names, memo, options.signal))) return undefined;
      return { written: entries.map(([name]) => name), unchanged: [], removed: [] };
    } catch (error) {
      await this.abort();
      if (error instanceof ToolError) throw error;
      const e = error as NodeJS.ErrnoException;
      throw new ToolError('FILE_WRITE', `cannot write to ${this.#dir}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '), { cause: error });
    }
  }

  /** Stops the writers (a write in flight is finished) and removes the copy. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#flush?.stop();
    this.#flush = undefined;
    this.#texts.clear();
    await Promise.all(this.#workers.map((w) => w.terminate()));
    rmSync(this.#temp, { recursive: true, force: true });
  }
}

/**
 * Writer threads; batches go to them in turn. Two create 34,401 files in one directory in 0.9–1.2 s
 * where one takes 1.5–1.8 s (and one stalled for 5.6 s once): their creates take turns on the
 * directory's lock, the rest (writes, closes, waits on the disk) overlaps. `convert -o NEW_DIR` of
 * 40,000 apps: 6.35 s with one, 5.40 s with two (7 interleaved runs, a sync before each).
 */
const WRITERS = 2;

/** Files handed to the writer at a time (one message each). */
const STREAM_BATCH = 256;

/**
 * A writer thread: each message a batch of [names, texts] created, written and closed in the copy
 * (`wx`: nothing there is overwritten); null asks for its count once every batch before it is done.
 * It stops at its first error and reports it.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
// Below the main thread in the scheduler's eyes (Linux: a thread's own nice value): on two cores the
// translation goes on at full speed, and these take the time it leaves.
try {
  const os = require('node:os');
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  os.setPriority(tid, Math.min(19, os.getPriority(tid) + 10));
} catch {}
let written = 0;
let failed = false;
parentPort.on('message', (m) => {
  if (failed) return;
  if (m === null) return parentPort.postMessage({ written });
  const [names, texts] = m;
  try {
    for (let i = 0; i < names.length; i++) {
      const fd = openSync(join(workerData.dir, names[i]), 'wx', 0o644);
      try {
        writeFileSync(fd, texts[i], 'utf8');
      } finally {
        closeSync(fd);
      }
      written++;
    }
    parentPort.postMessage({ written });
  } catch (error) {
    failed = true;
    parentPort.postMessage({ error: { code: error.code, message: error.message } });
  }
});
`;

/** A file nobody can see yet (in a new directory's temporary copy): created, written, closed. */
function writeNew(file: string, data: string): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeFileSync(fd, data, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Files rendered and written between two turns of the event loop (each ~50 µs here). */
const RENDER_CHUNK = 256;

/** Every resource's file name, in the resources' order, with the checks planDirectory makes. */
function fileNames(resources: readonly Resource[], format: OutputFormat, checked?: ReadonlyMap<Resource, string>): [string, Resource][] {
  const entries = new Map<string, Resource>();
  for (const resource of resources) {
    // (`checked`: names already made and found safe for these very objects)
    const known = checked?.get(resource);
    const name = known ?? resourceFileName(resource, format);
    if (known === undefined && !isSafeName(name)) throw new ToolError('INTERNAL', `refusing to write unsafe file name ${JSON.stringify(name)}`);
    if (entries.has(name)) throw new ToolError('INTERNAL', `two resources map to the same file ${name}`);
    entries.set(name, resource);
  }
  return [...entries];
}

function newDirectoryInterrupted(dir: string, files: number): ToolError {
  const detail = `0 of ${files} changed file(s) written: ${dir} was not created (a new directory appears whole or not at all)`;
  return new ToolError('INTERRUPTED', `interrupted (Ctrl-C): ${detail}`, { detail, hint: 'run the same command again' });
}

/**
 * DIR's name in its copy's name; a name too long to take the 33 more bytes (NAME_MAX) is replaced
 * by 16 hex digits of its SHA-256.
 */
function copyStem(dir: string): string {
  const name = basename(dir);
  return Buffer.byteLength(name) <= 200 ? name : createHash('sha256').update(name).digest('hex').slice(0, 16);
}

/** The infix of a new directory's temporary copy: `.<name>.cfmesh-tmp-PID-HEX`. */
const TEMP_DIR_INFIX = '.cfmesh-tmp-';

/** Temporary copies of `name` in `parent` whose writer is gone (killed before its rename). */
function removeLeftoverDirectories(parent: string, name: string): void {
  const prefix = `.${name}${TEMP_DIR_INFIX}`;
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(\d+)-[0-9a-f]{12}$/.exec(entry.slice(prefix.length));
    if (!match || processAlive(Number(match[1]))) continue;
    rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

interface Plan {
  readonly files: ReadonlyMap<string, string>;
  /** Safe names the index (and a legacy index) list. */
  readonly previous: readonly string[];
  /** Whether a cfmesh 0.1 index is there to be replaced. */
  readonly legacy: boolean;
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The files of DIR when its index records `key` and every file it lists is a regular file with the
 * bytes recorded (one read of each), with the memo's data; otherwise undefined, and the caller does
 * the work. A directory with a cfmesh 0.1 index is never up to date (the index must be replaced).
 */
export function readUpToDate(dir: string, key: string): { files: readonly string[]; data: unknown } | undefined {
  const index = readIndexFile(join(dir, INDEX_FILE));
  const memo = index?.memo;
  if (!index || !memo || memo.key !== key || typeof memo.outputs !== 'string') return undefined;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const regular = new Set<string>();
  for (const entry of entries) {
    if (entry.name === LEGACY_INDEX_FILE) return undefined;
    if (entry.isFile()) regular.add(entry.name);
  }
  const hash = createHash('sha256');
  for (const name of index.files) {
    if (!isSafeName(name) || !regular.has(name)) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      return undefined;
    }
    hashEntry(hash, name, bytes.length).update(bytes);
  }
  if (hash.digest('hex') !== memo.outputs) return undefined;
  cleanTemporaryFiles(dir);
  return { files: index.files, data: memo.data };
}

/** The digest of the files of an index: each name, its length in bytes and its bytes, in the index's order. */
function outputsDigest(names: readonly string[], content: (name: string) => string): string {
  const hash = createHash('sha256');
  for (const name of names) {
    const text = content(name);
    hashEntry(hash, name, Buffer.byteLength(text)).update(text, 'utf8');
  }
  return hash.digest('hex');
}

function hashEntry(hash: Hash, name: string, length: number): Hash {
  return hash.update(`${name}\0${length}\0`);
}

/** Renders every file and compares it with DIR: no writes. */
function planDirectory(dir: string, resources: readonly Resource[], format: OutputFormat, exists: boolean): Plan {
  const files = new Map<string, string>();
  for (const resource of resources) {
    const name = resourceFileName(resource, format);
    if (!isSafeName(name)) throw new ToolError('INTERNAL', `refusing to write unsafe file name ${JSON.stringify(name)}`);
    if (files.has(name)) throw new ToolError('INTERNAL', `two resources map to the same file ${name}`);
    files.set(name, renderFile(resource, format));
  }
  const current = exists ? readIndex(join(dir, INDEX_FILE)) : undefined;
  const legacy = exists ? readIndex(join(dir, LEGACY_INDEX_FILE)) : undefined;
  const previous = [...new Set([...(current ?? []), ...(legacy ?? [])])].filter(isSafeName);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [name, content] of files) {
    if (exists && readIfFile(join(dir, name)) === content) unchanged.push(name);
    else written.push(name);
  }
  const removed = previous.filter((name) => !files.has(name) && isRegularFile(join(dir, name))).sort();
  return { files, previous, legacy: legacy !== undefined, written, unchanged, removed };
}

function interrupted(dir: string, done: number, written: readonly string[], removed: readonly string[]): ToolError {
  const wrote = Math.min(done, written.length);
  const detail = `${wrote} of ${written.length} changed file(s) written to ${dir}${removed.length > 0 ? `, ${Math.max(0, done - written.length)} of ${removed.length} stale file(s) removed` : ''}; every file there is whole, old or new`;
  return new ToolError('INTERRUPTED', `interrupted (Ctrl-C): ${detail}`, {
    detail,
    hint: 'run the same command again to finish (the index lists every file, so no stale file is left behind)',
  });
}

/**
 * The names a cfmesh index lists; undefined when there is no index, or it is not one of cfmesh's (a
 * file the user made is neither trusted nor removed). An unreadable index only means no stale file
 * is removed this time.
 */
function readIndex(path: string): string[] | undefined {
  return readIndexFile(path)?.files;
}

interface IndexMemo {
  readonly key?: unknown;
  readonly outputs?: unknown;
  readonly data?: unknown;
}

function readIndexFile(path: string): { files: string[]; memo: IndexMemo | undefined } | undefined {
  const text = readIfFile(path);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { generator?: unknown; files?: unknown; memo?: unknown };
    if (parsed?.generator !== 'cfmesh') return undefined;
    const files = Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string') : [];
    const memo = typeof parsed.memo === 'object' && parsed.memo !== null ? (parsed.memo as IndexMemo) : undefined;
    return { files, memo };
  } catch {
    return undefined;
  }
}

/**
 * The index: `{"generator":"cfmesh","version":1,"files":[...]}`, and, written by a run that finished,
 * its `memo` (`key`, `outputs`, `data`; see DirectoryMemo). A reader that knows no memo ignores it.
 */
async function writeIndex(dir: string, files: readonly string[], memo?: { key: string; outputs: string; data: unknown }): Promise<void> {
  await writeFileAtomic(join(dir, INDEX_FILE), indexText(files, memo), TEMP_PREFIX, 0o644);
  await fsyncDir(dir);
}

function indexText(files: readonly string[], memo?: { key: string; outputs: string; data: unknown }): string {
  const index = memo ? { generator: 'cfmesh', version: 1, files, memo } : { generator: 'cfmesh', version: 1, files };
  return `${JSON.stringify(index, null, 2)}\n`;
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

/** Temporary files left by a killed writer (this version's and cfmesh 0.1's), once their writer is gone. */
function cleanTemporaryFiles(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const match = TEMP_FILE.exec(entry) ?? LEGACY_TEMP_FILE.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(join(dir, entry));
    } catch {
      // another run removed it
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
