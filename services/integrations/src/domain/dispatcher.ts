import type { Logger } from '@parley/logger';
import type { ClaimedDelivery } from './model.js';
import type { BusyLanes, Clock, DeliveryQueue, WebhookSender } from './ports.js';
import { outcomeOf, type RetryPolicy } from './retry-schedule.js';

/** Attempts in flight at once on one replica (docs/integrations.md, "Isolation"). */
export interface DispatchLimits {
  readonly perSubscription: number;
  readonly perTenant: number;
  readonly total: number;
}

export interface DispatcherDeps {
  readonly queue: DeliveryQueue;
  readonly sender: WebhookSender;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: DispatchLimits;
  /** How long a claim holds a delivery: longer than an attempt can take. */
  readonly leaseMs: number;
  /** How often to look for due work when nothing woke the dispatcher. */
  readonly pollIntervalMs: number;
  readonly retry: RetryPolicy;
  readonly pauseAfterMs: number;
  readonly random?: () => number;
  /** After every attempt, for metrics. */
  readonly onAttempt?: (attempt: {
    statusCode: number | null;
    error: string | null;
    seconds: number;
    next: 'delivered' | 'retry' | 'failed';
    paused: boolean;
  }) => void;
}

export interface Dispatcher {
  start(): void;
  /** Stops claiming and waits for the attempts in flight. */
  stop(): Promise<void>;
  /** Look for due work now (an event was appended, a delivery queued again, a subscription resumed). */
  wake(): void;
  isRunning(): boolean;
}

/**
 * Sends pending deliveries. Work is claimed from the store under leases, tenant by tenant, and
 * every attempt runs on its own: a claim never waits for an answer, and each tenant and each
 * subscription has its own bounded number of attempts in flight, so one tenant's hanging endpoint
 * holds only its own slots while every other tenant's deliveries go on.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { queue, sender, clock, logger, limits, leaseMs, pollIntervalMs, retry, pauseAfterMs } = deps;
  const { random = Math.random, onAttempt = () => {} } = deps;
  const byTenant = new Map<string, number>();
  const bySubscription = new Map<string, Map<string, number>>();
  const attempts = new Set<Promise<void>>();
  let running = false;
  let woken = false;
  let wakeUp: () => void = () => {};
  let loop: Promise<void> | undefined;

  const inFlight = () => attempts.size;

  function count(tenantId: string, subscriptionId: string, delta: number) {
    byTenant.set(tenantId, (byTenant.get(tenantId) ?? 0) + delta);
    if (byTenant.get(tenantId) === 0) byTenant.delete(tenantId);
    let subscriptions = bySubscription.get(tenantId);
    if (!subscriptions) {
      subscriptions = new Map();
      bySubscription.set(tenantId, subscriptions);
    }
    subscriptions.set(subscriptionId, (subscriptions.get(subscriptionId) ?? 0) + delta);
    if (subscriptions.get(subscriptionId) === 0) subscriptions.delete(subscriptionId);
    if (subscriptions.size === 0) bySubscription.delete(tenantId);
  }

  function busyLanes(): BusyLanes {
    const tenants = [...byTenant].filter(([, n]) => n >= limits.perTenant).map(([tenantId]) => tenantId);
    const subscriptions = [...bySubscription].flatMap(([tenantId, subs]) =>
      [...subs]
        .filter(([, n]) => n >= limits.perSubscription)
        .map(([subscriptionId]) => ({ tenantId, subscriptionId })),
    );
    return { tenants, subscriptions };
  }

  function freeSlots(tenantId: string): Record<string, number> {
    const subscriptions = bySubscription.get(tenantId) ?? new Map<string, number>();
    return Object.fromEntries(
      [...subscriptions].map(([id, n]) => [id, Math.max(0, limits.perSubscription - n)]),
    );
  }

  async function attempt(claimed: ClaimedDelivery) {
    const { delivery } = claimed;
    const started = process.hrtime.bigint();
    const where = {
      tenantId: delivery.tenantId,
      subscriptionId: delivery.subscriptionId,
      deliveryId: delivery.id,
    };
    let answer: { statusCode: number | null; error: string | null };
    try {
      answer = await sender.send(claimed, clock.now());
    } catch (error) {
      logger.error({ ...where, err: error }, 'webhook attempt failed inside Parley');
      answer = { statusCode: null, error: 'internal error' };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const outcome = outcomeOf(
      { policy: retry, pauseAfterMs, random },
      {
        ...answer,
        at: clock.now(),
        failedAttempts: delivery.attempts + 1,
        seriesStartedAt: delivery.seriesStartedAt,
      },
    );
    try {
      const { recorded, paused } = await queue.complete(
        { ...where, leaseToken: claimed.leaseToken },
        outcome,
      );
      if (!recorded)
        logger.warn(
          where,
          'attempt not recorded: its lease was taken over, the delivery was queued again, or it is gone',
        );
      if (paused) logger.warn({ ...where, reason: outcome.pause?.reason }, 'subscription paused for failing');
      logger.debug({ ...where, ...answer, next: outcome.next.kind }, 'webhook attempt');
      onAttempt({ ...answer, seconds, next: outcome.next.kind, paused });
    } catch (error) {
      // The lease runs out and the delivery is attempted again: at least once, never lost.
      logger.warn({ ...where, err: error }, 'could not record a webhook attempt; it will be retried');
    }
  }

  function begin(claimed: ClaimedDelivery) {
    const { tenantId, subscriptionId } = claimed.delivery;
    count(tenantId, subscriptionId, 1);
    const sending = attempt(claimed).finally(() => {
      count(tenantId, subscriptionId, -1);
      attempts.delete(sending);
      wake();
    });
    attempts.add(sending);
  }

  async function claimDue() {
    if (inFlight() >= limits.total) return;
    const tenants = await queue.dueTenants(clock.now(), 100, busyLanes());
    for (const tenantId of tenants) {
      if (!running) return;
      const free = Math.min(limits.perTenant - (byTenant.get(tenantId) ?? 0), limits.total - inFlight());
      if (free <= 0) continue;
      const claimed = await queue.claim(tenantId, {
        now: clock.now(),
        limit: free,
        freeSlots: freeSlots(tenantId),
        perSubscription: limits.perSubscription,
        leaseMs,
      });
      for (const delivery of claimed) begin(delivery);
    }
  }

  function wake() {
    woken = true;
    wakeUp();
  }

  async function run() {
    while (running) {
      woken = false;
      try {
        await claimDue();
      } catch (error) {
        logger.warn({ err: error }, 'could not claim webhook deliveries; trying again');
      }
      if (!running || woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = () => {};
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wakeUp();
      await loop;
      await Promise.allSettled([...attempts]);
    },
    wake,
    isRunning: () => running,
  };
}
