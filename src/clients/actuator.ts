// Spring Boot actuator health bodies: {"status":"UP","components":{"db":{"status":"DOWN",…}}}.

export interface ActuatorHealth {
  status?: string;
  /** Components whose status is not UP, as dotted paths to the deepest non-UP component. */
  downComponents: string[];
}

export function parseActuatorHealth(body: string): ActuatorHealth {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { downComponents: [] };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { downComponents: [] };
  const obj = doc as Record<string, unknown>;
  const status = typeof obj.status === 'string' ? obj.status : undefined;
  const downComponents: string[] = [];
  collect(obj, '', downComponents);
  return { status, downComponents };
}

function childrenOf(node: Record<string, unknown>): Record<string, unknown> | undefined {
  // Spring Boot 2.2+ uses `components`; 1.x/2.0–2.1 used `details` for nested indicators.
  const c = node.components;
  if (c && typeof c === 'object' && !Array.isArray(c)) return c as Record<string, unknown>;
  return undefined;
}

function collect(node: Record<string, unknown>, prefix: string, out: string[]): void {
  const children = childrenOf(node);
  if (!children) return;
  for (const [name, child] of Object.entries(children)) {
    if (!child || typeof child !== 'object') continue;
    const c = child as Record<string, unknown>;
    const st = typeof c.status === 'string' ? c.status : undefined;
    if (st === undefined || st === 'UP') continue;
    const pathName = prefix ? `${prefix}.${name}` : name;
    const before = out.length;
    collect(c, pathName, out);
    if (out.length === before) out.push(pathName);
  }
}
