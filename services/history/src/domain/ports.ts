import type { CustomerProfile, FieldValue, NewMessage, StoredMessage, Thread } from './model.js';

/** Every method takes the tenant: an unscoped read cannot be written. */
export interface MessageStore {
  /** Stores a message once, numbering it; a duplicate returns the stored one. */
  store(message: NewMessage): Promise<{ message: StoredMessage; inserted: boolean }>;
  after(tenantId: string, threadId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
}

export interface ThreadStore {
  remember(thread: Thread): Promise<void>;
  find(tenantId: string, threadId: string): Promise<Thread | null>;
}

export interface CustomerStore {
  find(tenantId: string, customerKey: string): Promise<CustomerProfile | null>;
  /** Replaces the OAuth-managed fields (and id, name) with what the brand said at `at`. */
  saveFromOrigin(profile: {
    tenantId: string;
    customerKey: string;
    id: string;
    name: string | null;
    fields: Record<string, FieldValue>;
    at: Date;
  }): Promise<void>;
  /** Sets agent-owned fields; OAuth-managed ones are refused by the domain before this is called. */
  saveAgentFields(
    tenantId: string,
    customerKey: string,
    fields: Record<string, FieldValue>,
    at: Date,
  ): Promise<void>;
}

export interface Clock {
  now(): Date;
}
