// RPC numbers and limits of the ext-plugin protocol (apisix/constants.lua, ext-plugin/init.lua).
import { Code } from '../generated/a6/err/code.js';

export const RpcType = {
  Error: 0,
  PrepareConf: 1,
  HttpReqCall: 2,
  ExtraInfo: 3,
  HttpRespCall: 4,
} as const;
export type RpcType = (typeof RpcType)[keyof typeof RpcType];

/** Error codes a runner may answer with (A6.Err.Code). */
export const ErrorCode = {
  BadRequest: Code.BAD_REQUEST,
  ServiceUnavailable: Code.SERVICE_UNAVAILABLE,
  ConfTokenNotFound: Code.CONF_TOKEN_NOT_FOUND,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The text APISIX turns each code into; it retries only on the conf-token one. */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [ErrorCode.BadRequest]: 'bad request',
  [ErrorCode.ServiceUnavailable]: 'service unavailable',
  [ErrorCode.ConfTokenNotFound]: 'conf token not found',
};

/** The 3-byte length field caps a payload at 2^24 - 1 bytes; APISIX refuses anything larger. */
export const MAX_PAYLOAD_BYTES = 0xff_ff_ff;
export const HEADER_BYTES = 4;
