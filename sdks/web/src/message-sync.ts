import type { ParleyClientError } from './parley-client-error.js';
import type { SyncPage, ThreadMessage } from './protocol.js';
import type { Timers } from './scheduling.js';

/**
 * Delivers the thread's messages exactly once and in seq order, whatever order they arrive in.
 * Live messages:
 * - at `lastSeq + 1`: delivered, with any buffered ones that follow it;
 * - at or below `lastSeq`: a duplicate, dropped;
 * - further ahead: buffered, and (when `fillGaps`) the gap is filled by paging the HTTP sync from
 *   `lastSeq` until the server has no more.
 */
export function createMessageSync(deps: {
  lastSeq: number;
  pageSize: number;
  fetchPage: (after: number, limit: number) => Promise<SyncPage>;
  deliver: (messages: readonly ThreadMessage[]) => void;
  /** Whether to try again after a failed sync (a refused session is not worth retrying). */
  shouldRetry: (error: ParleyClientError) => boolean;
  retryDelay: (attempt: number, error?: ParleyClientError) => number;
  timers: Timers;
}) {
  const { pageSize, fetchPage, deliver, shouldRetry, retryDelay, timers } = deps;
  let lastSeq = deps.lastSeq;
  const ahead = new Map<number, ThreadMessage>();
  // Bumped on reset and stop, so the answer of a sync started before is ignored.
  let generation = 0;
  let running = false;
  let again = false;
  let failures = 0;
  let retryTimer: unknown;

  /** Delivers `batch` and whatever buffered messages now follow on without a gap. */
  function deliverWithBuffered(batch: ThreadMessage[]): void {
    for (const seq of ahead.keys()) if (seq <= lastSeq) ahead.delete(seq);
    for (let next = ahead.get(lastSeq + 1); next; next = ahead.get(lastSeq + 1)) {
      ahead.delete(next.seq);
      lastSeq = next.seq;
      batch.push(next);
    }
    if (batch.length > 0) deliver(batch);
  }

  /** A live message: only the next seq goes out; one further ahead waits until the gap is filled. */
  function acceptLive(message: ThreadMessage, fillGaps: boolean): void {
    if (message.seq > lastSeq) ahead.set(message.seq, message);
    deliverWithBuffered([]);
    if (ahead.size > 0 && fillGaps) catchUp();
  }

  /**
   * A sync page holds everything stored after its cursor (≤ lastSeq), so its messages go out in
   * order as they are: a seq it skips does not exist (any more), it is not missing.
   */
  function acceptPage(messages: readonly ThreadMessage[]): void {
    const batch: ThreadMessage[] = [];
    for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (message.seq <= lastSeq) continue;
      lastSeq = message.seq;
      batch.push(message);
    }
    deliverWithBuffered(batch);
  }

  function scheduleRetry(error?: ParleyClientError): void {
    const delay = retryDelay(failures, error);
    failures += 1;
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      catchUp();
    }, delay);
  }

  async function run(mine: number): Promise<void> {
    try {
      let page: SyncPage;
      do {
        again = false;
        const before = lastSeq;
        page = await fetchPage(lastSeq, pageSize);
        if (mine !== generation) return;
        acceptPage(page.messages);
        // A page that moves nothing forward ends the round, so a confused server cannot spin us.
        if (lastSeq === before && !again) break;
      } while (page.hasMore || again);
      running = false;
      // Still a gap: the store has not caught up with a live frame yet. Look again in a moment.
      if (ahead.size > 0) scheduleRetry();
      else failures = 0;
    } catch (error) {
      if (mine !== generation) return;
      running = false;
      if (shouldRetry(error as ParleyClientError)) scheduleRetry(error as ParleyClientError);
    }
  }

  /** Pages the HTTP sync from `lastSeq` until nothing is missing; one round at a time. */
  function catchUp(): void {
    if (running) {
      again = true;
      return;
    }
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = undefined;
    running = true;
    void run(generation);
  }

  function stop(): void {
    generation += 1;
    running = false;
    again = false;
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = undefined;
  }

  return {
    get lastSeq(): number {
      return lastSeq;
    },
    acceptLive,
    acceptPage,
    /** Whether live messages wait for a gap before them to be filled. */
    get hasGap(): boolean {
      return ahead.size > 0;
    },
    catchUp,
    /** Stops syncing; buffered messages are kept for when the stream is back. */
    stop,
    /** Starts over at another cursor (another thread, or a sign-out). */
    reset(seq: number): void {
      stop();
      ahead.clear();
      failures = 0;
      lastSeq = seq;
    },
  };
}

export type MessageSync = ReturnType<typeof createMessageSync>;
