// The evidence pack as both front ends write it (the CLI's `records export` and the editor's Export
// Evidence Pack): the records and trail of one environment, plus the environment reviews of the
// changes' GitHub Actions runs when GitHub is configured and a token is at hand. No vscode import:
// the editor passes the token it got from the user's side (GITHUB_TOKEN or the GitHub sign-in).
import { gitHubPortFor } from '../clients/githubActions';
import { recordsGit } from '../clients/recordsGit';
import type { GitOpsConfig } from '../pipeline/config/types';
import { writeEvidencePack, type EvidencePack } from '../pipeline/evidencePack';

export interface ExportEvidenceRequest {
  environment: string;
  since: Date;
  until: Date;
  /** A new or empty folder. */
  out: string;
  now: Date;
  /** The user's GitHub token; without it (or without github.owner/repo) the pack has no approvals. */
  githubToken?: string;
  signal?: AbortSignal;
}

export function exportEvidencePack(config: GitOpsConfig, r: ExportEvidenceRequest): Promise<EvidencePack> {
  const github = gitHubPortFor(config.github, r.githubToken);
  return writeEvidencePack(config, recordsGit(config.root), { environment: r.environment, since: r.since, until: r.until, out: r.out, now: r.now, signal: r.signal, github });
}
