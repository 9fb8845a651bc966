// The CLI's entry (dist/cli.js): `--help` and `--version` are answered from the option tables
// alone; every command first loads the core (dist/cli-main.js, built from src/cli.ts), which loads
// an SDK only when a command needs it. So `gitops-deploy --help` starts about as fast as `node`.
import { quietWhenClosed } from './cli/io';
import { commandHelp, parseCommandLine, usage, version, type CommandLine } from './cli/options';

const argv = process.argv.slice(2);
let line: CommandLine | undefined;
try {
  line = parseCommandLine(argv);
} catch {
  line = undefined; // a usage error: the core words it as for any command
}
if (line?.kind === 'help') quietWhenClosed(process.stdout)(`${line.spec ? commandHelp(line.spec) : usage()}\n`);
else if (line?.kind === 'version') quietWhenClosed(process.stdout)(`${version()}\n`);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the core is its own file (dist/cli-main.js), loaded for a command only
else (require('./cli-main.js') as typeof import('./cli')).runProcess(argv);
