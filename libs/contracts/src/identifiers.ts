import { z } from 'zod';

/** `[A-Za-z0-9._-]`, 1 to `max` characters: ids that people choose and type. */
function plainId(max: number) {
  return z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9._-]{1,${max}}$`),
      `letters, digits, dot, dash, underscore; at most ${max}`,
    );
}

/** `[A-Za-z0-9._:-]`, 1 to `max` characters: ids that may be namespaced with a colon (`bot:…`). */
function namespacedId(max: number) {
  return z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9._:-]{1,${max}}$`),
      `letters, digits, dot, dash, colon, underscore; at most ${max}`,
    );
}

/**
 * The shape of every identifier Parley accepts from outside (HTTP, WebSocket, gRPC, configuration),
 * one rule each, for auth, ingress, history, the SDK and the OpenAPI document alike. Events allow
 * any id up to `limits.idMaxLength` (128): these rules are narrower, never wider.
 *
 * @example
 * identifiers.tenantId.safeParse('acme').success; // true
 * identifiers.clientMessageId.safeParse('bot:reply-1').success; // true
 */
export const identifiers = {
  /** A tenant's id (the `Parley-Tenant` header, API keys, channel settings). */
  tenantId: plainId(64),
  /** A channel's id within its tenant. */
  channelId: plainId(64),
  /** The id (`kid`) of a signing or sealing key. */
  keyId: plainId(64),
  /** A customer's device, chosen by the chat client at sign-in. */
  deviceId: plainId(128),
  /** Ids Parley derives (thread ids, customer keys) as clients send them back. */
  derivedId: plainId(128),
  /** The sender's id of one message: the same one twice is one message. */
  clientMessageId: namespacedId(128),
  /** Ids of resources Parley creates and lists (webhook subscriptions, deliveries). */
  resourceId: namespacedId(128),
} as const;
