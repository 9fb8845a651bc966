// The CLI bundle as the generated workflow runs it, against the sandbox: GitHub Deployments set
// as the pipeline moves (a rollback too), the workflow run in the record, and the token in none
// of stdout, stderr or the records.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { parseRecord } from '../../src/pipeline/model/records';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

function cli(bundle: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { env: env as NodeJS.ProcessEnv }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('CLI in a GitHub Actions run (sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = tempDir('gitops-github-cli-');
    bundle = path.join(dir, 'cli.js');
    await esbuild.build({ entryPoints: [path.join(__dirname, '..', '..', 'src', 'cli.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'error', external: ['vscode'] });
    sb = await startSandbox({ dir: path.join(dir, 'world'), scenario: BASE_SCENARIO, fast: true });
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the run, sets deployment statuses in order for an automatic rollback, and never prints the token', async () => {
    const statuses: [number, string, string][] = [];
    const created: number[] = [];
    sb.github.api.events.on('deployment-created', (d: { id: number }) => created.push(d.id));
    sb.github.api.events.on('deployment-status', (e: { deployment: { id: number }; status: { state: string; log_url: string } }) => statuses.push([e.deployment.id, e.status.state, e.status.log_url]));
    const runEnv = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '9123456789', GITHUB_RUN_ATTEMPT: '1', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/gitops', GITHUB_WORKFLOW: 'Deploy Service to Environment', GITHUB_ACTOR: 'mona' };
    const r = await cli(bundle, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0', '--reason', 'CHG-42', '--repo', sb.repoDir], { PATH: process.env.PATH, HOME: process.env.HOME, ...sb.env, ...runEnv });
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    const runUrl = 'https://github.com/acme/gitops/actions/runs/9123456789';
    assert.equal(created.length, 2);
    assert.deepEqual(statuses.map(([id, state]) => [created.indexOf(id), state]), [[0, 'in_progress'], [0, 'failure'], [1, 'success']]);
    assert.equal(statuses[0][2], runUrl);
    const recordDir = path.join(sb.repoDir, 'docs', 'deployments', 'stag');
    const newest = fs.readdirSync(recordDir).filter((f) => /-accounts(-[a-z]{6})?\.md$/.test(f)).sort().at(-1)!;
    const text = fs.readFileSync(path.join(recordDir, newest), 'utf8');
    const rec = parseRecord(text, newest);
    assert.equal(rec.status, 'rolled-back');
    assert.deepEqual(rec.workflowRun, { id: 9123456789, attempt: 1, url: runUrl, workflow: 'Deploy Service to Environment', actor: 'mona' });
    assert.equal(statuses[1][2], `https://github.com/acme/gitops/blob/main/docs/deployments/stag/${newest}`);
    for (const out of [r.stdout, r.stderr, text]) assert.ok(!out.includes(sb.githubToken), 'the token leaked');
  });

  it('a failing GitHub is a masked warning and the deployment still succeeds', async () => {
    sb.setFault('github', 'POST /repos/acme/gitops/deployments', { code: 500, message: `boom ${sb.githubToken}` });
    const r = await cli(bundle, ['deploy', 'cards', '--env', 'stag', '--tag', '2.2.0', '--reason', 'CHG-43', '--repo', sb.repoDir], { PATH: process.env.PATH, HOME: process.env.HOME, ...sb.env });
    sb.setFault('github', 'POST /repos/acme/gitops/deployments', null);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /warning: GitHub deployment: create failed: .*HTTP 500/);
    assert.ok(!(r.stdout + r.stderr).includes(sb.githubToken), 'the token leaked');
  });
});
