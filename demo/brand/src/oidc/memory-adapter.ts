import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  readonly model: string;
  readonly payload: AdapterPayload;
  /** Epoch milliseconds, when oidc-provider gave a lifetime. */
  readonly expiresAt?: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Everything oidc-provider persists (sessions, interactions, grants, codes, tokens), in memory, with
 * what the demo needs on top: revoking every grant of a customer. A real brand keeps this in a
 * database behind the same adapter contract.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  #lastSweep = Date.now();

  /** The adapter factory for oidc-provider's `adapter` option. */
  readonly adapter: AdapterFactory = (model) => new MemoryAdapter(this, model);

  get(model: string, id: string): AdapterPayload | undefined {
    const entry = this.#entries.get(`${model}:${id}`);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#entries.delete(`${model}:${id}`);
      return undefined;
    }
    return entry?.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresInSeconds?: number) {
    const expiresAt = expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : undefined;
    this.#entries.set(`${model}:${id}`, { model, payload, ...(expiresAt ? { expiresAt } : {}) });
    this.#sweepNowAndThen();
  }

  delete(model: string, id: string) {
    this.#entries.delete(`${model}:${id}`);
  }

  /** Live entries of `model` (or of every model) that `matches`, with their ids. */
  *select(model: string | undefined, matches: (payload: AdapterPayload) => boolean) {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (model !== undefined && entry.model !== model) continue;
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) continue;
      if (matches(entry.payload))
        yield { model: entry.model, id: key.slice(entry.model.length + 1), payload: entry.payload };
    }
  }

  /** How many live grants a customer has given (to any client). */
  grantCount(accountId: string): number {
    return [...this.select('Grant', (payload) => payload.accountId === accountId)].length;
  }

  /**
   * Revokes every grant of a customer with all codes and tokens issued under them, and ends the
   * customer's sessions at the brand so the next authorization asks them to sign in again.
   * Returns how many grants were revoked.
   */
  revokeAccount(accountId: string): number {
    const grants = [...this.select('Grant', (payload) => payload.accountId === accountId)];
    const grantIds = new Set(grants.map(({ id }) => id));
    const doomed = [
      ...grants,
      ...this.select(undefined, (payload) => payload.grantId !== undefined && grantIds.has(payload.grantId)),
      ...this.select('Session', (payload) => payload.accountId === accountId),
    ];
    for (const { model, id } of doomed) this.delete(model, id);
    return grants.length;
  }

  #sweepNowAndThen() {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly store: MemoryStore,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
    this.store.set(this.model, id, payload, expiresIn);
  }

  async find(id: string) {
    return this.store.get(this.model, id);
  }

  async findByUid(uid: string) {
    return this.store.select(this.model, (payload) => payload.uid === uid).next().value?.payload;
  }

  async findByUserCode(userCode: string) {
    return this.store.select(this.model, (payload) => payload.userCode === userCode).next().value?.payload;
  }

  async consume(id: string) {
    const payload = this.store.get(this.model, id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string) {
    this.store.delete(this.model, id);
  }

  async revokeByGrantId(grantId: string) {
    const issued = [...this.store.select(this.model, (payload) => payload.grantId === grantId)];
    for (const { id } of issued) this.store.delete(this.model, id);
  }
}
