/** Everything a command touches outside itself, so commands can be run in tests without a process. */
export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A command: arguments after its name in, exit code out (0 ok, 1 findings, 2 usage or tool error). */
export type Command = (args: readonly string[], io: CliIo) => Promise<number>;

/** A usage or tool error: reported on stderr as one line, exit code 2, never a stack trace. */
export class CliError extends Error {}
