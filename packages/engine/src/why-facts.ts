// The request `tollgate why` and the admin API's why endpoint explain: an account and a request
// line, turned into the facts the gateway would hand over once its auth plugin identified that
// account. One place, so the CLI and the admin console explain exactly the same request.
import type { EngineConfig } from './config/engine-config.js';
import type { RequestFacts } from './types.js';

export interface WhyRequest {
  /** A consumer username, or ip:<address>, hdr:<value>, cred:<id>. */
  readonly account: string;
  readonly method: string;
  /** Starts with "/". */
  readonly path: string;
  /** Header names in any case. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly host?: string;
  /** The credential id the consumer authenticated with. */
  readonly credential?: string;
  /** The request body, as the gateway delivers it on routes that read it (an MCP route's JSON-RPC message). */
  readonly body?: string;
}

export function whyFacts(request: WhyRequest, config: EngineConfig): RequestFacts {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.trim().toLowerCase()] = value.trim();
  const [kind, rest] = splitAccount(request.account);
  const identityHeader = config.identity.header?.toLowerCase();
  if (kind === 'hdr' && identityHeader !== undefined) headers[identityHeader] = rest;
  const credentialId = kind === 'cred' ? rest : request.credential;
  return {
    method: request.method.toUpperCase(),
    path: request.path,
    headers,
    query: {},
    clientIp: kind === 'ip' ? rest : '127.0.0.1',
    ...(request.host === undefined ? {} : { host: request.host }),
    ...(kind === 'consumer' ? { consumer: { username: request.account } } : {}),
    ...(credentialId === undefined ? {} : { credentialId }),
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

function splitAccount(account: string): ['ip' | 'hdr' | 'cred' | 'consumer', string] {
  const match = /^(ip|hdr|cred):(.+)$/.exec(account);
  return match === null ? ['consumer', account] : [match[1] as 'ip' | 'hdr' | 'cred', match[2] as string];
}
