// Shared by the workflow tests: the real binary and the real kubectl, as a user runs them.
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const bin = join(root, 'bin', 'cfmesh.js');
export const KUBECTL = '/usr/bin/kubectl';

/** Why kubectl tests cannot run here, or undefined when they can. */
export function kubectlMissing(): string | undefined {
  return existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed: the kubectl workflow is not tested on this machine`;
}

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/** Runs a program to its end; stdin is `input` (or nothing). */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): Promise<Run> {
  const spawnOptions: SpawnOptions = { cwd: options.cwd ?? root, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] };
  const child = spawn(command, [...args], spawnOptions);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  child.stdin?.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** The environment of a user's shell without colour, debug output or a kubeconfig of this machine. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CFMESH_DEBUG: undefined, KUBECONFIG: undefined, CFMESH_HOME: undefined, ...extra };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

/** `cfmesh ARGS`, the real binary in a child process. */
export function cfmesh(args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): Promise<Run> {
  return run(process.execPath, [bin, ...args], { ...options, env: options.env ?? cleanEnv() });
}

let kubectlHome: string | undefined;

/** `kubectl --kubeconfig K ARGS`, with a HOME of its own (kubectl keeps a discovery cache there). */
export function kubectl(kubeconfig: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<Run> {
  kubectlHome ??= mkdtempSync(join(tmpdir(), 'cfmesh-kubectl-home-'));
  return run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { ...options, env: cleanEnv({ HOME: kubectlHome }) });
}

/**
 * `--prune-allowlist` for every kind cfmesh emits (src/istio/translate.ts): kubectl prunes only the
 * kinds on its allowlist, and its default list has no custom resources (k8s.io/kubectl v0.32.4
 * pkg/util/prune/prune.go `defaultNamespacedPruneResources`: core, batch, apps and Ingress kinds).
 */
export const PRUNE_ALLOWLIST = [
  'networking.istio.io/v1/Gateway',
  'networking.istio.io/v1/VirtualService',
  'networking.istio.io/v1/DestinationRule',
  'networking.istio.io/v1/ServiceEntry',
  'security.istio.io/v1/AuthorizationPolicy',
  'security.istio.io/v1/PeerAuthentication',
].map((gvk) => `--prune-allowlist=${gvk}`);
