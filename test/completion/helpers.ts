// Shared by the completion tests: a state made by the real commands, the real binary on PATH, and
// the shells, when Debian's packages put them where the tests look.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/reliability.ts';
import { bin, cfmesh, cleanEnv, root } from '../workflows/helpers.ts';

export { root };

export const MANIFEST = `applications:
- name: reviews-v1
- name: reviews-v2
- name: shop
  routes:
  - route: shop.example.com
  - route: shop.example.com/cart
  - route: shop.example.org
- name: db
  routes:
  - route: tcp.example.com:1024
routes:
- route: reviews.example.com
  rules:
  - match:
      # nested keys named like a route's own (path, host): completion must read the route's
      path: {prefix: /domain}
      headers:
        host: {exact: "x.example.com"}
    destinations:
    - name: reviews-v2
  destinations:
  - name: reviews-v1
    weight: 90
  - name: reviews-v2
    weight: 10
`;

export const APPS = ['db', 'reviews-v1', 'reviews-v2', 'shop'];
export const DOMAINS = ['example.com', 'example.org', 'tcp.example.com'];

/** A state directory that `cfmesh push` filled with MANIFEST. */
export async function pushedState(): Promise<string> {
  const dir = tempDir('cfmesh-completion-');
  writeFileSync(join(dir, 'manifest.yml'), MANIFEST);
  const state = join(dir, 'state');
  const run = await cfmesh(['--state', state, 'push', '-f', 'manifest.yml'], { cwd: dir });
  if (run.code !== 0) throw new Error(`push failed: ${run.err}`);
  return state;
}

/** A directory with `cfmesh` (the real binary) in it, for PATH. */
export function shimDir(): string {
  const dir = tempDir('cfmesh-completion-bin-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cfmesh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"\n`);
  chmodSync(join(dir, 'cfmesh'), 0o755);
  return dir;
}

/** The environment a shell runs with: the shim first on PATH, this state, no rc files. */
export function shellEnv(shims: string, state: string): Record<string, string | undefined> {
  return cleanEnv({ PATH: `${shims}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, CFMESH_HOME: state, HOME: tempDir('cfmesh-completion-home-') });
}

/** The path of a shell, or why its tests are skipped (install: apt-get install -y zsh fish). */
export function shell(name: 'bash' | 'zsh' | 'fish'): { path: string; missing?: undefined } | { path?: undefined; missing: string } {
  for (const path of [`/usr/bin/${name}`, `/bin/${name}`]) if (existsSync(path)) return { path };
  return { missing: `${name} is not installed here (Debian: apt-get install -y ${name}); its completion is not tested on this machine` };
}

export function shellVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    return '';
  }
}
