import type { Io } from '../../src/ui/io.ts';

export interface MemoryIo extends Io {
  readonly out: () => string;
  readonly err: () => string;
}

/** An in-memory Io: the whole CLI runs in-process, as `main(argv, io)`. */
export function memoryIo(options: { cwd?: string; stdin?: string | Uint8Array; env?: Record<string, string | undefined>; tty?: boolean } = {}): MemoryIo {
  let out = '';
  let err = '';
  const tty = options.tty ?? false;
  return {
    stdout: { write: (s) => void (out += s), isTTY: tty },
    stderr: { write: (s) => void (err += s), isTTY: tty },
    stdinIsTTY: tty,
    readStdin: async () => (typeof options.stdin === 'string' ? Buffer.from(options.stdin) : (options.stdin ?? new Uint8Array())),
    env: { NO_COLOR: '1', ...(options.env ?? {}) },
    cwd: options.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
}
