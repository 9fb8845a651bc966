// In-memory fakes of every port, over a real temp directory holding the repository's files.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/pipeline/config/load';
import type { GitOpsConfig } from '../../src/pipeline/config/types';
import { parseImageTags } from '../../src/pipeline/model/imageTags';
import type {
  AppStatus,
  ArgoCdPort,
  ClusterPort,
  DeploymentStatus,
  GitCommit,
  GitPort,
  HealthResponse,
  ImageInfo,
  MetricsPort,
  NotifierPort,
  NotifyEvent,
  PodStatus,
  Ports,
  PushResult,
  RegistryPort,
  SignatureLayer,
} from '../../src/pipeline/ports';
import { WaitTimeoutError } from '../../src/pipeline/ports';
import type { PullRequestPort } from '../../src/pipeline/github/pulls';
import type { PipelineEvent } from '../../src/pipeline/outcome';

export const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------- git

interface Commit {
  sha: string;
  message: string;
  paths: string[];
  files: Record<string, string>;
  date: string;
  parent?: string;
}

let counter = 0;
function fakeSha(seed: string): string {
  return createHash('sha1').update(`${seed}:${counter++}`).digest('hex');
}

function walk(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    if (name === '.git') continue;
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...walk(root, rel));
    else out.push(rel);
  }
  return out;
}

