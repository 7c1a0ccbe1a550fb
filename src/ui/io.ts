/** Everything the CLI touches of its process, injected so the whole CLI runs in-process in tests. */
export interface OutStream {
  write(chunk: string): void;
  readonly isTTY: boolean;
}

export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly stdinIsTTY: boolean;
  /**
   * All of stdin. With `maxBytes`, reading may stop once more than that has arrived (the caller
   * refuses the input then), so `cat /dev/zero | cfmesh convert -f -` does not fill the memory.
   */
  readStdin(maxBytes?: number): Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long operations stop cleanly. */
  readonly signal?: AbortSignal | undefined;
  /** Asks a question on the terminal and returns the answer line (only used when stdin is a TTY). */
  readonly prompt?: ((question: string) => Promise<string>) | undefined;
}

export function nodeIo(signal?: AbortSignal): Io {
  const stream = (s: NodeJS.WriteStream): OutStream => ({
    write: (chunk) => {
      s.write(chunk);
    },
    get isTTY() {
      return s.isTTY === true;
    },
  });
  return {
    stdout: stream(process.stdout),
    stderr: stream(process.stderr),
    stdinIsTTY: process.stdin.isTTY === true,
    readStdin: async (maxBytes?: number) => {
      const chunks: Buffer[] = [];
      let total = 0;
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
