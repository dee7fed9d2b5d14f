import pg from 'pg';

/** The part of node-postgres' connection that sends extended-protocol messages. */
interface ProtocolConnection {
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  submittedNamedStatements: Record<string, string | undefined>;
}

interface QueryInternals {
  readonly name?: string;
  readonly text?: string;
  readonly types?: unknown[];
  prepare(connection: ProtocolConnection): void;
  hasBeenParsed(connection: ProtocolConnection): boolean;
}

const BaseQuery = pg.Query as unknown as new (config: pg.QueryConfig) => pg.Query & QueryInternals;

/**
 * A statement sent in the same extended-protocol batch as `set_config(name, value, true)`: both run
 * before one Sync, so in one implicit transaction and one round trip. The setting is local to that
 * transaction (safe behind a transaction-mode pooler) and is in force when the statement's
 * row-level-security policies read it. Results: `[set_config's, the statement's]`.
 *
 * PostgreSQL protocol: "Pipelining" (several Execute messages before one Sync run in one implicit
 * transaction block). Inside an explicit transaction it simply sets the setting again.
 */
export class ScopedQuery extends BaseQuery {
  #setting: readonly [string, string];

  constructor(config: pg.QueryConfig, setting: readonly [string, string]) {
    super(config);
    this.#setting = setting;
  }

  override prepare(connection: ProtocolConnection): void {
    // The named statement's Parse goes first: node-postgres records a statement as prepared on the
    // first ParseComplete of the batch, which must therefore be the statement's own (a failed Parse
    // skips the rest of the batch, and nothing is recorded).
    if (this.name && this.text && !this.hasBeenParsed(connection)) {
      connection.parse({ text: this.text, name: this.name, types: this.types ?? [] });
      connection.submittedNamedStatements[this.name] = this.text;
    }
    connection.parse({ text: 'select set_config($1, $2, true)', name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [...this.#setting] });
    connection.describe({ type: 'P', name: '' });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection); // bind, describe, execute and sync (its parse is sent already)
  }
}
