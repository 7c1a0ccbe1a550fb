/**
 * Ctrl-C during synchronous work.
 *
 * A `process.on('SIGINT')` handler runs only when the event loop gets a turn, so on its own it
 * cannot stop a parse or a render that runs for seconds without one: the signal would be seen only
 * after the work, and its result written. Node's `vm` can run code with `breakOnSigint`: a watchdog
 * of Node's own (the one its REPL uses) stops the running JavaScript as soon as SIGINT arrives, and
 * the call throws ERR_SCRIPT_EXECUTION_INTERRUPTED. Stopped code runs no `finally` blocks, so only
 * pure work goes through here (parse, translate, render into memory), never a write, a lock or an
 * open file: what it leaves behind is garbage to collect.
 *
 * Each run costs ~0.1 ms (the watchdog is set up and torn down), so callers wrap whole phases, not
 * single resources. While a run is on, Node takes the process's SIGINT listeners away and puts them
 * back after it (node lib/vm.js `sigintHandlersWrap`); the caller learns about the signal from the
 * exception instead. Removing the listeners closes their signal handle, which drops a SIGINT that
 * arrived but was not handled yet: runPure lets the event loop turn first. For the same reason code
 * that runs inside a lock (push's merge into the state) does not go through here: a Ctrl-C there is
 * handled at the next await, and the state file is then not replaced (sinks/commit-check.ts).
 */
import { ToolError } from '../diagnostics/tool-error.ts';
import type { Io } from './io.ts';

type Vm = typeof import('node:vm');

const WORK = Symbol.for('cfmesh.interruptible-work');
let script: InstanceType<Vm['Script']> | undefined;

/**
 * Runs `work` so that Ctrl-C stops it at once; then `onInterrupt` is called and a ToolError
 * INTERRUPTED is thrown. Errors of `work` itself pass through unchanged.
 */
export function runBreakingOnSigint<T>(work: () => T, onInterrupt: () => ToolError): T {
  const vm = process.getBuiltinModule('node:vm');
  script ??= new vm.Script('globalThis[Symbol.for("cfmesh.interruptible-work")]()', { filename: 'cfmesh-interruptible.js' });
  const holder = globalThis as unknown as Record<symbol, (() => void) | undefined>;
  const previous = holder[WORK];
  let result: { value: T } | undefined;
  holder[WORK] = () => {
    result = { value: work() };
  };
  try {
    script.runInThisContext({ breakOnSigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw onInterrupt();
    throw error;
  } finally {
    holder[WORK] = previous;
  }
  return (result as { value: T }).value;
}

/** The error of Ctrl-C; `detail` says what was (or was not) written, when the caller knows. */
export function interruptedError(detail?: string, hint?: string): ToolError {
  return new ToolError('INTERRUPTED', `interrupted (Ctrl-C)${detail ? `: ${detail}` : '; stopped cleanly'}`, { hint, detail: detail || undefined });
}

/** Whether `error` is the bare Ctrl-C error (no detail of what was left). */
export function isBareInterrupt(error: unknown): boolean {
  return error instanceof ToolError && error.code === 'INTERRUPTED' && error.detail === undefined;
}

/** `error` with what the caller knows was left (`detail`) when it is the bare Ctrl-C error; else `error`. */
export function withInterruptDetail(error: unknown, detail: string, hint?: string): unknown {
  return isBareInterrupt(error) ? interruptedError(detail, hint) : error;
}

/**
 * Pure synchronous work that Ctrl-C stops at once, through the Io (in-process tests just run it).
 *
 * First the event loop turns twice (two setImmediate hops put one poll phase in between), so that
 * a SIGINT which came during the synchronous code before (reading a file, say) reaches the
 * process's handler: Node takes the SIGINT listeners away for the run (see the top of this file),
 * and a signal still waiting for its handler at that moment would be dropped. Then the work runs
 * under the watchdog. What remains are two gaps of microseconds around each run, where Node itself
 * has no handler installed and SIGINT ends the process the default way (a shell still sees 130;
 * nothing is being written then).
 */
export async function runPure<T>(io: Io, work: () => T): Promise<T> {
  if (!io.runInterruptible) return work();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return io.runInterruptible(work);
}

/** Throws the signal's reason (a ToolError INTERRUPTED) when Ctrl-C was pressed. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof ToolError ? signal.reason : interruptedError();
}
