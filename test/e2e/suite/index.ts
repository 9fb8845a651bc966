// The e2e test entry point: VS Code loads this module in the extension host and calls run().
// Same module for both runners: code-server in a headless browser (scripts/e2e.mjs) and
// @vscode/test-electron (scripts/test-electron.mjs). Test files are bundled next to this file as
// out/test/e2e/**/*.e2e.test.js by scripts/build-tests.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.GITOPS_E2E_TIMEOUT_MS) || 60_000,
    grep: process.env.GITOPS_E2E_GREP || undefined,
  });
  const root = path.resolve(__dirname, '..');
  // scripts/e2e.mjs runs two workbenches: the fixture repository (every test but flows*) and a
  // sandbox-backed repository (GITOPS_E2E_SUITE=sandbox: only flows*.e2e.test.js).
  const sandbox = process.env.GITOPS_E2E_SUITE === 'sandbox';
  const files = (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.e2e.test.js') && path.basename(f).startsWith('flows') === sandbox)
    .sort();
  for (const f of files) mocha.addFile(path.join(root, f));

  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      reject(new Error(`no *.e2e.test.js files under ${root}`));
      return;
    }
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} e2e test${failures === 1 ? '' : 's'} failed`));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
