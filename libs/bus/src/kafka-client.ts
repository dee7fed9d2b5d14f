import type { Logger } from '@parley/logger';
import { Kafka, logLevel as KafkaLogLevel, type Kafka as KafkaType, type LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
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
    connectionTimeoutMs = 3000,
    requestTimeoutMs = 30000,
    // Explicit, so kafkajs does not pick other defaults from NODE_ENV behind the config's back.
    retry = { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30000 },
  } = options;
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
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
