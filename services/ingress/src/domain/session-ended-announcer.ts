import type { SessionEnded } from '@parley/contracts';
import type { Logger } from '@parley/logger';

/** What became of one session.ended event: sent, kept to be sent again, or given up on. */
export type AnnouncementOutcome = 'published' | 'deferred' | 'dropped';

export interface SessionEndedAnnouncer {
  /**
   * Publishes the event of a logout that has already happened. Waits at most `waitMs` for Kafka,
   * never throws: a publish that fails is kept and tried again in the background.
   */
  announce(event: SessionEnded): Promise<void>;
  /** Events still to be published (waiting for a retry or in flight). */
  pending(): number;
  /** On shutdown: one last try for what is pending, within `timeoutMs`; a failure then is logged and dropped. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * The session.ended events of logouts, published after auth has ended the session: the logout is
 * the fact and stands whatever Kafka does; the event is delivered at least once while this process
 * runs. A publish that fails (or takes longer than `waitMs`, the longest a logout waits) is kept in
 * memory and retried with backoff; the same `sessionEventId` goes out each time (it is the event
 * id), so a retry after a publish that did land is recognised downstream. Bounded: beyond
 * `maxPending` the oldest are dropped, and what is still pending at shutdown is dropped — both
 * logged at error level with the event and counted.
 *
 * @example
 * const announcer = createSessionEndedAnnouncer({ publish: (event) => producer.publish('chat.sessions.ended.v1', event, { id: event.sessionEventId }), logger });
 * await announcer.announce(event);
 */
export function createSessionEndedAnnouncer(deps: {
  readonly publish: (event: SessionEnded) => Promise<void>;
  readonly logger: Logger;
  readonly onOutcome?: (outcome: AnnouncementOutcome) => void;
  readonly waitMs?: number;
  readonly maxPending?: number;
  readonly retryDelayMs?: { readonly initial: number; readonly max: number };
}): SessionEndedAnnouncer {
  const {
    publish,
    logger,
    onOutcome = () => {},
    waitMs = 2000,
    maxPending = 10_000,
    retryDelayMs = { initial: 1000, max: 30_000 },
  } = deps;
  const waiting: SessionEnded[] = [];
  const inFlight = new Set<Promise<void>>();
  let delay = retryDelayMs.initial;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const drop = (event: SessionEnded, why: string) => {
    logger.error({ event, why }, 'session.ended event dropped');
    onOutcome('dropped');
  };

  function keep(event: SessionEnded) {
    if (stopped) return drop(event, 'shutting down');
    waiting.push(event);
    onOutcome('deferred');
    if (waiting.length > maxPending) drop(waiting.shift() as SessionEnded, 'too many pending events');
    scheduleRetry();
  }

  /** One publish; a failure keeps the event for a retry. */
  function attempt(event: SessionEnded): Promise<void> {
    const sent = publish(event).then(
      () => onOutcome('published'),
      (error: unknown) => {
        logger.warn({ err: error, sessionEventId: event.sessionEventId }, 'session.ended not published yet');
        keep(event);
      },
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    return sent;
  }

  function scheduleRetry() {
    if (timer || stopped || waiting.length === 0) return;
    timer = setTimeout(retry, delay);
    timer.unref();
  }

  async function retry() {
    timer = undefined;
    // Oldest first; the first failure waits for the next round with a longer delay.
    while (waiting.length > 0 && !stopped) {
      const event = waiting[0] as SessionEnded;
      try {
        await publish(event);
        waiting.shift();
        onOutcome('published');
        delay = retryDelayMs.initial;
      } catch (error) {
        logger.warn({ err: error, pending: waiting.length }, 'session.ended retry failed');
        delay = Math.min(delay * 2, retryDelayMs.max);
        break;
      }
    }
    scheduleRetry();
  }

  return {
    async announce(event) {
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        attempt(event),
        new Promise<void>((resolve) => {
          waited = setTimeout(resolve, waitMs);
        }),
      ]);
      clearTimeout(waited);
    },
    pending: () => waiting.length + inFlight.size,
    async stop(timeoutMs = 5000) {
      clearTimeout(timer);
      timer = undefined;
      for (const event of waiting.splice(0)) void attempt(event);
      // From here a failed publish is dropped, not kept.
      stopped = true;
      let expired: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise<void>((resolve) => {
          expired = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(expired);
    },
  };
}
