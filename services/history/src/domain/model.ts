import type { MessageAuthor, ThreadMessage } from '@parley/contracts';

/**
 * A message as history keeps it: once per (tenant, thread, messageId), numbered per thread. Clients
 * see it as `threadMessageOf` says (the contract's `threadMessage`).
 */
export interface StoredMessage {
  readonly tenantId: string;
  readonly threadId: string;
  readonly customerKey: string;
  readonly messageId: string;
  readonly seq: number;
  readonly author: MessageAuthor;
  readonly deviceId?: string;
  readonly text: string;
  readonly sentAt: Date;
  readonly storedAt: Date;
  /** Customer messages: whether the brand's customer data came with it, and if not, why. */
  readonly customerData?: ThreadMessage['customerData'];
}

export type NewMessage = Omit<StoredMessage, 'seq'>;

/**
 * The one view of a stored message that leaves history: the sync answer (gRPC) and the delivery
 * event carry it, ingress passes it on as the sync page and the live frame, the SDK types it
 * (docs/architecture.md, "Where each contract lives"). A field added to `StoredMessage` and to the
 * contract reaches every client through here.
 */
export function threadMessageOf(message: StoredMessage): ThreadMessage {
  const { tenantId, threadId, customerKey, sentAt, storedAt, ...view } = message;
  return { ...view, sentAt: sentAt.toISOString(), storedAt: storedAt.toISOString() };
}

export interface Thread {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly threadId: string;
}

export type FieldValue = string | number | boolean | null;

/** A custom field of a customer: OAuth-managed ones are read-only here (change them at the origin). */
export interface CustomField {
  readonly value: FieldValue;
  readonly source: 'oauth' | 'agent';
  /** When the brand last said so (oauth), or when an agent set it. */
  readonly at: Date;
}

export interface CustomerProfile {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly id: string | null;
  readonly name: string | null;
  readonly fields: Readonly<Record<string, CustomField>>;
}
