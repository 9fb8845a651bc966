// What a deployment writes: the one-line diff of the values file and the commit messages.
import { oneLine } from './steps/state';

export interface CommitFacts {
  service: string;
  environment: string;
  previousTag: string;
  tag: string;
  reason?: string;
  actor: string;
  windowOverride?: { reason: string; by: string };
}

function trailerBlock(f: CommitFacts): string {
  const lines = [
    `Service: ${f.service}`,
    `Environment: ${f.environment}`,
    `Previous-Tag: ${f.previousTag}`,
    `Tag: ${f.tag}`,
  ];
  if (f.reason) lines.push(`Reason: ${oneLine(f.reason)}`);
  lines.push(`Actor: ${oneLine(f.actor)}`);
  if (f.windowOverride) lines.push(`Window-Override: ${oneLine(f.windowOverride.reason)}`, `Window-Override-By: ${oneLine(f.windowOverride.by)}`);
  return lines.join('\n');
}

/** The body's line that says, before anything else, that the window was overridden. */
function overrideLine(f: CommitFacts): string {
  return f.windowOverride ? `\n\nWINDOW OVERRIDE (emergency, by ${oneLine(f.windowOverride.by)}): ${oneLine(f.windowOverride.reason)}` : '';
}

/** "Deploy accounts to stag: 1.4.0 → 1.5.0", the reason, then git trailers. */
export function deployCommitMessage(f: CommitFacts): string {
  const body = `${overrideLine(f)}${f.reason ? `\n\n${oneLine(f.reason)}` : ''}`;
  return `Deploy ${f.service} to ${f.environment}: ${f.previousTag} → ${f.tag}${body}\n\n${trailerBlock(f)}\n`;
}

/**
 * "Rollback accounts in stag: 1.5.0 → 1.4.0" with the cause. `f.previousTag` is the tag being
 * replaced (the bad one) and `f.tag` the one restored.
 */
/** The commit of a run's change: "Deploy …" for a deployment, "Rollback …" with the reason for a manual rollback. */
export function changeCommitMessage(mode: 'deploy' | 'rollback', f: CommitFacts): string {
  return mode === 'rollback' ? rollbackCommitMessage(f, f.reason ?? 'manual rollback') : deployCommitMessage(f);
}

export function rollbackCommitMessage(f: CommitFacts, cause: string): string {
  return `Rollback ${f.service} in ${f.environment}: ${f.previousTag} → ${f.tag}${overrideLine(f)}\n\n${oneLine(cause)}\n\n${trailerBlock(f)}\n`;
}

export function recordCommitMessage(service: string, environment: string, tag: string, status: string, file: string): string {
  return `Record ${service} ${tag} in ${environment}: ${status}\n\n${file}\n`;
}

/** Add trailer lines to a message that ends with a trailer block (they join that block). */
export function withTrailers(message: string, lines: readonly string[]): string {
  return lines.length ? `${message.replace(/\n+$/, '')}\n${lines.join('\n')}\n` : message;
}

/** A unified diff of the lines that differ (one, for a tag edit), without context. */
export function unifiedDiff(file: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  if (start === a.length && start === b.length) return '';
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--;
    endB--;
  }
  const removed = a.slice(start, endA + 1);
  const added = b.slice(start, endB + 1);
  const range = (first: number, count: number) => (count === 1 ? `${first}` : `${count === 0 ? first - 1 : first},${count}`);
  return [
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${range(start + 1, removed.length)} +${range(start + 1, added.length)} @@`,
    ...removed.map((l) => `-${l}`),
    ...added.map((l) => `+${l}`),
  ].join('\n') + '\n';
}
