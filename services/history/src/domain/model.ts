export interface Author {
  readonly kind: 'customer' | 'bot' | 'agent';
  readonly id: string;
  readonly name?: string;
}

/** A message as history keeps it: once per (tenant, thread, messageId), numbered per thread. */
export interface StoredMessage {
  readonly tenantId: string;
  readonly threadId: string;
  readonly customerKey: string;
  readonly messageId: string;
  readonly seq: number;
  readonly author: Author;
  readonly deviceId?: string;
  readonly text: string;
  readonly sentAt: Date;
  readonly storedAt: Date;
  /** Customer messages: whether the brand's customer data came with it, and if not, why. */
  readonly customerData?: { readonly status: 'ok' | 'unavailable'; readonly reason?: string };
}

export type NewMessage = Omit<StoredMessage, 'seq'>;

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
