import * as vscode from 'vscode';
import { escapeControl } from '../pipeline/terminal';
import { Disposable } from './lifecycle';

export const TRANSCRIPT_CHANNEL = 'GitOps Deploy';
const KEEP = 5000;

/** Where the lines go: the output channel (a stand-in in unit tests). */
export interface LineSink {
  appendLine(line: string): void;
  show(preserveFocus?: boolean): void;
  dispose(): void;
}

/**
 * The "GitOps Deploy" output channel: the human transcript of pipeline runs, streamed live. It also
 * keeps the last lines in memory and announces each append (the e2e tests read the transcript there).
 * Lines carry repository text (reasons, record fields, logs): control characters are written escaped
 * (the CLI's escapeControl), so a reason holding ESC [2J or a carriage return is shown, not acted on.
 */
export class TranscriptChannel extends Disposable {
  private readonly channel: LineSink;
  private readonly appended = this.register(new vscode.EventEmitter<string[]>());
  readonly onDidAppend = this.appended.event;
  private readonly lines: string[] = [];

  constructor(sink?: LineSink) {
    super();
    this.channel = this.register(sink ?? vscode.window.createOutputChannel(TRANSCRIPT_CHANNEL));
  }

  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const safe = lines.map(escapeControl);
    for (const l of safe) this.channel.appendLine(l);
    this.lines.push(...safe);
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
    this.appended.fire([...safe]);
  }

  show(preserveFocus = true): void {
    this.channel.show(preserveFocus);
  }

  /** The transcript so far (the last few thousand lines). */
  text(): string {
    return this.lines.join('\n');
  }
}
