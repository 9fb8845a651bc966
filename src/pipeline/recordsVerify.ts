// `records verify`: is the trail complete and unchanged? Per environment: the hash chain of its
// records (model/chain.ts), each record's commit against what the record says it changed, record
// files changed or removed in git after they were committed, and deploy commits that left no record.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { GitOpsConfig } from './config/types';
import { isChainError, recordHash, verifyChain, type ChainProblem, type ChainResult } from './model/chain';
import { parseImageTags } from './model/imageTags';
import { readRecords, type LoadedRecord } from './model/records';

/** What verification needs from git (src/clients/recordsGit.ts adapts the git CLI). */
export interface RecordsGit {
  /** The content of each object name (`<sha>:<path>`, `<sha>^{commit}`…), undefined when missing. */
  objects(names: readonly string[], signal?: AbortSignal): Promise<(string | undefined)[]>;
  /** Commits that touched `relPath` (newest first): sha and full message. */
  commits(relPath: string, signal?: AbortSignal): Promise<{ sha: string; message: string }[]>;
  /** Per commit that touched files under `relDir`: the files and their status letter (A, M, D, R…). */
  fileHistory(relDir: string, signal?: AbortSignal): Promise<{ sha: string; changes: { status: string; file: string }[] }[]>;
  /** Paths under `relDir` with uncommitted changes (added, modified, deleted). */
  uncommitted(relDir: string, signal?: AbortSignal): Promise<{ status: string; file: string }[]>;
  /**
   * The signature of each commit as git verifies it with the user's and the repository's config
   * (`gpg.ssh.allowedSignersFile`, the GPG keyring); commits that are not in the repository are left out.
   */
  signatures(shas: readonly string[], signal?: AbortSignal): Promise<CommitSignature[]>;
}

/**
 * git's verdict on a commit signature (`%G?`): G good; B bad; U good but the key is not trusted
 * (not in the allowed signers); X / Y good but the signature / key expired; R the key is revoked;
 * E cannot be checked (key missing); N no signature, or (when `signed`) no way to check it (e.g.
 * `gpg.ssh.allowedSignersFile` not configured).
 */
export type SignatureStatus = 'G' | 'B' | 'U' | 'X' | 'Y' | 'R' | 'E' | 'N';

export interface CommitSignature {
  sha: string;
  /** The commit object carries a signature (a `gpgsig` header). */
  signed: boolean;
  status: SignatureStatus;
  /** The signing key (`%GK`: a GPG key id or an SSH key fingerprint). */
  key?: string;
  /** The signer (`%GS`: the GPG user id or the allowed-signers principal). */
  signer?: string;
}

export type TrailProblemKind =
  | ChainProblem['kind']
  /** The record's commit (or rollbackCommit) is not in the repository. */
  | 'commit-missing'
  /** The commit does not change the values file's tag as the record says. */
  | 'commit-mismatch'
  /** A committed record file was changed or deleted by a later commit, or has uncommitted changes. */
  | 'record-changed'
  | 'record-deleted'
  /** A deploy or rollback commit no record names: a deployment that left no trace. */
  | 'unrecorded-commit'
  /** git.signCommits: a deploy or record commit without a signature. */
  | 'unsigned-commit'
  /** git.signCommits: a signature that does not verify, or by a revoked key. */
  | 'bad-signature'
  /** git.signCommits: a good signature by a key the allowed signers / keyring do not trust. */
  | 'untrusted-signature'
  /** git.signCommits: signatures that cannot be checked here (no allowed-signers file, key missing); a warning. */
  | 'unverifiable-signature';

export interface TrailProblem {
  kind: TrailProblemKind;
  environment: string;
  /** Repository-relative record file, when the problem is about one. */
  file?: string;
  commit?: string;
  /** False for warnings (a fork of the chain, a signature that cannot be checked here). */
  error: boolean;
  message: string;
  /** Signature problems: git's verdict on the commit. */
  signature?: { status: SignatureStatus; key?: string; signer?: string };
}

export interface EnvironmentVerification {
  environment: string;
  records: number;
  chained: number;
  firstChained?: string;
  head?: string;
  /** With git.signCommits: how many deploy and record commits were checked, and how many verified (G). */
  signatures?: { checked: number; verified: number };
  problems: TrailProblem[];
}

export interface TrailVerification {
  ok: boolean;
  environments: EnvironmentVerification[];
  /** Files in the records folders that are not readable records (not part of the chain). */
  skipped: { file: string; message: string }[];
}

interface Trailers {
  subject: string;
  fields: Record<string, string>;
}

/** The subject and the last paragraph's `Key: value` trailers of a commit message. */
export function parseTrailers(message: string): Trailers {
  const paragraphs = message.replace(/\r\n/g, '\n').trim().split(/\n{2,}/);
  const fields: Record<string, string> = {};
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : '';
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9-]*): (.*)$/.exec(line);
    if (m) fields[m[1]] = m[2];
  }
  return { subject: paragraphs[0]?.split('\n')[0] ?? '', fields };
}

