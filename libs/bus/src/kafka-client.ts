import { readFileSync } from 'node:fs';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { Kafka, logLevel as KafkaLogLevel, type Kafka as KafkaType, type LogEntry } from 'kafkajs';

/** How a client proves who it is and protects the connection (docs/kafka.md). */
export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  /** SASL login as the service's principal; none when omitted. */
  readonly sasl?: {
    readonly mechanism: 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
  /** TLS; `ca` (PEM) is trusted instead of the system's CAs when given. */
  readonly ssl?: { readonly ca?: string };
}

export interface KafkaClientOptions extends KafkaConnectionOptions {
  readonly clientId: string;
  readonly logger: Logger;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Retries of kafkajs requests (and of a failing batch before the consumer restarts). */
  readonly retry?: {
    readonly retries: number;
    readonly initialRetryTimeMs: number;
    readonly maxRetryTimeMs: number;
  };
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkaEnv of libs/config as parsed by a service's config. */
export interface KafkaConfig {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512' | 'none';
  readonly KAFKA_SASL_USERNAME?: string | undefined;
  readonly KAFKA_SASL_PASSWORD?: string | undefined;
  readonly KAFKA_TLS: boolean;
  readonly KAFKA_TLS_CA_FILE?: string | undefined;
}

/**
 * A service's Kafka settings as createKafkaClient's connection options, so that every service
 * connects the same way. Reads KAFKA_TLS_CA_FILE now: a missing file fails the start.
 *
 * @example
 * const kafka = createKafkaClient({ ...kafkaClientOptions(config), clientId: 'parley-history', logger });
 */
export function kafkaClientOptions(config: KafkaConfig): KafkaConnectionOptions {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = config;
  if (mechanism !== 'none' && (!username || !password)) {
    // parseConfig refuses this already; a hand-made config must not connect unauthenticated.
    throw new ParleyError(
      'invalid_config',
      `KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with ${mechanism}`,
    );
  }
  return {
    brokers: config.KAFKA_BROKERS,
    ...(mechanism !== 'none' && username && password ? { sasl: { mechanism, username, password } } : {}),
    ...(config.KAFKA_TLS
      ? { ssl: config.KAFKA_TLS_CA_FILE ? { ca: readCa(config.KAFKA_TLS_CA_FILE) } : {} }
      : {}),
  };
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParleyError('invalid_config', `KAFKA_TLS_CA_FILE: cannot read ${file}`, { cause: error });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ParleyError('invalid_config', `KAFKA_TLS_CA_FILE: ${file} holds no PEM certificate`);
  }
  return pem;
}

/**
 * A kafkajs client whose logs go through the process's pino logger (kafkajs INFO is demoted to
 * debug: it narrates every group join).
 *
 * @example
 * const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'history', logger });
 */
export function createKafkaClient(options: KafkaClientOptions): KafkaType {
  const {
    brokers,
    clientId,
    logger,
    sasl,
    ssl,
    connectionTimeoutMs = 3000,
    requestTimeoutMs = 30000,
    // Explicit, so kafkajs does not pick other defaults from NODE_ENV behind the config's back.
    retry = { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30000 },
  } = options;
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    // A fresh object per client: kafkajs keeps its authenticator (with the password) on it.
    ...(sasl
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }
      : {}),
    ...(ssl ? { ssl: ssl.ca ? { ca: [ssl.ca] } : true } : {}),
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: requestTimeoutMs,
    retry: {
      retries: retry.retries,
      initialRetryTime: retry.initialRetryTimeMs,
      maxRetryTime: retry.maxRetryTimeMs,
    },
    logLevel: KafkaLogLevel.INFO,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
        const pinoLevel = levels[level] ?? 'debug';
        kafkaLogger[pinoLevel === 'info' ? 'debug' : pinoLevel](fields, message);
      },
  });
}
