export interface CircuitBreakers {
  /** False while the host's circuit is open; once open time has passed, lets one trial through. */
  allows(host: string): boolean;
  /**
   * As `allows`, telling a request counted as the circuit's trial (`'trial'`, which must end in
   * `succeeded`, `failed` or `abandoned`) from one let through a closed circuit (`'closed'`).
   */
  admit(host: string): 'closed' | 'trial' | false;
  succeeded(host: string): void;
  /** Records a failure; true when this failure opened the circuit. */
  failed(host: string): boolean;
  /**
   * The trial ended without a verdict on the host (it never got a host slot, say): the circuit
   * stays open for one more open period, then lets the next trial through. No-op without a trial.
   */
  abandoned(host: string): void;
  /** True while the circuit is open (a trial in flight included), until a success closes it. */
  isOpen(host: string): boolean;
}

interface HostState {
  failures: number;
  openUntil: number;
  trialInFlight: boolean;
}

/**
 * One circuit per key (the client keys by tenant and brand host), so that a slow or failing brand
 * fails fast instead of holding everyone's workers: `failureThreshold` consecutive failures open it
 * for `openMs`, then a single trial request decides whether it closes again. Only keys with recent
 * failures take memory, at most `maxEntries` of them: past that the least recently failing closed
 * circuit is forgotten first (an open one only when none is closed), so admin-chosen hosts cannot
 * grow this without bound.
 */
export function createCircuitBreakers(options: {
  failureThreshold: number;
  openMs: number;
  maxEntries?: number;
  now?: () => number;
}): CircuitBreakers {
  const { failureThreshold, openMs, maxEntries = 10_000, now = Date.now } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  // Map order is recency of the last failure: the first entries are the ones to forget.
  const hosts = new Map<string, HostState>();
  const isOpen = (state: HostState) => state.failures >= failureThreshold;
  const evictOne = () => {
    let victim: string | undefined;
    for (const [host, state] of hosts) {
      if (state.trialInFlight) continue;
      victim ??= host;
      if (!isOpen(state)) {
        victim = host;
        break;
      }
    }
    hosts.delete(victim ?? (hosts.keys().next().value as string));
  };
  const failedState = (host: string): HostState => {
    const state = hosts.get(host) ?? { failures: 0, openUntil: 0, trialInFlight: false };
    hosts.delete(host);
    if (hosts.size >= maxEntries) evictOne();
    hosts.set(host, state);
    return state;
  };
  const admit = (host: string): 'closed' | 'trial' | false => {
    const state = hosts.get(host);
    if (!state || !isOpen(state)) return 'closed';
    if (now() < state.openUntil || state.trialInFlight) return false;
    state.trialInFlight = true;
    return 'trial';
  };
  return {
    admit,
    allows: (host) => admit(host) !== false,
    succeeded(host) {
      hosts.delete(host);
    },
    failed(host) {
      const state = failedState(host);
      const wasOpen = isOpen(state);
      state.failures += 1;
      state.trialInFlight = false;
      if (isOpen(state)) state.openUntil = now() + openMs;
      return !wasOpen && isOpen(state);
    },
    isOpen(host) {
      const state = hosts.get(host);
      return state !== undefined && isOpen(state);
    },
    abandoned(host) {
      const state = hosts.get(host);
      if (!state?.trialInFlight) return;
      state.trialInFlight = false;
      state.openUntil = now() + openMs;
    },
  };
}
