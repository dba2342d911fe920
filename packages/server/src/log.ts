// Servers report through a callback so the embedding process decides where lines go (the CLI
// writes them to stderr as JSON; tests collect them).
export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly [field: string]: unknown;
}

export type Log = (entry: LogEntry) => void;

export const silentLog: Log = () => undefined;

/** A Log writing one JSON object per line (with a timestamp), e.g. to stderr. */
export function jsonLineLog(stream: NodeJS.WritableStream, now: () => number = Date.now): Log {
  return (entry) => {
    stream.write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...entry })}\n`);
  };
}
