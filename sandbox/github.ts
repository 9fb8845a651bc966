import type * as http from 'node:http';
import { Timers } from './timers';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { sendJson } from './http';
import type { Faults } from './faults';
import { git, SANDBOX_GIT_IDENTITY } from './git';
import { GhError, MERGE_METHODS, normalizeGithub, Pulls, type GithubSettings, type GithubSpec, type MergeMethod } from './pulls';

const iso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

interface Run {
  id: number;
  run_number: number;
  workflow_id: number;
  path: string;
  name: string;
  head_branch: string;
  head_sha: string;
  event: string;
  status: 'queued' | 'waiting' | 'in_progress' | 'completed';
  conclusion: null | 'success' | 'failure' | 'cancelled';
  created_at: string;
  updated_at: string;
  run_started_at: string;
  run_attempt: number;
  inputs: Record<string, string>;
  environment?: string;
  reviews: { state: string; comment: string; user: string }[];
  actor: string;
}

export interface GithubOptions { owner: string; repo: string; token: string; user: string; originDir: string; protectedEnvironments: string[]; environments: string[]; runStepSeconds: () => number; faults: Faults; baseUrl: () => string; log: (s: string) => void;
  /** The repository's settings and main's branch protection (scenario `github:`; default unprotected). */
  settings?: () => GithubSettings;
  /** `POST /sandbox/github/settings`: new repository settings and protection (a scenario's `github:`), applied at once (the origin's hook too). */
  setSettings?: (spec: GithubSpec) => GithubSettings }

/** A small GitHub REST API: repository, deployments and statuses, workflow dispatch, runs, jobs and environment reviews. */
export class GithubApi {
  readonly events = new EventEmitter();
  private nextId = 1000;
  private readonly deployments: Record<string, any>[] = [];
  private readonly statuses = new Map<number, Record<string, any>[]>();
  readonly runs: Run[] = [];
  private readonly timers = new Timers();
  private readonly envIds = new Map<string, number>();
  /** The deployment GitHub Actions made for a run's job that references an environment. */
  private readonly runDeployments = new Map<number, Record<string, any>>();
  /** Every request received (method and path), in order: tests count what a client asked for. */
  readonly requests: { method: string; path: string }[] = [];

  /** Pull requests, reviews, statuses, branch protection, auto-merge (sandbox/pulls.ts). */
  readonly pulls: Pulls;
  private readonly settingsOf: () => GithubSettings;

  constructor(private readonly o: GithubOptions) {
    o.environments.forEach((e, i) => this.envIds.set(e, 161088068 + i));
    const unprotected = normalizeGithub(undefined);
    this.settingsOf = o.settings ?? (() => unprotected);
    this.pulls = new Pulls({ owner: o.owner, repo: o.repo, originDir: o.originDir, user: o.user, settings: this.settingsOf, baseUrl: o.baseUrl, userJson: (l) => this.user(l), log: o.log });
  }

  stop(): void {
    this.pulls.stop();
    this.timers.clear();
  }

  private after(s: number, fn: () => void): void {
    this.timers.after(s, fn);
  }

  private get repoUrl(): string {
    return `${this.o.baseUrl()}/repos/${this.o.owner}/${this.o.repo}`;
  }

  private get html(): string {
    return `https://github.com/${this.o.owner}/${this.o.repo}`;
  }

  private user(login = this.o.user): Record<string, unknown> {
    if (login === Pulls.REVIEWER) return { login, id: 583232, node_id: 'MDQ6VXNlcjU4MzIzMg==', type: 'User', site_admin: false, url: `${this.o.baseUrl()}/users/${login}`, html_url: `https://github.com/${login}`, avatar_url: 'https://avatars.githubusercontent.com/u/583232?v=4' };
    return { login, id: 583231, node_id: 'MDQ6VXNlcjU4MzIzMQ==', type: 'User', site_admin: false, url: `${this.o.baseUrl()}/users/${login}`, html_url: `https://github.com/${login}`, avatar_url: `https://avatars.githubusercontent.com/u/583231?v=4` };
  }

