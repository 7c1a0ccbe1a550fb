/** Everything the CLI touches of its process, injected so the whole CLI runs in-process in tests. */
export interface OutStream {
  write(chunk: string): void;
  readonly isTTY: boolean;
}

export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly stdinIsTTY: boolean;
  readStdin(): Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long operations stop cleanly. */
  readonly signal?: AbortSignal | undefined;
}

export function nodeIo(signal?: AbortSignal): Io {
  return {
    stdout: lazyStream(1),
    stderr: lazyStream(2),
    // process.stdin builds a stream on first touch
    get stdinIsTTY() {
      return process.stdin.isTTY === true;
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}

/**
 * process.stdout/stderr are created on first use (a pipe's stream loads `net`), so the stream is
 * touched only when something is written (or its isTTY is asked, to colour what is about to be
 * written): a `convert` that prints no warning never builds stderr.
 */
function lazyStream(fd: 1 | 2): OutStream {
  let stream: NodeJS.WriteStream | undefined;
  const open = (): NodeJS.WriteStream => {
    if (stream) return stream;
    stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // `cfmesh convert ... | head`: the reader went away; nothing left to say to it.
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    });
    return stream;
  };
  return {
    write: (chunk) => {
      open().write(chunk);
    },
    // asked only to decide colour, i.e. just before writing
    get isTTY() {
      return open().isTTY === true;
    },
  };
}
