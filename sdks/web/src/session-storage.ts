import { ParleyClientError } from './parley-client-error.js';
import type { SessionInfo } from './protocol.js';

/**
 * Where the client keeps what must survive a reload: the session token, the session (customer,
 * thread id, expiry) and the last seq seen. `localStorage` and `sessionStorage` are accepted as
 * they are (see `WebStorageLike`).
 *
 * @example
 * const map = new Map<string, string>();
 * const storage: SessionStorage = {
 *   get: (key) => map.get(key) ?? null,
 *   set: (key, value) => void map.set(key, value),
 *   remove: (key) => void map.delete(key),
 * };
 */
export interface SessionStorage {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/**
 * The Web Storage API (`localStorage`, `sessionStorage`), which the client adapts itself.
 *
 * @example
 * createParleyClient({ ...options, storage: window.localStorage });
 */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Storage that lives as long as the page or process: the default.
 *
 * @example
 * const storage = createMemoryStorage();
 * storage.set('k', 'v');
 * storage.get('k'); // 'v'
 */
export function createMemoryStorage(): SessionStorage {
  const entries = new Map<string, string>();
  return {
    get: (key) => entries.get(key) ?? null,
    set: (key, value) => {
      entries.set(key, value);
    },
    remove: (key) => {
      entries.delete(key);
    },
  };
}

function isWebStorage(storage: SessionStorage | WebStorageLike): storage is WebStorageLike {
  return typeof (storage as Partial<WebStorageLike>).getItem === 'function';
}

/** Either storage shape as a `SessionStorage` (Web Storage methods are called on their object). */
export function toSessionStorage(storage: SessionStorage | WebStorageLike): SessionStorage {
  if (!isWebStorage(storage)) return storage;
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    remove: (key) => storage.removeItem(key),
  };
}

/** A session as stored: the token stays inside the client. */
export interface StoredSession {
  readonly token: string;
  readonly session: SessionInfo;
}

/**
 * The client's persisted state under one key prefix. Storage failures (a full quota, a browser in
 * private mode) are reported and otherwise ignored: the chat goes on without persistence.
 */
export function createSessionStore(deps: {
  storage: SessionStorage;
  keyPrefix: string;
  onError: (error: ParleyClientError) => void;
}) {
  const { storage, keyPrefix, onError } = deps;
  const sessionKey = `${keyPrefix}session`;
  const lastSeqKey = `${keyPrefix}lastSeq`;

  function attempt<T>(what: string, run: () => T, fallback: T): T {
    try {
      return run();
    } catch (error) {
      onError(new ParleyClientError('storage_error', `could not ${what} the chat session`, { cause: error }));
      return fallback;
    }
  }

  function readJson(key: string): Record<string, unknown> | null {
    const raw = attempt('read', () => storage.get(key), null);
    if (raw === null) return null;
    try {
      const value: unknown = JSON.parse(raw);
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
    } catch {
      return null; // written by something else: treated as absent
    }
  }

  return {
    loadSession(): StoredSession | null {
      const value = readJson(sessionKey);
      const session = value?.session as Partial<SessionInfo> | undefined;
      if (typeof value?.token !== 'string' || typeof session?.threadId !== 'string' || !session.customer)
        return null;
      return { token: value.token, session: session as SessionInfo };
    },
    saveSession(stored: StoredSession): void {
      attempt('save', () => storage.set(sessionKey, JSON.stringify(stored)), undefined);
    },
    /** The last seq seen in a thread; 0 when none is stored for that thread. */
    loadLastSeq(threadId: string): number {
      const value = readJson(lastSeqKey);
      const seq = value?.seq;
      return value?.threadId === threadId && typeof seq === 'number' && Number.isInteger(seq) && seq > 0
        ? seq
        : 0;
    },
    saveLastSeq(threadId: string, seq: number): void {
      attempt('save', () => storage.set(lastSeqKey, JSON.stringify({ threadId, seq })), undefined);
    },
    clearSession(): void {
      attempt('clear', () => storage.remove(sessionKey), undefined);
    },
    clearAll(): void {
      attempt('clear', () => storage.remove(sessionKey), undefined);
      attempt('clear', () => storage.remove(lastSeqKey), undefined);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
