export interface CircuitBreakers {
  /** False while the host's circuit is open; once open time has passed, lets one trial through. */
  allows(host: string): boolean;
  succeeded(host: string): void;
  /** Records a failure; true when this failure opened the circuit. */
  failed(host: string): boolean;
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
  return {
    allows(host) {
      const state = stateOf(host);
      if (state.failures < failureThreshold) return true;
      if (now() < state.openUntil || state.trialInFlight) return false;
      state.trialInFlight = true;
      return true;
    },
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
  };
}
