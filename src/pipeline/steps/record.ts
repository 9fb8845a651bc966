// Step 6: the audit record, built on origin's head and pushed by id (a race builds it again on the new head).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkText, evidenceSection } from '../evidence';
import type { CauseCode } from '../model/cause';
import { maskSecrets } from '../mask';
import { recordHash } from '../model/chain';
import { CHECK_MARK } from '../model/format';
import { compareNewestFirst, parseRecord, readRecords, runRecordFileName, serializeRecord, type DeploymentRecord, type RecordStatus, type WorkflowRun } from '../model/records';
import { recordCommitMessage } from '../plan';
import type { Step, StepContext } from '../runner';
import { recordBranch } from '../github/pulls';
import { pullRequestRef } from './pullRequest';
import type { PullRequestRef, RecordRef } from '../outcome';
import type { RecordPullRequest } from '../model/records';
import type { Ports } from '../ports';
import { pushOnto, syncCheckout } from './execute';
import { rel, shortSha, type Resolved } from './state';

export interface RecordPlan {
  status: RecordStatus;
  finishedAt: Date;
  /** What went wrong, for failures. */
  cause?: string;
  /** The step where it failed, and why as a code. */
  failedStep?: string;
  causeCode?: CauseCode;
  /** What a person should do now. */
  todo?: string;
}

export function workflowRun(env: Record<string, string | undefined>): WorkflowRun | undefined {
  if (!env.GITHUB_RUN_ID) return undefined;
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : v);
  const run: WorkflowRun = { id: num(env.GITHUB_RUN_ID)! };
  if (env.GITHUB_RUN_ATTEMPT) run.attempt = Number(env.GITHUB_RUN_ATTEMPT);
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) run.url = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  if (env.GITHUB_WORKFLOW) run.workflow = env.GITHUB_WORKFLOW;
  if (env.GITHUB_ACTOR) run.actor = env.GITHUB_ACTOR;
  return run;
}

export function buildRecord(s: Resolved, p: RecordPlan): DeploymentRecord {
  const env = s.settings.env;
  const m = (t: string | undefined) => (t === undefined ? undefined : maskSecrets(t, env));
  return {
    service: s.service,
    environment: s.environment,
    tag: s.target.tag,
    previousTag: s.target.previousTag,
    digest: s.digest,
    imagePushedAt: s.imagePushedAt,
    status: p.status,
    startedAt: s.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    finishedAt: p.finishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    actor: m(s.actor),
    reason: m(s.reason),
    commit: s.pushed ? s.commit : undefined,
    rollbackCommit: s.rollbackPushed ? s.rollbackCommit : undefined,
    windowOverride: s.windowOverride ? { reason: m(s.windowOverride.reason)!, by: m(s.windowOverride.by)! } : undefined,
    workflowRun: workflowRun(env),
    estimate: s.estimate,
    ...(p.failedStep ? { failedStep: p.failedStep } : {}),
    ...(p.causeCode ? { causeCode: p.causeCode } : {}),
    runId: s.runId,
    ...(s.resume ? { interrupted: true } : {}),
    ...(s.alreadyRunning ? { alreadyRunning: true } : {}),
    ...(s.pullRequest ? { pullRequest: recordPr(s.pullRequest) } : {}),
    ...(s.rollbackPullRequest ? { rollbackPullRequest: recordPr(s.rollbackPullRequest) } : {}),
    checks: s.checks.map((c) => ({
      name: c.name,
      status: c.status,
      ...(c.detail !== undefined ? { detail: m(c.detail) } : {}),
      ...(c.evidence?.length ? { evidence: c.evidence.map((e) => ({ kind: e.kind, title: m(e.title)!, summary: m(e.summary)!, lines: [], ...(e.link ? { link: e.link } : {}) })) } : {}),
      ...(c.evidenceFrom ? { evidenceFrom: c.evidenceFrom } : {}),
      ...(c.failedStep ? { failedStep: c.failedStep } : {}),
      ...(c.window ? { window: c.window } : {}),
      ...(c.signature ? { signature: c.signature } : {}),
      ...(c.signatureRefusal ? { signatureRefusal: c.signatureRefusal } : {}),
      ...(c.runningDigest ? { runningDigest: c.runningDigest } : {}),
    })),
  };
}

function recordPr(p: PullRequestRef): RecordPullRequest {
  return { number: p.number, url: p.url, merged: p.merged, ...(p.mergeCommit ? { mergeCommit: p.mergeCommit } : {}), ...(p.mergedBy ? { mergedBy: p.mergedBy } : {}), ...(!p.merged && p.state === 'open' ? { open: true } : {}) };
}

