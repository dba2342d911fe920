// The decision log: one JSON line per decision (and per settlement attempt, and per compensation
// that landed or was given up: a void, a completion sent again; per webhook notification sent or failed; the x402 offer checked
// against the facilitator at start-up), to stderr or appended
// to a file. Never stdout: Kong parses the plugin server's stdout. Writes are buffered by the
// stream and never awaited in the request path; a failing file is reported once on stderr.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { DecisionLog } from '../types.js';
import { NO_OBSERVER, type CompensationLog, type MeteringLog, type NotificationLog, type Observer, type OfferCheckLog, type SettlementLog } from './observer.js';

export type DecisionLogTarget = { readonly kind: 'stderr' } | { readonly kind: 'file'; readonly path: string };

export interface DecisionLogSink extends Observer {
  close(): Promise<void>;
}

export function createDecisionLog(target: DecisionLogTarget, now: () => number = Date.now): DecisionLogSink {
  let file: WriteStream | undefined;
  let write: (line: string) => void;
  if (target.kind === 'file') {
    let failed = false;
    file = createWriteStream(target.path, { flags: 'a' });
    file.on('error', (error) => {
      if (!failed) process.stderr.write(`tollgate: decision log ${target.path}: ${error.message}\n`);
      failed = true;
    });
    const stream = file;
    write = (line) => {
      if (!failed) stream.write(line);
    };
  } else {
    write = (line) => process.stderr.write(line);
  }
  return {
    ...NO_OBSERVER,
    decided(log: DecisionLog, latencyMs: number) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), event: 'decision', ...log, latencyMs: round(latencyMs) })}\n`);
    },
    settled(log: SettlementLog) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...log, event: `payment-${log.event}` })}\n`);
    },
    compensated(log: CompensationLog) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...log, event: `${log.work}-${log.outcome}` })}\n`);
    },
    notified(log: NotificationLog) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...log, event: `notification-${log.outcome}` })}\n`);
    },
    metered(log: MeteringLog) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...log, event: `metered-${log.event}` })}\n`);
    },
    offerChecked(log: OfferCheckLog) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), ...log, event: `x402-offer-${log.outcome}` })}\n`);
    },
    close() {
      const stream = file;
      if (stream === undefined) return Promise.resolve();
      return new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
