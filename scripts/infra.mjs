#!/usr/bin/env node
// @ts-check
// npm run infra -- start | status | stop | env
//   start   start Kafka and the store as background processes (idempotent) and print where they listen
//   status  show what runs
//   stop    stop them
//   env     print KAFKA_BROKERS, DATABASE_URL (and the Kafka dev admin) for a shell (`eval "$(npm run -s infra -- env)"`)
import {
  ensureInfrastructure,
  InfraError,
  infrastructureStatus,
  stopInfrastructure,
} from './infra/index.mjs';

const command = process.argv[2] ?? 'status';

async function main() {
  switch (command) {
    case 'start':
    case 'env': {
      const infra = await ensureInfrastructure({ allowDocker: false });
      if (command === 'env') {
        console.log(`export KAFKA_BROKERS=${infra.kafka.brokers}\nexport DATABASE_URL=${infra.postgres.url}`);
        // The dev admin of the launcher's broker, for tests and scripts run against it (docs/kafka.md).
        if (infra.kafka.sasl) {
          console.log(
            `export PARLEY_KAFKA_ADMIN_USERNAME=${infra.kafka.sasl.username}\nexport PARLEY_KAFKA_ADMIN_PASSWORD=${infra.kafka.sasl.password}`,
          );
        }
      } else console.log(infra.describe());
      return;
    }
    case 'status': {
      const status = infrastructureStatus();
      for (const [name, server] of Object.entries({ kafka: status.kafka, postgres: status.postgres })) {
        console.log(
          `${name}: ${server.pid ? `running (pid ${server.pid}) on ${server.address}` : 'stopped'} — log ${server.log}`,
        );
      }
      return;
    }
    case 'stop': {
      const stopped = await stopInfrastructure();
      console.log(
        `kafka: ${stopped.kafka ? 'stopped' : 'was not running'}\npostgres: ${stopped.postgres ? 'stopped' : 'was not running'}`,
      );
      return;
    }
    default:
      throw new InfraError(`unknown command "${command}": use start, status, stop or env`);
  }
}

main().catch((error) => {
  console.error(error instanceof InfraError ? `infra: ${error.message}` : error);
  process.exit(error instanceof InfraError ? 2 : 1);
});