const cell = (t: string | undefined) => (t ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function recordBody(s: Resolved, r: DeploymentRecord, p: RecordPlan): string {
  const env = s.settings.env;
  const verb = s.mode === 'rollback' ? 'rollback' : 'deployment';
  const lines = [`# ${r.service} ${r.previousTag ?? '?'} → ${r.tag} in ${r.environment}: ${r.status}`, ''];
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Service | ${cell(r.service)} |`, `| Environment | ${cell(r.environment)} |`, `| Tag | ${cell(r.tag)}${r.digest ? ` (\`${r.digest}\`)` : ''} |`, `| Previous tag | ${cell(r.previousTag)} |`);
  lines.push(`| Kind | ${s.mode === 'rollback' ? 'manual rollback' : 'deployment'} |`, `| Actor | ${cell(r.actor)} |`, `| Reason | ${cell(r.reason) || '—'} |`);
  lines.push(`| Started | ${r.startedAt} |`, `| Finished | ${r.finishedAt} |`);
  if (r.windowOverride) lines.push(`| WINDOW OVERRIDE | ${cell(r.windowOverride.reason)}${r.windowOverride.by ? ` (by ${cell(r.windowOverride.by)})` : ''} |`);
  if (r.workflowRun) lines.push(`| Workflow run | ${r.workflowRun.url ? `[${r.workflowRun.id}](${r.workflowRun.url})` : r.workflowRun.id} |`);
  lines.push('', '## Checks', '', '| Check | Status | Detail |', '|---|---|---|');
  for (const c of r.checks) lines.push(`| ${cell(c.name)} | ${CHECK_MARK[c.status] ?? ''} ${c.status} | ${cell(checkText(c))} |`);
  lines.push('', '## Commits', '');
  lines.push(`- ${verb}: ${r.commit ? `\`${r.commit}\`` : 'none reached origin'}`);
  if (r.pullRequest) lines.push(`- pull request: [#${r.pullRequest.number}](${r.pullRequest.url}) ${r.pullRequest.merged ? `merged${r.pullRequest.mergedBy ? ` by ${cell(r.pullRequest.mergedBy)}` : ''}${r.pullRequest.mergeCommit ? ` as \`${r.pullRequest.mergeCommit}\`` : ''}` : r.pullRequest.open ? 'still open' : 'closed without merging'}`);
  if (r.rollbackPullRequest) lines.push(`- rollback pull request: [#${r.rollbackPullRequest.number}](${r.rollbackPullRequest.url}) ${r.rollbackPullRequest.merged ? 'merged' : r.rollbackPullRequest.open ? 'still open — a human must merge it' : 'closed without merging'}`);
  if (s.rollbackCommit) lines.push(`- rollback: \`${s.rollbackCommit}\`${s.rollbackPushed ? '' : ' (not pushed)'}`);
  if (p.cause) lines.push('', '## What happened', '', maskSecrets(p.cause, env));
  if (p.todo) lines.push('', '## What to do', '', maskSecrets(p.todo, env));
  lines.push(...evidenceSection(s.checks, (t) => maskSecrets(t, env)));
  return lines.join('\n') + '\n';
}

/**
 * recordHash of the environment's newest record (what the next record links to), or undefined for
 * the first record. Malformed files are not part of the chain.
 */
export async function chainHead(dir: string): Promise<string | undefined> {
  const { records } = await readRecords([dir]);
  const newest = records.sort(compareNewestFirst)[0];
  return newest ? recordHash(await fs.readFile(newest.file)) : undefined;
}

/**
 * recordHash of the newest record in `dirRel` at origin's `rev` (what the next record links to), or
 * undefined for the first. Names start with the start time, so only the newest second is read.
 */
export async function chainHeadAt(git: Ports['git'], rev: string, dirRel: string, signal?: AbortSignal): Promise<string | undefined> {
  const names = (await git.listFiles(rev, dirRel, signal)).filter((f) => f.endsWith('.md') && !f.slice(dirRel.length + 1).includes('/')).sort().reverse();
  if (!names.length) return undefined;
  const stamp = (f: string) => /^\d{8}T\d{6}Z/.exec(f.slice(dirRel.length + 1))?.[0];
  const top = stamp(names[0]);
  const candidates = top ? names.filter((f) => stamp(f) === top) : names;
  let best: { r: DeploymentRecord & { file: string }; text: string } | undefined;
  for (const f of candidates) {
    const text = await git.show(rev, f, signal);
    if (text === undefined) continue;
    let r: DeploymentRecord & { file: string };
    try {
      r = parseRecord(text, f);
    } catch {
      continue; // a malformed file is not part of the chain
    }
    if (!best || compareNewestFirst(r, best.r) < 0) best = { r, text };
  }
  return best ? recordHash(best.text) : undefined;
}

/** The commit of a record: what it records, then the run's id as a trailer (the journal's "finished"). */
export function recordMessage(s: Resolved, status: string, relFile: string): string {
  return `${recordCommitMessage(s.service, s.environment, s.target.tag, status, relFile)}\nRun-Id: ${s.runId}\n`;
}

/**
 * The record as a pull request (origin's branch is protected): its commit on
 * `gitops-deploy/records/{env}/{service}/{runId}`, merged now when the rules allow, else with
 * auto-merge on. The run does not wait for a human: the journal counts a record branch as finished.
 */
async function recordPullRequest(s: Resolved, ctx: StepContext<'git' | 'pulls'>, git: Ports['git'], sha: string, relFile: string, status: string): Promise<{ commit: string; pr: PullRequestRef } | undefined> {
  const branch = recordBranch(s.environment, s.service, s.runId);
  const pushed = await git.pushBranch(sha, branch, ctx.signal);
  if (!pushed.ok) {
    ctx.log(`could not push the record to ${branch}: ${pushed.message}`, 'warn');
    return undefined;
  }
  const title = recordCommitMessage(s.service, s.environment, s.target.tag, status, relFile).split('\n')[0];
  let pr = await ctx.ports.pulls.create({ head: branch, base: s.settings.config.git.branch, title, body: `The deployment record of run ${s.runId}${s.pullRequest ? ` (pull request #${s.pullRequest.number})` : ''}: \`${relFile}\`.\n\nIt adds one file and changes nothing else.`, labels: s.target.env.git.labels }, ctx.signal);
  ctx.log(`record pull request #${pr.number}: ${pr.htmlUrl}`);
  const m = await ctx.ports.pulls.merge(pr.number, pr.headSha, ctx.signal);
  if (m.merged) {
    pr = await ctx.ports.pulls.get(pr.number, ctx.signal);
    await git.fetch(ctx.signal);
    return { commit: sha, pr: pullRequestRef(pr) };
  }
  let autoMerge = false;
  if (m.refusal === 'review-required' || m.refusal === 'checks-required') {
    const a = await ctx.ports.pulls.enableAutoMerge(pr, ctx.signal);
    autoMerge = a.enabled;
  }
  ctx.log(`record pull request #${pr.number} is not merged yet (${m.message})${autoMerge ? '; auto-merge is on' : ''}: a human must merge it`, 'warn');
  return { commit: sha, pr: pullRequestRef(pr, { waitingFor: m.refusal, ...(autoMerge ? { autoMerge: true } : {}) }) };
}

/**
 * Build the record on origin's head (never in the user's checkout), push it by id, and on a race
 * build it again on the new head — a record is never dropped. Never throws; problems are in `out`.
 */
export function recordStep(plan: () => RecordPlan, out: { ref?: RecordRef; problem?: string }): Step<Resolved, 'git' | 'pulls'> {
  return {
    name: 'record',
    title: 'Write the deployment record',
    needs: ['git', 'pulls'],
    timeoutMs: 120_000,
    async run(s, ctx) {
      const git = ctx.ports.git;
      const p = plan();
      const record = buildRecord(s, p);
      const root = s.settings.config.root;
      const dirRel = rel(root, s.target.env.recordsDir);
      const relFile = `${dirRel}/${runRecordFileName(s.startedAt, s.service, s.runId)}`;
      out.ref = { path: relFile, absolutePath: path.join(root, relFile), status: p.status, pushed: false };
      const message = recordMessage(s, p.status, relFile);
      const build = async (base: string) => {
        record.previousRecord = await chainHeadAt(git, base, dirRel, ctx.signal);
        return { files: { [relFile]: serializeRecord(record, recordBody(s, record, p)) }, message };
      };
      let sha: string | undefined;
      try {
        await git.fetch(ctx.signal);
        const base = await git.remoteSha(ctx.signal);
        const first = await build(base);
        sha = await git.commitOnto(base, first.files, first.message, ctx.signal);
        const r = await pushOnto(git, { sha, base }, build, ctx.log, ctx.signal, 6);
        if (r.ok) {
          out.ref.commit = r.sha;
          out.ref.pushed = true;
          await syncCheckout(s, git, r.sha, ctx.log, ctx.signal);
          return { status: 'succeeded', message: `${relFile} (${shortSha(r.sha)})`, output: { path: relFile } };
        }
        if (r.protected && s.target.env.git.mode === 'pull-request' && !ctx.ports.pulls.unavailable) {
          // origin's branch takes changes only through pull requests: the record goes the same way.
          const via = await recordPullRequest(s, ctx, git, sha, relFile, p.status);
          if (via) {
            out.ref.commit = via.commit;
            out.ref.pushed = true;
            out.ref.pullRequest = via.pr;
            if (!via.pr.merged) out.problem = `a human must merge record pull request #${via.pr.number} (${relFile} is on origin's branch ${via.pr.branch} until then): ${via.pr.url}`;
            return { status: 'succeeded', message: `${relFile} via pull request #${via.pr.number}${via.pr.merged ? ` (merged as ${shortSha(via.pr.mergeCommit)})` : ' (not merged yet)'}`, output: { path: relFile, pullRequest: via.pr } };
          }
        }
        out.problem = `the record ${relFile} could not be pushed: ${r.message}`;
      } catch (err) {
        out.problem = `the record ${relFile} could not be pushed: ${err instanceof Error ? err.message : String(err)}`;
      }
      // Nothing lost: the record commit stays under a local ref; the next run finds the run unfinished and finishes it.
      if (sha) {
        out.ref.commit = sha;
        out.problem += `. It is kept in the commit ${shortSha(sha)}; the next run of ${s.service} in ${s.environment} will offer to finish this one`;
      }
      return { status: 'failed', message: out.problem };
    },
  };
}