export class FakeGit implements GitPort {
  local: Commit[] = [];
  remote: Commit[] = [];
  /** Forced results for the next pushes (then the real rule: fast-forward only). */
  pushResults: PushResult[] = [];
  calls: string[] = [];
  /** Make commit() throw. */
  failCommit?: string;
  constructor(readonly root: string) {
    const files: Record<string, string> = {};
    for (const f of walk(root)) files[f] = readFileSync(path.join(root, f), 'utf8');
    const c = { sha: fakeSha('init'), message: 'init', paths: Object.keys(files), files, date: '2026-11-01T00:00:00Z' };
    this.local.push(c);
    this.remote.push(c);
  }
  private head(list = this.local): Commit {
    return list[list.length - 1];
  }
  async headSha() {
    return this.head().sha;
  }
  async dirtyFiles() {
    const head = this.head().files;
    const out: string[] = [];
    for (const f of walk(this.root)) {
      const text = readFileSync(path.join(this.root, f), 'utf8');
      if (head[f] !== text) out.push(f);
    }
    return out;
  }
  async commit(paths: string[], message: string) {
    this.calls.push(`commit ${paths.join(',')}`);
    if (this.failCommit) throw new Error(this.failCommit);
    const files = { ...this.head().files };
    for (const p of paths) files[p] = readFileSync(path.join(this.root, p), 'utf8');
    const c = { sha: fakeSha(message), message, paths, files, date: new Date().toISOString() };
    this.local.push(c);
    return c.sha;
  }
  private isAncestorOfLocal(sha: string) {
    return this.local.some((c) => c.sha === sha);
  }
  async push(): Promise<PushResult> {
    this.calls.push('push');
    const forced = this.pushResults.shift();
    if (forced) return forced;
    if (!this.isAncestorOfLocal(this.head(this.remote).sha)) return { ok: false, rejected: 'non-fast-forward', message: 'rejected (fetch first)' };
    this.remote = [...this.local];
    return { ok: true };
  }
  async fetch() {
    this.calls.push('fetch');
  }
  async rebaseOntoRemote() {
    this.calls.push('rebase');
    const base = this.local.findIndex((c) => !this.remote.some((r) => r.sha === c.sha));
    if (base < 0) return true;
    const mine = this.local.slice(base);
    const baseFiles = this.local[base - 1].files;
    const rebased: Commit[] = [];
    let files = { ...this.head(this.remote).files };
    for (const c of mine) {
      for (const p of c.paths) {
        const merged = mergeLines(baseFiles[p], c.files[p], files[p]);
        if (merged === undefined) return false;
        files = { ...files, [p]: merged };
      }
      rebased.push({ ...c, sha: fakeSha(c.message), files });
    }
    this.local = [...this.remote, ...rebased];
    for (const [p, t] of Object.entries(this.head().files)) writeFileSync(path.join(this.root, p), t);
    return true;
  }
  async resetHard(sha: string) {
    this.calls.push(`reset ${sha.slice(0, 7)}`);
    const i = this.local.findIndex((c) => c.sha === sha);
    if (i < 0) throw new Error(`unknown sha ${sha}`);
    this.local = this.local.slice(0, i + 1);
    for (const [p, t] of Object.entries(this.head().files)) writeFileSync(path.join(this.root, p), t);
  }
  async restore(paths: string[]) {
    for (const p of paths) writeFileSync(path.join(this.root, p), this.head().files[p]);
  }
  async show(rev: string, p: string) {
    if (rev === 'origin/main') return this.head(this.remote).files[p];
    return this.find(rev)?.files[p];
  }
  async log(p: string, limit: number): Promise<GitCommit[]> {
    return this.local
      .filter((c) => c.paths.includes(p))
      .reverse()
      .slice(0, limit)
      .map((c) => ({ sha: c.sha, subject: c.message.split('\n')[0], author: 'test', date: c.date }));
  }
  async userName() {
    return 'tester';
  }
  async remoteSha() {
    return this.head(this.remote).sha;
  }
  /** Commits built by commitOnto, not (yet) on any branch. */
  objects = new Map<string, Commit>();
  leases = new Map<string, { sha: string; message: string }>();
  private find(sha: string): Commit | undefined {
    return this.objects.get(sha) ?? [...this.remote, ...this.local].find((c) => c.sha === sha);
  }
  async commitOnto(base: string, files: Record<string, string>, message: string) {
    this.calls.push(`commitOnto ${Object.keys(files).join(',')}`);
    if (this.failCommit) throw new Error(this.failCommit);
    const b = this.find(base === 'origin/main' ? this.head(this.remote).sha : base);
    if (!b) throw new Error(`unknown base ${base}`);
    const c: Commit = { sha: fakeSha(message), message, paths: Object.keys(files), files: { ...b.files, ...files }, date: new Date().toISOString(), parent: b.sha };
    this.objects.set(c.sha, c);
    return c.sha;
  }
  /** origin's main takes no direct push (GitHub's branch protection); merges of pull requests only. */
  protectedMain = false;
  /** Runs once, just before the next pushCommit (someone else pushes in between). */
  beforePush?: () => void;
  async pushCommit(sha: string): Promise<PushResult> {
    this.calls.push('push');
    const hook = this.beforePush;
    this.beforePush = undefined;
    hook?.();
    const forced = this.pushResults.shift();
    if (forced) return forced;
    if (this.protectedMain) return { ok: false, rejected: 'protected', message: 'error: GH006: Protected branch update failed for refs/heads/main.; error: Changes must be made through a pull request.' };
    const c = this.find(sha);
    if (!c) return { ok: false, rejected: 'other', message: `unknown commit ${sha}` };
    if (c.parent !== this.head(this.remote).sha) return { ok: false, rejected: 'non-fast-forward', message: 'rejected (fetch first)' };
    this.remote = [...this.remote, c];
    return { ok: true };
  }
  async syncCheckout(sha: string): Promise<import('../../src/pipeline/ports').CheckoutSync> {
    this.calls.push('sync-checkout');
    const i = this.remote.findIndex((c) => c.sha === sha);
    if (i < 0) return { kind: 'diverged', detail: 'not on origin' };
    if (this.head().sha === sha) return { kind: 'up-to-date' };
    if (!this.remote.slice(0, i + 1).some((c) => c.sha === this.head().sha)) return { kind: 'ahead', detail: 'local commits ahead' };
    const dirty = await this.dirtyFiles();
    const incoming = this.remote[i].files;
    if (dirty.some((f) => incoming[f] !== this.head().files[f])) return { kind: 'dirty', detail: 'local edits in the way' };
    const before = this.head().files;
    this.local = this.remote.slice(0, i + 1);
    for (const [p, t] of Object.entries(this.head().files)) if (before[p] !== t) {
      mkdirSync(path.dirname(path.join(this.root, p)), { recursive: true });
      writeFileSync(path.join(this.root, p), t);
    }
    return { kind: 'fast-forwarded' };
  }
  async localAhead() {
    return this.local.filter((c) => !this.remote.some((r) => r.sha === c.sha)).length;
  }
  async listFiles(rev: string, dir: string) {
    const c = rev === 'origin/main' ? this.head(this.remote) : this.find(rev);
    const d = dir.endsWith('/') ? dir : `${dir}/`;
    return Object.keys(c?.files ?? {}).filter((f) => f.startsWith(d));
  }
  async history(rev: string, p: string, limit: number): Promise<{ sha: string; date: string; message: string }[]> {
    const start = rev === 'origin/main' ? this.head(this.remote) : this.find(rev);
    if (start && this.objects.has(start.sha) && !this.remote.some((c) => c.sha === start.sha)) {
      // A commit only on a branch (pull-request mode): itself, then its parent's history.
      const own = start.paths.some((x) => x === p || x.startsWith(`${p}/`)) ? [{ sha: start.sha, date: start.date, message: start.message }] : [];
      return [...own, ...(start.parent ? await this.history(start.parent, p, limit) : [])].slice(0, limit);
    }
    const list = this.remote.some((c) => c.sha === start?.sha) ? this.remote : this.local;
    const end = list.findIndex((c) => c.sha === start?.sha);
    return list
      .slice(0, end + 1)
      .filter((c) => c.paths.some((x) => x === p || x.startsWith(`${p}/`)))
      .reverse()
      .slice(0, limit)
      .map((c) => ({ sha: c.sha, date: c.date, message: c.message }));
  }
  async readLease(ref: string) {
    return this.leases.get(ref);
  }
  async writeLease(ref: string, expect: string | undefined, message: string | undefined) {
    this.calls.push(`lease ${ref} ${message === undefined ? 'delete' : 'write'}`);
    if (this.leases.get(ref)?.sha !== expect) return { ok: false as const, message: 'stale info' };
    if (message === undefined) {
      this.leases.delete(ref);
      return { ok: true as const };
    }
    const sha = fakeSha(message);
    this.leases.set(ref, { sha, message });
    return { ok: true as const, sha };
  }
  /** Branches on origin (pull-request mode): name → commit sha. */
  branches = new Map<string, string>();
  async pushBranch(sha: string, branch: string): Promise<PushResult> {
    this.calls.push(`push-branch ${branch}`);
    if (!this.find(sha)) return { ok: false, rejected: 'other', message: `unknown commit ${sha}` };
    this.branches.set(branch, sha);
    return { ok: true };
  }
  async landedAs(sha: string) {
    const i = this.remote.findIndex((c) => c.sha === sha);
    const next = this.remote[i + 1];
    return next && next.paths.length === 0 && next.message.startsWith('Merge pull request') ? next.sha : sha;
  }
  async fetchBranches(prefix: string) {
    return [...this.branches].filter(([b]) => b.startsWith(prefix)).map(([branch, sha]) => ({ branch, sha }));
  }
  /** A merge of `branch` into origin's main (as GitHub's merge button): its commit, then a merge commit; returns the merge's sha. */
  mergeBranch(branch: string, title: string, number: number): string {
    const sha = this.branches.get(branch);
    const c = sha ? this.find(sha) : undefined;
    if (!c) throw new Error(`no branch ${branch}`);
    const head = this.head(this.remote);
    const files = { ...head.files };
    for (const p of c.paths) {
      const merged = mergeLines(c.parent ? this.find(c.parent)?.files[p] : undefined, c.files[p], head.files[p]);
      if (merged === undefined) throw new Error(`conflict in ${p}`);
      files[p] = merged;
    }
    const merge: Commit = { sha: fakeSha(`merge ${branch}`), message: `Merge pull request #${number} from acme/${branch}\n\n${title}`, paths: [], files, date: new Date().toISOString(), parent: head.sha };
    this.remote = [...this.remote, c, merge];
    return merge.sha;
  }
  /** Someone else pushes a change of one file to origin. */
  remoteCommit(p: string, text: string, message = 'someone else') {
    const files = { ...this.head(this.remote).files, [p]: text };
    this.remote.push({ sha: fakeSha(message), message, paths: [p], files, date: new Date().toISOString() });
  }
  /** A commit in the local history (for "ran upstream before"). */
  historyCommit(p: string, text: string, message = 'history') {
    const files = { ...this.head().files, [p]: text };
    const c = { sha: fakeSha(message), message, paths: [p], files, date: '2026-11-10T00:00:00Z' };
    this.local.push(c);
    this.remote.push(c);
    // the working tree follows HEAD except for the path's history; restore the current text
  }
  originText(p: string): string | undefined {
    return this.head(this.remote).files[p];
  }
}

