import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { validateIstio } from '../istio/validate-istio.ts';
import type { Resource } from '../../src/resource/resource.ts';

export const PROPOSAL = `applications:
- name: reviews-v1
  path: ./v1/
- name: reviews-v2
  path: ./v2/
routes:
- route: reviews.example.com
  destinations:
  - name: reviews-v1
    weight: 90
  - name: reviews-v2
    weight: 10
`;

export interface Sandbox {
  readonly dir: string;
  readonly state: string;
  write(name: string, text: string): string;
  run(...argv: string[]): Promise<{ exit: number; out: string; err: string }>;
  runWith(options: { tty?: boolean; stdin?: string; answer?: string }, ...argv: string[]): Promise<{ exit: number; out: string; err: string }>;
}

export function sandbox(t: { after(fn: () => void): void }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-cmd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const runWith = async (options: { tty?: boolean; stdin?: string; answer?: string }, ...argv: string[]) => {
    const base = memoryIo({ cwd: dir, tty: options.tty, stdin: options.stdin, env: { HOME: join(dir, 'home') } });
    const io = options.answer !== undefined ? { ...base, prompt: async () => options.answer as string } : base;
    const exit = await main(['--state', state, ...argv], io);
    return { exit, out: base.out(), err: base.err() };
  };
  return {
    dir,
    state,
    write(name, text) {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    },
    run: (...argv) => runWith({}, ...argv),
    runWith,
  };
}

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

/**
 * Structural checks every printed configuration must pass: parseable YAML documents, Istio kinds
 * with names, HTTP and TCP route weights that are integers summing to 100.
 */
export function istioDocs(text: string, whole = false): Doc[] {
  if (text === '') return [];
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs));
  const out: Doc[] = [];
  for (const doc of docs) {
    assert.deepEqual(doc.errors, []);
    const value = doc.toJS() as Doc;
    assert.match(value.apiVersion, /^networking\.istio\.io\/v1(beta1|alpha3)?$|^security\.istio\.io\//);
    assert.ok(value.metadata.name && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value.metadata.name), value.metadata.name);
    if (value.kind === 'VirtualService') {
      for (const rule of [...((value.spec['http'] as { route: { weight: number }[] }[]) ?? []), ...((value.spec['tcp'] as { route: { weight: number }[] }[]) ?? [])]) {
        assert.ok(rule.route.length > 0, 'a rule has destinations');
        if (rule.route.length > 1 || rule.route[0]?.weight !== undefined) {
          assert.equal(rule.route.reduce((s, d) => s + d.weight, 0), 100, 'weights sum to 100');
          for (const d of rule.route) assert.ok(Number.isInteger(d.weight) && d.weight >= 0 && d.weight <= 100);
        }
      }
    }
    out.push(value);
  }
  // Istio's CRD schemas and validation rules (test/istio/validate-istio.ts), on every printed bundle:
  // a change set carries the Gateway and DestinationRules its VirtualServices refer to, so every
  // bundle resolves its own references.
  void whole;
  const problems = validateIstio(out as unknown as Resource[]);
  assert.deepEqual(problems, [], 'valid Istio');
  return out;
}

export function weightsOf(vs: Doc | undefined): Record<string, number>[] {
  assert.ok(vs, 'a VirtualService');
  const http = (vs.spec['http'] as { route: { destination: { host: string }; weight: number }[] }[]) ?? [];
  return http.map((rule) => Object.fromEntries(rule.route.map((d) => [d.destination.host.split('.')[0] as string, d.weight])));
}
