import type { TestProject } from 'vitest/node';
import type { DevCertificates } from '../../scripts/infra/certs.mjs';
import { ensureInfrastructure } from '../../scripts/infra/index.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: {
      kafkaBrokers: string[];
      /** parley-admin's SASL login; null: a broker without SASL (ACL tests fail on it). */
      kafkaSasl: { mechanism: 'scram-sha-512'; username: string; password: string } | null;
      /** The launcher's SASL_SSL listener and the CA file of its dev certificate. */
      kafkaTls: { brokers: string[]; caFile: string } | null;
      databaseUrl: string;
      kafka: string;
      store: string;
      /** The dev PKI of the services' gRPC mutual TLS (scripts/infra/certs.mjs). */
      grpcTls: DevCertificates;
    };
  }
}

/** Ensures a real Kafka broker and a real PostgreSQL server for the integration tests, once per run. */
export default async function setup(project: TestProject) {
  const infra = await ensureInfrastructure();
  console.log(`\nIntegration tests use real servers:\n${infra.describe()}\n`);
  project.provide('infra', {
    kafkaBrokers: infra.kafka.brokers.split(','),
    kafkaSasl: infra.kafka.sasl ?? null,
    kafkaTls: infra.kafka.tls ? { ...infra.kafka.tls, brokers: infra.kafka.tls.brokers.split(',') } : null,
    databaseUrl: infra.postgres.url,
    kafka: infra.kafka.version,
    store: infra.postgres.version,
    grpcTls: infra.grpcTls,
  });
  return async () => {
    await infra.stop();
  };
}
