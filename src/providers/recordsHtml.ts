// The records webview's HTML shell and the detail payload: pure, no `vscode` import, so unit
// tests check the CSP and the payloads outside the editor.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { LoadedRecord } from '../pipeline/model/records';
import { recordId } from '../pipeline/model/recordsQuery';
import { isHttpUrl, type RecordDetail } from './recordsProtocol';

/** A fresh CSP nonce: 128 random bits, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ShellOptions {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** webview URIs (asWebviewUri) of media/dist/records.js and media/records.css */
  scriptUri: string;
  styleUri: string;
}

/**
 * The page: a strict CSP (nothing inline, scripts only with the nonce, styles and images only
 * from the extension's media folder), one stylesheet, one script. The script builds everything.
 */
export function recordsShell(o: ShellOptions): string {
  const csp = [`default-src 'none'`, `style-src ${o.cspSource}`, `script-src 'nonce-${o.nonce}'`, `img-src ${o.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Deployment Records</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="loading">Loading deployment records…</p></main>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

const GITHUB_RUN = /^(https:\/\/[^/]+\/[^/]+\/[^/]+)\/actions\/runs\/\d+/;

/** The detail view's payload for one record: every field as a string, links only when http(s). */
export function recordDetail(root: string, r: LoadedRecord): RecordDetail {
  const run = r.workflowRun;
  const runUrl = typeof run?.url === 'string' && isHttpUrl(run.url) ? run.url : undefined;
  const repoUrl = runUrl ? GITHUB_RUN.exec(runUrl)?.[1] : undefined;
  const str = (v: unknown) => (v === undefined || v === null || typeof v === 'object' ? undefined : String(v));
  return {
    id: recordId(root, r.file),
    file: path.relative(root, r.file) || r.file,
    service: r.service,
    environment: r.environment,
    tag: r.tag,
    previousTag: r.previousTag,
    digest: r.digest,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    actor: r.actor,
    reason: r.reason,
    commit: r.commit,
    rollbackCommit: r.rollbackCommit,
    windowOverrideReason: r.windowOverride?.reason,
    workflowRun: run ? { id: str(run.id) ?? '', attempt: str(run.attempt), workflow: str(run.workflow), actor: str(run.actor), url: runUrl } : undefined,
    commitUrl: repoUrl && r.commit && /^[0-9a-f]{7,64}$/i.test(r.commit) ? `${repoUrl}/commit/${r.commit}` : undefined,
    checks: r.checks.map((c) => ({ name: c.name, status: c.status, detail: c.detail })),
  };
}
