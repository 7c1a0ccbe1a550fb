/**
 * Where the state lives (docs/adr/0004-state-location.md): `--state DIR`, else `$CFMESH_HOME`,
 * else `~/.cfmesh` — one state per user, standing for the platform the operator targets, as
 * cf keeps `~/.cf`.
 */
import path from 'node:path';
import { ToolError } from '../diagnostics/tool-error.ts';

export const STATE_DIR_ENV = 'CFMESH_HOME';
export const DEFAULT_STATE_DIR_NAME = '.cfmesh';
export const STATE_FILE_NAME = 'state.json';

export interface StateDirInputs {
  /** The `--state DIR` flag, if given. */
  readonly flag?: string | undefined;
  /** The environment (pass `process.env`); only `CFMESH_HOME` is read. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The user's home directory (pass `os.homedir()`). */
  readonly homeDir?: string | undefined;
  /** Base for relative paths; defaults to `process.cwd()`. */
  readonly cwd?: string | undefined;
}

/** The absolute state directory. An empty flag or variable counts as not given. */
export function resolveStateDir(inputs: StateDirInputs): string {
  const cwd = inputs.cwd ?? process.cwd();
  if (inputs.flag !== undefined && inputs.flag !== '') return path.resolve(cwd, inputs.flag);
  const fromEnv = inputs.env?.[STATE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(cwd, fromEnv);
  if (inputs.homeDir === undefined || inputs.homeDir === '') {
    throw new ToolError('USAGE', 'cannot find a home directory for the cfmesh state', {
      hint: `pass --state DIR or set ${STATE_DIR_ENV}`,
    });
  }
  return path.resolve(cwd, inputs.homeDir, DEFAULT_STATE_DIR_NAME);
}

/** The files of a state directory. Only `state` and `backup` are ever read. */
export interface StatePaths {
  readonly dir: string;
  /** The state: `state.json`. */
  readonly state: string;
  /** The previous state: `state.json.bak`. */
  readonly backup: string;
  /** The lock, a directory that exists while a writer holds it: `state.json.lock`. */
  readonly lock: string;
  /** Prefix of temporary files (`state.json.tmp-PID-RANDOM`), renamed into place or removed. */
  readonly tempPrefix: string;
}

export function statePaths(dir: string): StatePaths {
  const abs = path.resolve(dir);
  const state = path.join(abs, STATE_FILE_NAME);
  return {
    dir: abs,
    state,
    backup: `${state}.bak`,
    lock: `${state}.lock`,
    tempPrefix: `${STATE_FILE_NAME}.tmp-`,
  };
}
