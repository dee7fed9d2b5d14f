import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedEnvFile, parseKafkaAccessScript, readCompose, serviceEnv } from './support/compose.js';
import { expectedAcls, kafkaAccessFile, kafkaPrincipals } from './support/kafka-access.js';
import { repositoryRoot } from './support/render.js';
import { knownVariables, services } from './support/service-env.js';

const compose = readCompose();
const dotEnv = generatedEnvFile();
const composeDir = join(repositoryRoot, 'deploy/compose');
const grpcServices = services.filter((service) => knownVariables(service).includes('GRPC_TLS_CERT_FILE'));
const passwordVariable = (service: string) => `KAFKA_PASSWORD_${service.toUpperCase()}`;

/** The broker's server.properties as kafka-start.sh writes it (its heredoc), key → value. */
function brokerProperties(): Record<string, string> {
  const script = readFileSync(join(composeDir, 'kafka-start.sh'), 'utf8');
  const body = /cat >"\$config" <<EOF\n([\s\S]*?)\nEOF/.exec(script)?.[1] ?? '';
  return Object.fromEntries(
    body
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The script kafka-access.mjs makes from kafka-access.json, with `prefix` as KAFKA_TOPIC_PREFIX. */
function kafkaAccessScript(prefix: string): string {
  return execFileSync(process.execPath, [join(composeDir, 'kafka-access.mjs'), kafkaAccessFile], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix },
  });
}

