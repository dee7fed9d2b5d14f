import type { TestProject } from 'vitest/node';
import { ensureInfrastructure } from '../../scripts/infra/index.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: { kafkaBrokers: string[]; databaseUrl: string; kafka: string; store: string };
  }
}

/** Ensures a real Kafka broker and a real PostgreSQL server for the integration tests, once per run. */
export default async function setup(project: TestProject) {
  const infra = await ensureInfrastructure();
  console.log(`\nIntegration tests use real servers:\n${infra.describe()}\n`);
  project.provide('infra', {
    kafkaBrokers: infra.kafka.brokers.split(','),
    databaseUrl: infra.postgres.url,
    kafka: infra.kafka.version,
    store: infra.postgres.version,
  });
  return async () => {
    await infra.stop();
  };
}
