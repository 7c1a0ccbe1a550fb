import type { ChalkInstance } from 'chalk';
import type { Warning } from '../diagnostics/tool-error.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import { colorFor, formatDiagnostic, printProblems } from '../ui/diagnostics.ts';
import type { Io } from '../ui/io.ts';

export interface GlobalFlags {
  readonly color?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly strict?: boolean | undefined;
  readonly verbose?: boolean | undefined;
}

/** What a command needs of the terminal: streams, colour, and the warning policy. */
export interface CommandContext {
  readonly io: Io;
  readonly c: ChalkInstance;
  readonly flags: GlobalFlags;
  /** Progress and notices on stderr (never stdout), silenced by --quiet. */
  info(line: string): void;
  /** Debug lines on stderr with --verbose or CFMESH_DEBUG=1 (never secrets: callers pass redacted text). */
  debug(line: string): void;
  /** Prints warnings; under --strict, fails once they are printed. */
  warn(warnings: readonly Warning[]): void;
  /**
   * Something the user must do or know (a resource to delete by hand, a token sent in clear): a warning
   * on stderr that --quiet does not hide and --strict does not turn into a failure, since by then the
   * command has done its work.
   */
  required(message: string, hint?: string): void;
}

/** The same context with some of its reporting functions replaced (colour stays decided on first use). */
export function contextWith(ctx: CommandContext, changes: Partial<Pick<CommandContext, 'info' | 'warn' | 'required'>>): CommandContext {
  return {
    io: ctx.io,
    get c() {
      return ctx.c;
    },
    flags: ctx.flags,
    info: changes.info ?? ctx.info,
    debug: ctx.debug,
    warn: changes.warn ?? ctx.warn,
    required: changes.required ?? ctx.required,
  };
}

export function createContext(io: Io, flags: GlobalFlags): CommandContext {
  // decided on first use: asking whether stderr is a terminal builds the stderr stream
  let color: ChalkInstance | undefined;
  const colors = (): ChalkInstance => (color ??= colorFor(io, flags.color));
  return {
    io,
    get c() {
      return colors();
    },
    flags,
    info: (line) => {
      if (!flags.quiet) io.stderr.write(`${line}\n`);
    },
    debug: (line) => {
      if (flags.verbose || io.env['CFMESH_DEBUG']) io.stderr.write(`${colors().dim(`debug: ${line}`)}\n`);
    },
    warn: (warnings) => {
      if (warnings.length === 0) return;
      printProblems(io, colors(), warnings, undefined, { quiet: flags.quiet && !flags.strict });
      if (flags.strict) {
        throw new ToolError('STRICT', `${warnings.length} warning(s) and --strict is set`, { hint: 'fix the warnings, or drop --strict' });
      }
    },
    required: (message, hint) => {
      io.stderr.write(formatDiagnostic('warning', { code: 'NOTICE', message, hint }, colors()));
    },
  };
}
