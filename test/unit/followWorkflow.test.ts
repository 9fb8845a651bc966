// The generated workflows checked by GitHub's own workflow parser and schema (@actions/workflow-parser,
// the one behind the GitHub Actions language server), and for script injection: no expression
// inside a `run:` script; untrusted values (inputs, the dispatch payload) only through `env:`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import YAML from 'yaml';
import { followWorkflowPath, generateFollowWorkflow } from '../../src/pipeline/follow/workflow';
import { CLI_BUNDLE_PATH, generateWorkflow, workflowFiles } from '../../src/pipeline/github/workflow';

type Parser = typeof import('@actions/workflow-parser', { with: { 'resolution-mode': 'import' } });
let parser: Parser | undefined;
// An ES module that imports its schema JSON without an import attribute, which Node 20 refuses:
// bundled once with esbuild (as the extension itself is built), then required.
async function loadParser(): Promise<Parser> {
  if (parser) return parser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-parser-'));
  const out = path.join(dir, 'workflow-parser.cjs');
  buildSync({ entryPoints: [path.resolve(__dirname, '../../node_modules/@actions/workflow-parser/dist/index.js')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error' });
  parser = require(out) as Parser;
  fs.rmSync(dir, { recursive: true, force: true });
  return parser;
}

/** Every error GitHub's parser reports: YAML/schema errors, then the conversion's (events, cron, jobs). */
async function githubErrors(name: string, content: string): Promise<string[]> {
  const p = await loadParser();
  const parsed = p.parseWorkflow({ name, content }, new p.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const wf = await p.convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(wf.errors ?? []).map((e: { Message: string }) => e.Message));
  }
  return [...new Set(errors)];
}

/** Every `run:` script in the workflow's steps. */
function runScripts(text: string): string[] {
  const wf = YAML.parse(text);
  return Object.values<any>(wf.jobs).flatMap((j) => (j.steps ?? []).map((s: any) => s.run).filter((r: unknown): r is string => typeof r === 'string'));
}

describe('generated workflows against GitHub\'s workflow schema', () => {
  it('a broken workflow is reported (the check can fail)', async () => {
    const broken = generateFollowWorkflow({ environment: 'dev', cliPath: CLI_BUNDLE_PATH }).replace('runs-on:', 'runs_on:').replace('repository_dispatch:', 'repository-dispatched:');
    const errors = await githubErrors('follow-dev.yml', broken);
    assert.ok(errors.some((e) => /runs_on/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /repository-dispatched/.test(e)), errors.join('\n'));
  });

  it('follow-dev.yml is valid: cron, workflow_dispatch, repository_dispatch image-pushed', async () => {
    const text = generateFollowWorkflow({ environment: 'dev', cliPath: CLI_BUNDLE_PATH });
    assert.deepEqual(await githubErrors('follow-dev.yml', text), []);
    const wf = YAML.parse(text);
    assert.deepEqual(wf.on.schedule, [{ cron: '*/10 * * * *' }]);
    assert.deepEqual(wf.on.repository_dispatch, { types: ['image-pushed'] });
    assert.ok('workflow_dispatch' in wf.on);
    const steps = wf.jobs.follow.steps;
    assert.equal(steps[2].env.DISPATCHED_IMAGE, '${{ github.event.client_payload.image }}');
    assert.match(steps[2].run, /node "\$CLI" follow --once --env "\$ENVIRONMENT"/);
    assert.match(steps[3].run, /node "\$CLI" scheduled run/);
  });

  it('deploy-service.yml (with the follow workflow, from a config with follow:) is valid too', async () => {
    const files = workflowFiles({ services: ['accounts', 'cards'], environments: ['dev', 'stag', 'prod'], followEnvironments: ['dev'] }, [{ name: 'cli.js', content: '// cli' }]);
    assert.deepEqual(files.map((f) => f.path), ['.github/workflows/deploy-service.yml', '.github/actions/gitops-deploy/action.yml', CLI_BUNDLE_PATH, followWorkflowPath('dev')]);
    for (const f of files.filter((x) => x.path.startsWith('.github/workflows/'))) assert.deepEqual(await githubErrors(f.path, f.content), [], f.path);
  });

  it('no expression reaches a run: script; untrusted values only through env:', () => {
    for (const text of [generateFollowWorkflow({ environment: 'dev', cliPath: CLI_BUNDLE_PATH }), generateWorkflow({ services: ['accounts'], environments: ['dev', 'prod'] })]) {
      for (const script of runScripts(text)) assert.ok(!script.includes('${{'), `an expression inside run:\n${script}`);
    }
  });

  it('refuses an environment name or a cron that cannot go into the file', () => {
    assert.throws(() => generateFollowWorkflow({ environment: 'dev"; rm -rf /', cliPath: CLI_BUNDLE_PATH }), /cannot be used in a workflow/);
    assert.throws(() => generateFollowWorkflow({ environment: 'dev', cliPath: CLI_BUNDLE_PATH, cron: '@hourly' }), /five-field cron/);
  });
});
