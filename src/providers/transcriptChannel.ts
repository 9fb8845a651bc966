import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

export const TRANSCRIPT_CHANNEL = 'GitOps Deploy';
const KEEP = 5000;

/**
 * The "GitOps Deploy" output channel: the human transcript of pipeline runs, streamed live. It also
 * keeps the last lines in memory and announces each append (the e2e tests read the transcript there).
 */
export class TranscriptChannel extends Disposable {
  private readonly channel = this.register(vscode.window.createOutputChannel(TRANSCRIPT_CHANNEL));
  private readonly appended = this.register(new vscode.EventEmitter<string[]>());
  readonly onDidAppend = this.appended.event;
  private readonly lines: string[] = [];

  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    for (const l of lines) this.channel.appendLine(l);
    this.lines.push(...lines);
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
    this.appended.fire([...lines]);
  }

  show(preserveFocus = true): void {
    this.channel.show(preserveFocus);
  }

  /** The transcript so far (the last few thousand lines). */
  text(): string {
    return this.lines.join('\n');
  }
}
