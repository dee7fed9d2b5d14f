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

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 's', version: '1', level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line.msg)).toEqual(['shown']);
  });
});
