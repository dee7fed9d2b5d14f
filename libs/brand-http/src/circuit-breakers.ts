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
}

interface HostState {
  failures: number;
  openUntil: number;
  trialInFlight: boolean;
}

/**
 * One circuit per brand host, so that a slow or failing brand fails fast instead of holding
 * everyone's workers: `failureThreshold` consecutive failures open it for `openMs`, then a single
 * trial request decides whether it closes again.
 */
export function createCircuitBreakers(options: {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
}): CircuitBreakers {
  const { failureThreshold, openMs, now = Date.now } = options;
  const hosts = new Map<string, HostState>();
  const stateOf = (host: string): HostState => {
    let state = hosts.get(host);
    if (!state) {
      state = { failures: 0, openUntil: 0, trialInFlight: false };
      hosts.set(host, state);
    }
    return state;
  };
  const admit = (host: string): 'closed' | 'trial' | false => {
    const state = stateOf(host);
    if (state.failures < failureThreshold) return 'closed';
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
      const state = stateOf(host);
      const wasOpen = state.failures >= failureThreshold;
      state.failures += 1;
      state.trialInFlight = false;
      if (state.failures >= failureThreshold) state.openUntil = now() + openMs;
      return !wasOpen && state.failures >= failureThreshold;
    },
    abandoned(host) {
      const state = hosts.get(host);
      if (!state?.trialInFlight) return;
      state.trialInFlight = false;
      state.openUntil = now() + openMs;
    },
  };
}
