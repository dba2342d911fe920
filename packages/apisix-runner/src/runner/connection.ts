// One APISIX connection. APISIX runs one exchange at a time per connection (PrepareConf, or a call
// with any number of ExtraInfo round trips inside it), so frames are handled strictly in order;
// concurrency comes from APISIX opening many connections, which the server serves in parallel.
import type { Socket } from 'node:net';
import { FrameReader, FrameTooLargeError, type Frame } from '../protocol/frame.js';
import { ErrorCode, MAX_PAYLOAD_BYTES, RpcType } from '../protocol/rpc.js';
import {
  decodeExtraInfoBytes,
  decodeExtraInfoText,
  decodeHttpReqCallRequest,
  decodeHttpRespCallRequest,
  decodePrepareConfRequest,
  encodeError,
  encodeExtraInfoRequest,
  encodeHttpReqCallResponse,
  encodeHttpRespCallResponse,
  encodePrepareConfResponse,
} from '../protocol/runner-codec.js';
import type { ConfCache } from './conf-cache.js';
import type { CallContext, CallHandler } from './handler.js';
import type { Logger } from './log.js';

export interface ConnectionOptions<C> {
  readonly handler: CallHandler<C>;
  readonly confs: ConfCache<C>;
  readonly log: Logger;
  readonly maxPayloadBytes: number;
}

class ProtocolViolation extends Error {}

/** One variables() or body() call: its answers arrive in the order they were asked. */
interface VariableBatch {
  readonly values: unknown[];
  answered: number;
  /** Each answer's payload as the call wants it: text for a variable, bytes for a body. */
  readonly decode: (payload: Uint8Array) => { ok: true; value: unknown } | { ok: false; error: string };
  readonly resolve: (values: unknown[]) => void;
  readonly reject: (error: Error) => void;
}

const BODY_REQUESTS = { 'req-body': encodeExtraInfoRequest({ kind: 'req-body' }), 'resp-body': encodeExtraInfoRequest({ kind: 'resp-body' }) } as const;

// Handlers ask for the same few variables on every call, and a request frame for one never
// changes: encode each once. Bounded, since a handler could ask for names it builds per call.
const MAX_CACHED_VARIABLE_REQUESTS = 64;
const variableRequests = new Map<string, Buffer>();

function variableRequest(name: string): Buffer {
  let frame = variableRequests.get(name);
  if (frame === undefined) {
    frame = encodeExtraInfoRequest({ kind: 'var', name });
    if (variableRequests.size < MAX_CACHED_VARIABLE_REQUESTS) variableRequests.set(name, frame);
  }
  return frame;
}

/** Names the setting to raise when the runner's own cap (not the protocol's) refused the frame. */
function tooLarge(error: FrameTooLargeError): string {
  return error.limit < MAX_PAYLOAD_BYTES ? `${error.message} (TOLLGATE_MAX_FRAME_BYTES)` : error.message;
}

