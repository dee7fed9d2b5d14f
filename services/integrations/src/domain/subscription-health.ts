import type { AttemptOutcome } from './model.js';

/** What the pause rule looks at on a subscription. */
export interface SubscriptionHealth {
  readonly enabled: boolean;
  readonly pausedAt: Date | null;
  readonly pausedReason: string | null;
  /** Since when no attempt has succeeded; null after a success. */
  readonly failingSince: Date | null;
}

/**
 * A subscription's health after an attempt (both stores apply this): a success ends the failing
 * streak; a failure starts one (or goes on with it) and pauses an enabled, unpaused subscription
 * whose streak began at `pause.pauseIfFailingSince` or earlier.
 */
export function healthAfter(
  current: SubscriptionHealth,
  outcome: AttemptOutcome,
): { health: SubscriptionHealth; paused: boolean } {
  if (outcome.next.kind === 'delivered') return { health: { ...current, failingSince: null }, paused: false };
  const failingSince = current.failingSince ?? outcome.at;
  const pause = outcome.pause;
  const paused =
    pause !== undefined &&
    current.enabled &&
    current.pausedAt === null &&
    failingSince <= pause.pauseIfFailingSince;
  return {
    health: {
      ...current,
      failingSince,
      ...(paused ? { pausedAt: outcome.at, pausedReason: pause.reason } : {}),
    },
    paused,
  };
}
