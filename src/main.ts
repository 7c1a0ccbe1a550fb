import { CommanderError } from 'commander';
import { EXIT_CODES, type ExitCode } from './diagnostics/exit-codes.ts';
import { ToolError } from './diagnostics/tool-error.ts';
import { buildProgram, commandOf, VERSION } from './cli/program.ts';
import { colorFor, printProblems } from './ui/diagnostics.ts';
import { setCommitCheck } from './sinks/commit-check.ts';
import { interruptedError, runBreakingOnSigint, throwIfInterrupted } from './ui/interrupt.ts';
import { nodeIo, type Io } from './ui/io.ts';

/**
 * The one place that catches: runs the CLI and maps what happened to an exit code. It never calls
 * process.exit and never lets a stack trace reach the user (CFMESH_DEBUG=1 shows it).
 */
export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  try {
    if (argv.length === 0) {
      buildProgram(io).outputHelp();
      return 0;
    }
    // the shells' TAB (cfmesh completion): words as typed, not a command line to parse; never fails
    if (argv[0] === '__complete') {
      const { completeCommand } = await import('./cli/commands/complete.ts');
      await completeCommand(argv.slice(1), io);
      return 0;
    }
    await buildProgram(io, commandOf(argv)).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportFailure(error, argv, io);
  }
}

function reportFailure(error: unknown, argv: readonly string[], io: Io): ExitCode {
  const c = colorFor(io, argv.includes('--no-color') ? false : undefined);
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' || error.exitCode === 0) return 0;
    io.stderr.write(`${c.red.bold('error')} ${c.dim('USAGE')} ${error.message.replace(/^error: /, '')}\n`);
    const command = error.code === 'commander.unknownCommand' ? undefined : argv.find((a) => !a.startsWith('-'));
    io.stderr.write(`(run 'cfmesh ${command ? `${command} ` : ''}--help' for usage)\n`);
    return 2;
  }
  if (error instanceof ToolError) {
    if (!error.reported) {
      // An INTERNAL error is told once, by the bug notice below, not also as an input problem.
      printProblems(io, c, error.warnings, error.code === 'INTERNAL' ? undefined : error, { quiet: argv.includes('-q') || argv.includes('--quiet') });
    }
    const code = EXIT_CODES[error.code];
    if (error.code === 'INTERNAL') printBugNotice(io, error);
    return code;
  }
  printBugNotice(io, error);
  return 70;
}

function printBugNotice(io: Io, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(
    `cfmesh ${VERSION} hit an internal error: ${message}\nThis is a bug in cfmesh, not in your input. Please report it with the command you ran and the input if you can share it.\n`,
  );
  if (io.env['CFMESH_DEBUG'] && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('(set CFMESH_DEBUG=1 to include the stack trace in the report)\n');
}

/** Entry for the binary: wires the real process, Ctrl-C and broken pipes. */
export async function run(argv: readonly string[]): Promise<void> {
  // Ctrl-C: the first one aborts `controller` (requests stop, and commands check it between units of
  // work: files, state writes) or stops the synchronous work running at that moment (interrupt.ts);
  // either way the command unwinds with exit 130. A second Ctrl-C ends the process at once.
  const controller = new AbortController();
  let interrupted = false;
  const interrupt = (): ToolError => {
    const reason = interruptedError();
    if (!interrupted) {
      interrupted = true;
      controller.abort(reason);
    }
    return controller.signal.reason instanceof ToolError ? controller.signal.reason : reason;
  };
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupt();
  });
  // A file (the state, a file of -o DIR) is not replaced once Ctrl-C was pressed (sinks/commit-check.ts).
  setCommitCheck(() => controller.signal.aborted);
  const runInterruptible = <T>(work: () => T): T => {
    throwIfInterrupted(controller.signal);
    return runBreakingOnSigint(work, interrupt);
  };
  // `cfmesh convert ... | head`: the reader went away; nothing left to say to it.
  const brokenPipe = () => process.exit(process.exitCode ?? 0);
  // `cfmesh convert ... > out.yaml` on a full disk (ENOSPC) once writes went asynchronous: the product
  // is lost, so success would be a lie. Local I/O, exit 3. (Synchronous write failures are a
  // FILE_WRITE error through the normal path.)
  const outputLost = (why: string) => {
    try {
      process.stderr.write(`error FILE_WRITE cannot write to stdout: ${why}\n`);
    } catch {
      // stderr is gone too
    }
    process.exit(3);
  };
  process.on('uncaughtException', (error) => {
    printBugNotice(nodeIo(undefined, brokenPipe), error);
    process.exit(70);
  });
  process.exitCode = await main(argv, nodeIo(controller.signal, brokenPipe, outputLost, runInterruptible));
}
