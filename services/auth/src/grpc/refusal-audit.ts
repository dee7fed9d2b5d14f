import type { RefusedCall as RefusedGrpcCall } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import type { Clock, RefusalLog } from '../domain/ports.js';

/** The tenant a refused request names (AuthService requests carry it at the top or in `channel`). */
function claimedTenant(request: unknown): string | undefined {
  const fields = request as { tenantId?: unknown; channel?: { tenantId?: unknown } } | undefined;
  const tenantId = fields?.tenantId || fields?.channel?.tenantId;
  // A refused caller chooses this text: only a plausible tenant id is kept.
  return typeof tenantId === 'string' && tenantId.length <= 128 ? tenantId : undefined;
}

/**
 * The auth server's refusal hook: records every refused call in the refusal log (libs/grpc has
 * logged and counted it already). Writes run in the background, at most `maxInFlight` at once, so a
 * flood of refused calls cannot queue up store writes; beyond that a refusal is only logged.
 *
 * @example
 * createGrpcServerComponent({ …, onRefusal: auditRefusals({ refusals: stores.refusals, clock, logger }) });
 */
export function auditRefusals(deps: {
  refusals: RefusalLog;
  clock: Clock;
  logger: Logger;
  maxInFlight?: number;
}): (refusal: RefusedGrpcCall) => void {
  const { refusals, clock, logger, maxInFlight = 32 } = deps;
  let inFlight = 0;
  return (refusal) => {
    const { method, code, caller, peer } = refusal;
    if (inFlight >= maxInFlight) {
      logger.warn(
        { grpcMethod: method, code, caller: caller ?? 'none', peer },
        'refused call not audited: too many',
      );
      return;
    }
    const tenantId = claimedTenant(refusal.request);
    inFlight += 1;
    refusals
      .record({
        method,
        code,
        ...(caller ? { caller } : {}),
        peer,
        ...(tenantId ? { tenantId } : {}),
        at: clock.now(),
      })
      .catch((error: unknown) => logger.error({ err: error, grpcMethod: method }, 'refused call not audited'))
      .finally(() => {
        inFlight -= 1;
      });
  };
}
