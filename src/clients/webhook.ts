// NotifierPort: a Slack-compatible incoming-webhook POST. Never throws: a failed notification is logged.
import type { NotifierPort, NotifyEvent } from '../pipeline/ports';
import { fetchErrorMessage, withTimeout, type FetchLike } from './util';

/** Webhook URLs carry their secret in the path: show the origin only. */
function shownUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}

const TITLES: Record<NotifyEvent['kind'], string> = {
  succeeded: ':white_check_mark: Deployed',
  failed: ':x: Deployment failed',
  'rolled-back': ':leftwards_arrow_with_hook: Rolled back',
  'rollback-failed': ':rotating_light: Rollback failed',
  inconclusive: ':grey_question: Needs a decision (verification inconclusive):',
  'action-required': ':raising_hand: A human must act:',
};

/** Slack escaping for mrkdwn text. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function webhookBody(event: NotifyEvent): { text: string; blocks: unknown[] } {
  const headline = `${TITLES[event.kind]} ${event.service} ${event.tag} to ${event.environment}` + (event.previousTag ? ` (previous ${event.previousTag})` : '') + (event.windowOverride ? ' — WINDOW OVERRIDE' : '');
  const text = `${headline}: ${event.message}`;
  const fields = [
    { type: 'mrkdwn', text: `*Service*\n${esc(event.service)}` },
    { type: 'mrkdwn', text: `*Environment*\n${esc(event.environment)}` },
    { type: 'mrkdwn', text: `*Tag*\n\`${esc(event.tag)}\`` },
  ];
  if (event.previousTag) fields.push({ type: 'mrkdwn', text: `*Previous tag*\n\`${esc(event.previousTag)}\`` });
  if (event.windowOverride) fields.push({ type: 'mrkdwn', text: `*WINDOW OVERRIDE* by ${esc(event.windowOverride.by)}\n${esc(event.windowOverride.reason)}` });
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${esc(headline)}*\n${esc(event.message)}` } },
    { type: 'section', fields },
  ];
  if (event.recordPath) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Record: \`${esc(event.recordPath)}\`` }] });
  return { text, blocks };
}

export interface WebhookOptions {
  url?: string;
  fetch?: FetchLike;
  log?: (line: string) => void;
  timeoutMs?: number;
}

export class WebhookNotifier implements NotifierPort {
  constructor(private readonly opts: WebhookOptions) {}

  async notify(event: NotifyEvent, signal?: AbortSignal): Promise<void> {
    const url = this.opts.url;
    if (!url) return;
    const doFetch = this.opts.fetch ?? fetch;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookBody(event)),
        signal: withTimeout(this.opts.timeoutMs ?? 10_000, signal),
      });
      const answer = await res.text().catch(() => '');
      if (!res.ok) this.opts.log?.(`Notification webhook ${shownUrl(url)} answered HTTP ${res.status}: ${answer.slice(0, 200)}`);
    } catch (err) {
      this.opts.log?.(`Notification webhook ${shownUrl(url)} failed: ${fetchErrorMessage(err)}`);
    }
  }
}
