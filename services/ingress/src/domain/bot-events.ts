import { ParleyError } from '@parley/errors';
import { type ApiKey, type ApiKeyRepository, apiKeyRefusal } from './api-keys.js';
import type { IntegrationsPort, TenantEventsPage } from './ports.js';

// Reading a tenant's event log for a bot's event stream (docs/integrations.md): pages after a cursor,
// the key re-checked while the stream stays open. The transport (http/bot-events-route.ts) writes
// what is read and ends the stream as the reader says.

export interface BotEventReaderDeps {
  readonly integrations: IntegrationsPort;
  readonly apiKeys: ApiKeyRepository;
  /** The deadline of one read beyond its wait. */
  readonly deadlineMs: number;
  /** How often an open stream checks that its API key still exists with the bot scope. */
  readonly keyRecheckMs: number;
}

export type BotEventsRead =
  | { readonly events: TenantEventsPage['events'] }
  /** The cursor is older than the log keeps. */
  | { readonly expired: ParleyError };

export const cursorExpired = () =>
  new ParleyError(
    'cursor_expired',
    'the cursor is older than the event log keeps: events may have been missed; reconnect without one',
  );

/**
 * The reader of one stream: `key`'s tenant only, the `types` asked for (all when empty), after
 * `after`. `signal` cancels a pending long poll (the client left).
 */
export function createBotEventReader(
  deps: BotEventReaderDeps,
  request: {
    readonly key: ApiKey;
    readonly after: string;
    readonly types: readonly string[];
    readonly signal: AbortSignal;
  },
) {
  const { integrations, apiKeys, deadlineMs, keyRecheckMs } = deps;
  const { key, types, signal } = request;
  let after = request.after;
  let keyCheckedAt = Date.now();
  return {
    /** The next page; waits up to `waitMs` for events when there are none yet. */
    async read(waitMs: number): Promise<BotEventsRead> {
      const page = await integrations.readEvents(
        { tenantId: key.tenantId, after, limit: 100, waitMs, eventTypes: types },
        { deadlineMs: waitMs + deadlineMs, signal },
      );
      if (page.cursorExpired) return { expired: cursorExpired() };
      after = page.cursor || after;
      return { events: page.events };
    },
    /**
     * Why the key may no longer read (revoked, expired, gone, scope removed), or undefined; asks the
     * store at most once per `keyRecheckMs`.
     */
    async keyRefusal(): Promise<ParleyError | undefined> {
      if (Date.now() - keyCheckedAt < keyRecheckMs) return undefined;
      keyCheckedAt = Date.now();
      const current = await apiKeys.find(key.keyId);
      if (current === null || current.tenantId !== key.tenantId || !current.scopes.includes('bot'))
        return new ParleyError('unauthenticated', 'the API key is no longer valid');
      return apiKeyRefusal(current, new Date());
    },
  };
}

export type BotEventReader = ReturnType<typeof createBotEventReader>;
