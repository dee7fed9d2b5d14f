import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('binds service and version and writes JSON with a string level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'auth', version: '1.2.3', destination });
    logger.child({ requestId: 'r1' }).info({ channelId: 'web' }, 'channel saved');
    expect(lines[0]).toMatchObject({
      service: 'auth',
      version: '1.2.3',
      level: 'info',
      requestId: 'r1',
      channelId: 'web',
      msg: 'channel saved',
    });
  });

  it('redacts tokens, secrets, codes and authorization headers', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'auth', version: '1', destination });
    logger.info(
      {
        accessToken: 'at-secret',
        grant: { refresh_token: 'rt-secret', code: 'auth-code', clientSecret: 'cs' },
        req: { headers: { authorization: 'Bearer s3cr3t', 'x-api-key': 'k', host: 'parley' } },
      },
      'token exchanged',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of ['at-secret', 'rt-secret', 'auth-code', '"cs"', 's3cr3t', '"k"']) {
      expect(line).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({ req: { headers: { host: 'parley', authorization: '[redacted]' } } });
  });

  it('redacts at any depth and in any key case, inside errors and their causes', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'auth', version: '1', destination });
    const cause = Object.assign(new Error('brand said 401'), {
      config: { headers: { Authorization: 'Bearer deep-secret' } },
    });
    const err = Object.assign(new Error('token exchange failed', { cause }), {
      code: 'ECONNRESET',
      response: { headers: { authorization: 'Bearer on-the-error' } },
    });
    logger.error(
      {
        err,
        options: { headers: { Authorization: 'Bearer s1', 'Set-Cookie': 'sid=s2' } },
        grant: { tokens: { access_token: 's3', client_assertion: 's4' } },
        list: [{ API_KEY: 's5' }],
        env: { KAFKA_SASL_PASSWORD: 's6-kafka' },
        body: { code: 'SplxlOBeZQQYbYS6WxSbIA', redirectUri: 'https://brand.example/cb' },
      },
      'exchange failed',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of [
      'deep-secret',
      'on-the-error',
      's1',
      'sid=s2',
      '"s3"',
      '"s4"',
      '"s5"',
      'SplxlOBeZQQYbYS6WxSbIA',
      's6-kafka',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      err: { message: expect.stringContaining('token exchange failed'), code: 'ECONNRESET' },
      body: { redirectUri: 'https://brand.example/cb' },
    });
  });

  it('fails closed through the logger: deep, cyclic, Map and toJSON secrets are never written', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'auth', version: '1', destination });
    let deep: Record<string, unknown> = { token: 'deep-logged-secret' };
    for (let i = 0; i < 12; i += 1) deep = { level: deep };
    const cyclic: Record<string, unknown> = { password: 'cyclic-logged-secret' };
    cyclic.self = cyclic;
    logger.child({ session: { toJSON: () => ({ sessionToken: 'binding-secret' }) } }).error(
      {
        deep,
        cyclic,
        headers: new Map([['authorization', 'Bearer map-logged-secret']]),
        grant: { toJSON: () => ({ refresh_token: 'tojson-logged-secret' }) },
      },
      'failed',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of [
      'deep-logged-secret',
      'cyclic-logged-secret',
      'map-logged-secret',
      'tojson-logged-secret',
      'binding-secret',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[Redacted: too deep]');
  });

  it('redacts child and grandchild bindings, which pino does not pass to formatters.bindings', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'auth', version: '1', destination });
    logger
      .child({ token: 'child-secret', requestId: 'r1' })
      .child({ headers: { authorization: 'Bearer grandchild-secret' } }, { msgPrefix: '[x] ' })
      .info('bound');
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('child-secret');
    expect(line).not.toContain('grandchild-secret');
    expect(lines[0]).toMatchObject({ requestId: 'r1', token: '[redacted]', msg: '[x] bound' });
  });

  it('keeps error codes, which are not secrets', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'bus', version: '1', destination });
    logger.warn({ code: 'invalid_event', err: Object.assign(new Error('dup'), { code: 11000 }) }, 'failed');
    expect(lines[0]).toMatchObject({ code: 'invalid_event', err: { code: 11000 } });
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 's', version: '1', level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line.msg)).toEqual(['shown']);
  });
});
