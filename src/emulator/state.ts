/** The emulator's whole memory: portals, tokens, logs, faults. One instance per createEmulator(). */
import { systemClock, type Clock } from '../lib/clock.js';
import { BATCH_MAX_LENGTH } from './batch.js';
import { Hosts } from './hosts.js';
import type { CallRecord, DeliveryRecord, EmulatorOptions, FaultSpec, OAuthRecord, Portal, TokenRecord } from './types.js';

export interface ActiveFault extends FaultSpec {
  id: number;
  remaining?: number;
  until?: number;
}

export interface ResolvedOptions {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  rateLimit: { perSecond: number; burst: number } | false;
  operating: { limitSeconds: number; windowMs: number; blockMs: number; costSeconds: (method: string) => number };
  revokeAccessOnRefresh: boolean;
  appFetch: (req: Request) => Promise<Response> | Response;
  pdfDelayMs: number;
  strictDownloadHeaders: boolean;
  defaultAppStatus: EmulatorOptions['defaultAppStatus'] & string;
  batchMaxLength: number;
}

export class EmulatorState {
  readonly clock: Clock;
  readonly hosts: Hosts;
  readonly opts: ResolvedOptions;
  readonly portals = new Map<string, Portal>();
  /** domain (current or former) → member_id */
  readonly byDomain = new Map<string, string>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly calls: CallRecord[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly oauthLog: OAuthRecord[] = [];
  faults: ActiveFault[] = [];
  counters = { tokenRequests: 0, refreshRequests: 0, restRequests: 0 };
  private seq = 0;
  /** Deliveries started by REST calls (trigger → stage move → robots) that nobody awaits. */
  private readonly pending = new Set<Promise<unknown>>();

  background(p: Promise<unknown>) {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }
  /** Resolves when every background delivery has finished (tests await it). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  constructor(o: EmulatorOptions = {}) {
    this.clock = o.clock ?? systemClock;
    this.hosts = new Hosts(o.baseUrl);
    this.opts = {
      accessTokenTtlMs: o.accessTokenTtlMs ?? 3600_000,
      refreshTokenTtlMs: o.refreshTokenTtlMs ?? 180 * 86400_000,
      rateLimit: o.rateLimit === undefined ? { perSecond: 2, burst: 50 } : o.rateLimit,
      operating: {
        limitSeconds: o.operating?.limitSeconds ?? 480,
        windowMs: o.operating?.windowMs ?? 600_000,
        blockMs: o.operating?.blockMs ?? 600_000,
        // The emulator itself is instant; by default a call "costs" nothing towards the 480 s.
        costSeconds: o.operating?.costSeconds ?? (() => 0),
      },
      revokeAccessOnRefresh: o.revokeAccessOnRefresh ?? true,
      appFetch: o.appFetch ?? ((req) => fetch(req)),
      pdfDelayMs: o.pdfDelayMs ?? 35_000,
      strictDownloadHeaders: o.strictDownloadHeaders ?? true,
      defaultAppStatus: o.defaultAppStatus ?? 'L',
      batchMaxLength: o.batchMaxLength ?? BATCH_MAX_LENGTH,
    };
  }

  now(): number {
    return this.clock.now().getTime();
  }
  nextSeq(): number {
    return ++this.seq;
  }

  portal(memberId: string): Portal {
    const p = this.portals.get(memberId);
    if (!p) throw new Error(`emulator: no portal with member_id ${memberId}`);
    return p;
  }
  portalByDomain(domain: string): Portal | undefined {
    const id = this.byDomain.get(domain.toLowerCase());
    return id ? this.portals.get(id) : undefined;
  }

  reset() {
    this.portals.clear();
    this.byDomain.clear();
    this.tokens.clear();
    this.calls.length = 0;
    this.deliveries.length = 0;
    this.oauthLog.length = 0;
    this.faults = [];
    this.counters = { tokenRequests: 0, refreshRequests: 0, restRequests: 0 };
  }
}
