import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaClientOptions } from './kafka-client.js';

const base = { KAFKA_BROKERS: ['kafka:9092'], KAFKA_SASL_MECHANISM: 'none', KAFKA_TLS: false } as const;

describe('kafkaClientOptions', () => {
  it('connects without SASL or TLS unless configured', () => {
    expect(kafkaClientOptions(base)).toEqual({ brokers: ['kafka:9092'] });
  });

  it('logs in with SCRAM-SHA-512 over TLS trusting the CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-kafka-ca-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    expect(
      kafkaClientOptions({
        ...base,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'parley-history',
        KAFKA_SASL_PASSWORD: 'pw',
        KAFKA_TLS: true,
        KAFKA_TLS_CA_FILE: join(dir, 'ca.pem'),
      }),
    ).toEqual({
      brokers: ['kafka:9092'],
      sasl: { mechanism: 'scram-sha-512', username: 'parley-history', password: 'pw' },
      ssl: { ca: pem },
    });
    expect(kafkaClientOptions({ ...base, KAFKA_TLS: true })).toEqual({ brokers: ['kafka:9092'], ssl: {} });
  });

  it('refuses SASL without credentials and a CA file it cannot read', () => {
    expect(() => kafkaClientOptions({ ...base, KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() =>
      kafkaClientOptions({ ...base, KAFKA_TLS: true, KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: 'KAFKA_TLS_CA_FILE: cannot read /nonexistent/ca.pem',
      }),
    );
  });
});