/** Line-wise three-way merge for same-length texts; undefined on conflict. */
function mergeLines(base: string | undefined, ours: string | undefined, theirs: string | undefined): string | undefined {
  if (theirs === base) return ours;
  if (ours === base) return theirs;
  if (base === undefined || ours === undefined || theirs === undefined) return undefined;
  const b = base.split('\n');
  const o = ours.split('\n');
  const t = theirs.split('\n');
  if (b.length !== o.length || b.length !== t.length) return undefined;
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) {
    if (o[i] === b[i]) out.push(t[i]);
    else if (t[i] === b[i] || t[i] === o[i]) out.push(o[i]);
    else return undefined;
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- registry

export interface FakeImage {
  digest: string;
  layers: SignatureLayer[];
  bundles?: import('../../src/pipeline/signatures').BundleArtifact[];
}

export class FakeRegistry implements RegistryPort {
  images = new Map<string, FakeImage>(); // key repo:tag
  calls: string[] = [];
  async describeImage(repository: string, tag: string): Promise<ImageInfo | undefined> {
    this.calls.push(`describe ${repository}:${tag}`);
    const i = this.images.get(`${repository}:${tag}`);
    return i && { repository, tag, digest: i.digest, tags: [tag], pushedAt: new Date('2026-11-19T22:00:00Z') };
  }
  async listTags(repository: string) {
    return [...this.images.entries()].filter(([k]) => k.startsWith(repository + ':')).map(([k, v]) => ({ tag: k.split(':')[1], digest: v.digest }));
  }
  async signatures(repository: string, digest: string) {
    const i = [...this.images.values()].find((x) => x.digest === digest);
    return i?.layers ?? [];
  }
  async bundles(repository: string, digest: string) {
    const i = [...this.images.values()].find((x) => x.digest === digest);
    return i?.bundles ?? [];
  }
}

export function payloadFor(digest: string, opts: { type?: string; key?: string } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': 'registry.example/accounts' }, image: { [opts.key ?? 'docker-manifest-digest']: digest }, type: opts.type ?? 'cosign container image signature' },
      optional: null,
    }),
  );
}

export function signLayer(digest: string, key: KeyObject, opts: { payload?: Buffer } = {}): SignatureLayer {
  const payload = opts.payload ?? payloadFor(digest);
  const algo = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  const sig = sign(algo, payload, key).toString('base64');
  return { layerDigest: sha256(payload), mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', payload, signature: sig, annotations: { 'dev.cosignproject.cosign/signature': sig } };
}

// ---------------------------------------------------------------- cluster + Argo CD

export interface TagBehaviour {
  /** The tag was pushed again after validation: the pods report another digest. */
  repushed?: boolean;
  health?: 'UP' | 'DOWN';
  crashLoop?: boolean;
  restarts?: number;
  errorRate?: number;
  /** Argo CD never finishes syncing commits that move to this tag. */
  syncHang?: boolean;
  syncFail?: boolean;
  cpuMilli?: number;
}

/** The cluster runs whatever origin's values file says (once Argo CD has synced it). */
export class FakeCluster implements ClusterPort {
  runningTag: Record<string, string> = {}; // service -> tag
  constructor(
    readonly behaviour: Record<string, TagBehaviour>,
    readonly ns: string,
  ) {}
  /** Denied permissions, "verb resource[/sub][.group]". */
  denied = new Set<string>();
  async canI(a: { verb: string; group: string; resource: string; subresource?: string }) {
    const key = `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''}`;
    return this.denied.has(key) ? { allowed: false, reason: `denied: ${key}` } : { allowed: true };
  }
  async credentialSource() {
    return 'kubeconfig /fake/kubeconfig, context "fake", user "alice" (token)';
  }
  b(service: string): TagBehaviour {
    return this.behaviour[this.runningTag[service]] ?? {};
  }
  async getDeployment(_ns: string, name: string): Promise<DeploymentStatus> {
    const service = name.replace(/-deployment$/, '');
    const tag = this.runningTag[service];
    const crash = this.b(service).crashLoop;
    return {
      name,
      generation: 2,
      observedGeneration: 2,
      replicas: 2,
      statusReplicas: 2,
      updatedReplicas: 2,
      readyReplicas: crash ? 0 : 2,
      availableReplicas: crash ? 0 : 2,
      conditions: [{ type: 'Progressing', status: 'True', reason: crash ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable' }],
      images: [`registry.example/${service}:${tag}`],
      selector: { app: service },
    };
  }
  async listPods(_ns: string, selector: Record<string, string>): Promise<PodStatus[]> {
    const service = selector.app;
    const tag = this.runningTag[service];
    const b = this.b(service);
    return [0, 1].map((i) => ({
      name: `${service}-${tag}-${i}`,
      phase: 'Running',
      ready: !b.crashLoop,
      images: [`registry.example/${service}:${tag}`],
      // The node pulled the tag's digest (or another one when the tag was pushed again after validation).
      containers: [{ name: service, image: `registry.example/${service}:${tag}`, imageID: `registry.example/${service}@${sha256(b.repushed ? `${service}:${tag}:rebuilt` : `${service}:${tag}`)}` }],
      restarts: b.crashLoop ? 4 : (b.restarts ?? 0),
      waitingReason: b.crashLoop ? 'CrashLoopBackOff' : undefined,
      podTemplateHash: `h-${tag}`,
      labels: { app: service },
    }));
  }
  async newReplicaSetHash(_ns: string, deployment: string) {
    return `h-${this.runningTag[deployment.replace(/-deployment$/, '')]}`;
  }
  async podUsage(_ns: string, selector: Record<string, string>) {
    const b = this.b(selector.app);
    return [{ pod: `${selector.app}-0`, cpuMillicores: b.cpuMilli ?? 100, memoryBytes: 200 * 2 ** 20, cpuLimitMillicores: 500, memoryLimitBytes: 512 * 2 ** 20 }];
  }
  async health(_ns: string, service: string): Promise<HealthResponse> {
    const h = this.b(service).health ?? 'UP';
    return { httpStatus: h === 'UP' ? 200 : 503, body: JSON.stringify({ status: h }), status: h, downComponents: h === 'UP' ? [] : ['db'] };
  }
  async podLog() {
    return 'Exception in thread "main" java.lang.IllegalStateException: boom\n';
  }
  async events() {
    return [];
  }
}

export class FakeArgo implements ArgoCdPort {
  calls: string[] = [];
  /** Timestamps (performance.now) at which a status became done, for latency checks. */
  constructor(
    readonly git: FakeGit,
    readonly cluster: FakeCluster,
    readonly valuesRel: (env: string) => string,
    readonly behaviour: Record<string, TagBehaviour>,
  ) {}
  private status(app: string): AppStatus {
    const [service, env] = app.split(/-(?=[^-]+$)/);
    const sha = this.git.remote[this.git.remote.length - 1].sha;
    const text = this.git.originText(this.valuesRel(env)) ?? '';
    const tag = parseImageTags(text).entries.get(service)?.tag ?? '';
    const b = this.behaviour[tag] ?? {};
    if (b.syncHang) return { name: app, syncStatus: 'OutOfSync', syncRevision: 'old', healthStatus: 'Healthy', operationPhase: 'Running', operationRevision: sha, conditions: [], hasOperation: true };
    if (b.syncFail) return { name: app, syncStatus: 'OutOfSync', syncRevision: 'old', healthStatus: 'Healthy', operationPhase: 'Failed', operationMessage: 'admission webhook denied', operationRevision: sha, conditions: [], hasOperation: true };
    this.cluster.runningTag[service] = tag;
    const at = '2026-11-20T03:00:00Z';
    return { name: app, syncStatus: 'Synced', syncRevision: sha, healthStatus: 'Healthy', operationPhase: 'Succeeded', operationRevision: sha, operationFinishedAt: at, reconciledAt: at, conditions: [], hasOperation: false };
  }
  async get(_ns: string, app: string) {
    return this.status(app);
  }
  async refresh(_ns: string, app: string, mode: string) {
    this.calls.push(`refresh ${app} ${mode}`);
  }
  async sync(_ns: string, app: string, revision: string) {
    this.calls.push(`sync ${app} ${revision.slice(0, 7)}`);
  }
  waitFor(_ns: string, app: string, done: (s: AppStatus) => boolean, timeoutMs: number, signal?: AbortSignal, onUpdate?: (s: AppStatus) => void): Promise<AppStatus> {
    this.calls.push(`wait ${app}`);
    const s = this.status(app);
    onUpdate?.(s);
    if (done(s)) return Promise.resolve(s);
    // As the real adapter: a signal aborted before the wait began ends it at once (no abort event will come).
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    return new Promise((_, reject) => {
      const t = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${app}`)), timeoutMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      }, { once: true });
    });
  }
}

export class FakeMetrics implements MetricsPort {
  constructor(
    readonly cluster: FakeCluster,
    readonly behaviour: Record<string, TagBehaviour>,
  ) {}
  queries: string[] = [];
  async query(q: string): Promise<number | undefined> {
    this.queries.push(q);
    const svc = /service="([^"]+)"/.exec(q)?.[1] ?? '';
    return this.behaviour[this.cluster.runningTag[svc]]?.errorRate ?? 0.001;
  }
}

export class FakeNotifier implements NotifierPort {
  events: NotifyEvent[] = [];
  async notify(e: NotifyEvent) {
    this.events.push(e);
  }
}

export class FakeClock {
  constructor(public t: Date) {}
  now() {
    return new Date(this.t.getTime());
  }
}

// ---------------------------------------------------------------- GitHub pull requests

export interface FakePullRules {
  /** An approving review is required before a merge (405 "At least 1 approving review…"). */
  reviewRequired: boolean;
  /** The repository allows auto-merge. */
  autoMergeAllowed: boolean;
}

/** Pull requests over FakeGit's branches, with GitHub's merge rules as far as the pipeline meets them. */
export class FakePulls implements PullRequestPort {
  prs = new Map<number, import('../../src/pipeline/github/pulls').PullRequestInfo & { approved: boolean }>();
  rules: FakePullRules = { reviewRequired: true, autoMergeAllowed: true };
  calls: string[] = [];
  unavailable?: string;
  /** Called on every get(): a reviewer acting while the run polls (polls = gets of that PR so far). */
  onPoll?: (pr: { number: number; headRef: string }, polls: number) => void;
  private polls = new Map<number, number>();
  private next = 1;
  constructor(readonly git: FakeGit) {}
  private view(n: number) {
    const { approved: _a, ...p } = this.prs.get(n)!;
    return { ...p, labels: [...p.labels] };
  }
  async create(input: import('../../src/pipeline/github/pulls').CreatePullRequest) {
    this.calls.push(`create ${input.head}`);
    const existing = [...this.prs.values()].find((p) => p.headRef === input.head && p.state === 'open');
    if (existing) return this.view(existing.number);
    const head = this.git.branches.get(input.head);
    if (!head) throw new Error(`422 no branch ${input.head}`);
    const number = this.next++;
    this.prs.set(number, { number, nodeId: `PR_${number}`, htmlUrl: `https://github.example/acme/gitops/pull/${number}`, title: input.title, state: 'open', merged: false, headRef: input.head, headSha: head, baseRef: input.base, labels: [...input.labels], autoMerge: false, mergeableState: 'blocked', createdAt: '2026-11-21T15:00:00Z', approved: false, body: input.body } as never);
    return this.view(number);
  }
  async get(n: number) {
    const polls = (this.polls.get(n) ?? 0) + 1;
    this.polls.set(n, polls);
    this.onPoll?.(this.view(n), polls);
    return this.view(n);
  }
  async listOpen(prefix: string) {
    return [...this.prs.values()].filter((p) => p.state === 'open' && p.headRef.startsWith(prefix)).map((p) => this.view(p.number));
  }
  private doMerge(n: number, by: string) {
    const p = this.prs.get(n)!;
    const sha = this.git.mergeBranch(p.headRef, p.title, n);
    Object.assign(p, { merged: true, state: 'closed', mergeCommitSha: sha, mergedBy: by });
    return sha;
  }
  async merge(n: number, sha: string) {
    this.calls.push(`merge #${n}`);
    const p = this.prs.get(n)!;
    if (p.state !== 'open') return { merged: false as const, refusal: 'closed' as const, message: 'Pull Request is not mergeable' };
    if (p.headSha !== sha) return { merged: false as const, refusal: 'head-changed' as const, message: 'Head branch was modified. Review and try the merge again.' };
    if (this.rules.reviewRequired && !p.approved) return { merged: false as const, refusal: 'review-required' as const, message: 'At least 1 approving review is required by reviewers with write access.' };
    return { merged: true as const, sha: this.doMerge(n, 'gitops-deploy') };
  }
  async enableAutoMerge(pr: { number: number }) {
    this.calls.push(`auto-merge #${pr.number}`);
    if (!this.rules.autoMergeAllowed) return { enabled: false as const, message: 'Auto merge is not allowed for this repository' };
    this.prs.get(pr.number)!.autoMerge = true;
    return { enabled: true as const };
  }
  async close(n: number) {
    this.prs.get(n)!.state = 'closed';
  }
  // ---- what people do on GitHub
  /** A reviewer approves; with auto-merge on, GitHub merges it. */
  approve(n: number) {
    const p = this.prs.get(n)!;
    p.approved = true;
    p.mergeableState = 'clean';
    if (p.autoMerge && p.state === 'open') this.doMerge(n, 'sandbox-user');
  }
  /** A reviewer merges it with the button. */
  mergeByHuman(n: number, by = 'reviewer') {
    this.prs.get(n)!.approved = true;
    this.doMerge(n, by);
  }
  closeUnmerged(n: number) {
    this.prs.get(n)!.state = 'closed';
  }
}

// ---------------------------------------------------------------- a whole world

export const SATURDAY = new Date('2026-11-21T15:00:00Z'); // Sat 10:00 New York
export const WEDNESDAY_10_ET = new Date('2026-11-18T15:00:00Z'); // Wed 10:00 New York

function values(env: string, tags: Record<string, string>): string {
  return `# Image tags for ${env}\n` + Object.entries(tags).map(([s, t]) => `${s}:\n  image:\n    tag: "${t}"  # set by the pipeline\n`).join('');
}

export interface WorldOptions {
  dev?: Record<string, string>;
  stag?: Record<string, string>;
  prod?: Record<string, string>;
  /** Tags present in the registry, with signing. Default: every tag in the values files, signed by the trusted key. */
  images?: Record<string, { signedBy?: 'trusted' | 'untrusted' | 'none'; digestMismatch?: boolean }>;
  behaviour?: Record<string, TagBehaviour>;
  config?: string;
  records?: { env: string; service: string; tag: string; status: string; startedAt: string }[];
  now?: Date;
}

export interface World {
  root: string;
  config: GitOpsConfig;
  ports: Ports;
  git: FakeGit;
  registry: FakeRegistry;
  argo: FakeArgo;
  cluster: FakeCluster;
  metrics: FakeMetrics;
  notifier: FakeNotifier;
  pulls: FakePulls;
  clock: FakeClock;
  events: PipelineEvent[];
  valuesRel(env: string): string;
  read(rel: string): string;
  recordFiles(env: string): string[];
  cleanup(): void;
}

export const keys = (() => {
  const trusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const untrusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { trusted, untrusted, trustedPem: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
})();

export function makeWorld(o: WorldOptions = {}): World {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
  const tags = { dev: o.dev ?? { accounts: '1.6.0', cards: '2.1.0' }, stag: o.stag ?? { accounts: '1.5.0', cards: '2.1.0' }, prod: o.prod ?? { accounts: '1.4.0', cards: '2.0.0' } };
  const valuesRel = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;
  for (const [env, t] of Object.entries(tags)) {
    mkdirSync(path.join(root, path.dirname(valuesRel(env))), { recursive: true });
    writeFileSync(path.join(root, valuesRel(env)), values(env, t));
  }
  writeFileSync(path.join(root, 'cosign.pub'), keys.trustedPem);
  writeFileSync(path.join(root, '.gitops-deploy.yaml'), o.config ?? 'verification:\n  prometheusUrl: http://127.0.0.1:9090\n');
  for (const r of o.records ?? [{ env: 'stag', service: 'accounts', tag: '1.5.0', status: 'succeeded', startedAt: '2026-11-19T10:00:00Z' }]) {
    const dir = path.join(root, 'docs/deployments', r.env);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${r.startedAt.replace(/[-:]/g, '')}-${r.service}.md`), `---\nservice: ${r.service}\nenvironment: ${r.env}\ntag: "${r.tag}"\nstatus: ${r.status}\nstartedAt: ${r.startedAt}\nchecks: []\n---\n# seeded\n`);
  }
  const config = parseConfig(root, readFileSync(path.join(root, '.gitops-deploy.yaml'), 'utf8'), undefined, {});
  const git = new FakeGit(root);
  const registry = new FakeRegistry();
  const allTags = new Set<string>([...Object.values(tags).flatMap((t) => Object.entries(t).map(([s, tag]) => `${s}:${tag}`))]);
  const images: NonNullable<WorldOptions['images']> = o.images ?? Object.fromEntries([...allTags].map((k) => [k, {}]));
  for (const [k, spec] of Object.entries(images)) {
    const digest = sha256(k);
    const by = spec.signedBy ?? 'trusted';
    const layers = by === 'none' ? [] : [signLayer(spec.digestMismatch ? sha256('other') : digest, by === 'trusted' ? keys.trusted.privateKey : keys.untrusted.privateKey)];
    registry.images.set(k, { digest, layers });
  }
  const behaviour = o.behaviour ?? {};
  const cluster = new FakeCluster(behaviour, 'default');
  for (const [s, t] of Object.entries(tags.prod)) cluster.runningTag[s] = t;
  const argo = new FakeArgo(git, cluster, valuesRel, behaviour);
  const metrics = new FakeMetrics(cluster, behaviour);
  const notifier = new FakeNotifier();
  const clock = new FakeClock(o.now ?? SATURDAY);
  const pulls = new FakePulls(git);
  return {
    root,
    config,
    ports: { registry, git, argocd: argo, cluster, metrics, notifier, pulls, clock },
    git,
    registry,
    argo,
    cluster,
    metrics,
    notifier,
    pulls,
    clock,
    events: [],
    valuesRel,
    read: (rel) => readFileSync(path.join(root, rel), 'utf8'),
    recordFiles: (env) => {
      const dir = path.join(root, 'docs/deployments', env);
      return existsSync(dir) ? readdirSync(dir).sort() : [];
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Deps for the pipeline from a world: a fake clock, an instant sleep that advances it. */
export function depsOf(w: World, extra: Partial<import('../../src/pipeline/outcome').PipelineDeps> = {}) {
  return {
    config: w.config,
    ports: w.ports,
    actor: 'alice',
    env: {},
    sleep: async (ms: number) => {
      w.clock.t = new Date(w.clock.t.getTime() + ms);
    },
    ...extra,
  };
}
