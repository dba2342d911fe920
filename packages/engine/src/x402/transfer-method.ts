// How an `exact`/`upto` EVM payload moves the tokens (x402 specs/schemes/exact/scheme_exact_evm.md,
// upto/scheme_upto_evm.md), read from its shape: EIP-3009 `authorization`, Permit2
// `permit2Authorization`, or an ERC-7710 delegation. Each names what makes it single-use.
export type TransferMethod = 'eip3009' | 'permit2' | 'erc7710';

/** The payload's single-use identity: what the chain itself refuses to spend twice. */
export interface SpendIdentity {
  readonly method: TransferMethod;
  /** Parts of the replay key, beyond the network (and for EIP-3009 the asset). */
  readonly parts: readonly string[];
  /** Epoch seconds after which the chain refuses it; absent when the payload names none. */
  readonly expiresAtSeconds?: bigint;
}

export function transferMethodOf(inner: Readonly<Record<string, unknown>>): TransferMethod | undefined {
  if (isRecord(inner.authorization)) return 'eip3009';
  if (isRecord(inner.permit2Authorization)) return 'permit2';
  if (typeof inner.delegationManager === 'string' && typeof inner.permissionContext === 'string' && typeof inner.delegator === 'string') return 'erc7710';
  return undefined;
}

/** Undefined when the payload is none of the three, or lacks what its method needs. */
export function spendIdentityOf(inner: Readonly<Record<string, unknown>>): SpendIdentity | undefined {
  switch (transferMethodOf(inner)) {
    case 'eip3009': {
      // EIP-3009: authorizationState(authorizer, nonce) on the token contract.
      const { from, nonce, validBefore } = inner.authorization as Record<string, unknown>;
      const canonical = uint(nonce);
      const before = uint(validBefore);
      if (typeof from !== 'string' || canonical === undefined || before === undefined) return undefined;
      // bytes32 as 0x + 64 lower-case hex digits: how clients write it.
      return { method: 'eip3009', parts: [from.toLowerCase(), `0x${canonical.toString(16).padStart(64, '0')}`], expiresAtSeconds: before };
    }
    case 'permit2': {
      // Permit2's SignatureTransfer: one unordered-nonce bitmap per owner, shared by every token and
      // spender (the exact and the upto proxy alike), so the key names neither.
      const { from, nonce, deadline } = inner.permit2Authorization as Record<string, unknown>;
      const canonical = uint(nonce);
      const until = uint(deadline);
      if (typeof from !== 'string' || canonical === undefined || until === undefined) return undefined;
      return { method: 'permit2', parts: [from.toLowerCase(), canonical.toString()], expiresAtSeconds: until };
    }
    case 'erc7710': {
      // A delegation has no nonce nor deadline in the payload (it may even be multi-use): the
      // delegation itself, redeemed once per request at this gateway while the claim lives.
      const parts = [inner.delegationManager, inner.delegator, inner.permissionContext].map((part) => String(part).toLowerCase());
      return { method: 'erc7710', parts };
    }
    default:
      return undefined;
  }
}

/** A uint256 written in decimal or 0x-hex, as one number: two spellings of a nonce are one nonce. */
function uint(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !/^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/.test(value)) return undefined;
  const n = BigInt(value);
  return n < 2n ** 256n ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
