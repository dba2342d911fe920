// The `tollgate` process: the CLI over this process's arguments, environment and standard streams.
// bin/tollgate.js runs the tsc output; the GitHub Action runs its single-file bundle (action/dist).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });
