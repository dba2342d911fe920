export { main } from './main.js';
export type { CliIo, Command } from './io.js';