describe('Kafka in docker-compose.yml', () => {
  it('is Kafka 4 with SASL SCRAM-SHA-512 on every client listener and the StandardAuthorizer', () => {
    for (const name of ['kafka', 'kafka-setup'])
      expect(compose.services[name]?.image, name).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    const properties = brokerProperties();
    const protocols = Object.fromEntries(
      (properties['listener.security.protocol.map'] ?? '').split(',').map((pair) => pair.split(':')),
    );
    expect(protocols).toEqual({
      INTERNAL: 'SASL_PLAINTEXT',
      HOST: 'SASL_PLAINTEXT',
      CONTROLLER: 'SASL_PLAINTEXT',
    });
    expect(properties['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(properties['authorizer.class.name']).toBe(
      'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    );
    expect(properties['allow.everyone.if.no.acl.found']).toBe('false');
    expect(properties['super.users']).toBe('User:parley-admin;User:parley-controller');
    expect(properties['auto.create.topics.enable']).toBe('false');
    expect(compose.services.kafka?.ports).toEqual(['127.0.0.1:29092:29092']);
  });

  it.each(kafkaPrincipals.map((principal) => [principal.service, principal] as const))(
    '%s signs in as its own principal with its own password from .env',
    (service, principal) => {
      const env = serviceEnv(compose.services[service] ?? {}, dotEnv);
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
      expect(env.KAFKA_SASL_USERNAME).toBe(principal.user);
      expect(env.KAFKA_SASL_PASSWORD).toBe(dotEnv[passwordVariable(service)]);
      expect(env.KAFKA_SASL_PASSWORD).toMatch(/^[A-Za-z0-9_-]{24,}$/);
      // kafka-setup gives the user that password.
      const setup = serviceEnv(compose.services['kafka-setup'] ?? {}, dotEnv);
      expect(setup[passwordVariable(service)]).toBe(env.KAFKA_SASL_PASSWORD);
    },
  );

  it('gives no other container a Kafka password', () => {
    const holders = Object.entries(compose.services)
      .filter(([, entry]) =>
        Object.keys(entry.environment ?? {}).some((name) => /^KAFKA_(SASL_)?PASSWORD/.test(name)),
      )
      .map(([name]) => name);
    expect(holders.sort()).toEqual(
      [...kafkaPrincipals.map((principal) => principal.service), 'kafka-setup'].sort(),
    );
  });

  it('grants exactly the ACLs of kafka-access.json, through commands made from that file', () => {
    const access = compose.services['kafka-access'] ?? {};
    expect(access.volumes).toContain('../../libs/contracts/kafka-access.json:/parley/kafka-access.json:ro');
    const prefix = serviceEnv(access, dotEnv).KAFKA_TOPIC_PREFIX ?? '';
    expect(prefix).toBe(serviceEnv(compose.services.history ?? {}, dotEnv).KAFKA_TOPIC_PREFIX);
    for (const candidate of [prefix, 'staging.']) {
      const granted = parseKafkaAccessScript(kafkaAccessScript(candidate));
      expect(Object.keys(granted.acls).sort(), candidate).toEqual(kafkaPrincipals.map((p) => p.user).sort());
      for (const principal of kafkaPrincipals) {
        expect(granted.acls[principal.user], `${principal.user} ${candidate}`).toEqual(
          expectedAcls(principal, candidate),
        );
        expect(granted.passwords[principal.user]).toBe(passwordVariable(principal.service));
      }
    }
    const setup = ([] as string[]).concat(compose.services['kafka-setup']?.command ?? []).join('\n');
    expect(setup).toContain('bash /kafka-access/kafka-access.sh');
  });
});

describe('gRPC mutual TLS in docker-compose.yml', () => {
  it.each(grpcServices.map((service) => [service.name] as const))(
    '%s mounts only its own certificate volume, read-only, made by grpc-certs before it starts',
    (name) => {
      const entry = compose.services[name] ?? {};
      const env = serviceEnv(entry, dotEnv);
      expect([env.GRPC_TLS_CA_FILE, env.GRPC_TLS_CERT_FILE, env.GRPC_TLS_KEY_FILE]).toEqual([
        '/etc/parley/grpc-tls/ca.crt',
        '/etc/parley/grpc-tls/tls.crt',
        '/etc/parley/grpc-tls/tls.key',
      ]);
      const grpcVolumes = (entry.volumes ?? []).filter((volume) => volume.startsWith('grpc-'));
      expect(grpcVolumes).toEqual([`grpc-tls-${name}:/etc/parley/grpc-tls:ro`]);
      expect(entry.depends_on?.['grpc-certs']).toEqual({ condition: 'service_completed_successfully' });
      expect(compose.services['grpc-certs']?.volumes).toContain(`grpc-tls-${name}:/pki/${name}`);
    },
  );

  it('keeps the CA key in a volume only grpc-certs mounts', () => {
    const mounting = Object.entries(compose.services)
      .filter(([, entry]) => (entry.volumes ?? []).some((volume) => volume.startsWith('grpc-ca:')))
      .map(([name]) => name);
    expect(mounting).toEqual(['grpc-certs']);
    expect(compose.services['grpc-certs']?.command).toEqual(['bash', '/parley/grpc-certs.sh', '/pki']);
  });
});

describe('deploy/compose/grpc-certs.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-grpc-certs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = () => execFileSync('bash', [join(composeDir, 'grpc-certs.sh'), dir], { encoding: 'utf8' });
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  const firstRun = run();

  it.each(grpcServices.map((service) => [service.name] as const))(
    'issues %s a certificate of the CA for its SPIFFE identity and name, ECDSA P-256, server and client auth',
    (name) => {
      const ca = new X509Certificate(read('ca/ca.crt'));
      const certificate = new X509Certificate(read(`${name}/tls.crt`));
      expect(read(`${name}/ca.crt`)).toBe(read('ca/ca.crt'));
      expect(certificate.checkIssued(ca) && certificate.verify(ca.publicKey)).toBe(true);
      expect(certificate.subjectAltName?.split(', ')).toEqual(
        expect.arrayContaining([`URI:spiffe://parley.local/${name}`, `DNS:${name}`]),
      );
      expect(certificate.ca).toBe(false);
      // serverAuth, clientAuth
      expect(certificate.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(certificate.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
      expect(certificate.checkPrivateKey(createPrivateKey(read(`${name}/tls.key`)))).toBe(true);
    },
  );

  it('keeps valid certificates on the next run, and reissues all for a new CA', () => {
    expect(firstRun).toContain('made a new CA');
    const before = read('auth/tls.crt');
    expect(run()).toBe('');
    expect(read('auth/tls.crt')).toBe(before);
    rmSync(join(dir, 'ca'), { recursive: true });
    expect(run()).toContain('issued spiffe://parley.local/auth');
    expect(read('auth/tls.crt')).not.toBe(before);
    expect(
      new X509Certificate(read('auth/tls.crt')).checkIssued(new X509Certificate(read('ca/ca.crt'))),
    ).toBe(true);
  });
});
