// npm run test:electron — the same e2e suite (test/e2e) in a desktop VS Code downloaded by
// @vscode/test-electron. Needs access to update.code.visualstudio.com, so it does not run on the
// project's offline machines (CI uses `npm run test:e2e`, code-server in a headless browser).
// The UI-driver tests (screenshots, tree rows) skip themselves here.
// Options: --no-build, --version <vscode version> (default: the engines.vscode minimum, 1.100.3).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareFixtureRepo } from '../test/e2e/fixture.mjs';
import { NPM, ROOT, mustRun } from '../test/e2e/harness/tools.mjs';
import { buildTests } from './build-tests.mjs';

const argv = process.argv.slice(2);
const vi = argv.indexOf('--version');
const version = vi >= 0 ? argv[vi + 1] : process.env.VSCODE_TEST_VERSION || '1.100.3';

let code = 1;
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-electron-'));
try {
  if (!argv.includes('--no-build')) await mustRun(NPM, ['run', '--silent', 'build']);
  const suite = await buildTests();
  const workspace = prepareFixtureRepo(base);
  await runTests({
    version,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: suite.index,
    extensionTestsEnv: { GITOPS_E2E_GREP: process.env.GITOPS_E2E_GREP ?? '' },
    launchArgs: [
      workspace,
      '--disable-extensions', // other installed extensions stay out of the test window
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir', path.join(base, 'user-data'),
      '--extensions-dir', path.join(base, 'extensions'),
    ],
  });
  code = 0;
} catch (err) {
  console.error(`test:electron failed: ${err?.message ?? err}`);
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|getaddrinfo/.test(String(err?.message ?? err))) {
    console.error('(VS Code could not be downloaded: this runner needs internet access; use `npm run test:e2e` offline.)');
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
process.exit(code);
