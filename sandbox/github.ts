import type * as http from 'node:http';
import { EventEmitter } from 'node:events';
import { sendJson } from './http';
import type { Faults } from './faults';
import { git } from './git';

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

export interface GithubOptions { owner: string; repo: string; token: string; user: string; originDir: string; protectedEnvironments: string[]; environments: string[]; runStepSeconds: () => number; faults: Faults; baseUrl: () => string; log: (s: string) => void }

/** A small GitHub REST API: repository, deployments and statuses, workflow dispatch, runs, jobs and environment reviews. */
export class GithubApi {
  readonly events = new EventEmitter();
  private nextId = 1000;
  private readonly deployments: Record<string, any>[] = [];
  private readonly statuses = new Map<number, Record<string, any>[]>();
  readonly runs: Run[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly envIds = new Map<string, number>();
  /** The deployment GitHub Actions made for a run's job that references an environment. */
  private readonly runDeployments = new Map<number, Record<string, any>>();
  /** Every request received (method and path), in order: tests count what a client asked for. */
  readonly requests: { method: string; path: string }[] = [];

  constructor(private readonly o: GithubOptions) {
    o.environments.forEach((e, i) => this.envIds.set(e, 161088068 + i));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private after(s: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, s * 1000);
    this.timers.add(t);
  }

  private get repoUrl(): string {
    return `${this.o.baseUrl()}/repos/${this.o.owner}/${this.o.repo}`;
  }

  private get html(): string {
    return `https://github.com/${this.o.owner}/${this.o.repo}`;
  }

  private user(login = this.o.user): Record<string, unknown> {
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
    if (p === '/user' && method === 'GET') return send(200, { ...this.user(), name: 'Sandbox User', email: 'sandbox-user@gitops.invalid' });
    const prefix = `/repos/${this.o.owner}/${this.o.repo}`;
    if (!p.startsWith(prefix)) return fail(404, 'Not Found');
    const rest = p.slice(prefix.length);
    let x: RegExpExecArray | null;

    if (rest === '' && method === 'GET') {
      return send(200, { id: 123456789, node_id: 'R_sandbox', name: this.o.repo, full_name: `${this.o.owner}/${this.o.repo}`, private: true, owner: { ...this.user(this.o.owner), type: 'Organization' }, html_url: this.html, url: this.repoUrl, default_branch: 'main', clone_url: `file://${this.o.originDir}`, visibility: 'private', permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } });
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
    return fail(404, 'Not Found');
  };

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
