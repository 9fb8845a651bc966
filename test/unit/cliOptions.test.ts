// The CLI's command line as data: every command's table parses, helps and refuses the same way.
import * as assert from 'node:assert/strict';
import { COMMANDS, commandHelp, parseCommandLine, usage, usageLine, UsageError, version } from '../../src/cli/options';
import { main, parseArgs } from '../../src/cli';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('CLI command line (option tables)', () => {
  it('answers --help and -h on every command with that command\'s own help, exit 0', async () => {
    for (const spec of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const line = parseCommandLine([...spec.name.split(' '), flag]);
        assert.equal(line.kind, 'help', spec.name);
        assert.equal(line.kind === 'help' && line.spec?.name, spec.name);
      }
      const r = await run([...spec.name.split(' '), '--help']);
      assert.equal(r.code, 0, spec.name);
      assert.equal(r.out, commandHelp(spec));
      assert.equal(r.out.split('\n')[0], `usage: ${usageLine(spec)}`);
      for (const name of Object.keys(spec.options)) assert.ok(r.out.includes(`--${name}`), `${spec.name} --help lists --${name}`);
    }
  });

  it('prints the overview for --help, -h, help and no arguments; help <command> is that command\'s', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      const r = await run(argv);
      assert.equal(r.code, 0);
      assert.equal(r.out, usage());
    }
    for (const spec of COMMANDS) assert.ok(usage().includes(`  ${spec.name}`), spec.name);
    assert.equal((await run(['help', 'records', 'verify'])).out, commandHelp(COMMANDS.find((c) => c.name === 'records verify')!));
  });

  it('prints the version for --version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.out, version());
    assert.equal(version(), (require('../../package.json') as { version: string }).version);
  });

  it('maps a subcommand onto the handler\'s arguments (command, then the subcommand first)', () => {
    assert.deepEqual(parseArgs(['records', 'verify', '--env', 'prod', '--json']), { command: 'records', positional: ['verify'], flags: { env: 'prod', json: true } });
    assert.deepEqual(parseArgs(['scheduled', 'cancel', 'abc', '--env=prod']), { command: 'scheduled', positional: ['cancel', 'abc'], flags: { env: 'prod' } });
    assert.deepEqual(parseArgs(['deploy', 'accounts', '--env', 'stag', '--tag', '1.2.3', '--dry-run']), { command: 'deploy', positional: ['accounts'], flags: { env: 'stag', tag: '1.2.3', 'dry-run': true } });
    assert.deepEqual(parseArgs(['follow', '--once']), { command: 'follow', positional: [], flags: { once: true } });
  });

  it('refuses what a command does not take, naming the command (exit 64)', async () => {
    const cases: Array<[string[], string]> = [
      [['deploy', 'accounts', '--env', 'stag', '--to', '1.0.0'], 'unknown option --to for "deploy"'],
      [['status', '--env', 'prod'], 'unknown option --env for "status"'],
      [['deploy', 'accounts', '--env'], '--env needs a value'],
      [['deploy', 'accounts', '--reason', '--env', 'stag'], '--reason needs a value'],
      [['status', '--json=yes'], '--json takes no value'],
      [['scheduled'], 'scheduled needs a subcommand (list, run, cancel)'],
      [['scheduled', 'purge'], 'unknown scheduled subcommand "purge" (list, run, cancel)'],
      [['launch'], 'unknown command "launch"'],
    ];
    for (const [argv, message] of cases) {
      assert.throws(() => parseCommandLine(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(' '));
      const r = await run(argv);
      assert.equal(r.code, 64, argv.join(' '));
      assert.equal(r.out, '');
    }
  });
});
