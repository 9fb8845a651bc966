import type { World } from './world';

export interface ServiceResponse { status: number; contentType: string; body: string }

/** Spring Boot actuator health of pods running a tag. */
export function actuatorHealth(world: World, service: string, tag: string, subPath = ''): ServiceResponse {
  const health = world.spec(service, tag).health ?? 'UP';
  const disk = { status: 'UP', details: { total: 107374182400, free: 64424509440, threshold: 10485760, path: '/app/.', exists: true } };
  const json = 'application/vnd.spring-boot.actuator.v3+json';
  if (subPath === '/liveness' || subPath === '/readiness') {
    return { status: 200, contentType: json, body: JSON.stringify({ status: 'UP' }) };
  }
  if (health === 'UP') {
    return { status: 200, contentType: json, body: JSON.stringify({ status: 'UP', components: { db: { status: 'UP', details: { database: 'PostgreSQL', validationQuery: 'isValid()' } }, diskSpace: disk, livenessState: { status: 'UP' }, ping: { status: 'UP' }, readinessState: { status: 'UP' } }, groups: ['liveness', 'readiness'] }) };
  }
  const db = health === 'DOWN'
    ? { status: 'DOWN', details: { error: 'org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection' } }
    : { status: 'UP', details: { database: 'PostgreSQL', validationQuery: 'isValid()' } };
  return { status: 503, contentType: json, body: JSON.stringify({ status: health, components: { db, diskSpace: disk, livenessState: { status: 'UP' }, ping: { status: 'UP' }, readinessState: { status: health === 'OUT_OF_SERVICE' ? 'OUT_OF_SERVICE' : 'UP' } }, groups: ['liveness', 'readiness'] }) };
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>): string => '{' + Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',') + '}';
const num = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

/** Prometheus text exposition (Micrometer names) for some env × services; `only` limits to one service. */
export function metricsText(world: World, only?: { env: string; service: string }): string {
  const lines: string[] = [
    '# HELP http_server_requests_seconds Duration of HTTP server request handling',
    '# TYPE http_server_requests_seconds summary',
  ];
  const restarts: string[] = [
    '# HELP kube_pod_container_status_restarts_total The number of container restarts per container.',
    '# TYPE kube_pod_container_status_restarts_total counter',
  ];
  for (const env of world.scenario.envOrder) {
    const ns = world.scenario.namespaces[env];
    for (const service of Object.keys(world.scenario.environments[env])) {
      if (only && (only.env !== env || only.service !== service)) continue;
      for (const c of world.trafficCounters(env, service)) {
        const base = { application: service, namespace: ns, service, pod: c.pod, method: 'GET' };
        const ok = Math.floor(c.total - c.errors);
        const err = Math.floor(c.errors);
        const act = Math.floor(c.actuator);
        const uri = `/api/v1/${service}`;
        lines.push(`http_server_requests_seconds_count${labels({ ...base, status: '200', uri, outcome: 'SUCCESS', exception: 'None' })} ${num(ok)}`);
        lines.push(`http_server_requests_seconds_sum${labels({ ...base, status: '200', uri, outcome: 'SUCCESS', exception: 'None' })} ${(ok * 0.04).toFixed(3)}`);
        lines.push(`http_server_requests_seconds_count${labels({ ...base, status: '500', uri, outcome: 'SERVER_ERROR', exception: 'NullPointerException' })} ${num(err)}`);
        lines.push(`http_server_requests_seconds_sum${labels({ ...base, status: '500', uri, outcome: 'SERVER_ERROR', exception: 'NullPointerException' })} ${(err * 0.24).toFixed(3)}`);
        lines.push(`http_server_requests_seconds_count${labels({ ...base, status: '200', uri: '/actuator/health', outcome: 'SUCCESS', exception: 'None' })} ${num(act)}`);
        lines.push(`http_server_requests_seconds_sum${labels({ ...base, status: '200', uri: '/actuator/health', outcome: 'SUCCESS', exception: 'None' })} ${(act * 0.003).toFixed(3)}`);
        restarts.push(`kube_pod_container_status_restarts_total${labels({ namespace: ns, pod: c.pod, container: service, uid: c.pod })} ${c.restarts}`);
      }
    }
  }
  return [...lines, ...restarts, ''].join('\n');
}
