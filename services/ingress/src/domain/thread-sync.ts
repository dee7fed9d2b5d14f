import type { SyncPage } from '@parley/contracts';
import { authorizeCustomerSession, type SessionCheckDeps } from './customer-sessions.js';
import type { AuthorizedSession, HistoryPort } from './ports.js';

/** The messages of an authorized session's thread after a seq, read from the store (never cached). */
export async function readThread(
  history: HistoryPort,
  session: AuthorizedSession,
  page: { readonly after: number; readonly limit: number },
): Promise<SyncPage> {
  return history.sync({
    tenantId: session.tenantId,
    customerKey: session.customerKey,
    threadId: session.threadId,
    afterSeq: page.after,
    limit: page.limit,
  });
}

/** A device's sync over HTTP: the brand is asked again (through auth), then the store is read. */
export async function syncThread(
  deps: SessionCheckDeps & { readonly history: HistoryPort },
  sessionToken: string,
  page: { readonly after: number; readonly limit: number },
): Promise<SyncPage> {
  const session = await authorizeCustomerSession(deps, sessionToken, 'requests');
  return readThread(deps.history, session, page);
}