/** A commit written by the pipeline's commit step or its rollback (src/pipeline/plan.ts). */
export function isDeployCommit(t: Trailers, environment: string): boolean {
  return /^(Deploy|Rollback) /.test(t.subject) && t.fields.Environment === environment && !!t.fields.Service && !!t.fields.Tag;
}

const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join('/');

function tagIn(text: string | undefined, service: string, config: GitOpsConfig, file: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    return parseImageTags(text, config.tagPath, file).entries.get(service)?.tag;
  } catch {
    return undefined;
  }
}

export async function verifyTrail(config: GitOpsConfig, git: RecordsGit, opts: { environment?: string; signal?: AbortSignal } = {}): Promise<TrailVerification> {
  const root = config.root;
  const envs = config.environments.filter((e) => !opts.environment || e.name === opts.environment);
  const skipped: TrailVerification['skipped'] = [];
  const out: EnvironmentVerification[] = [];
  for (const env of envs) {
    const { records, problems: bad } = await readRecords([env.recordsDir]);
    for (const p of bad) skipped.push({ file: rel(root, p.file), message: p.message });
    const problems: TrailProblem[] = [];
    // 1. the hash chain
    const chained = await Promise.all(records.map(async (r) => ({ ...r, file: rel(root, r.file), hash: recordHash(await fs.readFile(r.file)) })));
    const chain: ChainResult = verifyChain(env.name, chained);
    for (const p of chain.problems) problems.push({ kind: p.kind, environment: env.name, file: p.file, error: isChainError(p), message: p.message });

    // 2. each record's commits change the values file as the record says
    const valuesRel = rel(root, env.valuesFile);
    const checks: { r: LoadedRecord; sha: string; before?: string; after: string; what: string }[] = [];
    for (const r of records) {
      if (r.commit) checks.push({ r, sha: r.commit, before: r.previousTag, after: r.tag, what: 'commit' });
      if (r.rollbackCommit && r.previousTag) checks.push({ r, sha: r.rollbackCommit, before: r.tag, after: r.previousTag, what: 'rollbackCommit' });
    }
    const names = checks.flatMap((c) => [`${c.sha}^{commit}`, `${c.sha}^:${valuesRel}`, `${c.sha}:${valuesRel}`]);
    const objects = names.length ? await git.objects(names, opts.signal) : [];
    checks.forEach((c, i) => {
      const file = rel(root, c.r.file);
      const [commit, beforeText, afterText] = objects.slice(i * 3, i * 3 + 3);
      if (commit === undefined) {
        problems.push({ kind: 'commit-missing', environment: env.name, file, commit: c.sha, error: true, message: `${file}: its ${c.what} ${c.sha} is not in the repository (fetch, or the history was rewritten)` });
        return;
      }
      const before = tagIn(beforeText, c.r.service, config, valuesRel);
      const after = tagIn(afterText, c.r.service, config, valuesRel);
      if (after !== c.after || (c.before !== undefined && before !== c.before)) {
        problems.push({
          kind: 'commit-mismatch',
          environment: env.name,
          file,
          commit: c.sha,
          error: true,
          message: `${file}: its ${c.what} ${c.sha.slice(0, 12)} changes ${c.r.service} in ${valuesRel} from ${before ?? 'nothing'} to ${after ?? 'nothing'}, the record says ${c.before ?? '?'} → ${c.after}`,
        });
      }
    });

    // 3. record files changed or removed after they were committed
    const recordsRel = rel(root, env.recordsDir);
    const history = await git.fileHistory(recordsRel, opts.signal);
    const seen = new Set<string>();
    // oldest first: a file's first commit adds it; any later change to it is an edit or a removal
    for (const c of history.slice().reverse()) {
      for (const ch of c.changes) {
        if (!ch.file.endsWith('.md') || path.posix.basename(ch.file).toLowerCase() === 'readme.md') continue;
        if (ch.status.startsWith('A')) {
          seen.add(ch.file);
          continue;
        }
        if (!seen.has(ch.file)) continue;
        const deleted = ch.status.startsWith('D') || ch.status.startsWith('R');
        problems.push({ kind: deleted ? 'record-deleted' : 'record-changed', environment: env.name, file: ch.file, commit: c.sha, error: true, message: `${ch.file} was ${deleted ? 'removed' : 'changed'} by commit ${c.sha.slice(0, 12)} after it was recorded` });
      }
    }
    for (const u of await git.uncommitted(recordsRel, opts.signal)) {
      if (!seen.has(u.file)) continue;
      const deleted = u.status.includes('D');
      problems.push({ kind: deleted ? 'record-deleted' : 'record-changed', environment: env.name, file: u.file, error: true, message: `${u.file} is ${deleted ? 'deleted' : 'changed'} in the working tree (not committed)` });
    }

    // 4. deploy commits no record names
    const named = new Set(records.flatMap((r) => [r.commit, r.rollbackCommit]).filter((x): x is string => !!x));
    const deployCommits: string[] = [];
    for (const c of await git.commits(valuesRel, opts.signal)) {
      const t = parseTrailers(c.message);
      if (!isDeployCommit(t, env.name)) continue;
      deployCommits.push(c.sha);
      if (named.has(c.sha)) continue;
      problems.push({ kind: 'unrecorded-commit', environment: env.name, commit: c.sha, error: true, message: `commit ${c.sha.slice(0, 12)} "${t.subject}" has no record in ${recordsRel}: a deployment that left no trace` });
    }

    // 5. signatures of the deploy and record commits (git.signCommits)
    let signatures: EnvironmentVerification['signatures'];
    if (config.git.signCommits) {
      const what = new Map<string, { file?: string; role: string }>();
      for (const r of records) {
        const file = rel(root, r.file);
        if (r.commit) what.set(r.commit, { file, role: 'deploy commit' });
        if (r.rollbackCommit) what.set(r.rollbackCommit, { file, role: 'rollback commit' });
      }
      for (const c of history) for (const ch of c.changes) if (ch.status.startsWith('A') && ch.file.endsWith('.md') && !what.has(c.sha)) what.set(c.sha, { file: ch.file, role: 'record commit' });
      for (const sha of deployCommits) if (!what.has(sha)) what.set(sha, { role: 'deploy commit' });
      const sigs = await git.signatures([...what.keys()], opts.signal);
      const found = signatureProblems(env.name, sigs, what);
      problems.push(...found.problems);
      signatures = { checked: sigs.length, verified: found.verified };
    }
    out.push({ environment: env.name, records: records.length, chained: chain.chained, firstChained: chain.firstChained, head: chain.head, ...(signatures ? { signatures } : {}), problems });
  }
  return { ok: out.every((e) => e.problems.every((p) => !p.error)), environments: out, skipped };
}

