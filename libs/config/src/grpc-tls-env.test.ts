import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCa } from '../../../scripts/infra/certs.mjs';
import { grpcTlsEnv, parseConfig } from './index.js';

describe('grpcTlsEnv', () => {
  const schema = z.object(grpcTlsEnv);

  it('takes the paths of PEM files that exist and hold what they should', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-tls-env-'));
    const ca = await createCa();
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'ca.key'), ca.keyPem);
    writeFileSync(join(dir, 'junk'), 'hello');
    const env = {
      GRPC_TLS_CA_FILE: join(dir, 'ca.crt'),
      GRPC_TLS_CERT_FILE: join(dir, 'ca.crt'),
      GRPC_TLS_KEY_FILE: join(dir, 'ca.key'),
    };
    expect(parseConfig(schema, env)).toEqual(env);

    const problems = () =>
      parseConfig(schema, {
        GRPC_TLS_CA_FILE: join(dir, 'missing.crt'),
        GRPC_TLS_CERT_FILE: join(dir, 'junk'),
        GRPC_TLS_KEY_FILE: join(dir, 'ca.crt'),
      });
    expect(problems).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        context: { variables: ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'] },
      }),
    );
    expect(problems).toThrow(
      /GRPC_TLS_CA_FILE: cannot read .*missing\.crt \(ENOENT\).*GRPC_TLS_CERT_FILE: .*junk holds no PEM certificate.*GRPC_TLS_KEY_FILE: .*ca\.crt holds no PEM private key/,
    );
  });

  it('is mandatory: there is no plaintext gRPC', () => {
    expect(() => parseConfig(schema, {})).toThrow(
      expect.objectContaining({
        context: { variables: ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'] },
      }),
    );
  });
});
