import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envSchemas, parseConfig } from './index.js';

const schema = z.object({
  PORT: envSchemas.port.default(8080),
  KAFKA_BROKERS: envSchemas.brokerList,
  DATABASE_URL: envSchemas.postgresUrl,
  LOG_PRETTY: envSchemas.flag.default(false),
});

describe('parseConfig', () => {
  it('parses, applies defaults and freezes deeply', () => {
    const config = parseConfig(schema, {
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      DATABASE_URL: 'postgres://parley@127.0.0.1:5432/parley',
      LOG_PRETTY: 'false',
    });
    expect(config).toEqual({
      PORT: 8080,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      DATABASE_URL: 'postgres://parley@127.0.0.1:5432/parley',
      LOG_PRETTY: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.KAFKA_BROKERS)).toBe(true);
  });

  it('names every bad variable in one invalid_config error', () => {
    const parse = () => parseConfig(schema, { PORT: '70000', KAFKA_BROKERS: 'kafka', LOG_PRETTY: 'yes' });
    expect(parse).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        context: {
          variables: expect.arrayContaining(['PORT', 'KAFKA_BROKERS', 'DATABASE_URL', 'LOG_PRETTY']),
        },
      }),
    );
    expect(parse).toThrow(/PORT: .*KAFKA_BROKERS(\.0)?: expected host:port.*DATABASE_URL: .*LOG_PRETTY: /);
  });

  it('lower-cases host names of a host list, not the tenant ids of scoped entries', () => {
    const hosts = z.object({ ALLOW: envSchemas.hostList });
    expect(parseConfig(hosts, { ALLOW: ' LocalHost , CRM.internal:8443@AcmeCo,' }).ALLOW).toEqual([
      'localhost',
      'crm.internal:8443@AcmeCo',
    ]);
  });
});
