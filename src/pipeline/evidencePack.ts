// The evidence pack for a change-management review (SOC 2 / ISO 27001): every change to one
// environment in a period, with who, when, why, what, the checks, window overrides, rollbacks and
// their causes, and the trail verification. buildEvidencePack and evidenceHtml are pure;
// writeEvidencePack reads the records, verifies the trail and writes the two files.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { GitOpsConfig } from './config/types';
import { UserError } from './errors';
import type { RunApproval } from './github/port';
import { compareNewestFirst, readRecords, type CheckResult, type LoadedRecord, type RecordStatus } from './model/records';
import { verifyTrail, type EnvironmentVerification, type RecordsGit } from './recordsVerify';

export interface EvidenceChange {
  /** Repository-relative record file. */
  record: string;
  service: string;
  status: RecordStatus;
  who?: string;
  startedAt: string;
  finishedAt?: string;
  why?: string;
  /** Ticket-like identifiers (ABC-123) found in the reason. */
  tickets: string[];
  what: { tag: string; previousTag?: string; digest?: string; signature?: string };
  commit?: string;
  checks: CheckResult[];
  checksPassed: string[];
  windowOverride?: string;
  workflowRun?: { id: string; url?: string; actor?: string };
  /**
   * The run's reviews of this environment (GitHub required reviewers): who approved or rejected it,
   * when (`at`, ISO time, absent when GitHub showed no time for it) and their comment. Absent when
   * the change did not run in GitHub Actions or no GitHub was asked.
   */
  approvals?: { by: string; state: string; at?: string; comment?: string }[];
  /** Why the approvals could not be read (the pack is written without them). */
  approvalsUnavailable?: string;
  rollback?: { commit?: string; cause?: string; result?: string };
}

export interface EvidencePack {
  kind: 'gitops-deploy evidence pack';
  version: 1;
  generatedAt: string;
  environment: string;
  period: { since: string; until: string };
  summary: { changes: number; succeeded: number; rolledBack: number; failed: number; manualRollbacks: number; windowOverrides: number };
  trail: { intact: boolean; records: number; chained: number; problems: { kind: string; file?: string; commit?: string; message: string }[] };
  changes: EvidenceChange[];
}

const TICKET = /\b[A-Z][A-Z0-9]{1,9}-\d{1,7}\b/g;

/** Per workflow run id: its reviews, or why they could not be read. */
export type RunApprovals = ReadonlyMap<string, RunApproval[] | { unavailable: string }>;

export function buildEvidencePack(records: readonly LoadedRecord[], o: { root: string; environment: string; since: Date; until: Date; now: Date; trail: EnvironmentVerification; approvals?: RunApprovals }): EvidencePack {
  const since = o.since.getTime();
  const until = o.until.getTime();
  const list = records
    .filter((r) => r.environment === o.environment)
    .filter((r) => {
      const t = Date.parse(r.startedAt);
      return t >= since && t < until;
    })
    .sort((a, b) => compareNewestFirst(b, a));
  const changes: EvidenceChange[] = list.map((r) => {
    const failed = r.checks.filter((c) => c.status === 'failed' && c.name !== 'rollback');
    const rollbackCheck = r.checks.find((c) => c.name === 'rollback');
    const run = r.workflowRun;
    const reviews = run ? o.approvals?.get(String(run.id)) : undefined;
    const approvals = Array.isArray(reviews)
      ? reviews.filter((a) => a.environments.length === 0 || a.environments.includes(o.environment)).map((a) => ({ by: a.user, state: a.state, ...(a.at ? { at: a.at } : {}), ...(a.comment ? { comment: a.comment } : {}) }))
      : undefined;
    return {
      record: path.relative(o.root, r.file).split(path.sep).join('/'),
      service: r.service,
      status: r.status,
      who: r.actor,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      why: r.reason,
      tickets: [...new Set(r.reason?.match(TICKET) ?? [])],
      what: { tag: r.tag, previousTag: r.previousTag, digest: r.digest, signature: r.checks.find((c) => c.name === 'signature')?.detail },
      commit: r.commit,
      checks: r.checks.map((c) => ({ name: c.name, status: c.status, ...(c.detail !== undefined ? { detail: c.detail } : {}) })),
      checksPassed: r.checks.filter((c) => c.status === 'passed').map((c) => c.name),
      windowOverride: r.windowOverride?.reason,
      workflowRun: run ? { id: String(run.id), url: typeof run.url === 'string' ? run.url : undefined, actor: run.actor } : undefined,
      ...(approvals ? { approvals } : {}),
      ...(reviews && !Array.isArray(reviews) ? { approvalsUnavailable: reviews.unavailable } : {}),
      rollback:
        r.status === 'rolled-back' || rollbackCheck || r.rollbackCommit
          ? { commit: r.rollbackCommit, cause: failed.map((c) => `${c.name}: ${c.detail ?? c.status}`).join('; ') || undefined, result: rollbackCheck?.detail ?? rollbackCheck?.status }
          : undefined,
    };
  });
  const count = (s: RecordStatus) => changes.filter((c) => c.status === s).length;
  return {
    kind: 'gitops-deploy evidence pack',
    version: 1,
    generatedAt: o.now.toISOString(),
    environment: o.environment,
    period: { since: o.since.toISOString(), until: o.until.toISOString() },
    summary: { changes: changes.length, succeeded: count('succeeded'), rolledBack: count('rolled-back'), failed: count('failed'), manualRollbacks: count('rollback'), windowOverrides: changes.filter((c) => c.windowOverride).length },
    trail: {
      intact: o.trail.problems.every((p) => !p.error),
      records: o.trail.records,
      chained: o.trail.chained,
      problems: o.trail.problems.map((p) => ({ kind: p.kind, file: p.file, commit: p.commit, message: p.message })),
    },
    changes,
  };
}

