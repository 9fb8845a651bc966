// Repository text reaches the editor's output channels escaped: a reason holding ESC [2J (clear the
// screen) or a carriage return (overwrite the line) is written as visible text, byte for byte what the
// CLI prints (escapeControl), through the functions that write to the channels.
import { strict as assert } from 'node:assert';
import { formatHeader } from '../../src/providers/transcript';
import { createFakeVscode, installFakeVscode } from '../support/fakeVscode';

const REASON = 'CHG-7 fix\x1b[2J\rforged line\x07';
const ESCAPED = 'CHG-7 fix\\x1b[2J\\x0dforged line\\x07';

describe('escaping on the editor output channel path', () => {
  let mod: typeof import('../../src/providers/transcriptChannel');
  let logMod: typeof import('../../src/providers/escapingLog');

  before(() => {
    installFakeVscode(createFakeVscode().api);
    mod = require('../../src/providers/transcriptChannel');
    logMod = require('../../src/providers/escapingLog');
  });

  it('the transcript channel writes a reason with ESC [2J and CR as escaped text (exact lines), newlines and tabs kept', () => {
    const written: string[] = [];
    const channel = new mod.TranscriptChannel({ appendLine: (l) => written.push(l), show() {}, dispose() {} });
    const fired: string[][] = [];
    channel.onDidAppend((l) => fired.push(l));
    const header = formatHeader({ mode: 'deploy', service: 'accounts', environment: 'stag', tag: '1.5.0', reason: REASON, actor: 'dana', at: new Date('2026-12-04T07:00:00Z') });
    channel.append([...header, 'evidence:\n\tline two']);
    assert.deepEqual(written, ['', '━━━ Deploy accounts 1.5.0 to stag ━━━', 'started 2026-12-04T07:00:00Z (times below are UTC), by dana', `reason: ${ESCAPED}`, 'evidence:\n\tline two']);
    assert.equal(written[3], 'reason: CHG-7 fix\\x1b[2J\\x0dforged line\\x07');
    // eslint-disable-next-line no-control-regex
    assert.ok(written.every((l) => !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(l)), JSON.stringify(written));
    assert.deepEqual(fired, [written], 'listeners (the e2e transcript) get the escaped lines too');
    assert.equal(channel.text().split('\n')[3], `reason: ${ESCAPED}`);
  });

  it('the log channel escapes strings written at every level; other arguments and properties pass through', () => {
    const calls: [string, unknown[]][] = [];
    const rec = (level: string) => (...args: unknown[]) => void calls.push([level, args]);
    const raw = { name: 'GitOps Deploy (log)', trace: rec('trace'), debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), append: rec('append'), appendLine: rec('appendLine'), replace: rec('replace'), show: rec('show'), clear: rec('clear'), dispose: rec('dispose') };
    const log = logMod.escapingLog(raw as any);
    const err = new Error('x');
    log.info(`record reason: ${REASON}`);
    log.warn(REASON);
    log.error(err);
    log.debug('a\x9bb', 42);
    log.show(true);
    assert.equal(log.name, 'GitOps Deploy (log)');
    assert.deepEqual(calls, [
      ['info', [`record reason: ${ESCAPED}`]],
      ['warn', [ESCAPED]],
      ['error', [err]],
      ['debug', ['a\\x9bb', 42]],
      ['show', [true]],
    ]);
  });
});
