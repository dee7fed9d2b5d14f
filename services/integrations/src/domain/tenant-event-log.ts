import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '@parley/errors';
import type { AppendSignal } from './append-signal.js';
import type { EventType, NewTenantEvent, TenantEvent } from './model.js';
import type { Clock, EventLog } from './ports.js';
import { requireId, validateEventTypes } from './subscription-rules.js';
import { type SourceEvent, toTenantEvent } from './tenant-events.js';

export interface TenantEventLogDeps {
  readonly events: EventLog;
  readonly clock: Clock;
  readonly signal: AppendSignal;
  /** How long an event stays readable (EVENT_RETENTION_HOURS). */
  readonly retentionMs: number;
  /** How often a waiting read looks at the store for events appended through other replicas. */
  readonly pollIntervalMs: number;
  /** After every append that stored a new event (the dispatcher looks for work at once). */
  readonly onAppended?: (event: NewTenantEvent, deliveries: number) => void;
}

const readLimits = { defaultLimit: 100, maxLimit: 500, maxWaitMs: 25_000 } as const;

const cursorPattern = /^\d{1,15}$/;

function parseCursor(after: string): number {
  if (after === '') return 0;
  if (!cursorPattern.test(after))
    throw new ParleyError('invalid_argument', 'after is not a cursor of this event stream', {
      context: { field: 'after' },
    });
  return Number(after);
}

export interface ReadResult {
  readonly events: TenantEvent[];
  /** Where to resume: the last event's cursor, past events the type filter skipped, or `after`. */
  readonly cursor: string;
  /** `after` is older than the retention window: events between it and `events` were missed. */
  readonly cursorExpired: boolean;
}

/**
 * The tenant event log: internal events appended once each as tenant events (queueing their
 * webhook deliveries), and read by cursor for the bot stream, waiting for the next one when asked.
 */
export function createTenantEventLog(deps: TenantEventLogDeps) {
  const { events, clock, signal, retentionMs, pollIntervalMs, onAppended = () => {} } = deps;

  async function readOnce(tenantId: string, after: number, limit: number, types: EventType[] | null) {
    const page = await events.read(tenantId, { after, limit, types, now: clock.now() });
    if (after > page.head)
      throw new ParleyError('invalid_argument', 'after is ahead of this tenant’s events', {
        context: { field: 'after' },
      });
    return page;
  }

  return {
    /** Appends the tenant event of an internal event (none for some), once per event id. */
    async record(source: SourceEvent, sourceEventId: string) {
      const event = toTenantEvent(source, sourceEventId);
      if (!event) return null;
      const now = clock.now();
      const result = await events.append(event, { now, expiresAt: new Date(now.getTime() + retentionMs) });
      if (result.inserted) {
        signal.notify(event.tenantId);
        onAppended(event, result.deliveries);
      }
      return { event, ...result };
    },

    /**
     * The tenant's events after `after`, oldest first; when there are none yet, waits up to
     * `waitMs` (and no longer than `until`, or once `abort` fires) for the next one.
     */
    async read(
      request: {
        tenantId: string;
        after: string;
        limit: number;
        waitMs: number;
        eventTypes: readonly string[];
      },
      options: { until?: number; abort?: AbortSignal } = {},
    ): Promise<ReadResult> {
      const tenantId = requireId(request.tenantId, 'tenant_id');
      const after = parseCursor(request.after);
      const limit =
        request.limit <= 0 ? readLimits.defaultLimit : Math.min(request.limit, readLimits.maxLimit);
      if (!Number.isInteger(request.waitMs) || request.waitMs < 0)
        throw new ParleyError('invalid_argument', 'wait_ms must be a whole number ≥ 0', {
          context: { field: 'wait_ms' },
        });
      const types = request.eventTypes.length > 0 ? validateEventTypes(request.eventTypes) : null;
      // Waiting is measured on the process's own clock, as the caller's deadline is.
      const deadline = Math.min(
        Date.now() + Math.min(request.waitMs, readLimits.maxWaitMs),
        options.until ?? Number.POSITIVE_INFINITY,
      );
      const stopped = options.abort ? aborted(options.abort) : undefined;

      for (;;) {
        // Listen before reading: an append between the read and the wait still wakes this one.
        const wait = signal.next(tenantId);
        try {
          const page = await readOnce(tenantId, after, limit, types);
          const remaining = deadline - Date.now();
          if (page.events.length > 0 || remaining <= 0 || options.abort?.aborted) {
            const last = page.events.at(-1);
            const firstLive = page.oldest ?? page.head + 1;
            return {
              events: page.events,
              cursor: last ? String(last.cursor) : page.head > after ? String(page.head) : request.after,
              cursorExpired: request.after !== '' && after + 1 < firstLive,
            };
          }
          await Promise.race([
            wait.appended,
            sleep(Math.min(pollIntervalMs, remaining), undefined, { ref: false }),
            ...(stopped ? [stopped] : []),
          ]);
        } finally {
          wait.cancel();
        }
      }
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export type TenantEventLog = ReturnType<typeof createTenantEventLog>;
