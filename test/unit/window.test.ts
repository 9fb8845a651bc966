import { strict as assert } from 'node:assert';
import { defaultProdWindow } from '../../src/pipeline/config/load';
import type { WindowPolicy } from '../../src/pipeline/config/types';
import { windowBrief, windowState } from '../../src/pipeline/model/window';

const prod = defaultProdWindow();
const at = (iso: string) => new Date(iso);

describe('deployment window policy', () => {
  it('blocks production on a weekday at 10:00 Eastern and says when it opens', () => {
    // 2026-11-24 is a Tuesday; 15:00Z = 10:00 EST (UTC-5).
    const s = windowState(prod, at('2026-11-24T15:00:00Z'));
    assert.equal(s.open, false);
    assert.equal(s.changesAt?.toISOString(), '2026-11-24T22:00:00.000Z'); // 17:00 EST
    assert.match(s.summary, /^blocked until 17:00 EST \(blocked hours Mon–Fri 09:00–17:00\)$/);
  });

  it('Friday 16:59 is blocked, Friday 17:00 is open until Monday 09:00', () => {
    // 2026-11-27 is a Friday. 21:59Z = 16:59 EST.
    assert.equal(windowState(prod, at('2026-11-27T21:59:00Z')).open, false);
    assert.equal(windowState(prod, at('2026-11-27T21:59:59.999Z')).open, false);
    const s = windowState(prod, at('2026-11-27T22:00:00Z'));
    assert.equal(s.open, true);
    assert.equal(s.changesAt?.toISOString(), '2026-11-30T14:00:00.000Z'); // Monday 09:00 EST
    assert.match(s.summary, /^open until Mon 09:00 EST$/);
  });

  it('08:59 is open and 09:00 is blocked', () => {
    assert.equal(windowState(prod, at('2026-11-24T13:59:59Z')).open, true);
    assert.equal(windowState(prod, at('2026-11-24T14:00:00Z')).open, false);
  });

  it('weekends are open all day', () => {
    for (const iso of ['2026-11-28T15:00:00Z', '2026-11-29T04:00:00Z', '2026-11-29T18:30:00Z']) {
      assert.equal(windowState(prod, at(iso)).open, true, iso);
    }
  });

  it('follows daylight saving time: 09:00 EDT is 13:00Z in summer, 09:00 EST is 14:00Z in winter', () => {
    // Summer (EDT, UTC-4): Wednesday 2026-07-15.
    assert.equal(windowState(prod, at('2026-07-15T12:59:00Z')).open, true);
    assert.equal(windowState(prod, at('2026-07-15T13:00:00Z')).open, false);
    assert.equal(windowState(prod, at('2026-07-15T20:59:00Z')).open, false);
    assert.equal(windowState(prod, at('2026-07-15T21:00:00Z')).open, true);
  });

  it('computes the next opening across the spring-forward weekend', () => {
    // US DST starts Sunday 2026-03-08 at 02:00 local. Friday 2026-03-06 17:00 EST = 22:00Z.
    const s = windowState(prod, at('2026-03-06T22:30:00Z'));
    assert.equal(s.open, true);
    // Monday 2026-03-09 09:00 EDT = 13:00Z (not 14:00Z).
    assert.equal(s.changesAt?.toISOString(), '2026-03-09T13:00:00.000Z');
  });

  it('computes the next opening across the fall-back weekend', () => {
    // US DST ends Sunday 2026-11-01. Friday 2026-10-30 17:00 EDT = 21:00Z.
    const s = windowState(prod, at('2026-10-30T21:00:00Z'));
    assert.equal(s.open, true);
    assert.equal(s.changesAt?.toISOString(), '2026-11-02T14:00:00.000Z'); // Monday 09:00 EST
  });

  it('a freeze blocks whole days in the zone, named, and knows when it ends', () => {
    const p: WindowPolicy = { ...prod, freezes: [{ name: 'Thanksgiving', from: '2026-11-26', to: '2026-11-27' }] };
    const thu = windowState(p, at('2026-11-26T23:30:00Z')); // Thursday 18:30 EST: outside business hours, inside the freeze
    assert.equal(thu.open, false);
    assert.equal(thu.reason, 'freeze "Thanksgiving"');
    // The freeze ends Saturday 00:00 EST = 05:00Z.
    assert.equal(thu.changesAt?.toISOString(), '2026-11-28T05:00:00.000Z');
    assert.equal(windowState(p, at('2026-11-28T05:00:00Z')).open, true);
    assert.equal(windowState(p, at('2026-11-26T04:59:59Z')).open, true, 'Wednesday 23:59:59 EST is before the freeze');
  });

  it('a freeze with local date-times', () => {
    const p: WindowPolicy = { timeZone: 'Europe/Berlin', blocked: [], freezes: [{ name: 'migration', from: '2026-12-01T20:00', to: '2026-12-02T06:00' }] };
    assert.equal(windowState(p, at('2026-12-01T18:59:00Z')).open, true); // 19:59 CET
    const s = windowState(p, at('2026-12-01T19:00:00Z'));
    assert.equal(s.open, false);
    assert.equal(s.changesAt?.toISOString(), '2026-12-02T05:00:00.000Z');
  });

  it('an overnight range runs past midnight', () => {
    const p: WindowPolicy = { timeZone: 'UTC', blocked: [{ days: ['sat'], from: '22:00', to: '02:00' }], freezes: [] };
    assert.equal(windowState(p, at('2026-11-28T21:59:00Z')).open, true);
    assert.equal(windowState(p, at('2026-11-28T23:00:00Z')).open, false);
    assert.equal(windowState(p, at('2026-11-29T01:59:00Z')).open, false);
    assert.equal(windowState(p, at('2026-11-29T02:00:00Z')).open, true);
  });

  it('no policy is always open', () => {
    const s = windowState(undefined, at('2026-11-24T15:00:00Z'));
    assert.equal(s.open, true);
    assert.equal(s.changesAt, undefined);
  });

  it('is a pure function of the instant', () => {
    const t = at('2026-11-24T15:00:00Z');
    assert.deepEqual(windowState(prod, t), windowState(prod, new Date(t.getTime())));
  });
});