/**
 * Signature findings: one per unsigned, badly signed or untrusted commit; the signatures that cannot
 * be checked here (no allowed-signers file, GPG key missing) make one warning for the environment.
 */
export function signatureProblems(environment: string, sigs: readonly CommitSignature[], what: ReadonlyMap<string, { file?: string; role: string }>): { problems: TrailProblem[]; verified: number } {
  const problems: TrailProblem[] = [];
  const unverifiable: CommitSignature[] = [];
  let verified = 0;
  for (const s of sigs) {
    const w = what.get(s.sha) ?? { role: 'commit' };
    const name = `${w.role} ${s.sha.slice(0, 12)}${w.file ? ` (${w.file})` : ''}`;
    const signature = { status: s.status, ...(s.key ? { key: s.key } : {}), ...(s.signer ? { signer: s.signer } : {}) };
    const by = s.signer ? `${s.signer}, key ${s.key ?? '?'}` : `key ${s.key ?? '?'}`;
    const base = { environment, commit: s.sha, ...(w.file ? { file: w.file } : {}), signature };
    if (s.status === 'G') verified++;
    else if (s.status === 'N' && !s.signed) problems.push({ ...base, kind: 'unsigned-commit', error: true, message: `${name} is not signed` });
    else if (s.status === 'B' || s.status === 'R') problems.push({ ...base, kind: 'bad-signature', error: true, message: `${name}: ${s.status === 'B' ? 'the signature does not verify' : `signed with a revoked key (${by})`}` });
    else if (s.status === 'U') problems.push({ ...base, kind: 'untrusted-signature', error: true, message: `${name} is signed by a key that is not trusted here (${by}): not in gpg.ssh.allowedSignersFile or not trusted in the GPG keyring` });
    else if (s.status === 'X' || s.status === 'Y') verified++; // good when it was made; the expiry shows in the fields
    else unverifiable.push(s);
  }
  if (unverifiable.length) {
    const [first] = unverifiable;
    problems.push({
      kind: 'unverifiable-signature',
      environment,
      commit: first.sha,
      error: false,
      signature: { status: first.status, ...(first.key ? { key: first.key } : {}) },
      message: `${unverifiable.length} signed commit(s) cannot be checked here (first ${first.sha.slice(0, 12)}): set gpg.ssh.allowedSignersFile (SSH signatures) or import the signers' GPG keys`,
    });
  }
  return { problems, verified };
}

/** One line per problem and a summary line per environment. */
export function trailText(v: TrailVerification): string[] {
  const lines: string[] = [];
  for (const e of v.environments) {
    const errors = e.problems.filter((p) => p.error).length;
    const sig = e.signatures ? `, ${e.signatures.verified} of ${e.signatures.checked} commits' signatures verified` : '';
    lines.push(`${errors ? '✗' : '✓'} ${e.environment}: ${e.records} records, ${e.chained} chained${e.firstChained ? ` (chain from ${e.firstChained})` : ''}${sig}${errors ? `, ${errors} problem(s)` : ''}`);
    for (const p of e.problems) lines.push(`  ${p.error ? '✗' : '!'} ${p.kind}: ${p.message}`);
  }
  for (const s of v.skipped) lines.push(`! not a record, not verified: ${s.file}: ${s.message}`);
  return lines;
}
