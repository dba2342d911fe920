// The runner's log: one line per event on stderr. APISIX copies a managed runner's output into its
// own error log, so lines are short, prefixed, and never written per request at the default level.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

export function streamLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (lineLevel: LogLevel) => (message: string) => {
    if (RANK[lineLevel] >= RANK[level]) write(`${new Date().toISOString()} tollgate-runner ${lineLevel}: ${message}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
