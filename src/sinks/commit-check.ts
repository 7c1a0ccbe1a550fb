// Kept apart from atomic-write.ts (which loads node:crypto and node:fs/promises) so that main.ts
// can install the check without loading them on every start.
import { ToolError } from '../diagnostics/tool-error.ts';

/**
 * Ctrl-C and the commit point: the binary installs a check (main.ts: "was Ctrl-C pressed?") that is
 * asked right before each rename that would replace a file. An interrupted process then leaves the
 * old file (its temporary copy removed) and throws a ToolError INTERRUPTED that `isCommitStopped`
 * recognises; once the rename is done, the new file stands. This is what keeps the state unchanged
 * when Ctrl-C comes before the state file is replaced, whichever command writes it.
 */
let commitCheck: (() => boolean) | undefined;
const stoppedBeforeCommit = new WeakSet<ToolError>();

export function setCommitCheck(check: (() => boolean) | undefined): void {
  commitCheck = check;
}

/** Whether `error` is a write that Ctrl-C stopped before its rename: the old file is still there. */
export function isCommitStopped(error: unknown): boolean {
  return error instanceof ToolError && stoppedBeforeCommit.has(error);
}

export function guardCommit(target: string): void {
  if (commitCheck?.()) throw stoppedBefore(target);
}

/** The error of a write stopped before `target` was replaced (an abort signal seen by the writer itself). */
export function stoppedBefore(target: string): ToolError {
  const detail = `before ${target} was replaced; it is as it was`;
  const error = new ToolError('INTERRUPTED', `interrupted (Ctrl-C) ${detail}`, { detail });
  stoppedBeforeCommit.add(error);
  return error;
}

