import type { KafkaSasl } from './system.js';
// The messages between the orchestrator and its forked load processes (load generator, baseline),
// and the raw results they send back. Plain JSON over the IPC channel.

/** One message of a run, timed by the process that sent it (ms after the intended send time). */
export interface MessageSample {
  /** Intended send time (epoch ms): a late sender does not hide its lateness. */
  readonly sentAt: number;
  /** Which brand's customer sent it (`fast` unless scenario d). */
  readonly brand: BrandLabel;
  /** Parley: `ack` frame; baseline: introspected and produced. */
  ackMs?: number;
  /** Parley: on the customer's other device; baseline: customer data fetched and stored. */
  deliveredMs?: number;
  /** Parley: the enriched event seen by the bot consumer; baseline: customer data fetched. */
  enrichedMs?: number;
  /** The error code the sender got for it (an `error` frame, a failed call). */
  error?: string;
}

export type BrandLabel = 'fast' | 'slow';

export interface RunResult {
  readonly label: string;
  readonly rate: number;
  readonly startedAt: number;
  readonly sendingEndedAt: number;
  readonly samples: readonly MessageSample[];
  /** Failures not tied to one message (a socket closed, a connection refused), by code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Brand round trips measured by the baseline under load, ms. */
  readonly brandRtt?: { readonly introspection: readonly number[]; readonly userinfo: readonly number[] };
}

export interface RunRequest {
  readonly label: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly drainMs: number;
  /** Only customers of these brands send. */
  readonly brands: readonly BrandLabel[];
}

/** A signed-in customer as the load generator drives it: one session token per device. */
export interface CustomerSession {
  readonly brand: BrandLabel;
  readonly sessionTokens: readonly string[];
}

export interface StormResult {
  readonly devices: number;
  /** Per device, ms from the reconnect to its `ready` and `sync` frames (absent: it failed). */
  readonly readyMs: readonly number[];
  readonly syncMs: readonly number[];
  /** Ms from the reconnect until the last device had its sync. */
  readonly allSyncedMs: number | null;
  readonly errors: Readonly<Record<string, number>>;
}

export type LoadCommand =
  | {
      readonly type: 'connect';
      /** Each ingress pod's stream URL; a customer's devices go to different pods (ingress-pods.ts). */
      readonly streamUrls: readonly string[];
      readonly customers: readonly CustomerSession[];
      readonly kafka: {
        readonly brokers: readonly string[];
        readonly enrichedTopic: string;
        readonly groupId: string;
        readonly sasl?: KafkaSasl | undefined;
      };
    }
  | ({ readonly type: 'run'; readonly id: number } & RunRequest)
  /** More devices (one session token each), connected and held besides the customers' own. */
  | { readonly type: 'add-devices'; readonly tokens: readonly string[] }
  /** The first `count` devices (the customers', then the added ones) leave and come back at once. */
  | { readonly type: 'storm'; readonly id: number; readonly timeoutMs: number; readonly count: number }
  /** Closes the added devices' streams (their tokens stay known for `open-idle`). */
  | { readonly type: 'close-added-devices' }
  /** Opens `count` more streams over every known session, round-robin, and holds them idle. */
  | { readonly type: 'open-idle'; readonly id: number; readonly count: number; readonly timeoutMs: number }
  | { readonly type: 'close-idle'; readonly id: number }
  | { readonly type: 'stop' };

export type LoadReply =
  /** `perPod`: the devices connected to each pod of `streamUrls`. */
  | { readonly type: 'connected'; readonly devices: number; readonly perPod: readonly number[] }
  | { readonly type: 'ran'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'devices-added'; readonly devices: number }
  | { readonly type: 'stormed'; readonly id: number; readonly result: StormResult }
  | { readonly type: 'added-devices-closed' }
  | {
      readonly type: 'idle-opened';
      readonly id: number;
      readonly opened: number;
      readonly errors: Readonly<Record<string, number>>;
    }
  | { readonly type: 'idle-closed'; readonly id: number }
  | { readonly type: 'failed'; readonly message: string };

/** What the baseline needs: the brand's endpoints and client, tokens, a topic, a schema. */
export interface BaselineSetup {
  readonly brand: {
    readonly introspection: string;
    readonly userinfo: string;
    readonly clientId: string;
    readonly clientSecret: string;
  };
  readonly accessTokens: readonly string[];
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly topic: string;
    readonly groupId: string;
    readonly sasl?: KafkaSasl | undefined;
  };
  /** A superuser's URL of the Parley database, and the schema the baseline creates its table in. */
  readonly postgres: { readonly url: string; readonly schema: string };
}

export type BaselineCommand =
  | { readonly type: 'start'; readonly setup: BaselineSetup }
  | ({ readonly type: 'run'; readonly id: number } & RunRequest)
  | { readonly type: 'probe'; readonly id: number; readonly count: number }
  | { readonly type: 'stop' };

export type BaselineReply =
  | { readonly type: 'ready' }
  | { readonly type: 'ran'; readonly id: number; readonly result: RunResult }
  | {
      readonly type: 'probed';
      readonly id: number;
      readonly introspection: readonly number[];
      readonly userinfo: readonly number[];
    }
  | { readonly type: 'failed'; readonly message: string };
