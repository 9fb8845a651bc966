// The read-only documents a run shows: its plan beside the approval dialog (retitled with the
// outcome when it ends) and troubleshooting reports (logs, events), secrets masked.
import type * as vscode from 'vscode';
import { errorMessage } from '../pipeline/errors';
import { maskSecrets } from '../pipeline/mask';
import { Disposable } from './lifecycle';
import { PLAN_SCHEME, REPORT_SCHEME, ReadOnlyDocuments } from './readOnlyDocuments';

export class RunDocuments extends Disposable {
  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
  }

  private plans: ReadOnlyDocuments | undefined;
  private reports: ReadOnlyDocuments | undefined;

  /** Shows a troubleshooting report (logs, events) as a read-only document; secrets masked. */
  async showReport(name: string, text: string): Promise<vscode.TextDocument> {
    this.reports ??= this.register(new ReadOnlyDocuments(REPORT_SCHEME, '.log'));
    return this.reports.show(name, maskSecrets(text, process.env), { language: 'log' });
  }

  /** Shows a plan as a read-only document beside the approval dialog. */
  async showPlan(name: string, markdown: string): Promise<void> {
    try {
      this.plans ??= this.register(new ReadOnlyDocuments(PLAN_SCHEME, '.md'));
      await this.plans.show(name, markdown, { beside: true });
    } catch (err) {
      this.log.warn(`cannot show the plan document: ${errorMessage(err)}`);
    }
  }

  /** Replaces a shown plan's text (its outcome once the run ended) without showing it again. */
  async updatePlan(name: string, markdown: string): Promise<void> {
    try {
      await this.plans?.update(name, markdown);
    } catch (err) {
      this.log.warn(`cannot update the plan document: ${errorMessage(err)}`);
    }
  }

  /** Brings a shown plan to the front (focused, not a preview). */
  async focusPlan(name: string, markdown: string): Promise<void> {
    try {
      this.plans ??= this.register(new ReadOnlyDocuments(PLAN_SCHEME, '.md'));
      await this.plans.show(name, markdown);
    } catch (err) {
      this.log.warn(`cannot show the plan document: ${errorMessage(err)}`);
    }
  }
}
