// Approving a GitHub Actions run from the editor, in a real VS Code: the sandbox's GitHub
// stand-in runs in the extension host's process on 127.0.0.1, the workspace's config points at
// it, a run for prod waits on the protected environment, the tree shows "Waiting for approval",
// gitopsDeploy.approveRun on that node approves it, the stand-in records the approval and the
// run completes. The distinctive token appears nowhere in what the extension shows.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Faults } from '../../sandbox/faults';
import { GithubApi } from '../../sandbox/github';
import { listen, type Listening } from '../../sandbox/http';
import { activateExtension, children, rowAt, waitFor, workspaceRoot, type Row, type TestApi } from './helpers';

type Api = TestApi & { refresh(): Promise<void>; github: { runs: { transcript(): string; refresh(): Promise<void> } } };

describe('GitHub: approve a waiting run from the editor', function () {
  this.timeout(60_000);
  let api: Api;
  let gh: GithubApi;
  let server: Listening;
  let configFile: string;
  let originalConfig: string | undefined;
  const token = `ghp_E2E${crypto.randomBytes(16).toString('hex')}`;
  const previousToken = process.env.GITHUB_TOKEN;
  const previousTrusted = process.env.GITOPS_DEPLOY_TRUSTED_HOSTS;

  before(async () => {
    api = (await activateExtension()) as Api;
    const root = workspaceRoot();
    let url = '';
    gh = new GithubApi({ owner: 'acme', repo: 'gitops', token, user: 'e2e-reviewer', originDir: path.join(root, '.git'), protectedEnvironments: ['prod'], environments: ['dev', 'stag', 'prod'], runStepSeconds: () => 0.2, faults: new Faults(), baseUrl: () => url, log: () => undefined });
    server = await listen(gh.handle, () => undefined, 'github');
    url = server.url;
    process.env.GITHUB_TOKEN = token;
    // The repository names this GitHub host; the user trusts it (as GITOPS_DEPLOY_TRUSTED_HOSTS says).
    process.env.GITOPS_DEPLOY_TRUSTED_HOSTS = new URL(url).host;
    configFile = path.join(root, '.gitops-deploy.yaml');
    originalConfig = await fs.readFile(configFile, 'utf8').catch(() => undefined);
    await fs.writeFile(configFile, `${originalConfig ?? ''}\ngithub:\n  apiUrl: ${url}\n  owner: acme\n  repo: gitops\n`);
    await api.refresh();
  });

  after(async () => {
    if (originalConfig === undefined) await fs.rm(configFile, { force: true });
    else await fs.writeFile(configFile, originalConfig);
    if (previousToken === undefined) delete process.env.GITHUB_TOKEN;
    else process.env.GITHUB_TOKEN = previousToken;
    if (previousTrusted === undefined) delete process.env.GITOPS_DEPLOY_TRUSTED_HOSTS;
    else process.env.GITOPS_DEPLOY_TRUSTED_HOSTS = previousTrusted;
    gh?.stop();
    await server?.close();
    await api?.refresh();
  });

  it('shows the waiting run under prod and approves it with a comment', async () => {
    // Someone dispatches the workflow for prod (as the GitHub UI would).
    const res = await fetch(`${server.url}/repos/acme/gitops/actions/workflows/deploy-service.yml/dispatches`, { method: 'POST', headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: 'main', inputs: { operation: 'deploy', service: 'accounts', environment: 'prod', image_tag: '1.5.0', reason: 'CHG-100' } }) });
    assert.equal(res.status, 204);
    const run = gh.runs.at(-1)!;
    await new Promise<void>((resolve) => {
      const on = (r: { id: number; status: string }) => r.id === run.id && r.status === 'waiting' && (gh.events.off('run-updated', on), resolve());
      gh.events.on('run-updated', on);
      if (run.status === 'waiting') resolve();
    });

    const node: Row = await waitFor(api, 'the "Waiting for approval" node under prod', async () => {
      await api.github.runs.refresh();
      const rows = await children(api, await rowAt(api, 'prod'));
      return rows.find((r) => r.label.startsWith('Waiting for approval:'));
    });
    assert.match(String(node.item.contextValue), /\bapprovable\b/);
    assert.match(node.description, /reviewers: e2e-reviewer/);

    const completed = new Promise<string>((resolve) => gh.events.on('run-updated', (r: { id: number; status: string; conclusion: string }) => r.id === run.id && r.status === 'completed' && resolve(r.conclusion)));
    const ok = await vscode.commands.executeCommand<boolean>('gitopsDeploy.approveRun', node.node, { comment: 'approved from the editor' });
    assert.equal(ok, true);
    assert.deepEqual(run.reviews, [{ state: 'approved', comment: 'approved from the editor', user: 'e2e-reviewer' }]);
    assert.equal(await completed, 'success');

    await waitFor(api, 'the waiting node to go away', async () => {
      await api.github.runs.refresh();
      const rows = await children(api, await rowAt(api, 'prod'));
      return !rows.some((r) => r.label.startsWith('Waiting for approval:'));
    });
    const shown = api.github.runs.transcript();
    assert.match(shown, /approved run \d+ \(prod\): approved from the editor/);
    assert.ok(!shown.includes(token) && !shown.includes(token.slice(4)), 'the token is in the output channel');
  });

  it('rejects a waiting run through the same command', async () => {
    const before = gh.runs.length;
    await fetch(`${server.url}/repos/acme/gitops/actions/workflows/deploy-service.yml/dispatches`, { method: 'POST', headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: 'main', inputs: { operation: 'deploy', service: 'cards', environment: 'prod', reason: 'CHG-101' } }) });
    const run = gh.runs[before];
    const node = await waitFor(api, 'the second waiting run', async () => {
      await api.github.runs.refresh();
      return (await children(api, await rowAt(api, 'prod'))).find((r) => r.label.endsWith(`#${run.run_number}`) && r.label.startsWith('Waiting'));
    });
    assert.equal(await vscode.commands.executeCommand<boolean>('gitopsDeploy.rejectRun', node.node, { comment: 'not now' }), true);
    assert.equal(run.conclusion, 'failure');
    assert.deepEqual(run.reviews.map((r) => r.state), ['rejected']);
  });
});
