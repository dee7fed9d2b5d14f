import { ParleyError } from '@parley/errors';
import type { CustomField, FieldValue, StoredMessage, Thread } from '../domain/model.js';
import type { HistoryStores } from '../domain/ports.js';

const key = (...parts: string[]) => parts.join('\u0000');

interface ThreadState {
  readonly thread: Thread;
  readonly messages: StoredMessage[];
  readonly byId: Map<string, StoredMessage>;
}

interface Snapshot {
  readonly id: string;
  readonly name: string | null;
  readonly fields: Record<string, FieldValue>;
  readonly at: Date;
}

const snapshotRefreshMs = 60_000;

function sameSnapshot(stored: Snapshot, fresh: Omit<Snapshot, 'at'>): boolean {
  const names = Object.keys(fresh.fields);
  return (
    stored.id === fresh.id &&
    stored.name === fresh.name &&
    names.length === Object.keys(stored.fields).length &&
    names.every((name) => Object.hasOwn(stored.fields, name) && stored.fields[name] === fresh.fields[name])
  );
}

/**
 * History's stores in memory, for domain and edge tests without a database: the same behaviour as
 * the PostgreSQL adapters (history-store.contract.ts proves it), one process only.
 */
export function createInMemoryHistoryStores(): HistoryStores {
  const threads = new Map<string, ThreadState>();
  const snapshots = new Map<string, Snapshot>();
  const agentFields = new Map<string, Map<string, { value: FieldValue; at: Date }>>();

  return {
    messages: {
      async store(message) {
        const { tenantId, threadId, customerKey } = message;
        let state = threads.get(key(tenantId, threadId));
        const stored = state?.byId.get(message.messageId);
        if (stored) return { message: stored, inserted: false };
        if (state && state.thread.customerKey !== customerKey) {
          throw new ParleyError('permission_denied', 'the thread belongs to another customer', {
            context: { threadId },
          });
        }
        if (!state) {
          state = { thread: { tenantId, threadId, customerKey }, messages: [], byId: new Map() };
          threads.set(key(tenantId, threadId), state);
        }
        const numbered: StoredMessage = structuredClone({ ...message, seq: state.messages.length + 1 });
        state.messages.push(numbered);
        state.byId.set(numbered.messageId, numbered);
        return { message: numbered, inserted: true };
      },
      async after(tenantId, threadId, afterSeq, limit) {
        const state = threads.get(key(tenantId, threadId));
        return (state?.messages ?? []).filter((message) => message.seq > afterSeq).slice(0, limit);
      },
    },

    threads: {
      async find(tenantId, threadId) {
        return threads.get(key(tenantId, threadId))?.thread ?? null;
      },
    },

    customers: {
      async find(tenantId, customerKey) {
        const snapshot = snapshots.get(key(tenantId, customerKey));
        if (!snapshot) return null;
        const fields: Record<string, CustomField> = {};
        for (const [name, field] of agentFields.get(key(tenantId, customerKey)) ?? [])
          fields[name] = { value: field.value, source: 'agent', at: field.at };
        for (const [name, value] of Object.entries(snapshot.fields))
          fields[name] = { value, source: 'oauth', at: snapshot.at };
        return { tenantId, customerKey, id: snapshot.id, name: snapshot.name, fields };
      },
      async saveFromOrigin({ tenantId, customerKey, id, name, fields, at }) {
        const stored = snapshots.get(key(tenantId, customerKey));
        if (stored && stored.at >= at) return;
        const fresh = { id, name, fields: { ...fields } };
        if (stored && at.getTime() - stored.at.getTime() < snapshotRefreshMs && sameSnapshot(stored, fresh))
          return;
        snapshots.set(key(tenantId, customerKey), { ...fresh, at });
      },
      async saveAgentFields(tenantId, customerKey, values, at) {
        let fields = agentFields.get(key(tenantId, customerKey));
        if (!fields) {
          fields = new Map();
          agentFields.set(key(tenantId, customerKey), fields);
        }
        for (const [name, value] of Object.entries(values)) {
          const current = fields.get(name);
          if (!current || at >= current.at) fields.set(name, { value, at });
        }
      },
    },
  };
}
