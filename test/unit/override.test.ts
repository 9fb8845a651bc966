import * as assert from 'node:assert/strict';
import { cliOverrideReasonProblem, cliRemedy } from '../../src/cliRemedy';
import { webhookBody } from '../../src/clients/webhook';
import { createDeploymentReporter } from '../../src/pipeline/github/deployments';
import type { GitHubPort } from '../../src/pipeline/github/port';
import { OVERRIDE_REASON_MIN, overrideReasonProblem, type OverrideReasonProblem } from '../../src/pipeline/model/override';
import type { Remedy } from '../../src/pipeline/model/remedy';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import { deployCommitMessage, rollbackCommitMessage } from '../../src/pipeline/plan';
import type { PipelineEvent } from '../../src/pipeline/outcome';
import { editorOverrideReasonProblem, editorRemedy, OVERRIDE_BUTTON } from '../../src/providers/remedyText';
import { outcomeNotification } from '../../src/providers/transcript';

describe('window override: the emergency justification', () => {
  it('must be present, one line, long enough, and not the change reason again', () => {
    const cases: [string | undefined, string | undefined, OverrideReasonProblem | undefined][] = [
      [undefined, 'CHG-1 fix', 'missing'],
      ['   ', 'CHG-1 fix', 'missing'],
      ['SEV1 INC-1\nmore', 'CHG-1 fix', 'multi-line'],
      ['x'.repeat(OVERRIDE_REASON_MIN - 1), 'CHG-1 fix', 'too-short'],
      ['x'.repeat(501), 'CHG-1 fix', 'too-long'],
      ['CHG-1234 statement export', 'CHG-1234 statement export', 'same-as-reason'],
      ['  chg-1234   Statement EXPORT ', 'CHG-1234 statement export', 'same-as-reason'],
      ['SEV1 INC-123: payments failing', 'CHG-1234 statement export', undefined],
      ['x'.repeat(OVERRIDE_REASON_MIN), undefined, undefined],
    ];
    for (const [value, reason, problem] of cases) assert.equal(overrideReasonProblem(value, reason), problem, JSON.stringify([value, reason]));
  });

  it('each problem is worded for the terminal (flags) and for the editor (no flags)', () => {
    for (const p of ['missing', 'too-short', 'too-long', 'multi-line', 'same-as-reason'] as const) {
      assert.match(cliOverrideReasonProblem(p), /--override-reason/, p);
      assert.doesNotMatch(editorOverrideReasonProblem(p), /--/, p);
    }
    assert.match(editorOverrideReasonProblem('same-as-reason'), /^This is the change reason again\./);
  });
});

