import type { TestProject } from 'vitest/node';
import { ensureInfrastructure } from '../../scripts/infra/index.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: { kafkaBrokers: string[]; mongoUrl: string; kafka: string; store: string };
  }
}

/** Ensures real Kafka and a real MongoDB wire server for the integration tests, once per run. */
export default async function setup(project: TestProject) {
  const infra = await ensureInfrastructure();
  console.log(`\nIntegration tests use real servers:\n${infra.describe()}\n`);
  project.provide('infra', {
    kafkaBrokers: infra.kafka.brokers.split(','),
    mongoUrl: infra.mongo.url,
    kafka: infra.kafka.version,
    store: infra.mongo.version,
  });
  return async () => {
    await infra.stop();
  };
}
