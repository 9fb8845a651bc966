// Step 6: the audit record, committed and pushed (a push race is retried with fetch + rebase).
import { promises as fs } from 'node:fs';
import { checkText, evidenceSection } from '../evidence';
import type { CauseCode } from '../model/cause';
import { maskSecrets } from '../mask';
import { writeFileAtomic } from '../model/atomic';
import { recordHash } from '../model/chain';
import { CHECK_MARK } from '../model/format';
import { compareNewestFirst, readRecords, uniqueRecordFile, serializeRecord, type DeploymentRecord, type RecordStatus, type WorkflowRun } from '../model/records';
import { recordCommitMessage } from '../plan';
import type { Step } from '../runner';
import type { RecordRef } from '../outcome';
import { rel, shortSha, type RunState } from './state';

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

export function buildRecord(s: RunState, p: RecordPlan): DeploymentRecord {
  const env = s.settings.env;
  const m = (t: string | undefined) => (t === undefined ? undefined : maskSecrets(t, env));
  return {
    service: s.service,
    environment: s.environment,
    tag: s.tag!,
    previousTag: s.previousTag,
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

const cell = (t: string | undefined) => (t ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function recordBody(s: RunState, r: DeploymentRecord, p: RecordPlan): string {
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

/** Write, commit and push the record. Never throws; problems are in the result. */
export function recordStep(plan: () => RecordPlan, out: { ref?: RecordRef; problem?: string }): Step<RunState, 'git'> {
  return {
    name: 'record',
    title: 'Write the deployment record',
    needs: ['git'],
    timeoutMs: 120_000,
    async run(s, ctx) {
      const p = plan();
      const record = buildRecord(s, p);
      const dir = s.env!.recordsDir;
      const root = s.settings.config.root;
      await fs.mkdir(dir, { recursive: true });
      const file = await uniqueRecordFile(dir, s.startedAt, s.service);
      record.previousRecord = await chainHead(dir);
      const relFile = rel(root, file);
      out.ref = { path: relFile, absolutePath: file, status: p.status, pushed: false };
      await fs.mkdir(dir, { recursive: true });
      await writeFileAtomic(file, serializeRecord(record, recordBody(s, record, p)));
      const git = ctx.ports.git;
      const sha = await git.commit([relFile], recordCommitMessage(s.service, s.environment, s.tag!, p.status, relFile), ctx.signal);
      out.ref.commit = sha;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const r = await git.push(ctx.signal);
        if (r.ok) {
          out.ref.commit = await git.headSha(ctx.signal);
          out.ref.pushed = true;
          return { status: 'succeeded', message: `${relFile} (${shortSha(out.ref.commit)})`, output: { path: relFile } };
        }
        if (r.rejected !== 'non-fast-forward') {
          out.problem = `the record ${relFile} is committed locally (${shortSha(sha)}) but the push failed: ${r.message}. Push it with git push.`;
          return { status: 'failed', message: out.problem };
        }
        ctx.log(`record push rejected (origin moved); fetch + rebase, attempt ${attempt}`, 'warn');
        await git.fetch(ctx.signal);
        if (!(await git.rebaseOntoRemote(ctx.signal))) break;
      }
      out.problem = `the record ${relFile} is committed locally but could not be pushed (origin kept moving or the rebase conflicted). Run git pull --rebase && git push.`;
      return { status: 'failed', message: out.problem };
    },
  };
}
