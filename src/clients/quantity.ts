// Kubernetes resource quantities ("250m", "1.5", "128Mi", "2G", "123456789n", "1e3").

const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** The quantity in base units (cores, bytes); undefined when it is not a quantity. */
export function parseQuantity(text: string | number | undefined | null): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1] + (m[2] ?? ''));
  const suffix = m[3] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined || !Number.isFinite(base)) return undefined;
  return base * factor;
}

/** CPU quantity → millicores (rounded to 3 decimals). */
export function cpuMillicores(text: string | number | undefined | null): number | undefined {
  const v = parseQuantity(text);
  return v === undefined ? undefined : Math.round(v * 1e6) / 1e3;
}

/** Memory quantity → bytes (whole). */
export function memoryBytes(text: string | number | undefined | null): number | undefined {
  const v = parseQuantity(text);
  return v === undefined ? undefined : Math.round(v);
}