describe('fixes of refused checks, worded at each edge', () => {
  const remedies: Remedy[] = [
    { kind: 'wait-for-window', environment: 'prod', opensAt: '2026-11-18T22:00:00.000Z', opensAtLocal: '17:00 EST', opensIn: '7 h' },
    { kind: 'wait-for-window', environment: 'prod' },
    { kind: 'give-reason', environment: 'prod', mode: 'deploy' },
    { kind: 'give-reason', environment: 'prod', mode: 'rollback' },
    { kind: 'give-reason', environment: 'prod', mode: 'deploy', forOverride: true },
    { kind: 'give-override-reason', environment: 'prod', problem: 'same-as-reason' },
    { kind: 'deploy-upstream-first', service: 'accounts', upstream: 'stag', tag: '1.7.0' },
    { kind: 'pick-rollback-target', service: 'accounts', environment: 'prod' },
  ];

  it('the CLI names flags and commands; the editor names buttons and commands, never a flag', () => {
    for (const r of remedies) {
      const cli = cliRemedy(r);
      const editor = editorRemedy(r, { overrideOffered: true });
      assert.ok(cli.length > 10 && editor.length > 10, r.kind);
      assert.doesNotMatch(editor, /--[a-z]|gitops-deploy /, `${r.kind}: ${editor}`);
      assert.notEqual(cli, editor, r.kind);
    }
    assert.equal(cliRemedy(remedies[0]), 'deploy when the window opens (17:00 EST, in 7 h), or for an emergency add --override-window --override-reason "why it cannot wait" (different from --reason)');
    assert.equal(editorRemedy(remedies[0], { overrideOffered: true }), `Deploy when the window opens (17:00 EST, in 7 h). Only for an emergency: "${OVERRIDE_BUTTON}" below, with a justification and the environment's name typed to confirm.`);
    assert.equal(editorRemedy(remedies[0]), 'Deploy when the window opens (17:00 EST, in 7 h).', 'no override button mentioned where none is offered');
    assert.equal(cliRemedy(remedies[6]), 'deploy it to stag first: gitops-deploy deploy accounts --env stag --tag 1.7.0');
    assert.match(editorRemedy(remedies[6]), /^Deploy accounts 1\.7\.0 to stag first \(Deploy Service to Environment/);
  });
});

describe('a window override is said everywhere', () => {
  const override = { reason: 'SEV1 INC-9: payments down', by: 'alice' };
  const facts = { service: 'accounts', environment: 'prod', previousTag: '1.3.0', tag: '1.4.0', reason: 'CHG-7 fix totals', actor: 'alice', windowOverride: override };

  it('the commit: a WINDOW OVERRIDE line first in the body, and trailers with the reason and who', () => {
    const msg = deployCommitMessage(facts);
    assert.deepEqual(msg.split('\n').slice(0, 5), ['Deploy accounts to prod: 1.3.0 → 1.4.0', '', 'WINDOW OVERRIDE (emergency, by alice): SEV1 INC-9: payments down', '', 'CHG-7 fix totals']);
    assert.ok(msg.includes('\nWindow-Override: SEV1 INC-9: payments down\nWindow-Override-By: alice\n'));
    assert.match(rollbackCommitMessage(facts, 'undo'), /^Rollback accounts in prod: 1\.3\.0 → 1\.4\.0\n\nWINDOW OVERRIDE \(emergency, by alice\)/);
    assert.doesNotMatch(deployCommitMessage({ ...facts, windowOverride: undefined }), /WINDOW OVERRIDE|Window-Override/);
  });

  it('the end-of-run notification in the editor and the webhook', () => {
    const o = { kind: 'deployed', exitCode: 0, message: 'ok', mode: 'deploy', service: 'accounts', environment: 'prod', tag: '1.4.0', previousTag: '1.3.0', checks: [], steps: [], startedAt: '', finishedAt: '', windowOverride: override } as PipelineOutcome;
    assert.equal(outcomeNotification(o).text, 'WINDOW OVERRIDE (emergency, by alice): Deployed accounts 1.4.0 to prod (1.3.0 → 1.4.0) and verified.');
    const body = webhookBody({ kind: 'succeeded', service: 'accounts', environment: 'prod', tag: '1.4.0', message: 'ok', windowOverride: override });
    assert.match(body.text, /^:white_check_mark: Deployed accounts 1\.4\.0 to prod — WINDOW OVERRIDE: ok$/);
    assert.ok(JSON.stringify(body.blocks).includes('*WINDOW OVERRIDE* by alice\\nSEV1 INC-9: payments down'));
  });

  it('the GitHub deployment: its description and payload', async () => {
    const created: { description: string; payload: unknown }[] = [];
    const statuses: string[] = [];
    const no = () => Promise.reject(new Error('not used'));
    const port = {
      createDeployment: async (i: { description: string; payload: unknown; environment: string }) => {
        created.push({ description: i.description, payload: i.payload });
        return { id: 7, environment: i.environment, createdAt: '' };
      },
      createDeploymentStatus: async (_id: number, i: { state: string; description: string }) => {
        statuses.push(`${i.state}: ${i.description}`);
        return { id: 1, state: i.state, createdAt: '' };
      },
      listDeployments: async () => [],
      listDeploymentStatuses: no,
    } as unknown as GitHubPort;
    const r = createDeploymentReporter({ port, repo: { owner: 'acme', repo: 'gitops', serverUrl: 'https://github.com' }, branch: 'main', headSha: async () => 'a'.repeat(40), warn: assert.fail, request: { service: 'accounts', environment: 'prod', mode: 'deploy' } });
    const at = '2026-11-18T15:00:00Z';
    const ev = (step: string, extra: Partial<Extract<PipelineEvent, { type: 'step-finished' }>> = {}): PipelineEvent => ({ type: 'step-finished', step, title: step, status: 'succeeded', startedAt: at, finishedAt: at, durationMs: 1, ...extra });
    r.onEvent(ev('validate', { output: { windowOverride: override } }));
    r.onEvent(ev('push', { message: 'pushed aaaaaaa' }));
    r.onEvent({ type: 'pipeline-finished', at, outcome: { kind: 'deployed', exitCode: 0, message: 'ok', mode: 'deploy', service: 'accounts', environment: 'prod', tag: '1.4.0', checks: [], steps: [], startedAt: at, finishedAt: at, windowOverride: override } });
    await r.flush();
    assert.deepEqual(created, [{ description: 'WINDOW OVERRIDE: Deploy accounts (emergency: SEV1 INC-9: payments down)', payload: { service: 'accounts', mode: 'deploy', windowOverride: override } }]);
    assert.equal(statuses.at(-1), 'success: deployed accounts 1.4.0 in prod and verified (WINDOW OVERRIDE)');
  });
});
