import * as assert from 'node:assert/strict';
import { runSteps, type RunnerEvent as PipelineEvent, type Step } from '../../src/pipeline/runner';
import { FakeClock } from './pipelineFakes';

const clock = new FakeClock(new Date('2026-11-21T15:00:00Z'));
const ports = {} as any;

function step(name: string, run: Step<string[], never>['run'], timeoutMs = 1000): Step<string[], never> {
  return { name, title: name.toUpperCase(), needs: [], timeoutMs, run };
}

describe('pipeline runner', () => {
  it('runs steps in order, emits started/log/finished events with times', async () => {
    const events: PipelineEvent[] = [];
    const seen: string[] = [];
    const r = await runSteps(
      [
        step('a', async (s, ctx) => {
          s.push('a');
          ctx.log('hello');
          return { status: 'succeeded', message: 'ok a' };
        }),
        step('b', async (s) => {
          s.push('b');
          return { status: 'succeeded' };
        }),
      ],
      seen,
      { ports, clock, onEvent: (e) => events.push(e) },
    );
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(seen, ['a', 'b']);
    assert.deepEqual(events.map((e) => `${e.type}:${'step' in e ? e.step : ''}`), ['step-started:a', 'log:a', 'step-finished:a', 'step-started:b', 'step-finished:b']);
    const fin = events[2] as Extract<PipelineEvent, { type: 'step-finished' }>;
    assert.equal(fin.startedAt, '2026-11-21T15:00:00.000Z');
    assert.equal(typeof fin.durationMs, 'number');
    assert.equal(r.reports.length, 2);
  });

  it('stops at the first refusal and does not run later steps', async () => {
    const seen: string[] = [];
    const r = await runSteps([step('a', async () => ({ status: 'refused', message: 'no' })), step('b', async (s) => (s.push('b'), { status: 'succeeded' }))], seen, { ports, clock });
    assert.equal(r.status, 'refused');
    assert.equal(r.step, 'a');
    assert.deepEqual(seen, []);
  });

  it('turns a throw into a failure naming the step, with its cause as data', async () => {
    const r = await runSteps([step('commit', async () => { throw new Error('disk full'); })], [], { ports, clock });
    assert.equal(r.status, 'failed');
    assert.equal(r.step, 'commit');
    assert.deepEqual(r.cause, { code: 'error', text: 'disk full' });
  });

  it('enforces the step timeout, naming the step, and aborts its signal', async () => {
    let aborted = false;
    const r = await runSteps(
      [step('sync', (_s, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => { aborted = true; resolve({ status: 'succeeded' }); })), 20)],
      [],
      { ports, clock },
    );
    assert.equal(r.status, 'failed');
    assert.match(r.message!, /step "sync" timed out after 20 ms/);
    assert.equal(aborted, true);
  });

  it('checks the signal before each step', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const r = await runSteps([step('a', async (s) => { s.push('a'); ac.abort(new Error('interrupted (Ctrl-C)')); return { status: 'succeeded' }; }), step('b', async (s) => (s.push('b'), { status: 'succeeded' }))], seen, { ports, clock, signal: ac.signal });
    assert.equal(r.status, 'aborted');
    assert.equal(r.step, 'b');
    assert.match(r.message!, /before step "b": interrupted \(Ctrl-C\)/);
    assert.deepEqual(seen, ['a']);
  });

  it('an abort during a waiting step ends it at once', async () => {
    const ac = new AbortController();
    const p = runSteps([step('wait', (_s, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('wait aborted')))), 60_000)], [], { ports, clock, signal: ac.signal });
    ac.abort(new Error('interrupted'));
    const r = await p;
    assert.equal(r.status, 'aborted');
  });

  it('hands a step only the ports it declared', async () => {
    let keys: string[] = [];
    const s: Step<null, 'git'> = { name: 'x', title: 'x', needs: ['git'], timeoutMs: 100, run: async (_s, ctx) => ((keys = Object.keys(ctx.ports)), { status: 'succeeded' }) };
    await runSteps([s], null, { ports: { git: {}, registry: {} } as any, clock });
    assert.deepEqual(keys, ['git']);
  });
});
