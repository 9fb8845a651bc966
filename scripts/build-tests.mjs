// Bundles the e2e suite for the extension host: test/e2e/suite/index.ts and every
// test/e2e/**/*.e2e.test.ts into out/test/e2e/ (CommonJS; `vscode` and `mocha` stay external:
// the extension host provides vscode, mocha resolves from node_modules).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'test', 'e2e');
const OUT = path.join(ROOT, 'out', 'test', 'e2e');

export async function buildTests() {
  const started = Date.now();
  const tests = fs
    .readdirSync(SRC, { recursive: true })
    .filter((f) => f.endsWith('.e2e.test.ts') && !f.split(path.sep).includes('fixtures'))
    .map((f) => path.join(SRC, f));
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(SRC, 'suite', 'index.ts'), ...tests],
    outbase: SRC,
    outdir: OUT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  console.log(`esbuild: built the e2e suite (${tests.length} test file${tests.length === 1 ? '' : 's'}) into out/test/e2e in ${Date.now() - started} ms`);
  return { outDir: OUT, index: path.join(OUT, 'suite', 'index.js'), count: tests.length, sandboxCount: tests.filter((t) => path.basename(t).startsWith('flows')).length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildTests();
}
