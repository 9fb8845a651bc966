// The packaged extension: `npm run package` builds the .vsix (vsce runs the production build),
// and Debian's unzip lists it. Only the bundles, the webview's built script and stylesheet, the
// icon, the schema and the manifest/docs may ship: no TypeScript source, tests, sandbox,
// scripts, source maps or build metadata.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const VSIX = path.join(ROOT, 'dist', 'gitops-deploy.vsix');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the .vsix (npm run package)', function () {
  this.timeout(300_000);
  let files: string[];

  before(async () => {
    fs.rmSync(VSIX, { force: true });
    await run(NPM, ['run', '--silent', 'package'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('unzip', ['-Z1', VSIX], { maxBuffer: 16 * 1024 * 1024 });
    files = stdout.split('\n').filter((l) => l && !l.endsWith('/'));
  });

  it('holds the bundles, the built webview script and the manifest', () => {
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/cli-main.js', 'extension/media/dist/records.js', 'extension/media/records.css', 'extension/media/gitops.svg', 'extension/schemas/gitops-deploy.schema.json']) {
      assert.ok(files.includes(f), `${f} missing from the .vsix: ${files.join(', ')}`);
    }
  });

  it('ships no source, test, sandbox, script, source map or build metadata', () => {
    const bad = files.filter(
      (f) =>
        (/\.(ts|tsx|mts|cts|mjs|map)$/.test(f) && !f.endsWith('.d.ts')) ||
        /\.meta\.json$/.test(f) ||
        /^extension\/(src|test|sandbox|scripts|node_modules|\.ci|\.tools|\.sandbox|test-results)\//.test(f) ||
        /\.(vsix|log)$/.test(f),
    );
    assert.deepEqual(bad, []);
  });

  it('ships every file it holds on purpose (an allow-list, so a new file is a decision)', () => {
    const allowed = [/^\[Content_Types\]\.xml$/, /^extension\.vsixmanifest$/, /^extension\/(package\.json|readme\.md|changelog\.md|LICENSE(\.txt)?)$/i, /^extension\/dist\/(extension|cli|cli-main)\.js$/, /^extension\/dist\/sdk\/[\w.-]+\.js$/, /^extension\/media\/(gitops\.svg|records\.css|dist\/records\.js)$/, /^extension\/schemas\/[\w.-]+\.json$/];
    assert.deepEqual(files.filter((f) => !allowed.some((re) => re.test(f))), []);
  });
});
