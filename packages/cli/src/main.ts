export interface CliIo { cwd: string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }
export function main(argv: string[], io: CliIo): Promise<number> {
  io.stderr.write(`tollgate: not implemented yet (${argv.join(' ')})\n`);
  return Promise.resolve(2);
}
