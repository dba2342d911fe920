// The engine's configuration is the engine package's contract; the compiler only produces it.
export type { EngineConfig } from '@tollgate/engine';
