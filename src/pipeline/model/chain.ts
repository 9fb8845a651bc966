// The records of an environment form a hash chain: each new record's `previousRecord` is
// recordHash() of the environment's newest record when it was written. Pure (no I/O): the caller
// reads the files; verifyChain says where the chain breaks.
import { createHash } from 'node:crypto';
import { compareNewestFirst, type DeploymentRecord } from './records';

/**
 * `sha256:<hex>` of a record file: SHA-256 over the file's bytes exactly as stored, except that
 * every CR LF is read as LF (a checkout with core.autocrlf must not break the chain).
 */
export function recordHash(bytes: Buffer | string): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const normalized = buf.includes(13) ? Buffer.from(buf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : buf;
  return `sha256:${createHash('sha256').update(normalized).digest('hex')}`;
}

export const HASH_FORMAT = /^sha256:[0-9a-f]{64}$/;

export interface ChainedRecord extends DeploymentRecord {
  /** Repository-relative path. */
  file: string;
  /** recordHash of its bytes. */
  hash: string;
}

export type ChainProblemKind =
  /** previousRecord names no record of the environment: the previous record was edited or removed. */
  | 'broken-link'
  /** previousRecord is not `sha256:` and 64 hex digits. */
  | 'malformed-link'
  /** A record without previousRecord after the chain started: the link was removed. */
  | 'unchained'
  /** Two records name the same previous record (two runs wrote at once): a warning. */
  | 'fork';

export interface ChainProblem {
  kind: ChainProblemKind;
  environment: string;
  /** The record whose link is wrong. */
  file: string;
  /** The hash it names, for broken links. */
  previousRecord?: string;
  /** Where the previous record should be (the record before it in time), for broken links. */
  expectedAfter?: string;
  /** The other record of a fork. */
  otherFile?: string;
  message: string;
}

export interface ChainResult {
  environment: string;
  records: number;
  /** Records carrying previousRecord. */
  chained: number;
  /** The oldest chained record (the chain starts at the record before it), if any. */
  firstChained?: string;
  /** The newest record's hash: what the next record will carry. */
  head?: string;
  problems: ChainProblem[];
}

/** Checks one environment's chain. `records` may be in any order. */
export function verifyChain(environment: string, records: readonly ChainedRecord[]): ChainResult {
  const oldestFirst = records.slice().sort((a, b) => compareNewestFirst(b, a));
  const byHash = new Map<string, ChainedRecord>();
  for (const r of oldestFirst) byHash.set(r.hash, r);
  const problems: ChainProblem[] = [];
  const pointedBy = new Map<string, ChainedRecord>();
  let firstChained: ChainedRecord | undefined;
  oldestFirst.forEach((r, i) => {
    const before = i > 0 ? oldestFirst[i - 1].file : undefined;
    if (r.previousRecord === undefined) {
      if (firstChained) {
        problems.push({ kind: 'unchained', environment, file: r.file, expectedAfter: before, message: `${r.file} has no previousRecord, but the chain of ${environment} started at ${firstChained.file}: its link was removed (or the record was written by hand)` });
      }
      return;
    }
    firstChained ??= r;
    if (!HASH_FORMAT.test(r.previousRecord)) {
      problems.push({ kind: 'malformed-link', environment, file: r.file, previousRecord: r.previousRecord, message: `${r.file}: previousRecord "${r.previousRecord}" is not sha256: and 64 hex digits` });
      return;
    }
    const prev = byHash.get(r.previousRecord);
    if (!prev) {
      problems.push({
        kind: 'broken-link',
        environment,
        file: r.file,
        previousRecord: r.previousRecord,
        expectedAfter: before,
        message: `${r.file}: its previous record (${r.previousRecord.slice(0, 19)}…) is not in ${environment}: ${before ? `${before}, the record before it, was edited, or a record after it was removed` : 'the record before it was removed'}`,
      });
      return;
    }
    const other = pointedBy.get(r.previousRecord);
    if (other) {
      problems.push({ kind: 'fork', environment, file: r.file, otherFile: other.file, previousRecord: r.previousRecord, message: `${r.file} and ${other.file} both follow ${prev.file} (two runs wrote records at the same time)` });
    } else pointedBy.set(r.previousRecord, r);
  });
  return {
    environment,
    records: records.length,
    chained: records.filter((r) => r.previousRecord !== undefined).length,
    firstChained: firstChained?.file,
    head: oldestFirst.length ? oldestFirst[oldestFirst.length - 1].hash : undefined,
    problems,
  };
}

/** A fork is a warning (the trail is complete); everything else means the trail was changed. */
export const isChainError = (p: ChainProblem): boolean => p.kind !== 'fork';
