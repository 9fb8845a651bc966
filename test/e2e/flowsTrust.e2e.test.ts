// A repository is data, not a credential holder — in the real VS Code against the sandbox. The
// repository's .gitops-deploy.yaml names a listener started here as github.apiUrl (and the person has
// no GITHUB_API_URL of their own), so a deployment would report to it with the GitHub token. The
// editor asks first, per host: "The repository asks to send your GitHub token to <host>. Trust this
// host?" — Cancel stops the run, "Don't trust" deploys without sending it, Trust (another host) sends
// it. The listener proves what arrived. The question is answered by the scripted prompter (a test
// window may not show modal dialogs); the pipeline, its HTTP clients and the deployment are real.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse, parseDocument } from 'yaml';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import { choose, confirm, input, pickOrType, useScriptedFlows, type Asked, type Flows, type ScriptedPrompter } from './flowsPrompter';
import { hasUiDriver, rowAt, screenshot, uiClick, uiCloseWindow, uiDialogHidden, uiDialogState, uiKeys, uiOpenWindow, uiQuickInput, uiRunCommand, uiType, waitFor, workspaceRoot, type TestApi } from './helpers';

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}
const originHead = async () => (await git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0];

interface Listener {
  host: string;
  seen: { method: string; url: string; authorization?: string }[];
  close(): Promise<void>;
}

