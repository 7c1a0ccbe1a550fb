// Shared checks for the reliability suites (test/fuzz, test/hostile, test/reliability): run the CLI
// in-process, and assert the contract every run must keep whatever the input — a known exit code,
// no stack trace, a positioned error, and (on success) Istio output that holds together.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/main.ts';
import type { Resource } from '../../src/resource/resource.ts';
import { assertValidIstio } from '../istio/validate-istio.ts';
import { memoryIo } from './memory-io.ts';

export interface CliRun {
  readonly exit: number;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/** `main(argv, memoryIo)`: the whole CLI without spawning. */
export async function runCli(
  argv: readonly string[],
  options: { cwd?: string; stdin?: string | Uint8Array; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  const io = memoryIo(options);
  const started = performance.now();
  const exit = await main(argv, io);
  return { exit, out: io.out(), err: io.err(), ms: performance.now() - started };
}

/** How many cases a property runs: FUZZ_RUNS (npm run fuzz sets 10000), else the small default. */
export function fuzzRuns(defaultRuns: number): number {
  const fromEnv = Number(process.env['FUZZ_RUNS']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultRuns;
}

/**
 * fast-check seed: fixed for the small sample in `npm test` (a red CI is then reproducible and never
 * flaky), random under FUZZ_RUNS (npm run fuzz explores; fast-check prints the seed on failure).
 * FUZZ_SEED pins it either way.
 */
export function fuzzSeed(): { seed?: number } {
  const pinned = Number(process.env['FUZZ_SEED']);
  if (process.env['FUZZ_SEED'] !== undefined && Number.isInteger(pinned)) return { seed: pinned };
  return process.env['FUZZ_RUNS'] ? {} : { seed: 20261121 };
}

/** A new directory in the system temp directory, removed when the test process exits. */
export function tempDir(prefix = 'cfmesh-rel-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) {
    process.once('exit', () => {
      for (const d of made) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // a directory a test made unreadable: left behind
        }
      }
    });
  }
  made.push(dir);
  return dir;
}

const made: string[] = [];

/** A V8 stack frame (`    at fn (file:1:2)`), which must never reach a user without CFMESH_DEBUG. */
export const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

export function assertNoStackTrace(text: string, context = ''): void {
  assert.doesNotMatch(text, STACK_FRAME, `a stack trace reached the user${context ? ` (${context})` : ''}:\n${text.slice(0, 2000)}`);
}

/** `file:line:col: error CODE` at the start of a line, as printed by ui/diagnostics.ts. */
export const POSITIONED_ERROR = /^[^\n]+:\d+:\d+: error [A-Z_]+ /m;

/**
 * The contract for any input: exit 0, 1 or 2 (never 70, never another code), no stack trace; an exit 1
 * names a file:line:col (cf's undefined-vars summary is the documented exception, and it still comes
 * with one positioned line per variable), an exit 2 is a usage error.
 */
export function assertHandled(run: CliRun, context: string): void {
  assertNoStackTrace(run.err, context);
  assertNoStackTrace(run.out, context);
  assert.ok([0, 1, 2].includes(run.exit), `exit ${run.exit} for ${context}\n${run.err.slice(0, 3000)}`);
  if (run.exit === 1) {
    assert.equal(run.out, '', `a failed convert prints nothing on stdout (${context})`);
    const positioned = POSITIONED_ERROR.test(run.err) || /Expected to find variables: /.test(run.err);
    assert.ok(positioned, `exit 1 without a file:line:col (${context}):\n${run.err.slice(0, 3000)}`);
  }
  if (run.exit === 2) assert.match(run.err, /error USAGE /, `exit 2 is a usage error (${context})`);
}

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface Doc {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> };
  spec?: Record<string, unknown>;
}

/**
 * Istio output that holds together: every document parses, names are DNS-1123 and unique per kind,
 * exactly one VirtualService per host, every HTTP/TCP route's weights are integers summing to 100.
 * Returns the documents for further checks.
 */
export function assertValidIstioOutput(yamlText: string, context = ''): Doc[] {
  const docs = parseAllDocuments(yamlText, { version: '1.1' });
  assert.ok(Array.isArray(docs), `output is YAML (${context})`);
  const values: Doc[] = [];
  for (const doc of docs) {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `output document parses (${context})`);
    values.push(doc.toJS() as Doc);
  }
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  for (const doc of values) {
    assert.equal(typeof doc.kind, 'string', `every document has a kind (${context})`);
    const name = doc.metadata?.name;
    assert.ok(typeof name === 'string' && DNS1123_SUBDOMAIN.test(name), `${String(doc.kind)} name ${JSON.stringify(name)} is a DNS-1123 subdomain (${context})`);
    const id = `${String(doc.kind)}/${name}`;
    assert.ok(!names.has(id), `${id} is emitted once (${context})`);
    names.add(id);
    assert.equal(doc.metadata?.labels?.['app.kubernetes.io/managed-by'], 'cfmesh', `${id} carries the managed-by label (${context})`);
    if (doc.kind === 'VirtualService') {
      const vsHosts = (doc.spec?.['hosts'] ?? []) as string[];
      assert.ok(vsHosts.length > 0, `${id} has hosts (${context})`);
      for (const host of vsHosts) {
        assert.ok(!hosts.has(host), `host ${host} has one VirtualService, not ${hosts.get(host)} and ${id} (${context})`);
        hosts.set(host, id);
      }
      for (const section of ['http', 'tcp', 'tls'] as const) {
        const rules = (doc.spec?.[section] ?? []) as { route?: { weight?: unknown }[] }[];
        for (const rule of rules) {
          const destinations = rule.route ?? [];
          if (destinations.length === 0) continue;
          const weights = destinations.map((d) => d.weight ?? (destinations.length === 1 ? 100 : undefined));
          for (const w of weights) assert.ok(Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 100, `${id} ${section} weight ${String(w)} is an integer 0-100 (${context})`);
          assert.equal(weights.reduce((s: number, w) => s + (w as number), 0), 100, `${id} ${section} weights sum to 100 (${context})`);
        }
      }
    }
  }
  // And the full Istio checker (CRD schemas and Istio's own validation rules).
  assertValidIstio(values as unknown as Resource[]);
  return values;
}

/** Every path under `root` (files, directories, links) with its size and content hash-ish snapshot. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const stat = lstatSync(path);
      const rel = relative(root, path);
      if (stat.isDirectory()) {
        out.set(rel, 'dir');
        walk(path);
      } else if (stat.isSymbolicLink()) out.set(rel, 'link');
      else out.set(rel, `file:${readFileSync(path).toString('base64')}`);
    }
  };
  walk(root);
  return out;
}
