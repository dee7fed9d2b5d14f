import type { CustomerProfile, FieldValue, NewMessage, StoredMessage, Thread } from './model.js';

/** Every method takes the tenant: an unscoped read cannot be written. */
export interface MessageStore {
  /**
   * Stores a message once, with its thread's next number (1, 2, 3… without gaps), creating the
   * thread, owned by the message's customer, with its first message. A message id already stored in
   * the thread returns the stored message (`inserted: false`); a thread owned by another customer
   * stores nothing and throws `permission_denied`.
   */
  store(message: NewMessage): Promise<{ message: StoredMessage; inserted: boolean }>;
  /** The thread's messages numbered after `afterSeq`, oldest first, at most `limit`. */
  after(tenantId: string, threadId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
}

export interface ThreadStore {
  find(tenantId: string, threadId: string): Promise<Thread | null>;
}

export interface CustomerStore {
  /** The brand's newest snapshot with the agents' fields beside it; null before any snapshot. */
  find(tenantId: string, customerKey: string): Promise<CustomerProfile | null>;
  /**
   * Replaces the OAuth-managed fields (and id, name) with what the brand said at `at`, unless a
   * snapshot at least as new is stored (snapshots may arrive in any order). An unchanged snapshot
   * less than a minute newer than the stored one is not written again.
   */
  saveFromOrigin(profile: {
    tenantId: string;
    customerKey: string;
    id: string;
    name: string | null;
    fields: Record<string, FieldValue>;
    at: Date;
  }): Promise<void>;
  /**
   * Sets agent-owned fields as of `at` (a field set later is not overwritten); OAuth-managed ones
   * are refused by the domain before this is called.
   */
  saveAgentFields(
    tenantId: string,
    customerKey: string,
    fields: Record<string, FieldValue>,
    at: Date,
  ): Promise<void>;
}

/** History's repositories, as `createApp` takes them (PostgreSQL by default, in-memory in tests). */
export interface HistoryStores {
  readonly messages: MessageStore;
  readonly threads: ThreadStore;
  readonly customers: CustomerStore;
}

export interface Clock {
  now(): Date;
}