  private env(name: string): Record<string, unknown> {
    const id = this.envIds.get(name) ?? 0;
    return { id, node_id: `EN_${id}`, name, url: `${this.repoUrl}/environments/${name}`, html_url: `${this.html}/deployments/activity_log?environments_filter=${name}`, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z' };
  }

  handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = { 'x-github-media-type': 'github.v3; format=json', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-github-request-id': `SANDBOX:${Date.now().toString(16)}` };
    const send = (code: number, data: unknown): void => {
      if (code === 204) {
        res.writeHead(204, headers);
        res.end();
      } else sendJson(res, code, data, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
    };
    const fail = (code: number, message: string, extra: Record<string, unknown> = {}): void => send(code, { message, documentation_url: 'https://docs.github.com/rest', status: String(code), ...extra });
    if (url.pathname.startsWith('/sandbox/github/')) return this.control(method, url, body, send);
    const auth = String(req.headers.authorization ?? '');
    const m = /^(?:token|bearer)\s+(.+)$/i.exec(auth);
    if (!m || m[1] !== this.o.token) return fail(401, 'Bad credentials');
    const p = url.pathname.replace(/\/+$/, '');
    this.requests.push({ method, path: p });
    const fault = this.o.faults.match([method], p);
    if (fault?.rateLimit === 'primary') {
      // GitHub: 403 or 429, remaining 0, and when the window resets (epoch seconds).
      headers['x-ratelimit-remaining'] = '0';
      headers['x-ratelimit-used'] = '5000';
      headers['x-ratelimit-resource'] = 'core';
      headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + (fault.retryAfter ?? 60));
      return fail(fault.code, fault.message ?? 'API rate limit exceeded for user ID 583231. If you reach out to GitHub Support for help, please include the request ID.', { documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' });
    }
    if (fault?.rateLimit === 'secondary') {
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      return fail(fault.code, fault.message ?? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.', { documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' });
    }
    if (fault) return fail(fault.code, fault.message ?? `sandbox: injected ${fault.code}`);
    let input: any = {};
    if (body.length) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        return fail(400, 'Problems parsing JSON');
      }
    }
    if (p === '/graphql' && method === 'POST') return send(200, await this.graphql(input));
    if (p === '/user' && method === 'GET') return send(200, { ...this.user(), name: 'Sandbox User', email: 'sandbox-user@gitops.invalid' });
    const prefix = `/repos/${this.o.owner}/${this.o.repo}`;
    if (!p.startsWith(prefix)) return fail(404, 'Not Found');
    const rest = p.slice(prefix.length);
    let x: RegExpExecArray | null;

    if (rest === '' && method === 'GET') {
      return send(200, { id: 123456789, node_id: 'R_sandbox', name: this.o.repo, full_name: `${this.o.owner}/${this.o.repo}`, private: true, owner: { ...this.user(this.o.owner), type: 'Organization' }, html_url: this.html, url: this.repoUrl, default_branch: 'main', clone_url: `file://${this.o.originDir}`, visibility: 'private', permissions: { admin: false, maintain: true, push: true, triage: true, pull: true }, ...this.repoSettings() });
    }
    if (rest === '/environments' && method === 'GET') {
      const envs = [...this.envIds.keys()].map((n) => ({ ...this.env(n), protection_rules: this.o.protectedEnvironments.includes(n) ? [{ id: 1, node_id: 'GA_1', type: 'required_reviewers', reviewers: [{ type: 'User', reviewer: this.user() }] }] : [] }));
      return send(200, { total_count: envs.length, environments: envs });
    }
    if (rest === '/deployments') {
      if (method === 'POST') {
        if (!input.ref) return fail(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
        let sha: string;
        try {
          sha = (await git(['--git-dir', this.o.originDir, 'rev-parse', '--verify', `${input.ref}^{commit}`])).trim();
        } catch {
          return fail(422, `No ref found for: ${input.ref}`);
        }
        const id = this.nextId++;
        const environment = input.environment ?? 'production';
        const d = {
          url: `${this.repoUrl}/deployments/${id}`, id, node_id: `DE_${id}`, sha, ref: input.ref, task: input.task ?? 'deploy', payload: input.payload ?? {}, original_environment: environment, environment,
          description: input.description ?? null, creator: this.user(), created_at: iso(), updated_at: iso(), statuses_url: `${this.repoUrl}/deployments/${id}/statuses`, repository_url: this.repoUrl,
          transient_environment: Boolean(input.transient_environment), production_environment: input.production_environment ?? environment === 'prod',
        };
        if (typeof d.payload === 'string') {
          try {
            d.payload = JSON.parse(d.payload);
          } catch {
            // keep the string
          }
        }
        this.deployments.unshift(d);
        this.statuses.set(id, []);
        this.events.emit('deployment-created', d);
        return send(201, d);
      }
      if (method === 'GET') {
        let list = this.deployments;
        for (const k of ['sha', 'ref', 'task', 'environment']) {
          const v = url.searchParams.get(k);
          if (v) list = list.filter((d) => d[k] === v);
        }
        return send(200, this.paginate(list, url));
      }
    }
    if ((x = /^\/deployments\/(\d+)$/.exec(rest)) && method === 'GET') {
      const d = this.deployments.find((y) => y.id === Number(x![1]));
      return d ? send(200, d) : fail(404, 'Not Found');
    }
    if ((x = /^\/deployments\/(\d+)\/statuses$/.exec(rest))) {
      const id = Number(x[1]);
      const d = this.deployments.find((y) => y.id === id);
      if (!d) return fail(404, 'Not Found');
      const list = this.statuses.get(id)!;
      if (method === 'GET') return send(200, this.paginate(list, url));
      if (method === 'POST') {
        const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
        if (!states.includes(input.state)) return fail(422, 'Validation Failed', { errors: [{ resource: 'DeploymentStatus', code: 'custom', field: 'state', message: `state is not included in the list` }] });
        const sid = this.nextId++;
        const s = {
          url: `${this.repoUrl}/deployments/${id}/statuses/${sid}`, id: sid, node_id: `DES_${sid}`, state: input.state, creator: this.user(), description: input.description ?? '', environment: input.environment ?? d.environment,
          target_url: input.log_url ?? input.target_url ?? '', log_url: input.log_url ?? input.target_url ?? '', environment_url: input.environment_url ?? '', created_at: iso(), updated_at: iso(), deployment_url: d.url, repository_url: this.repoUrl,
        };
        list.unshift(s);
        this.events.emit('deployment-status', { deployment: d, status: s });
        return send(201, s);
      }
    }
    if ((x = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)) && method === 'POST') {
      if (!input.ref) return fail(422, 'Invalid request.\n\nFor \'properties/ref\', nil is not a string.');
      let sha: string;
      try {
        sha = (await git(['--git-dir', this.o.originDir, 'rev-parse', '--verify', `${input.ref}^{commit}`])).trim();
      } catch {
        return fail(422, `No ref found for: ${input.ref}`);
      }
      this.dispatch(decodeURIComponent(x[1]), input.ref, sha, input.inputs ?? {});
      return send(204, undefined);
    }
    if ((x = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest)) && method === 'GET') {
      const file = decodeURIComponent(x[1]);
      return send(200, this.runList(this.runs.filter((r) => r.path.endsWith(`/${file}`) || String(r.workflow_id) === file), url));
    }
    if (rest === '/actions/runs' && method === 'GET') return send(200, this.runList(this.runs, url));
    if ((x = /^\/actions\/runs\/(\d+)(\/.*)?$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(x![1]));
      if (!run) return fail(404, 'Not Found');
      const sub = x[2] ?? '';
      if (sub === '' && method === 'GET') return send(200, this.runJson(run));
      if (sub === '/jobs' && method === 'GET') return send(200, { total_count: 1, jobs: [this.job(run)] });
      if (sub === '/cancel' && method === 'POST') {
        if (run.status === 'completed') return fail(409, 'Cannot cancel a workflow run that is completed.');
        this.complete(run, 'cancelled');
        return send(202, {});
      }
      if (sub === '/pending_deployments') {
        const pending = run.status === 'waiting' && run.environment ? [run.environment] : [];
        if (method === 'GET') {
          return send(200, pending.map((e) => ({ environment: this.env(e), wait_timer: 0, wait_timer_started_at: run.updated_at, current_user_can_approve: true, reviewers: [{ type: 'User', reviewer: this.user() }] })));
        }
        if (method === 'POST') {
          const ids: number[] = Array.isArray(input.environment_ids) ? input.environment_ids.map(Number) : [];
          const state = input.state;
          if (!['approved', 'rejected'].includes(state)) return fail(422, 'Invalid request.\n\nNo subschema in "anyOf" matched.');
          if (!pending.length || !ids.length || !ids.every((id) => pending.some((e) => this.envIds.get(e) === id))) return fail(422, 'Unable to review: the environment is not waiting for review.', { errors: [] });
          // GitHub's review history has no time: the review shows as the job's deployment leaving
          // `waiting` (queued when approved, failure when rejected).
          run.reviews.push({ state, comment: String(input.comment ?? ''), user: this.o.user });
          this.o.log(`github run ${run.id}: ${state} (${run.environment})`);
          if (state === 'approved') {
            this.actionsStatus(run, 'queued');
            this.start(run);
          } else this.complete(run, 'failure');
          const d = this.runDeployments.get(run.id);
          return send(200, state === 'approved' && d ? [d] : []);
        }
      }
      if (sub === '/approvals' && method === 'GET') return send(200, run.reviews.map((r) => ({ state: r.state, comment: r.comment, user: this.user(r.user), environments: [this.env(run.environment ?? '')] })));
    }
    try {
      const r = await this.pullRoutes(method, rest, input, url);
      if (r) return send(r[0], r[1]);
    } catch (e) {
      if (e instanceof GhError) return fail(e.status, e.message, e.extra);
      throw e;
    }
    return fail(404, 'Not Found');
  };

  private settings(): GithubSettings {
    return this.settingsOf();
  }

  /** The repository's merge settings, as GET /repos/{o}/{r} shows them. */
  private repoSettings(): Record<string, unknown> {
    const g = this.settings();
    return { allow_merge_commit: g.mergeMethods.includes('merge'), allow_squash_merge: g.mergeMethods.includes('squash'), allow_rebase_merge: g.mergeMethods.includes('rebase'), allow_auto_merge: g.autoMerge, delete_branch_on_merge: g.deleteBranchOnMerge, allow_update_branch: false };
  }

  /** Pull requests, reviews, labels, statuses, check runs and branches: [status, body] or undefined (404). */
  private async pullRoutes(method: string, rest: string, input: any, url: URL): Promise<[number, unknown] | undefined> {
    const P = this.pulls;
    let x: RegExpExecArray | null;
    if (rest === '/pulls') {
      if (method === 'POST') return [201, await P.json(await P.create(input ?? {}, this.o.user))];
      if (method === 'GET') {
        const state = url.searchParams.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state)) throw new GhError(422, 'Validation Failed', { errors: [{ resource: 'Issue', field: 'state', code: 'invalid' }] });
        let list = P.pulls.filter((p) => state === 'all' || p.state === state);
        const head = url.searchParams.get('head');
        if (head) {
          const [owner, branch] = head.includes(':') ? [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)] : [head, undefined];
          list = owner !== this.o.owner ? [] : branch === undefined ? list : list.filter((p) => p.head === branch);
        }
        const base = url.searchParams.get('base');
        if (base) list = list.filter((p) => p.base === base);
        list = [...list].sort((a, b) => b.number - a.number);
        if (url.searchParams.get('direction') === 'asc') list.reverse();
        return [200, await Promise.all(this.paginate(list, url).map((p) => P.json(p)))];
      }
    }
    if ((x = /^\/pulls\/(\d+)(\/.*)?$/.exec(rest))) {
      const pr = P.find(Number(x[1]));
      const sub = x[2] ?? '';
      if (sub === '' && method === 'GET') return [200, await P.json(pr)];
      if (sub === '' && method === 'PATCH') return [200, await P.json(await P.update(pr.number, input ?? {}))];
      if (sub === '/merge' && method === 'GET') return pr.merged_at ? [204, undefined] : [404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/pulls/pulls#check-if-a-pull-request-has-been-merged', status: '404' }];
      if (sub === '/merge' && method === 'PUT') return [200, await P.merge(pr.number, input ?? {}, this.o.user)];
      if (sub === '/update-branch' && method === 'PUT') {
        await P.updateBranch(pr.number, input?.expected_head_sha, this.o.user);
        return [202, { message: 'Updating pull request branch.', url: `${this.html}/pull/${pr.number}` }];
      }
      if (sub === '/reviews' && method === 'GET') return [200, this.paginate(pr.reviews, url).map((r) => P.reviewJson(pr, r))];
      if (sub === '/reviews' && method === 'POST') return [200, P.reviewJson(pr, await P.review(pr.number, this.o.user, input?.event, input?.body, input?.commit_id))];
      if (sub === '/commits' && method === 'GET') {
        const { head, base } = await P.heads(pr);
        const log = (await git(['--git-dir', this.o.originDir, 'log', '--reverse', '--format=%H%x00%s%x00%an%x00%aI', `${pr.frozenBase ?? base}..${head}`])).split('\n').filter(Boolean);
        return [200, log.map((l) => {
          const [sha, message, name, date] = l.split('\0');
          return { sha, node_id: `C_${sha}`, url: `${this.repoUrl}/commits/${sha}`, html_url: `${this.html}/commit/${sha}`, commit: { message, author: { name, date }, committer: { name, date } } };
        })];
      }
    }
    if ((x = /^\/issues\/(\d+)\/labels(?:\/([^/]+))?$/.exec(rest))) {
      const n = Number(x[1]);
      const pr = P.find(n);
      if (!x[2] && method === 'GET') return [200, pr.labels.map((l) => P.labelJson(l))];
      if (!x[2] && (method === 'POST' || method === 'PUT')) {
        const names: unknown = Array.isArray(input) ? input : input?.labels;
        if (!Array.isArray(names) || names.some((l) => typeof l !== 'string' && typeof l?.name !== 'string')) throw new GhError(422, 'Invalid request.\n\nFor \'links/0/schema\', nil is not an array.');
        const list = names.map((l: string | { name: string }) => (typeof l === 'string' ? l : l.name));
        if (method === 'PUT') for (const l of [...pr.labels]) P.removeLabel(n, l);
        return [200, P.addLabels(n, list).map((l) => P.labelJson(l))];
      }
      if (x[2] && method === 'DELETE') return [200, P.removeLabel(n, decodeURIComponent(x[2])).map((l) => P.labelJson(l))];
    }
    if ((x = /^\/statuses\/([^/]+)$/.exec(rest)) && method === 'POST') return [201, P.statusJson(await P.addStatus(x[1], input ?? {}, this.o.user))];
    if ((x = /^\/commits\/(.+)\/(status|statuses|check-runs)$/.exec(rest)) && method === 'GET') {
      const ref = decodeURIComponent(x[1]);
      const sha = await P.revParse(/^[0-9a-f]{40}$/.test(ref) ? ref : `refs/heads/${ref}`) ?? await P.revParse(ref);
      if (!sha) throw new GhError(422, `No commit found for SHA: ${ref}`);
      if (x[2] === 'statuses') return [200, this.paginate(P.statusesFor(sha), url).map((s) => P.statusJson(s))];
      if (x[2] === 'check-runs') {
        let runs = P.checkRunsFor(sha);
        const name = url.searchParams.get('check_name');
        const status = url.searchParams.get('status');
        if (name) runs = runs.filter((c) => c.name === name);
        if (status) runs = runs.filter((c) => c.status === status);
        return [200, { total_count: runs.length, check_runs: this.paginate(runs, url).map((c) => P.checkRunJson(c)) }];
      }
      const latest = new Map<string, ReturnType<Pulls['statusesFor']>[number]>();
      for (const s of P.statusesFor(sha)) if (!latest.has(s.context)) latest.set(s.context, s);
      const list = [...latest.values()];
      const state = list.some((s) => s.state === 'error' || s.state === 'failure') ? 'failure' : !list.length || list.some((s) => s.state === 'pending') ? 'pending' : 'success';
      return [200, { state, statuses: list.map((s) => P.statusJson(s)), sha, total_count: list.length, repository: { id: 123456789, name: this.o.repo, full_name: `${this.o.owner}/${this.o.repo}` }, commit_url: `${this.repoUrl}/commits/${sha}`, url: `${this.repoUrl}/commits/${sha}/status` }];
    }
    if (rest === '/check-runs' && method === 'POST') throw new GhError(403, 'You must authenticate via a GitHub App.');
    if ((x = /^\/branches\/([^/]+)(\/protection)?$/.exec(rest)) && method === 'GET') {
      const branch = decodeURIComponent(x[1]);
      const sha = await P.revParse(`refs/heads/${branch}`);
      if (!sha) throw new GhError(404, 'Branch not found');
      const g = this.settings();
      const protectedBranch = branch === 'main' && g.protectedBranch;
      if (x[2]) {
        if (!protectedBranch) throw new GhError(404, 'Branch not protected');
        return [200, P.protectionJson(branch)];
      }
      return [200, {
        name: branch, commit: { sha, node_id: `C_${sha}`, url: `${this.repoUrl}/commits/${sha}`, html_url: `${this.html}/commit/${sha}` },
        _links: { self: `${this.repoUrl}/branches/${branch}`, html: `${this.html}/tree/${branch}` }, protected: protectedBranch,
        protection: { enabled: protectedBranch, required_status_checks: { enforcement_level: protectedBranch && g.requiredChecks.length ? 'non_admins' : 'off', contexts: protectedBranch ? g.requiredChecks : [], checks: (protectedBranch ? g.requiredChecks : []).map((context) => ({ context, app_id: null })) } },
        protection_url: `${this.repoUrl}/branches/${branch}/protection`,
      }];
    }
    return undefined;
  }

  /**
   * The GraphQL API, as far as pull-request mode needs it: the mutations enablePullRequestAutoMerge
   * and disablePullRequestAutoMerge (input inline or as a variable), and the query
   * repository(owner, name) { pullRequest(number) } / node(id). Answers carry every field of the
   * pull request below whatever the selection set asks (the selection set is not applied).
   */
  private async graphql(input: any): Promise<Record<string, unknown>> {
    const query = typeof input?.query === 'string' ? input.query : '';
    const vars: Record<string, unknown> = input?.variables && typeof input.variables === 'object' ? input.variables : {};
    const value = (raw: string | undefined): unknown => {
      if (raw === undefined) return undefined;
      if (raw.startsWith('$')) return vars[raw.slice(1)];
      if (raw.startsWith('"')) return JSON.parse(raw);
      if (/^\d+$/.test(raw)) return Number(raw);
      return raw;
    };
    const args = (text: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const m of text.matchAll(/(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|[\w.]+)/g)) out[m[1]] = value(m[2]);
      return out;
    };
    const prNode = async (p: ReturnType<Pulls['find']>): Promise<Record<string, unknown>> => {
      const ev = await this.pulls.evaluate(p);
      return {
        __typename: 'PullRequest', id: this.pulls.nodeId(p), number: p.number, title: p.title, url: `${this.html}/pull/${p.number}`, state: p.merged_at ? 'MERGED' : p.state === 'open' ? 'OPEN' : 'CLOSED', merged: Boolean(p.merged_at),
        mergeable: ev.mergeable === null ? 'UNKNOWN' : ev.mergeable ? 'MERGEABLE' : 'CONFLICTING', mergeStateStatus: ev.mergeable_state.toUpperCase(), reviewDecision: ev.reviewDecision, headRefName: p.head, headRefOid: ev.head, baseRefName: p.base,
        autoMergeRequest: p.auto_merge ? { enabledAt: p.auto_merge.enabled_at, mergeMethod: p.auto_merge.merge_method.toUpperCase(), commitHeadline: p.auto_merge.commit_title, commitBody: p.auto_merge.commit_message, enabledBy: { login: p.auto_merge.enabled_by } } : null,
        mergeCommit: p.merge_commit_sha ? { oid: p.merge_commit_sha } : null,
      };
    };
    const m = /\b(enablePullRequestAutoMerge|disablePullRequestAutoMerge)\s*\(\s*input\s*:\s*(\{[^}]*\}|\$\w+)\s*\)/.exec(query);
    if (m) {
      const name = m[1];
      const at = query.slice(0, m.index).split('\n');
      const locations = [{ line: at.length, column: at[at.length - 1].length + 1 }];
      const given = m[2].startsWith('$') ? (vars[m[2].slice(1)] as Record<string, unknown> | undefined) ?? {} : args(m[2].slice(1, -1));
      const err = (type: string, message: string): Record<string, unknown> => ({ data: { [name]: null }, errors: [{ type, path: [name], locations, message }] });
      const id = String(given.pullRequestId ?? '');
      const pr = this.pulls.byNodeId(id);
      if (!pr) return err('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'.`);
      try {
        if (name === 'enablePullRequestAutoMerge') {
          const method = String(given.mergeMethod ?? 'MERGE').toLowerCase() as MergeMethod;
          if (!MERGE_METHODS.includes(method)) return { errors: [{ path: [name], extensions: { code: 'argumentLiteralsIncompatible' }, locations, message: `Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (${String(given.mergeMethod)}). Expected type 'PullRequestMergeMethod'.` }] };
          if (given.expectedHeadOid !== undefined && given.expectedHeadOid !== (await this.pulls.heads(pr)).head) return err('UNPROCESSABLE', 'Head sha didn\'t match expected head sha');
          await this.pulls.enableAutoMerge(pr, method, this.o.user, given.commitHeadline as string | undefined, given.commitBody as string | undefined);
        } else this.pulls.disableAutoMerge(pr);
      } catch (e) {
        if (e instanceof GhError) return err('UNPROCESSABLE', e.message);
        throw e;
      }
      return { data: { [name]: { clientMutationId: given.clientMutationId ?? null, actor: { login: this.o.user }, pullRequest: await prNode(pr) } } };
    }
    const repo = /\brepository\s*\(([^)]*)\)\s*\{[^]*?\bpullRequest\s*\(([^)]*)\)/.exec(query);
    if (repo) {
      const r = args(repo[1]);
      const n = Number(args(repo[2]).number);
      if (r.owner !== this.o.owner || r.name !== this.o.repo) return { data: { repository: null }, errors: [{ type: 'NOT_FOUND', path: ['repository'], message: `Could not resolve to a Repository with the name '${String(r.owner)}/${String(r.name)}'.` }] };
      const pr = this.pulls.pulls.find((p) => p.number === n);
      if (!pr) return { data: { repository: { pullRequest: null } }, errors: [{ type: 'NOT_FOUND', path: ['repository', 'pullRequest'], message: `Could not resolve to a PullRequest with the number of ${n}.` }] };
      return { data: { repository: { pullRequest: await prNode(pr) } } };
    }
    const node = /\bnode\s*\(([^)]*)\)/.exec(query);
    if (node) {
      const id = String(args(node[1]).id ?? '');
      const pr = this.pulls.byNodeId(id);
      return pr ? { data: { node: await prNode(pr) } } : { data: { node: null }, errors: [{ type: 'NOT_FOUND', path: ['node'], message: `Could not resolve to a node with the global id of '${id}'.` }] };
    }
    return { errors: [{ message: 'sandbox: this GraphQL document is not served (enablePullRequestAutoMerge, disablePullRequestAutoMerge, repository.pullRequest, node)' }] };
  }

  /**
   * The sandbox's control endpoints (no token: a test or the demo acting as a person):
   * GET /sandbox/github/events?after=N&timeoutMs=M, GET /sandbox/github/pulls,
   * POST /sandbox/github/pulls/{n}/approve|request-changes|merge|close|check, POST /sandbox/github/commit,
   * POST /sandbox/github/settings (a scenario's `github:` mapping: protection and repository settings, applied at once).
   */
  private async control(method: string, url: URL, body: Buffer, send: (code: number, data: unknown) => void): Promise<void> {
    const P = this.pulls;
    let input: any = {};
    if (body.length) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        return send(400, { message: 'body must be JSON' });
      }
    }
    const p = url.pathname.replace(/\/+$/, '').slice('/sandbox/github'.length);
    let x: RegExpExecArray | null;
    try {
      if (p === '/events' && method === 'GET') {
        const after = Number(url.searchParams.get('after') ?? 0);
        const timeoutMs = Math.min(60_000, Math.max(0, Number(url.searchParams.get('timeoutMs') ?? 20_000)));
        const events = await P.eventsAfter(after, timeoutMs);
        return send(200, { events, last: P.log.at(-1)?.id ?? 0 });
      }
      if (p === '/pulls' && method === 'GET') return send(200, await Promise.all(P.pulls.map((pr) => P.json(pr))));
      if ((x = /^\/pulls\/(\d+)\/(approve|request-changes|merge|close|check)$/.exec(p)) && method === 'POST') {
        const n = Number(x[1]);
        const pr = P.find(n);
        const user = typeof input.user === 'string' && input.user ? input.user : Pulls.REVIEWER;
        if (x[2] === 'approve') return send(200, P.reviewJson(pr, await P.review(n, user, 'APPROVE', input.body ?? 'Approved (sandbox reviewer).')));
        if (x[2] === 'request-changes') return send(200, P.reviewJson(pr, await P.review(n, user, 'REQUEST_CHANGES', input.body ?? 'Changes requested (sandbox reviewer).')));
        if (x[2] === 'merge') return send(200, await P.merge(n, { merge_method: input.merge_method, ...(input.sha ? { sha: input.sha } : {}) }, user));
        if (x[2] === 'close') {
          await P.close(pr);
          return send(200, await P.json(pr));
        }
        const state = input.state ?? input.conclusion ?? 'success';
        if (!['success', 'failure', 'pending'].includes(state)) return send(400, { message: 'state must be success|failure|pending' });
        const names: string[] = input.name ? [String(input.name)] : this.settings().requiredChecks;
        if (!names.length) return send(400, { message: 'name is required (the scenario requires no checks)' });
        const { head } = await P.heads(pr);
        return send(200, names.map((nm) => P.checkRunJson(P.addCheckRun(head, nm, state))));
      }
      if (p === '/commit' && method === 'POST') return send(201, await this.commitDirect(input));
      if (p === '/settings' && method === 'POST') {
        if (!this.o.setSettings) return send(404, { message: 'sandbox control: settings cannot change here' });
        try {
          return send(200, this.o.setSettings(input as GithubSpec));
        } catch (e) {
          return send(422, { message: e instanceof Error ? e.message : String(e) });
        }
      }
    } catch (e) {
      if (e instanceof GhError) return send(e.status, { message: e.message, ...e.extra });
      throw e;
    }
    return send(404, { message: 'sandbox control: GET /sandbox/github/events?after=N&timeoutMs=M, GET /sandbox/github/pulls, POST /sandbox/github/pulls/{n}/approve|request-changes|merge|close|check, POST /sandbox/github/commit, POST /sandbox/github/settings' });
  }

  /** Commits one file on a branch of origin directly (an admin or another team; protection does not apply). */
  private async commitDirect(input: { branch?: unknown; path?: unknown; content?: unknown; message?: unknown }): Promise<{ sha: string; branch: string }> {
    const branch = typeof input.branch === 'string' && input.branch ? input.branch : 'main';
    if (typeof input.path !== 'string' || !input.path || input.path.startsWith('/') || input.path.split('/').includes('..') || typeof input.content !== 'string') throw new GhError(400, 'path (relative) and content are required strings');
    const od = this.o.originDir;
    const parent = await this.pulls.revParse(`refs/heads/${branch}`);
    if (!parent) throw new GhError(404, 'Branch not found');
    const blob = (await git(['--git-dir', od, 'hash-object', '-w', '--stdin'], { input: input.content })).trim();
    const index = `${od}/sandbox-index-${process.pid}-${Date.now()}`;
    const env = { GIT_INDEX_FILE: index };
    try {
      await git(['--git-dir', od, 'read-tree', parent], { env });
      await git(['--git-dir', od, 'update-index', '--add', '--cacheinfo', `100644,${blob},${input.path}`], { env });
      const tree = (await git(['--git-dir', od, 'write-tree'], { env })).trim();
      const sha = (await git(['--git-dir', od, ...SANDBOX_GIT_IDENTITY, 'commit-tree', tree, '-p', parent, '-m', typeof input.message === 'string' && input.message ? input.message : `Update ${input.path}`])).trim();
      await git(['--git-dir', od, 'update-ref', `refs/heads/${branch}`, sha, parent]);
      return { sha, branch };
    } finally {
      fs.rmSync(index, { force: true });
    }
  }

  private paginate<X>(list: X[], url: URL): X[] {
    const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    return list.slice((page - 1) * per, page * per);
  }

  private runList(runs: Run[], url: URL): Record<string, unknown> {
    let list = [...runs].reverse();
    const ev = url.searchParams.get('event');
    const br = url.searchParams.get('branch');
    const st = url.searchParams.get('status');
    const actor = url.searchParams.get('actor');
    if (ev) list = list.filter((r) => r.event === ev);
    if (br) list = list.filter((r) => r.head_branch === br);
    if (st) list = list.filter((r) => r.status === st || r.conclusion === st);
    if (actor) list = list.filter((r) => r.actor === actor);
    return { total_count: list.length, workflow_runs: this.paginate(list, url).map((r) => this.runJson(r)) };
  }

  private runJson(r: Run): Record<string, unknown> {
    const { inputs: _inputs, reviews: _reviews, environment: _env, actor, ...rest } = r;
    return {
      ...rest, node_id: `WFR_${r.id}`, check_suite_id: r.id + 1, display_title: r.name, url: `${this.repoUrl}/actions/runs/${r.id}`, html_url: `${this.html}/actions/runs/${r.id}`,
      jobs_url: `${this.repoUrl}/actions/runs/${r.id}/jobs`, cancel_url: `${this.repoUrl}/actions/runs/${r.id}/cancel`, workflow_url: `${this.repoUrl}/actions/workflows/${r.workflow_id}`,
      actor: this.user(actor), triggering_actor: this.user(actor), repository: { id: 123456789, name: this.o.repo, full_name: `${this.o.owner}/${this.o.repo}` }, pull_requests: [],
    };
  }

  private job(r: Run): Record<string, unknown> {
    const done = r.status === 'completed';
    const steps = ['Set up job', 'Checkout', 'Validate image', 'Check deployment window', 'Update image tag', 'Wait for Argo CD sync', 'Verify deployment', 'Write deployment record'];
    return {
      id: r.id * 10 + 1, run_id: r.id, run_url: `${this.repoUrl}/actions/runs/${r.id}`, node_id: `J_${r.id}`, head_sha: r.head_sha, head_branch: r.head_branch, name: `deploy (${r.inputs.service ?? 'service'}, ${r.environment ?? r.inputs.environment ?? ''})`,
      status: r.status === 'waiting' ? 'waiting' : r.status, conclusion: r.conclusion, started_at: r.run_started_at, completed_at: done ? r.updated_at : null, html_url: `${this.html}/actions/runs/${r.id}/job/${r.id * 10 + 1}`,
      steps: steps.map((name, i) => ({ name, number: i + 1, status: done ? 'completed' : r.status === 'in_progress' && i === 0 ? 'in_progress' : 'queued', conclusion: done ? (r.conclusion === 'success' ? 'success' : i === 0 ? 'success' : 'skipped') : null })),
      labels: ['ubuntu-latest'], runner_name: done || r.status === 'in_progress' ? 'GitHub Actions 2' : null, workflow_name: r.name,
    };
  }

  private dispatch(file: string, ref: string, sha: string, inputs: Record<string, string>): Run {
    const id = 9000000000 + this.nextId++;
    const environment = inputs.environment ?? inputs.env;
    const name = file.replace(/\.ya?ml$/, '') === 'deploy' ? 'Deploy Service to Environment' : file.replace(/\.ya?ml$/, '');
    const run: Run = {
      id, run_number: this.runs.length + 1, workflow_id: 55500000 + [...file].reduce((a, c) => a + c.charCodeAt(0), 0), path: `.github/workflows/${file}`, name, head_branch: ref.replace(/^refs\/heads\//, ''), head_sha: sha,
      event: 'workflow_dispatch', status: 'queued', conclusion: null, created_at: iso(), updated_at: iso(), run_started_at: iso(), run_attempt: 1, inputs, environment, reviews: [], actor: this.o.user,
    };
    this.runs.push(run);
    this.o.log(`github: dispatched ${file} (run ${id}) ${JSON.stringify(inputs)}`);
    this.emit(run);
    this.after(this.o.runStepSeconds(), () => {
      if (run.status !== 'queued') return;
      if (environment && this.o.protectedEnvironments.includes(environment)) {
        run.status = 'waiting';
        run.updated_at = iso();
        this.actionsStatus(run, 'waiting');
        this.emit(run);
      } else this.start(run);
    });
    return run;
  }

  /**
   * Like GitHub Actions: a job that references an environment gets a deployment (made by the
   * github-actions bot, on the run's commit) whose statuses follow the job and link to it:
   * waiting (for a required reviewer), queued, in_progress, success / failure / error.
   */
  private actionsStatus(run: Run, state: 'waiting' | 'queued' | 'in_progress' | 'success' | 'failure' | 'error'): void {
    if (!run.environment) return;
    const bot = { login: 'github-actions[bot]', id: 41898282, node_id: 'MDM6Qm90NDE4OTgyODI=', type: 'Bot', site_admin: false, url: `${this.o.baseUrl()}/users/github-actions%5Bbot%5D`, html_url: 'https://github.com/apps/github-actions' };
    let d = this.runDeployments.get(run.id);
    if (!d) {
      const id = this.nextId++;
      d = {
        url: `${this.repoUrl}/deployments/${id}`, id, node_id: `DE_${id}`, sha: run.head_sha, ref: run.head_branch, task: 'deploy', payload: {}, original_environment: run.environment, environment: run.environment,
        description: null, creator: bot, created_at: iso(), updated_at: iso(), statuses_url: `${this.repoUrl}/deployments/${id}/statuses`, repository_url: this.repoUrl,
        transient_environment: false, production_environment: run.environment === 'prod', performed_via_github_app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      };
      this.runDeployments.set(run.id, d);
      this.deployments.unshift(d);
      this.statuses.set(id, []);
      this.events.emit('deployment-created', d);
    }
    const sid = this.nextId++;
    const job = `${this.html}/actions/runs/${run.id}/job/${run.id * 10 + 1}`;
    const s = {
      url: `${this.repoUrl}/deployments/${d.id}/statuses/${sid}`, id: sid, node_id: `DES_${sid}`, state, creator: bot, description: '', environment: run.environment,
      target_url: job, log_url: job, environment_url: '', created_at: iso(), updated_at: iso(), deployment_url: d.url, repository_url: this.repoUrl, performed_via_github_app: d.performed_via_github_app,
    };
    d.updated_at = s.created_at;
    this.statuses.get(d.id)!.unshift(s);
    this.events.emit('deployment-status', { deployment: d, status: s });
  }

  private start(run: Run): void {
    run.status = 'in_progress';
    run.updated_at = iso();
    this.actionsStatus(run, 'in_progress');
    this.emit(run);
    this.after(this.o.runStepSeconds(), () => {
      if (run.status === 'in_progress') this.complete(run, 'success');
    });
  }

  private complete(run: Run, conclusion: Run['conclusion']): void {
    const started = run.status !== 'queued';
    run.status = 'completed';
    run.conclusion = conclusion;
    run.updated_at = iso();
    if (started) this.actionsStatus(run, conclusion === 'success' ? 'success' : conclusion === 'failure' ? 'failure' : 'error');
    this.emit(run);
  }

  private emit(run: Run): void {
    this.events.emit('run-updated', this.runJson(run), { inputs: run.inputs, environment: run.environment });
  }
}