export class Connection<C> {
  private readonly reader: FrameReader;
  private readonly queue: Frame[] = [];
  private busy = false;
  private closed = false;
  /** Whether an exchange was answered: a new connection is waiting for the call APISIX opened it for. */
  private answered = false;
  /** Variable requests of the call in progress still waiting for answers, oldest first. */
  private readonly variableBatches: VariableBatch[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions<C>,
  ) {
    this.reader = new FrameReader(options.maxPayloadBytes);
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('error', (error) => {
      options.log.debug(`connection error: ${error.message}`);
    });
    socket.on('close', () => {
      this.onClose();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Closes the connection unless an exchange is in progress: a call waiting for APISIX's ExtraInfo
   * answer, a queued or half-received frame, or a new connection before its first call. Closing
   * one of those would fail a request APISIX is making.
   */
  closeIfIdle(): void {
    if (this.busy || !this.answered || this.queue.length > 0 || this.reader.buffered > 0) return;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      // The stream cannot be resynchronised after a bad header: answer, then hang up.
      this.fail(error instanceof FrameTooLargeError ? tooLarge(error) : String(error));
      return;
    }
    for (const frame of frames) {
      const batch = this.busy ? this.variableBatches[0] : undefined;
      if (batch === undefined) this.queue.push(frame);
      else this.answerVariable(batch, frame);
    }
    this.pump();
  }

  private answerVariable(batch: VariableBatch, frame: Frame): void {
    const decoded = frame.type === RpcType.ExtraInfo ? batch.decode(frame.payload) : undefined;
    if (decoded === undefined || !decoded.ok) {
      this.variableBatches.shift();
      batch.reject(new ProtocolViolation(decoded?.error ?? `expected an ExtraInfo answer, got RPC type ${frame.type}`));
      return;
    }
    batch.values[batch.answered++] = decoded.value;
    if (batch.answered < batch.values.length) return;
    this.variableBatches.shift();
    batch.resolve(batch.values);
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const frame = this.queue.shift();
    if (frame === undefined) return;
    this.busy = true;
    let answer: Buffer | Promise<Buffer>;
    try {
      answer = this.answer(frame);
    } catch (error) {
      answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (Buffer.isBuffer(answer)) {
      this.finish(answer);
      return;
    }
    answer.then(
      (frameOut) => {
        this.finish(frameOut);
      },
      (error: unknown) => {
        if (error instanceof ProtocolViolation) {
          this.fail(error.message);
          this.settle();
          return;
        }
        this.options.log.error(`call failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.finish(encodeError(ErrorCode.ServiceUnavailable));
      },
    );
  }

  private finish(frame: Buffer): void {
    this.write(frame);
    this.answered = true;
    this.settle();
    this.pump();
  }

  private settle(): void {
    this.busy = false;
    this.variableBatches.length = 0;
  }

  /** Answers one exchange; synchronous unless the handler is (the common no-ExtraInfo path stays sync). */
  private answer(frame: Frame): Buffer | Promise<Buffer> {
    switch (frame.type) {
      case RpcType.PrepareConf:
        return this.prepareConf(frame.payload);
      case RpcType.HttpReqCall:
        return this.reqCall(frame.payload);
      case RpcType.HttpRespCall:
        return this.respCall(frame.payload);
      default:
        this.options.log.warn(`unexpected RPC type ${frame.type} outside a call`);
        return encodeError(ErrorCode.BadRequest);
    }
  }

  private prepareConf(payload: Uint8Array): Buffer {
    const decoded = decodePrepareConfRequest(payload);
    if (!decoded.ok) return this.badRequest(decoded.error);
    const prepared = this.options.handler.prepare(decoded.value.conf);
    if (!prepared.ok) {
      return this.badRequest(`rejected conf for ${decoded.value.key || '(no key)'}: ${prepared.problems.join('; ')}`);
    }
    return encodePrepareConfResponse(this.options.confs.store(decoded.value.key, prepared.conf));
  }

  private reqCall(payload: Uint8Array): Buffer | Promise<Buffer> {
    const decoded = decodeHttpReqCallRequest(payload);
    if (!decoded.ok) return this.badRequest(decoded.error);
    const req = decoded.value;
    const conf = this.options.confs.get(req.confToken);
    if (conf === undefined) return encodeError(ErrorCode.ConfTokenNotFound);
    const action = this.options.handler.reqCall(conf, req, this.context);
    return action instanceof Promise
      ? action.then((resolved) => encodeHttpReqCallResponse({ id: req.id, action: resolved }))
      : encodeHttpReqCallResponse({ id: req.id, action });
  }

  private respCall(payload: Uint8Array): Buffer | Promise<Buffer> {
    const decoded = decodeHttpRespCallRequest(payload);
    if (!decoded.ok) return this.badRequest(decoded.error);
    const conf = this.options.confs.get(decoded.value.confToken);
    if (conf === undefined) return encodeError(ErrorCode.ConfTokenNotFound);
    const resp = this.options.handler.respCall(conf, decoded.value, this.context);
    return resp instanceof Promise ? resp.then(encodeHttpRespCallResponse) : encodeHttpRespCallResponse(resp);
  }

  private readonly context: CallContext = {
    variables: (names) => this.askVariables(names),
    body: (which) => this.askBody(which),
  };

  private askBody(which: 'req-body' | 'resp-body'): Promise<Uint8Array | undefined> {
    if (this.closed) return Promise.reject(new ProtocolViolation('connection closed during the call'));
    return new Promise((resolve, reject) => {
      this.variableBatches.push({ values: [undefined], answered: 0, decode: decodeExtraInfoBytes, resolve: (values) => { resolve(values[0] as Uint8Array | undefined); }, reject });
      this.write(BODY_REQUESTS[which]);
    });
  }

  /** Asks for all `names` at once (APISIX answers pipelined ExtraInfo requests in order). */
  private askVariables(names: readonly string[]): Promise<(string | undefined)[]> {
    if (this.closed) return Promise.reject(new ProtocolViolation('connection closed during the call'));
    if (names.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.variableBatches.push({ values: new Array<string | undefined>(names.length), answered: 0, decode: decodeExtraInfoText, resolve: resolve as (values: unknown[]) => void, reject });
      if (names.length === 1) {
        this.write(variableRequest(names[0] ?? ''));
        return;
      }
      // Several requests leave in one write.
      this.socket.cork();
      for (const name of names) this.write(variableRequest(name));
      this.socket.uncork();
    });
  }

  private badRequest(problem: string): Buffer {
    this.options.log.warn(`bad request: ${problem}`);
    return encodeError(ErrorCode.BadRequest);
  }

  /** Unrecoverable stream state: answer BAD_REQUEST where a reply is still possible, then close. */
  private fail(problem: string): void {
    if (this.closed) return;
    this.options.log.warn(`closing connection: ${problem}`);
    this.write(encodeError(ErrorCode.BadRequest));
    this.socket.end();
    // A peer that never reads would keep the half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.onClose();
  }

  private write(frame: Buffer): void {
    if (!this.closed && this.socket.writable) this.socket.write(frame);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const batch of this.variableBatches.splice(0)) batch.reject(new ProtocolViolation('connection closed during the call'));
  }
}
