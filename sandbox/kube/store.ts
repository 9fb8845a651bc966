import { EventEmitter } from 'node:events';
import * as crypto from 'node:crypto';

export type KObj = Record<string, any> & { metadata: Record<string, any> };

export interface ResourceType {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Stored under another type (events.k8s.io events are core events seen differently). */
  storedAs?: string;
  view?: (o: KObj) => KObj;
  shortNames?: string[];
  verbs?: string[];
}

export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rv: number; key: string; type_: string; object: KObj }

/** Objects keyed by type and name, with one cluster-wide resourceVersion counter, like etcd. */
export class Store extends EventEmitter {
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, KObj>>();
  private readonly log: WatchEvent[] = [];
  private readonly maxLog = 20000;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch can still resume from. */
  get oldestRv(): number {
    return this.log.length ? this.log[0].rv - 1 : this.rv;
  }

  private bucket(typeKey: string): Map<string, KObj> {
    let b = this.objects.get(typeKey);
    if (!b) this.objects.set(typeKey, (b = new Map()));
    return b;
  }

  static key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  get(typeKey: string, ns: string | undefined, name: string): KObj | undefined {
    const o = this.bucket(typeKey).get(Store.key(ns, name));
    return o ? structuredClone(o) : undefined;
  }

  list(typeKey: string, ns?: string): KObj[] {
    const out: KObj[] = [];
    for (const o of this.bucket(typeKey).values()) if (ns === undefined || o.metadata.namespace === ns) out.push(structuredClone(o));
    out.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    return out;
  }

  private record(type: WatchEvent['type'], typeKey: string, obj: KObj): void {
    const ev: WatchEvent = { type, rv: Number(obj.metadata.resourceVersion), key: Store.key(obj.metadata.namespace, obj.metadata.name), type_: typeKey, object: structuredClone(obj) };
    this.log.push(ev);
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    this.emit('change', ev);
  }

  /** Creates or replaces an object, bumping its resourceVersion. */
  put(typeKey: string, obj: KObj): KObj {
    const b = this.bucket(typeKey);
    const k = Store.key(obj.metadata.namespace, obj.metadata.name);
    const existing = b.get(k);
    const o = structuredClone(obj);
    o.metadata.resourceVersion = String(++this.rv);
    if (!existing) {
      o.metadata.uid = o.metadata.uid ?? crypto.randomUUID();
      o.metadata.creationTimestamp = o.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    } else {
      o.metadata.uid = existing.metadata.uid;
      o.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    }
    b.set(k, o);
    this.record(existing ? 'MODIFIED' : 'ADDED', typeKey, o);
    return structuredClone(o);
  }

  /** Read-modify-write; returns undefined when the object does not exist. */
  update(typeKey: string, ns: string | undefined, name: string, fn: (o: KObj) => void): KObj | undefined {
    const o = this.get(typeKey, ns, name);
    if (!o) return undefined;
    fn(o);
    return this.put(typeKey, o);
  }

  delete(typeKey: string, ns: string | undefined, name: string): KObj | undefined {
    const b = this.bucket(typeKey);
    const k = Store.key(ns, name);
    const o = b.get(k);
    if (!o) return undefined;
    b.delete(k);
    o.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', typeKey, o);
    return structuredClone(o);
  }

  /** Events after resourceVersion `since` for a type, or undefined when the log no longer reaches back that far. */
  since(typeKey: string, since: number): WatchEvent[] | undefined {
    if (since < this.oldestRv) return undefined;
    return this.log.filter((e) => e.rv > since && e.type_ === typeKey);
  }
}

export const typeKey = (t: ResourceType): string => t.storedAs ?? `${t.group || 'core'}/${t.plural}`;
