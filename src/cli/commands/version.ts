import { closeSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { DEFAULT_ISTIO_OPTIONS } from '../../istio/options.ts';
import { resolveStateDir, statePaths } from '../../state/location.ts';
import { STATE_VERSION } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { VERSION } from '../version.ts';

export interface VersionFlags {
  readonly json?: boolean | undefined;
  readonly state?: string | undefined;
}

/**
 * `cfmesh version [--json]`. Plain `cfmesh version` (and `-v`) is answered by entry.ts before this
 * module loads; `--json` comes here. The shape is documented in docs/commands.md ("version").
 */
export function versionCommand(ctx: CommandContext, flags: VersionFlags): void {
  if (!flags.json) {
    ctx.io.stdout.write(`${VERSION}\n`);
    return;
  }
  const report = {
    version: VERSION,
    node: process.version,
    istioApiVersion: DEFAULT_ISTIO_OPTIONS.apiVersion,
    // the state format this cfmesh reads (older ones are migrated) and writes
    stateVersion: STATE_VERSION,
    state: stateFile(ctx, flags),
  };
  ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/**
 * The state file the state commands would read (`--state`, `$CFMESH_HOME`, `~/.cfmesh`) and the
 * format version it declares. Only its first bytes are read: cfmesh writes `{"version":N,` first
 * (src/state/lines.ts); no file, or one that does not begin so, gives `version: null`. Nothing is
 * written and no lock is taken: `version` must answer even when the state is broken.
 */
function stateFile(ctx: CommandContext, flags: VersionFlags): { path: string | null; version: number | null } {
  let path: string;
  try {
    path = statePaths(resolveStateDir({ flag: flags.state, env: ctx.io.env, homeDir: ctx.io.env['HOME'] ?? homedir(), cwd: ctx.io.cwd })).state;
  } catch {
    return { path: null, version: null };
  }
  let head = '';
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(64);
      head = buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return { path, version: null };
  }
  // A compact or hand-edited file may spell the member differently; this is what cfmesh writes.
  const m = /^\s*\{\s*"version"\s*:\s*(\d{1,9})\s*[,}]/.exec(head);
  return { path, version: m ? Number(m[1]) : null };
}