const esc = (s: string | undefined) => (s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function approvalsHtml(c: EvidenceChange): string {
  if (c.approvalsUnavailable) return `<br><span class="muted">approvals not read: ${esc(c.approvalsUnavailable)}</span>`;
  if (!c.approvals) return '';
  if (!c.approvals.length) return '<br><span class="muted">no environment review</span>';
  return c.approvals.map((a) => `<br><strong>${esc(a.state)}</strong> by ${esc(a.by)}${a.at ? ` at ${esc(a.at)}` : ''}${a.comment ? ` (“${esc(a.comment)}”)` : ''}`).join('');
}

/** One HTML file, no external asset, no script: opens in any browser, prints, archives. */
export function evidenceHtml(p: EvidencePack): string {
  const rows = p.changes
    .map((c) => {
      const cls = c.windowOverride ? ' class="override"' : c.status !== 'succeeded' ? ' class="problem"' : '';
      const checks = c.checks.map((k) => `<li class="${esc(k.status)}">${esc(k.name)}: ${esc(k.status)}${k.detail ? ` — ${esc(k.detail)}` : ''}</li>`).join('');
      return `<tr${cls}>
<td>${esc(c.startedAt)}<br><span class="muted">${esc(c.finishedAt)}</span></td>
<td>${esc(c.service)}</td>
<td>${esc(c.what.previousTag ?? '?')} → ${esc(c.what.tag)}<br><code>${esc(c.what.digest)}</code><br><span class="muted">${esc(c.what.signature)}</span></td>
<td>${esc(c.status)}</td>
<td>${esc(c.who)}${c.workflowRun ? `<br><span class="muted">workflow run ${esc(c.workflowRun.id)}${c.workflowRun.url ? ` (${esc(c.workflowRun.url)})` : ''}</span>` : ''}${approvalsHtml(c)}</td>
<td>${esc(c.why)}${c.windowOverride ? `<br><strong>Window override:</strong> ${esc(c.windowOverride)}` : ''}</td>
<td><ul>${checks}</ul>${c.rollback ? `<p><strong>Rollback</strong>${c.rollback.commit ? ` <code>${esc(c.rollback.commit)}</code>` : ''}: ${esc(c.rollback.result)}${c.rollback.cause ? `<br>cause: ${esc(c.rollback.cause)}` : ''}</p>` : ''}</td>
<td><code>${esc(c.commit)}</code><br><span class="muted">${esc(c.record)}</span></td>
</tr>`;
    })
    .join('\n');
  const trail = p.trail.intact
    ? `<p class="ok">✓ The trail of ${esc(p.environment)} is intact: ${p.trail.records} records, ${p.trail.chained} chained; every record's commit changes what the record says; no deploy commit without a record.</p>`
    : `<p class="bad">✗ The trail of ${esc(p.environment)} is broken:</p><ul>${p.trail.problems.map((x) => `<li>${esc(x.kind)}: ${esc(x.message)}</li>`).join('')}</ul>`;
  const s = p.summary;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Evidence pack: ${esc(p.environment)} ${esc(p.period.since.slice(0, 10))} – ${esc(p.period.until.slice(0, 10))}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2328; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 6px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
tr.problem td { background: #fff8e5; }
tr.override td { background: #ffebe9; }
ul { margin: 0; padding-left: 16px; }
li.failed { color: #cf222e; }
code { font-size: 12px; word-break: break-all; }
.muted { color: #59636e; font-size: 12px; }
.ok { color: #1a7f37; } .bad { color: #cf222e; }
</style>
</head>
<body>
<h1>Change evidence: ${esc(p.environment)}</h1>
<p>Period ${esc(p.period.since)} to ${esc(p.period.until)} (UTC) · generated ${esc(p.generatedAt)} by gitops-deploy from the deployment records in git.</p>
<p>${s.changes} records: ${s.succeeded} succeeded, ${s.rolledBack} rolled back, ${s.failed} failed, ${s.manualRollbacks} manual rollbacks; ${s.windowOverrides} deployment-window overrides (highlighted).</p>
<h2>Trail verification</h2>
${trail}
<h2>Changes</h2>
<table>
<thead><tr><th>Started / finished</th><th>Service</th><th>What (tag, digest, signature)</th><th>Status</th><th>Who</th><th>Why</th><th>Checks, rollback</th><th>Commit, record</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="8">No change in this period.</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}

/**
 * Writes evidence.json and evidence.html into `out` (created; it must be new or empty, else a
 * UserError and nothing is written). Returns the pack.
 */
export async function writeEvidencePack(
  config: GitOpsConfig,
  git: RecordsGit,
  o: { environment: string; since: Date; until: Date; out: string; now: Date; signal?: AbortSignal; github?: { runApprovals?(runId: number, signal?: AbortSignal): Promise<RunApproval[]> } },
): Promise<EvidencePack> {
  const env = config.environments.find((e) => e.name === o.environment);
  if (!env) throw new UserError(`unknown environment "${o.environment}" (environments: ${config.environments.map((e) => e.name).join(', ')})`);
  const existing = await fs.readdir(o.out).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(new UserError(`${o.out}: ${err.message}`))));
  if (existing.length) throw new UserError(`${o.out} is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}): choose a new or empty folder; nothing was written`);
  const [{ records }, trail] = await Promise.all([readRecords([env.recordsDir]), verifyTrail(config, git, { environment: o.environment, signal: o.signal })]);
  let pack = buildEvidencePack(records, { root: config.root, environment: o.environment, since: o.since, until: o.until, now: o.now, trail: trail.environments[0] });
  const github = o.github;
  if (github?.runApprovals) {
    // The reviews of the runs the changes came from (one request per run, one after the other).
    const approvals = new Map<string, RunApproval[] | { unavailable: string }>();
    for (const id of new Set(pack.changes.map((c) => c.workflowRun?.id).filter((x): x is string => !!x && /^\d+$/.test(x)))) {
      try {
        approvals.set(id, await github.runApprovals(Number(id), o.signal));
      } catch (err) {
        if (o.signal?.aborted) throw err;
        approvals.set(id, { unavailable: err instanceof Error ? err.message : String(err) });
      }
    }
    pack = buildEvidencePack(records, { root: config.root, environment: o.environment, since: o.since, until: o.until, now: o.now, trail: trail.environments[0], approvals });
  }
  await fs.mkdir(o.out, { recursive: true });
  await fs.writeFile(path.join(o.out, 'evidence.json'), JSON.stringify(pack, null, 2) + '\n');
  await fs.writeFile(path.join(o.out, 'evidence.html'), evidenceHtml(pack));
  return pack;
}