/** An HTTP listener standing in for a GitHub API the repository names: records every request. */
async function listen(): Promise<Listener> {
  const seen: Listener['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const CONFIG = () => path.join(workspaceRoot(), '.gitops-deploy.yaml');

/** What a colleague's change to the repository would do: github.apiUrl now names `host`. */
async function repositoryNames(host: string): Promise<void> {
  const doc = parseDocument(await fs.readFile(CONFIG(), 'utf8'));
  doc.setIn(['github', 'apiUrl'], `http://${host}`);
  await fs.writeFile(CONFIG(), doc.toString());
}

/**
 * Until a load of the repository that started after the change has finished (a refresh asked while
 * one is loading returns that one and queues another: the second refresh is the queued one).
 */
async function reloaded(api: TestApi): Promise<void> {
  await api.refresh!();
  await api.refresh!();
}

async function payments(env: string): Promise<string | undefined> {
  return parse(await fs.readFile(path.join(workspaceRoot(), 'helm', 'environments', `${env}-env`, 'image-tags.yaml'), 'utf8'))?.payments?.image?.tag;
}

describe('A repository-named GitHub host gets your token only when you trust it (editor)', function () {
  this.timeout(300_000);
  const ctx = useScriptedFlows('payments in stag at 5.0.0', async (a) => (await rowAt(a, 'stag', 'payments')).description.startsWith('5.0.0'));
  let api: TestApi;
  let flows: Flows;
  let prompter: ScriptedPrompter;
  let configBefore: string;
  const userApiUrl = process.env.GITHUB_API_URL;
  const userToken = process.env.GITHUB_TOKEN;
  const listeners: Listener[] = [];
  // The person's GitHub token (code-server takes GITHUB_TOKEN for itself, so the extension host has none).
  const token = `ghp_E2E${crypto.randomBytes(16).toString('hex')}`;

  before(async () => {
    ({ api, flows, prompter } = ctx);
    process.env.GITHUB_TOKEN = token;
    configBefore = await fs.readFile(CONFIG(), 'utf8');
    // The person has no GitHub API URL of their own: the only one is the repository's (the extension reads this process's environment).
    delete process.env.GITHUB_API_URL;
  });

  after(async () => {
    if (userApiUrl !== undefined) process.env.GITHUB_API_URL = userApiUrl;
    if (userToken === undefined) delete process.env.GITHUB_TOKEN;
    else process.env.GITHUB_TOKEN = userToken;
    if (configBefore !== undefined) await fs.writeFile(CONFIG(), configBefore);
    for (const l of listeners) await l.close();
    await api?.refresh?.();
  });

  /** Deploy payments `tag` to stag, answering the trust question (when `answer` is given) with that button id. */
  async function deploy(tag: string, answer?: 'trust' | 'deny' | 'cancel'): Promise<{ outcome?: PipelineOutcome; asked?: Extract<Asked, { kind: 'choose' }> }> {
    let asked: Extract<Asked, { kind: 'choose' }> | undefined;
    prompter.script(
      pickOrType(() => ({ label: tag, tag })),
      input(() => `CHG-5${tag.replace(/\./g, '')} payments ${tag}`),
      confirm(() => 'Deploy'),
      ...(answer ? [choose((q) => ((asked = q), answer))] : []),
    );
    const outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.deploy', { service: 'payments', environment: 'stag' });
    assert.equal(prompter.pending, 0, 'every prompt was asked, and no other');
    return { outcome, asked };
  }

  it('Cancel stops the run; "Don\'t trust" deploys without sending the token, and is remembered for the host: the listener receives nothing', async () => {
    const l = await listen();
    listeners.push(l);
    await repositoryNames(l.host);
    await reloaded(api);
    const head = await originHead();

    const cancelled = await deploy('5.2.0', 'cancel');
    const q = cancelled.asked!;
    assert.equal(q.message, `The repository asks to send your GitHub token to ${l.host}. Trust this host?`);
    assert.equal(q.severity, 'warning');
    assert.deepEqual(q.buttons.map((b) => [b.id, b.label]), [['deny', "Don't trust"], ['trust', `Trust ${l.host}`], ['cancel', 'Cancel']]);
    assert.deepEqual(q.options, { focused: 'deny', dismiss: 'cancel' }, 'Enter does not trust; Escape cancels');
    assert.ok(q.detail.includes(`.gitops-deploy.yaml sets github.apiUrl to http://${l.host}`), q.detail);
    assert.equal(cancelled.outcome, undefined);
    assert.equal(await originHead(), head, 'nothing was pushed');
    assert.equal(await payments('stag'), '5.0.0');
    assert.ok(flows.transcript().includes(`cancelled: the repository asked to send your GitHub token to ${l.host}; nothing was changed`));

    const denied = await deploy('5.2.0', 'deny');
    assert.equal(denied.outcome?.kind, 'deployed', denied.outcome?.message);
    assert.equal(await payments('stag'), '5.2.0');
    assert.deepEqual(l.seen, [], 'no request reached the untrusted host');

    // The answer is remembered for this host: a rollback (its target and reason given, as an
    // inconclusive run's decision gives them) is not asked again, and still sends nothing.
    const reason = 'CHG-5000 back to 5.0.0';
    prompter.script(
      input((iq) => {
        assert.equal(iq.value, reason, 'the reason is prefilled');
        return iq.value;
      }),
      confirm(() => 'Roll back'),
    );
    const back = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.rollback', { service: 'payments', environment: 'stag', to: '5.0.0', reason });
    assert.equal(prompter.pending, 0);
    assert.equal(back?.kind, 'deployed', back?.message);
    assert.equal(back?.mode, 'rollback');
    assert.equal(await payments('stag'), '5.0.0');
    assert.deepEqual(l.seen, []);
  });

  it('Trust (another host): the deployment is reported there with the token', async () => {
    const l = await listen();
    listeners.push(l);
    await repositoryNames(l.host);
    await reloaded(api);
    const trusted = await deploy('5.2.0', 'trust');
    assert.equal(trusted.asked?.message, `The repository asks to send your GitHub token to ${l.host}. Trust this host?`);
    assert.equal(trusted.outcome?.kind, 'deployed', trusted.outcome?.message);
    assert.ok(l.seen.some((x) => x.method === 'POST' && x.url === '/repos/acme/gitops/deployments'), JSON.stringify(l.seen.map((x) => `${x.method} ${x.url}`)));
    assert.ok(l.seen.every((x) => x.authorization === `token ${token}`), 'every request carries the token');
  });

  it('as a person meets it (a window without the test payload, the real modal, the mouse): Cancel sends nothing, Trust sends the token', async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs)
    const personToken = process.env.GH_TOKEN;
    assert.ok(personToken, 'scripts/e2e.mjs gives the workbench a GH_TOKEN');
    const l = await listen();
    listeners.push(l);
    await repositoryNames(l.host);
    const head = await originHead();
    const prodBefore = parse(await git(['show', 'origin/main:helm/environments/prod-env/image-tags.yaml'])).payments.image.tag;
    await uiOpenWindow();
    try {
      /** F1 → Promote to Production → payments → the reason → Deploy on the real plan dialog; resolves with the next dialog. */
      const promote = async () => {
        await uiRunCommand('GitOps Deploy: Promote to Production');
        await uiQuickInput({ title: 'Promote to prod: which service?' });
        await uiType('payments');
        await uiKeys('Enter');
        await uiQuickInput({ title: 'Promote payments 5.2.0 from stag to prod: reason' });
        await uiType('CHG-5200 payments to prod');
        await uiKeys('Enter');
        const plan = (await uiDialogState(60_000))!;
        assert.equal(plan.message, `Deploy payments to prod: ${prodBefore} → 5.2.0?`);
        // The plan's detail is long: its buttons may be below the window's edge; Enter presses the focused one.
        assert.deepEqual(plan.buttons.filter((b) => b.focused).map((b) => b.label), ['Deploy']);
        await uiKeys('Enter');
        await uiDialogHidden();
        return (await uiDialogState(60_000))!;
      };

      const q = await promote();
      await screenshot('trust-host-question');
      assert.equal(q.message, `The repository asks to send your GitHub token to ${l.host}. Trust this host?`);
      assert.deepEqual(q.buttons.map((b) => b.label).sort(), ['Cancel', "Don't trust", `Trust ${l.host}`]);
      assert.deepEqual(q.buttons.filter((b) => b.focused).map((b) => b.label), ["Don't trust"], 'Enter does not trust');
      await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', 'Cancel');
      await uiDialogHidden();
      assert.equal(l.seen.length, 0, 'Cancel: no request reached the host');
      assert.equal(await originHead(), head, 'Cancel: nothing was pushed');

      const again = await promote();
      assert.equal(again.message, q.message, 'Cancel is not remembered: asked again');
      await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', `Trust ${l.host}`);
      await uiDialogHidden();
      await waitFor(api, 'the deployment reported to the trusted host', async () => l.seen.some((x) => x.method === 'POST' && x.url === '/repos/acme/gitops/deployments'), 180_000);
      assert.ok(l.seen.every((x) => x.authorization === `token ${personToken}`), JSON.stringify(l.seen.map((x) => `${x.method} ${x.url} ${x.authorization ? 'with a token' : 'without'}`)));
      await waitFor(api, 'payments 5.2.0 on origin for prod', async () => {
        await git(['fetch', '--quiet', 'origin']);
        return parse(await git(['show', 'origin/main:helm/environments/prod-env/image-tags.yaml'])).payments.image.tag === '5.2.0';
      }, 180_000);
    } finally {
      await uiCloseWindow();
    }
  });
});
