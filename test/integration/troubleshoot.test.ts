// Troubleshooting built in (issue #7), asserted from outside against the sandbox: the built CLI
// (dist/cli.js) deploys a failing tag, and the transcript and the record on origin carry the
// evidence of the failure; then logs, events, argocd, retry-sync and fix work on that state.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../src/pipeline/model/records';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { sandboxPerTest } from './helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const VALUES = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;
const ARGOCD_URL = 'https://argocd.example.test';
const APP_LINK = `${ARGOCD_URL}/applications/argocd/accounts-stag`;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))),
  );
}

function cli(sb: Sandbox, args: string[]): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1' } as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--repo', sb.repoDir], { env, cwd: sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const originFile = (sb: Sandbox, file: string) => git(['show', `main:${file}`], sb.originDir);
const originLog = async (sb: Sandbox) => (await git(['log', '--format=%s', 'main'], sb.originDir)).trim().split('\n');
const recordsOnOrigin = async (sb: Sandbox, env: string) => (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter(Boolean);

/** The one record added on origin since `before`: its front matter and its raw text. */
async function newRecord(sb: Sandbox, env: string, before: string[]): Promise<{ rec: LoadedRecord; text: string }> {
  const files = (await recordsOnOrigin(sb, env)).filter((f) => !before.includes(f));
  assert.equal(files.length, 1, `one new record on origin in ${env}: ${files.join(', ')}`);
  const text = await originFile(sb, files[0]);
  return { rec: parseRecord(text, files[0]), text };
}

/** The record body's "## Evidence" section (what follows the heading). */
function evidenceOf(text: string): string {
  const at = text.indexOf('\n## Evidence\n');
  assert.ok(at >= 0, `the record body has an "## Evidence" section:\n${text}`);
  return text.slice(at);
}

/** The fenced text of one evidence entry ("### check: title"), as the record keeps it. */
function fenced(evidence: string, heading: RegExp): string {
  const m = new RegExp(`^### ${heading.source}.*\\n(?:\\n<[^>]+>\\n)?\\n~~~~text\\n([\\s\\S]*?)\\n~~~~$`, 'm').exec(evidence);
  assert.ok(m, `an evidence entry ${heading} with a ~~~~text block in:\n${evidence}`);
  return m[1];
}

function scenario(config?: Record<string, unknown>, images: Record<string, unknown> = {}): Scenario {
  return {
    services: {
      accounts: {
        images: {
          '1.4.0': {},
          '1.6.0': { health: 'DOWN' },
          '1.6.1': { crashLoop: true },
          '1.6.2': { errorRate: 0.25 },
          '1.7.0': { syncSeconds: 3 },
          ...images,
        },
      },
    },
    environments: { dev: { accounts: '1.4.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
    ...(config ? { config } : {}),
  } as Scenario;
}

/** Deploy `tag` to stag, with dev running it (so it is "tested upstream"). */
function failing(tag: string, config: Record<string, unknown> = {}): Scenario {
  const s = scenario({ argocd: { url: ARGOCD_URL }, ...config });
  s.environments!.dev.accounts = tag;
  return s;
}

describe('CLI troubleshooting against the sandbox', function () {
  this.timeout(60_000);
  const box = sandboxPerTest('cli-troubleshoot-');
  const start = box.start;

  /** Retry sync: exit 0, a hard refresh reached Argo CD, the Application Synced and Healthy at origin's head. */
  async function retrySyncWorks(s: Sandbox): Promise<void> {
    const refreshes: string[] = [];
    const onApp = (a: any) => {
      const v = a?.metadata?.name === 'accounts-stag' ? a.metadata.annotations?.['argocd.argoproj.io/refresh'] : undefined;
      if (v) refreshes.push(v);
    };
    s.events.on('app-updated', onApp);
    try {
      const r = await cli(s, ['retry-sync', 'accounts', '--env', 'stag']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`origin is at ${s.headSha().slice(0, 7)}; asking Argo CD for a hard refresh of accounts-stag`));
      assert.match(r.stdout, new RegExp(`✓ accounts-stag is Synced and Healthy at ${s.headSha().slice(0, 7)}`));
    } finally {
      s.events.off('app-updated', onApp);
    }
    assert.ok(refreshes.includes('hard'), `Argo CD saw a hard refresh (saw: ${refreshes.join(', ') || 'none'})`);
    const app = s.app('accounts', 'stag')!;
    assert.equal(app.status.sync.status, 'Synced');
    assert.equal(app.status.sync.revision, s.headSha());
    assert.equal(app.status.health.status, 'Healthy');
    assert.equal(app.metadata.annotations?.['argocd.argoproj.io/refresh'], undefined, 'the refresh is done');
  }

  /** The actions every failure state supports: logs, events, argocd, retry-sync; fix has nothing to do. */
  async function actionsWork(s: Sandbox, tag: string, record: LoadedRecord): Promise<{ logs: CliResult; events: CliResult }> {
    const logs = await cli(s, ['logs', 'accounts', '--env', 'stag', '--tail', '50']);
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
    assert.match(logs.stdout, /^Logs of accounts in stag \(namespace stag\)$/m);
    // Live: the rolled-back pods of 1.4.0 started fine.
    assert.match(logs.stdout, /^── Log of accounts-deployment-[\w-]+ — live \(Running, ready, 0 restarts, [^)]*accounts:1\.4\.0\)$/m);
    assert.match(logs.stdout, /Started application in [\d.]+ seconds/);

    const events = await cli(s, ['events', 'accounts', '--env', 'stag']);
    assert.equal(events.code, 0, events.stdout + events.stderr);
    assert.match(events.stdout, /^── Deployment accounts-deployment — live\n(?:.*\n)*?Images: +\S+accounts:1\.4\.0$/m);
    assert.match(events.stdout, /^── Events of accounts-deployment and its pods — live$/m);

    const argocd = await cli(s, ['argocd', 'accounts', '--env', 'stag']);
    assert.equal(argocd.code, 0, argocd.stdout + argocd.stderr);
    assert.equal(argocd.stdout, `${APP_LINK}\n`);

    const head = s.headSha();
    await retrySyncWorks(s);
    assert.equal(s.headSha(), head, 'retry sync pushes nothing');

    const fix = await cli(s, ['fix', 'accounts', '--env', 'stag']);
    assert.equal(fix.code, 64, fix.stdout + fix.stderr);
    assert.match(fix.stderr, new RegExp(`nothing to fix: the last record of accounts in stag is ${record.file.replace(/\./g, '\\.')} \\(1\\.4\\.0 → ${tag.replace(/\./g, '\\.')}, rolled-back, .*\\) — rolled-back, not a failed automatic rollback`));
    assert.equal(s.headSha(), head, 'fix with nothing to fix changes nothing');
    return { logs, events };
  }

  async function deployFailing(s: Sandbox, tag: string): Promise<{ r: CliResult; all: string; rec: LoadedRecord; text: string }> {
    const before = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'try']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const { rec, text } = await newRecord(s, 'stag', before);
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.tag, tag);
    assert.ok(rec.checks.some((c) => c.name === 'rollback' && c.status === 'passed'));
    assert.match(r.stderr, /troubleshoot: gitops-deploy logs accounts --env stag/);
    return { r, all: r.stdout + r.stderr, rec, text };
  }

  it('crash loop: the crashing container\'s log and the BackOff event in the transcript and the record; then logs (captured log first, then live pods), events (captured BackOff), argocd, retry-sync, fix (nothing to fix, 64)', async () => {
    const s = await start(failing('1.6.1'));
    const { all, rec, text } = await deployFailing(s, '1.6.1');
    // Transcript: the summaries of the failing step's evidence.
    assert.match(all, /log of accounts-deployment-[\w-]+ \(previous\): ".*Application run failed"/);
    assert.match(all, /event BackOff(?: \(x\d+\))? on Pod\/accounts-deployment-[\w-]+: "Back-off restarting failed container accounts/);
    // Front matter: the failed check's evidence keeps the same summaries (its own field, not the detail).
    const failed = rec.checks.find((c) => c.status === 'failed')!;
    // The sync wait notices the crash loop (the pod crashes long before the progress deadline); the rollout wait would be next.
    const step = failed.name;
    assert.ok(step === 'sync' || step === 'rollout', `failed at ${step}`);
    assert.match(failed.detail!, /CrashLoopBackOff/);
    assert.doesNotMatch(failed.detail!, /Evidence:/);
    const summaries = (failed.evidence ?? []).map((e) => e.summary);
    assert.ok(summaries.some((x) => /^log of accounts-deployment-[\w-]+ \(previous\): ".*Application run failed"/.test(x)), summaries.join('\n'));
    assert.ok(summaries.some((x) => /^event BackOff/.test(x)), summaries.join('\n'));
    // Body: the full text, fenced.
    const ev = evidenceOf(text);
    assert.match(fenced(ev, new RegExp(`${step}: Log of accounts-deployment-[\\w-]+ \\(previous container\\)`)), /ERROR 1 --- \[accounts\] .* : Application run failed$/m);
    assert.match(fenced(ev, new RegExp(`${step}: Events of accounts-deployment and its pods`)), /^Warning +BackOff +Pod\/accounts-deployment-[\w-]+ +Back-off restarting failed container accounts/m);
    if (step === 'sync') assert.match(ev, new RegExp(`^### sync: Argo CD application accounts-stag\\n\\n<${APP_LINK}>$`, 'm'));

    const { logs, events } = await actionsWork(s, '1.6.1', rec);
    // logs: what the crashing container wrote, captured at the failure, first; then the live pods.
    const captured = logs.stdout.indexOf(`(previous container) — captured when 1.6.1 failed (${step}, `);
    const live = logs.stdout.indexOf('— live (');
    assert.ok(captured > 0 && live > captured, logs.stdout);
    assert.match(logs.stdout.slice(captured, live), /: Application run failed\n/);
    assert.doesNotMatch(logs.stdout.slice(live), /Application run failed/, 'the live pods (1.4.0) are fine');
    // events: the BackOff captured at the failure (the crashing pod is gone since).
    assert.match(events.stdout, new RegExp(`^── Events of accounts-deployment and its pods — captured when 1\\.6\\.1 failed \\(${step}, [^)]+\\)\\n(?:.*\\n)*?Warning +BackOff +Pod/accounts-deployment-[\\w-]+ +Back-off restarting failed container`, 'm'));

    const json = await cli(s, ['logs', 'accounts', '--env', 'stag', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.record, rec.file);
    assert.match(report.sections[0].title, /^Log of .* \(previous container\) — captured when 1\.6\.1 failed/);
    assert.ok(report.sections[0].lines.some((l: string) => l.endsWith(': Application run failed')));
  });

  it('health DOWN: the DOWN component and HTTP 503 in the transcript and the record; then logs (captured log), events, argocd, retry-sync, fix (64)', async () => {
    const s = await start(failing('1.6.0'));
    const { all, rec, text } = await deployFailing(s, '1.6.0');
    assert.match(all, /health: \/actuator\/health answered DOWN \(HTTP 503\); DOWN: db/);
    assert.match(all, /Evidence: HTTP 503, status DOWN, DOWN: db; body \{"status":"DOWN"/);
    const health = rec.checks.find((c) => c.name === 'health')!;
    assert.equal(health.status, 'failed');
    assert.deepEqual(health.evidence?.map((e) => e.kind), ['health', 'log']);
    assert.match(health.evidence![0].summary, /^HTTP 503, status DOWN, DOWN: db; body /);
    assert.match(health.evidence![1].summary, /^log of accounts-deployment-[\w-]+: "org\.postgresql\.util\.PSQLException: Connection to accounts-db:5432 refused/);
    const body = fenced(evidenceOf(text), /health: Health response/);
    assert.match(body, /^GET service proxy stag\/accounts:8080\/actuator\/health → HTTP 503$/m);
    assert.match(body, /"db": \{\n\s+"status": "DOWN"/);
    assert.match(fenced(evidenceOf(text), /health: Log of accounts-deployment-[\w-]+/), /PSQLException: Connection to accounts-db:5432 refused/);
    const { logs } = await actionsWork(s, '1.6.0', rec);
    assert.match(logs.stdout, /^── Log of accounts-deployment-[\w-]+ — captured when 1\.6\.0 failed \(health, [^)]+\)\n(?:.*\n)*?org\.postgresql\.util\.PSQLException/m);
  });

  it('error rate: the measured rate, the query and the threshold in the transcript and the record; then logs, events, argocd, retry-sync, fix (64)', async () => {
    const s = await start(failing('1.6.2'));
    const { all, rec, text } = await deployFailing(s, '1.6.2');
    const summary = /Evidence: query sum\(rate\(http_server_requests_seconds_count\{namespace="stag",service="accounts",status=~"5\.\.",[^}]*\}\[5m\]\)\) \/ sum\(rate\([^=]*= 2\d\.\d\d% \(0\.2\d*\), threshold 1\.00% \(0\.01\)/;
    assert.match(all, summary);
    const er = rec.checks.find((c) => c.name === 'error-rate')!;
    assert.equal(er.status, 'failed');
    assert.match(er.detail!, /^HTTP 5xx ratio 2\d\.\d\d% is over the threshold 1\.00%$/);
    assert.match(`Evidence: ${er.evidence?.[0]?.summary}`, summary);
    const body = fenced(evidenceOf(text), /error-rate: Prometheus query/);
    assert.match(body, /^Query: +sum\(rate\(http_server_requests_seconds_count\{namespace="stag",service="accounts",status=~"5\.\.",uri!~"\/actuator\.\*"\}\[5m\]\)\) \/ sum\(rate\(http_server_requests_seconds_count\{namespace="stag",service="accounts",uri!~"\/actuator\.\*"\}\[5m\]\)\)$/m);
    assert.match(body, /^Value: +2\d\.\d\d% \(0\.2\d*\)$/m);
    assert.match(body, /^Threshold: +1\.00% \(0\.01\)$/m);
    await actionsWork(s, '1.6.2', rec);
  });

  it('sync timeout: the Application\'s operation phase and message and the Argo CD link in the transcript and the record; then logs, events, argocd, retry-sync, fix (64)', async () => {
    const s = await start(failing('1.7.0', { verification: { syncTimeoutSeconds: 1 } }));
    const { all, rec, text } = await deployFailing(s, '1.7.0');
    const summary = new RegExp(`Evidence: Argo CD accounts-stag: sync OutOfSync at [0-9a-f]{7}, health \\w+, operation Running: "one or more tasks are running", ${APP_LINK.replace(/\./g, '\\.')}`);
    assert.match(all, /Argo CD did not report accounts-stag Synced and Healthy at [0-9a-f]{7} within 1 s/);
    assert.match(all, summary);
    const sync = rec.checks.find((c) => c.name === 'sync')!;
    assert.equal(sync.status, 'failed');
    assert.match(sync.detail!, /^Argo CD did not report accounts-stag Synced and Healthy at [0-9a-f]{7} within 1 s/);
    assert.match(`Evidence: ${sync.evidence?.[0]?.summary}`, summary);
    const ev = evidenceOf(text);
    assert.match(ev, new RegExp(`^### sync: Argo CD application accounts-stag\\n\\n<${APP_LINK}>$`, 'm'));
    const body = fenced(ev, /sync: Argo CD application accounts-stag/);
    assert.match(body, new RegExp(`^Operation: +Running at ${rec.commit}$`, 'm'));
    assert.match(body, /^Message: +one or more tasks are running$/m);
    assert.match(body, new RegExp(`^Argo CD UI: ${APP_LINK}$`, 'm'));
    await actionsWork(s, '1.7.0', rec);
  });

  it('argocd without argocd.url: exit 64 saying to set it; an unknown service or a bad --tail: exit 64', async () => {
    const s = await start(scenario());
    const r = await cli(s, ['argocd', 'accounts', '--env', 'stag']);
    assert.equal(r.code, 64, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no Argo CD URL is configured for stag: set argocd\.url in \.gitops-deploy\.yaml/);
    const bad = await cli(s, ['logs', 'acounts', '--env', 'stag']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /unknown service "acounts" in stag \(services: accounts\)/);
    const tail = await cli(s, ['logs', 'accounts', '--env', 'stag', '--tail', 'lots']);
    assert.equal(tail.code, 64);
    assert.match(tail.stderr, /--tail needs a number of lines/);
  });

  it('retry-sync on a sync that keeps failing: exit 4 with the Application\'s evidence', async () => {
    const s = await start(scenario({ argocd: { url: ARGOCD_URL } }, { '1.7.1': { syncFail: true } }));
    // Someone pushed a tag whose sync fails (outside the pipeline): Argo CD's automated sync fails.
    const other = path.join(box.dir, 'other');
    await git(['clone', '-q', s.originDir, other], box.dir);
    const f = path.join(other, VALUES('stag'));
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('tag: "1.4.0"', 'tag: "1.7.1"'));
    await git(['-c', 'user.name=Other', '-c', 'user.email=o@x', 'commit', '-qam', 'Set accounts 1.7.1 in stag by hand'], other);
    const failedSync = s.waitFor('sync-finished', (e: any) => e.app === 'accounts-stag' && e.phase === 'Failed');
    await git(['push', '-q', 'origin', 'HEAD:main'], other);
    await failedSync;
    const head = s.headSha();
    const r = await cli(s, ['retry-sync', 'accounts', '--env', 'stag']);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`accounts-stag is OutOfSync(?: and its last sync failed)?: syncing ${head.slice(0, 7)}`));
    assert.match(r.stderr, new RegExp(`✗ retry sync failed: .*Open it in Argo CD: ${APP_LINK.replace(/\./g, '\\.')}`));
    assert.match(r.stderr, /── Argo CD application accounts-stag \(https:\/\/argocd\.example\.test\/applications\/argocd\/accounts-stag\)\n {3}Sync: +OutOfSync/);
    assert.match(r.stderr, /^ {3}Operation: +Failed at [0-9a-f]{40}/m);
    assert.match(r.stderr, /admission webhook "validate\.kyverno\.svc-fail" denied the request/);
    assert.equal(s.headSha(), head);
  });

  it('a failed automatic rollback (origin rejects it): exit 4 with the manual fix; fix restores the previous tag, records it, Application Healthy', async () => {
    const s = await start(failing('1.6.1'));
    // A pre-receive hook on origin rejects pushes of "Rollback …" commits while the marker exists.
    const marker = path.join(box.dir, 'reject-rollbacks');
    fs.writeFileSync(marker, '');
    const hook = path.join(s.originDir, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, [
      '#!/bin/sh',
      `[ -e '${marker}' ] || exit 0`,
      'zero=0000000000000000000000000000000000000000',
      'while read old new ref; do',
      '  [ "$new" = "$zero" ] && continue',
      '  if [ "$old" = "$zero" ]; then range="$new"; else range="$old..$new"; fi',
      '  if git log --format=%s "$range" | grep -q "^Rollback "; then',
      '    echo "rollbacks are rejected here (test hook)" >&2',
      '    exit 1',
      '  fi',
      'done',
      'exit 0',
      '',
    ].join('\n'), { mode: 0o755 });
    const valuesBefore = await originFile(s, VALUES('stag'));
    const before = await recordsOnOrigin(s, 'stag');

    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-7']);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    const all = r.stdout + r.stderr;
    assert.match(all, /✗ Rollback: push .*rollbacks are rejected here \(test hook\)/);
    assert.match(r.stdout, /🔔 rollback-failed: ROLLBACK FAILED — a human is needed\./);
    assert.match(r.stderr, /✗✗ FAILED-NEEDS-HUMAN \(exit 4\): a human is needed\n {2}ROLLBACK FAILED — a human is needed\.\n.*\n {2}The automatic rollback failed at rollback-push: /);
    assert.match(r.stderr, /1\. set accounts back to 1\.4\.0 in helm\/environments\/stag-env\/image-tags\.yaml/);
    assert.match(r.stderr, /or let gitops-deploy do it: gitops-deploy fix accounts --env stag/);
    assert.ok(!(await originLog(s)).some((l) => l.startsWith('Rollback ')), 'no rollback commit reached origin');
    assert.match(await originFile(s, VALUES('stag')), /tag: "1\.6\.1"/);
    const { rec: failed } = await newRecord(s, 'stag', before);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.rollbackCommit, undefined);
    const rb = failed.checks.find((c) => c.name === 'rollback')!;
    assert.equal(rb.status, 'failed');
    assert.match(rb.detail!, /^the automatic rollback to 1\.4\.0 failed at rollback-push: [\s\S]*rollbacks are rejected here \(test hook\)[\s\S]*\(nothing of it reached origin\)$/);

    // While the failed rollback is the last record, logs and events still show its evidence.
    const logs = await cli(s, ['logs', 'accounts', '--env', 'stag']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /captured when 1\.6\.1 failed \((?:sync|rollout), [^)]+\)\n(?:.*\n)*?.*: Application run failed\n/);

    fs.rmSync(marker);
    const afterFailure = await recordsOnOrigin(s, 'stag');
    const fix = await cli(s, ['fix', 'accounts', '--env', 'stag']);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.match(fix.stdout, new RegExp(`^Manual fix of ${failed.file.replace(/\./g, '\\.')} \\(1\\.4\\.0 → 1\\.6\\.1, failed, `, 'm'));
    assert.match(fix.stdout, /^Restoring accounts 1\.4\.0 \(replacing 1\.6\.1\) in stag; reason: Manual fix: restore accounts 1\.4\.0 in stag after 1\.6\.1 failed/m);
    assert.match(fix.stdout, /✓ Rollback|✓ Verify/);
    assert.equal(await originFile(s, VALUES('stag')), valuesBefore, 'origin has the previous tag again, every other byte kept');
    const log = await originLog(s);
    assert.deepEqual(log.slice(0, 2), ['Record accounts 1.4.0 in stag: rollback', 'Rollback accounts in stag: 1.6.1 → 1.4.0']);
    const fixCommit = (await git(['rev-parse', 'main~1'], s.originDir)).trim();
    const message = await git(['log', '-1', '--format=%B', fixCommit], s.originDir);
    assert.match(message, /^Reason: Manual fix: restore accounts 1\.4\.0 in stag after 1\.6\.1 failed \(sync: pod accounts-deployment-[\w-]+ is in CrashLoopBackOff.*\) and the automatic rollback failed at rollback-push$/m);
    const { rec } = await newRecord(s, 'stag', afterFailure);
    assert.equal(rec.status, 'rollback');
    assert.equal(rec.tag, '1.4.0');
    assert.equal(rec.previousTag, '1.6.1');
    assert.equal(rec.commit, fixCommit);
    assert.match(rec.reason!, /^Manual fix: restore accounts 1\.4\.0 in stag after 1\.6\.1 failed/);
    const app = s.app('accounts', 'stag')!;
    assert.ok(app.status.history.some((h: any) => h.revision === fixCommit), 'Argo CD deployed the fix');
    assert.equal(app.status.health.status, 'Healthy');

    // Fixed: nothing is left to fix.
    const again = await cli(s, ['fix', 'accounts', '--env', 'stag']);
    assert.equal(again.code, 64);
    assert.match(again.stderr, /nothing to fix: .* \(1\.6\.1 → 1\.4\.0, rollback, .*\) — rollback, not a failed automatic rollback/);
  });
});
