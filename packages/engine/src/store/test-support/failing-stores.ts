// Stores that fail the way real ones do, for failure-mode tests: refused connections and a server
// that never answers.
import { StoreCallNotSentError, type Store } from '../store.js';

function storeWhere(fail: () => Promise<never>): Store {
  return {
    kind: 'failing',
    admit: fail,
    previewAdmit: fail,
    completeHold: fail,
    voidAdmission: fail,
    claimPayment: fail,
    forgetPayment: fail,
    claimNotice: fail,
    forgetCreditNotices: fail,
    getAccount: fail,
    updateAccount: fail,
    updateAccountOnce: fail,
    changeCredits: fail,
    close: () => Promise.resolve(),
  };
}

/** Every call rejects at once, like a connection refused: never sent. */
export function unreachableStore(): Store {
  return storeWhere(() => Promise.reject(new StoreCallNotSentError('connect ECONNREFUSED 127.0.0.1:6379')));
}

/** Every call stays pending forever, like a server that accepted the connection and hung. */
export function hangingStore(): Store {
  return storeWhere(() => new Promise<never>(() => undefined));
}
