import type { KObj, ResourceType } from './store';

/** core/v1 Event seen through events.k8s.io/v1. */
function toEventsV1(e: KObj): KObj {
  return {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata: { ...e.metadata },
    eventTime: e.eventTime ?? null,
    reportingController: e.reportingComponent ?? e.source?.component ?? '',
    reportingInstance: e.reportingInstance ?? '',
    action: e.action ?? e.reason,
    reason: e.reason,
    regarding: e.involvedObject,
    note: e.message,
    type: e.type,
    deprecatedSource: e.source,
    deprecatedFirstTimestamp: e.firstTimestamp,
    deprecatedLastTimestamp: e.lastTimestamp,
    deprecatedCount: e.count,
  };
}

export const TYPES: ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'] },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'] },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'] },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, storedAs: 'core/events', view: toEventsV1, shortNames: ['ev'] },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true, shortNames: ['app', 'apps'] },
];

export const T = {
  namespaces: 'core/namespaces',
  pods: 'core/pods',
  services: 'core/services',
  events: 'core/events',
  deployments: 'apps/deployments',
  replicasets: 'apps/replicasets',
  applications: 'argoproj.io/applications',
};

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}