describe('the window in a few words (windowBrief, from opensAt/closesAt)', () => {
  it('closed on a weekday: opensAt is 17:00 Eastern, said as "closed · opens 17:00 ET (in 3 h)"', () => {
    const now = at('2026-11-24T19:00:00Z'); // Tuesday 14:00 EST
    const s = windowState(prod, now);
    assert.equal(s.opensAt?.toISOString(), '2026-11-24T22:00:00.000Z');
    assert.equal(s.closesAt, undefined);
    assert.equal(windowBrief(s, now), 'closed · opens 17:00 ET (in 3 h)');
  });

  it('open in the evening: closesAt is 09:00 the next morning, said with its weekday', () => {
    const now = at('2026-11-24T23:00:00Z'); // Tuesday 18:00 EST
    const s = windowState(prod, now);
    assert.equal(s.closesAt?.toISOString(), '2026-11-25T14:00:00.000Z');
    assert.equal(s.opensAt, undefined);
    assert.equal(windowBrief(s, now), 'open · closes Wed 09:00 ET');
  });

  it('minutes before it opens, and in summer time (still ET)', () => {
    const now = at('2026-07-15T20:35:00Z'); // Wednesday 16:35 EDT
    assert.equal(windowBrief(windowState(prod, now), now), 'closed · opens 17:00 ET (in 25 min)');
  });

  it('a zone without a short generic name falls back to its abbreviation; no policy is just "open"', () => {
    const p: WindowPolicy = { timeZone: 'Europe/Berlin', blocked: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }], freezes: [] };
    const now = at('2026-12-01T10:00:00Z'); // Tuesday 11:00 CET
    const brief = windowBrief(windowState(p, now), now);
    assert.ok(['closed · opens 17:00 CET (in 6 h)', 'closed · opens 17:00 GMT+1 (in 6 h)'].includes(brief), brief);
    assert.equal(windowBrief(windowState(undefined, now), now), 'open');
  });
});
