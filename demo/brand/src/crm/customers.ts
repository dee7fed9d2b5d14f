import { createHash, timingSafeEqual } from 'node:crypto';

/** The one password of every demo customer; the login page shows it as a hint. */
export const DEMO_PASSWORD = 'demo';

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly tier: string;
  readonly openCase: string | null;
}

export interface CustomerChange {
  readonly tier?: string;
  readonly openCase?: string | null;
}

const demoCustomers: readonly Customer[] = [
  { id: 'ada', name: 'Ada Lovelace', tier: 'gold', openCase: 'CASE-1042' },
  { id: 'grace', name: 'Grace Hopper', tier: 'platinum', openCase: null },
  { id: 'alan', name: 'Alan Turing', tier: 'silver', openCase: 'CASE-2001' },
];

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The brand's customers, in memory: the CRM page edits them and userinfo (`/me`) reads them live. */
export class CustomerStore {
  readonly #customers = new Map<string, Customer>();

  constructor(customers: readonly Customer[] = demoCustomers) {
    for (const customer of customers) this.#customers.set(customer.id, { ...customer });
  }

  list(): Customer[] {
    return [...this.#customers.values()];
  }

  find(id: string): Customer | undefined {
    return this.#customers.get(id);
  }

  /** Applies the fields present in `change`; undefined when there is no such customer. */
  update(id: string, change: CustomerChange): Customer | undefined {
    const current = this.#customers.get(id);
    if (!current) return undefined;
    const next = { ...current, ...change };
    this.#customers.set(id, next);
    return next;
  }

  /** The customer id for a login (case-insensitive) and password, or undefined. */
  authenticate(login: string, password: string): string | undefined {
    const customer = this.#customers.get(login.trim().toLowerCase());
    // Compared as digests so that the time taken says nothing about the password.
    const passwordMatches = timingSafeEqual(digest(password), digest(DEMO_PASSWORD));
    return customer && passwordMatches ? customer.id : undefined;
  }
}
