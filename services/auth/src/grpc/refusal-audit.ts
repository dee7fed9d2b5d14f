import type { RefusedCall as RefusedGrpcCall } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import type { RefusedCall } from '../domain/model.js';
import { type Clock, type RefusalLog, refusalWindowOf } from '../domain/ports.js';

/** The tenant a refused request names (AuthService requests carry it at the top or in `channel`). */
function claimedTenant(request: unknown): string | undefined {
  const fields = request as { tenantId?: unknown; channel?: { tenantId?: unknown } } | undefined;
  const tenantId = fields?.tenantId || fields?.channel?.tenantId;
  // A refused caller chooses this text: only a plausible tenant id is kept.
  return typeof tenantId === 'string' && tenantId.length <= 128 ? tenantId : undefined;
}

/** The address of grpc-js's `address:port` or `[ipv6]:port` peer: each connection has its own port. */
function addressOf(peer: string): string {
  return /^\[?(.*?)\]?:\d+$/.exec(peer)?.[1] ?? peer;
}

/** How often tallied repeats are written: one write per kind and address, however fast they come. */
const flushEveryMs = 1000;
/** Kinds and addresses kept apart in a minute; refusals from further addresses are tallied as `*`. */
const maxSourcesPerWindow = 100;
const otherSources = '*';

type Tally = { -readonly [K in keyof RefusedCall]: RefusedCall[K] };

/**
 * The auth server's refusal hook (libs/grpc has logged and counted each refused call already):
 * records refusals in the refusal log, one record per kind (method, code, identity), address and
 * minute. Repeats are tallied in memory and added to their record once a second; past 100 kinds
 * and addresses in a minute, further addresses are tallied together under `*`. So the log and the
 * writes grow with the sources of refused calls, not with their rate. A component: stopping it
 * (after the gRPC server, before the store) writes what is tallied.
 *
 * @example
 * const refusals = auditRefusals({ refusals: stores.refusals, clock, logger });
 * createGrpcServerComponent({ …, onRefusal: refusals.onRefusal });
 */
export function auditRefusals(deps: { refusals: RefusalLog; clock: Clock; logger: Logger }) {
  const { refusals, clock, logger } = deps;
  let window = Number.NaN;
  /** The kinds and addresses of the current window, up to the limit. */
  const sources = new Set<string>();
  let tallies = new Map<string, Tally>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let stopped = false;

  async function flush() {
    timer = undefined;
    const batch = [...tallies.values()];
    tallies = new Map();
    let failed = 0;
    let lastError: unknown;
    // One at a time: a batch is bounded (the per-minute limit, plus the `*` rows), and a slow store
    // only delays the next flush.
    for (const tally of batch) {
      await refusals.record(tally).catch((error: unknown) => {
        failed += 1;
        lastError = error;
      });
    }
    if (failed > 0) logger.error({ err: lastError, failed }, 'refused calls not audited');
  }

  function scheduleFlush() {
    if (timer || flushing || stopped) return;
    timer = setTimeout(() => {
      flushing = flush().finally(() => {
        flushing = undefined;
        if (tallies.size > 0) scheduleFlush();
      });
    }, flushEveryMs);
    timer.unref();
  }

  function onRefusal(refusal: RefusedGrpcCall) {
    const { method, code, caller } = refusal;
    const at = clock.now();
    const windowStart = refusalWindowOf(at).getTime();
    if (windowStart !== window) {
      window = windowStart;
      sources.clear();
    }
    let peer = addressOf(refusal.peer);
    const kind = [method, code, caller ?? ''].join('\u0000');
    const source = `${kind}\u0000${peer}`;
    if (!sources.has(source)) {
      if (sources.size < maxSourcesPerWindow) sources.add(source);
      else peer = otherSources;
    }
    const key = `${windowStart}\u0000${kind}\u0000${peer}`;
    const tally = tallies.get(key);
    if (tally) {
      tally.count += 1;
      tally.lastSeen = at;
      const tenantId = tally.tenantId ?? claimedTenant(refusal.request);
      if (tenantId) tally.tenantId = tenantId;
    } else {
      const tenantId = claimedTenant(refusal.request);
      tallies.set(key, {
        method,
        code,
        ...(caller ? { caller } : {}),
        peer,
        ...(tenantId ? { tenantId } : {}),
        firstSeen: at,
        lastSeen: at,
        count: 1,
      });
    }
    scheduleFlush();
  }

  return {
    name: 'refusal-audit',
    onRefusal,
    async start() {
      stopped = false;
    },
    /** Writes what is tallied (after the gRPC server stopped: no refusal comes after). */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await flushing;
      if (tallies.size > 0) await flush();
    },
  };
}
