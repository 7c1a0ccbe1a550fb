import { writeSync } from 'node:fs';
import { ToolError } from '../diagnostics/tool-error.ts';

/** Everything the CLI touches of its process, injected so the whole CLI runs in-process in tests. */
export interface OutStream {
  write(chunk: string): void;
  readonly isTTY: boolean;
}

export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly stdinIsTTY: boolean;
  /** All of stdin, or (with maxBytes) stopping once more than that was read. */
  readStdin(maxBytes?: number): Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long operations stop cleanly. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Runs pure synchronous work (parse, translate, render) so that Ctrl-C stops it at once, throwing
   * the signal's reason (see interrupt.ts). Without it (in-process tests), the work just runs.
   */
  readonly runInterruptible?: (<T>(work: () => T) => T) | undefined;
  /** The real stderr stream, for a spinner (ora needs a stream); only the UI layer uses it. */
  readonly stderrStream?: (() => NodeJS.WriteStream) | undefined;
  /** Asks a question on the terminal and returns the answer line (only used when stdin is a TTY). */
  readonly prompt?: ((question: string) => Promise<string>) | undefined;
}

/** `onBrokenPipe`: what to do when the reader went away (EPIPE); main.ts ends the process quietly. */
export function nodeIo(
  signal?: AbortSignal,
  onBrokenPipe: () => void = () => {},
  onOutputLost: (why: string) => void = () => {},
  runInterruptible?: <T>(work: () => T) => T,
): Io {
  const stderr = lazyStream(2, onBrokenPipe);
  return {
    stdout: lazyStream(1, onBrokenPipe, onOutputLost),
    stderr,
    runInterruptible,
    stderrStream: stderr.stream,
    // process.stdin builds a stream on first touch
    get stdinIsTTY() {
      return process.stdin.isTTY === true;
    },
    readStdin: async (maxBytes?: number) => {
      const chunks: Buffer[] = [];
      let total = 0;
      // Stop once past the limit: `cat /dev/zero | cfmesh convert -f -` must not grow without bound.
      for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
        total += (chunk as Buffer).length;
        if (maxBytes !== undefined && total > maxBytes) break;
      }
      return Buffer.concat(chunks);
    },
    env: process.env,
    cwd: process.cwd(),
    signal,
    prompt: async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

/**
 * Output goes to the file descriptor with writeSync while it can: process.stdout/stderr are
 * streams built on first use, and building one loads Node's stream machinery (and `net` for a
 * pipe), several ms of a small convert. If the descriptor is non-blocking and full (EAGAIN), the
 * rest of that write and every later one go through the stream, so order is kept. A reader that
 * went away (EPIPE, `cfmesh convert ... | head`) is handed to `onBrokenPipe`.
 */
function lazyStream(fd: 1 | 2, onBrokenPipe: () => void, onOutputLost: (why: string) => void = () => {}): OutStream & { stream: () => NodeJS.WriteStream } {
  let stream: NodeJS.WriteStream | undefined;
  const open = (): NodeJS.WriteStream => {
    if (stream) return stream;
    stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') onBrokenPipe();
      // A full disk (ENOSPC) or a closed stdout once writes went asynchronous: the product is lost.
      else if (fd === 1) onOutputLost(error.code ?? error.message);
    });
    return stream;
  };
  return {
    // From here on every write goes through the stream, in order (a spinner writes to it too).
    stream: open,
    write: (chunk) => {
      if (stream) {
        stream.write(chunk);
        return;
      }
      const bytes = Buffer.from(chunk, 'utf8');
      let at = 0;
      try {
        while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          onBrokenPipe();
          return;
        }
        if (code !== 'EAGAIN') throw new ToolError('FILE_WRITE', `cannot write to ${fd === 1 ? 'stdout' : 'stderr'}: ${code ?? (error as Error).message}`, { cause: error });
        open().write(bytes.subarray(at));
      }
    },
    // asked only to decide colour, i.e. just before writing
    get isTTY() {
      // node:tty loads net: only when colour is being decided
      return stream ? stream.isTTY === true : process.getBuiltinModule('node:tty').isatty(fd);
    },
  };
}
