// The "GitOps Deploy (log)" channel, writing repository text (record fields, evidence, messages)
// with its control characters escaped, as the transcript and the CLI do (escapeControl).
import type * as vscode from 'vscode';
import { escapeControl } from '../pipeline/terminal';

const WRITERS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/** The same channel; every string written through it has its control characters escaped. */
export function escapingLog<T extends vscode.LogOutputChannel>(log: T): T {
  return new Proxy(log, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (!WRITERS.has(key)) return value.bind(target);
      return (first: unknown, ...rest: unknown[]) => value.call(target, typeof first === 'string' ? escapeControl(first) : first, ...rest);
    },
  });
}
