/**
 * Progress of long work on stderr: an ora spinner with counts, only on a terminal and never with
 * --quiet, --json, --no-color, NO_COLOR or TERM=dumb (STYLE.md: spinners only in the UI layer, only
 * on a terminal). Off a terminal nothing extra is printed. ora is loaded only when a spinner is shown.
 */
import type { Io } from './io.ts';

export interface Progress {
  /** Sets the spinner's text, drawn at once (a synchronous step may follow that stops the animation). */
  update(text: string): void;
  /** `label done/total`, redrawn at most every 100 ms (and always for the last one). */
  count(label: string, done: number, total: number): void;
  /** Removes the spinner line; lines printed after it stand alone. Safe to call more than once. */
  stop(): void;
}

export interface ProgressOptions {
  readonly quiet?: boolean | undefined;
  /** commander's --no-color: false. */
  readonly color?: boolean | undefined;
  readonly json?: boolean | undefined;
}

const NONE: Progress = { update: () => {}, count: () => {}, stop: () => {} };

export function progressEnabled(io: Io, options: ProgressOptions): boolean {
  if (options.quiet || options.json || options.color === false || !io.stderrStream) return false;
  const env = io.env;
  if ((env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb' || (env['CI'] ?? '') !== '') return false;
  return io.stderr.isTTY;
}

interface Spinner {
  text: string;
  start(): Spinner;
  stop(): Spinner;
  render(): Spinner;
}

export async function startProgress(io: Io, options: ProgressOptions, text: string): Promise<Progress> {
  if (!progressEnabled(io, options)) return NONE;
  const stream = (io.stderrStream as () => NodeJS.WriteStream)();
  // A terminal of unknown width (a pty nobody sized, 0 columns) would make ora clear lines forever.
  if (!((stream.columns ?? 0) > 0)) return NONE;
  const { default: ora } = (await import('ora')) as unknown as { default: (options: Record<string, unknown>) => Spinner };
  // discardStdin would put the terminal in raw mode: Ctrl-C would then be a byte to read, not a
  // SIGINT, and could not stop synchronous work (interrupt.ts).
  const spinner = ora({ text, stream, discardStdin: false }).start();
  let stopped = false;
  let last = 0;
  return {
    update: (next) => {
      if (stopped) return;
      spinner.text = next;
      spinner.render();
    },
    count: (label, done, total) => {
      if (stopped) return;
      const now = Date.now();
      if (done !== total && now - last < 100) return;
      last = now;
      spinner.text = `${label} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
      spinner.render();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      spinner.stop();
    },
  };
}

/** `n thing(s)` with thousands separators. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
