import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from './render.js';

/** A Kafka consumer as a service's code declares it (services/<name>/src/consumers/*.ts). */
export interface CodeConsumer {
  readonly service: string;
  readonly file: string;
  /** The fixed group id, or undefined when it is computed (e.g. one group per ingress pod). */
  readonly groupId: string | undefined;
  /** Base topic names with a handler (without KAFKA_TOPIC_PREFIX). */
  readonly topics: string[];
}

/** Every consumer in the services' code, read from its source the way a person would grep it. */
export function consumersInCode(): CodeConsumer[] {
  const servicesDir = join(repositoryRoot, 'services');
  return readdirSync(servicesDir).flatMap((service) => {
    const dir = join(servicesDir, service, 'src/consumers');
    let files: string[];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    } catch {
      return [];
    }
    return files.flatMap((file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      const group = /groupId:\s*(['"`])([^'"`]*)\1/.exec(source);
      if (!group) return [];
      const fixed = group[1] !== '`' || !group[2]?.includes('${');
      const handlers = source.slice(source.indexOf('handlers:'));
      const topics = [...handlers.matchAll(/['"]([a-z0-9-]+(?:\.[a-z0-9-]+)+\.v\d+)['"]\s*:/g)].map(
        (match) => match[1] as string,
      );
      return [
        {
          service,
          file: `services/${service}/src/consumers/${file}`,
          groupId: fixed ? group[2] : undefined,
          topics,
        },
      ];
    });
  });
}
