// A test resource for the calling `describe`: started in its `beforeAll`, closed in its `afterAll`.
import { afterAll, beforeAll } from 'vitest';

/** `current` is the started resource; reading it outside the describe's tests throws (`what` names it). */
export function useStarted<T extends { close(): Promise<void> }>(what: string, start: () => Promise<T>): { readonly current: T } {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    await started?.close();
  });
  return {
    get current() {
      if (started === undefined) throw new Error(`${what} is started in beforeAll`);
      return started;
    },
  };
}
