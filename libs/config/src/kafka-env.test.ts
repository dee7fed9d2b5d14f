import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kafkaEnv, parseConfig } from './index.js';

const schema = z.object({ ...kafkaEnv });
const brokers = { KAFKA_BROKERS: 'kafka:9092' };

describe('kafkaEnv', () => {
  it('connects without SASL or TLS by default', () => {
    expect(parseConfig(schema, brokers)).toEqual({
      KAFKA_BROKERS: ['kafka:9092'],
      KAFKA_TOPIC_PREFIX: '',
      KAFKA_SASL_MECHANISM: 'none',
      KAFKA_TLS: false,
    });
  });

  it('takes SCRAM-SHA-512 credentials and TLS with a CA file', () => {
    expect(
      parseConfig(schema, {
        ...brokers,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'parley-history',
        KAFKA_SASL_PASSWORD: 'pw',
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem',
      }),
    ).toMatchObject({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_TLS: true,
      KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem',
    });
  });

  it('requires the username and password with scram-sha-512, naming both', () => {
    const parse = () => parseConfig(schema, { ...brokers, KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    expect(parse).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message:
          'invalid configuration: KAFKA_SASL_USERNAME: required when KAFKA_SASL_MECHANISM=scram-sha-512; KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM=scram-sha-512',
        context: { variables: ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] },
      }),
    );
  });

  it('refuses credentials or a CA file that would be ignored, and an unknown mechanism', () => {
    expect(() => parseConfig(schema, { ...brokers, KAFKA_SASL_PASSWORD: 'pw' })).toThrow(
      'KAFKA_SASL_PASSWORD: set, but KAFKA_SASL_MECHANISM is none',
    );
    expect(() => parseConfig(schema, { ...brokers, KAFKA_TLS_CA_FILE: '/ca.pem' })).toThrow(
      'KAFKA_TLS_CA_FILE: set, but KAFKA_TLS is not true',
    );
    expect(() => parseConfig(schema, { ...brokers, KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /KAFKA_SASL_MECHANISM/,
    );
  });

  it('never puts the password in the error', () => {
    let message = '';
    try {
      parseConfig(schema, { ...brokers, KAFKA_SASL_PASSWORD: 'hunter2' });
    } catch (error) {
      message = JSON.stringify({ message: (error as Error).message, ...(error as object) });
    }
    expect(message).toContain('KAFKA_SASL_PASSWORD');
    expect(message).not.toContain('hunter2');
  });
});
