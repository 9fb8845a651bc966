/**
 * The one place the records app and the Insights tab meet: the tab bar above the app, the
 * Insights tab's state saved next to the app's (setState keeps one object), and the Insights
 * snapshot added to the app's probe result (e2e tests).
 */
import type { WebviewToExtension } from '../providers/recordsProtocol';
import { InsightsView, mountTabs, type InsightsState } from './insights';

interface HostLike {
  postMessage(message: WebviewToExtension): void;
  getState(): unknown;
  setState(state: never): void;
}

export function withInsights<H extends HostLike, A>(doc: Document, root: HTMLElement, host: H, makeApp: (host: H, root: HTMLElement) => A): { app: A; insights: InsightsView } {
  const saved = host.getState() as { insights?: Partial<InsightsState> } | undefined;
  let appState: object = (saved && typeof saved === 'object' ? saved : {}) as object;
  const persist = () => (host.setState as (s: unknown) => void)({ ...appState, insights: insights.state });
  const insights = new InsightsView(doc, (m) => host.postMessage(m), persist, saved?.insights);
  const wrapped = {
    postMessage: (m: WebviewToExtension) => host.postMessage(m.type === 'probeResult' ? { ...m, snapshot: { ...m.snapshot, insights: insights.snapshot() } } : m),
    getState: () => host.getState(),
    setState: (s: object) => {
      appState = s;
      persist();
    },
  } as unknown as H;
  const recordsRoot = mountTabs(doc, root, insights, persist);
  return { app: makeApp(wrapped, recordsRoot), insights };
}
