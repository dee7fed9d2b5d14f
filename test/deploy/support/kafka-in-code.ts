import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repositoryRoot } from './render.js';

/** A Kafka consumer as a service's code declares it (services/<name>/src/consumers/*.ts). */
export interface CodeConsumer {
  readonly service: string;
  readonly file: string;
  /** The fixed group id, or undefined when it is computed (e.g. one group per ingress pod). */
  readonly groupId: string | undefined;
  /** What every group id starts with: the fixed id, or the literal text before the computed part. */
  readonly groupPrefix: string;
  /** Base topic names with a handler (without KAFKA_TOPIC_PREFIX). */
  readonly topics: string[];
}

/** The topics a service's code publishes to (`….publish('<topic>', …)`), base names. */
export interface CodeProducer {
  readonly service: string;
  readonly topics: string[];
}

const servicesDir = join(repositoryRoot, 'services');
const topicName = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+\.v\d+$/;

function serviceNames(): string[] {
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The service's TypeScript sources outside tests, without comments (examples in TSDoc do not count). */
function sources(dir: string): { file: string; source: string }[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!entry.name.endsWith('.ts') || /\.(test|contract)\.ts$/.test(entry.name)) return [];
    const source = readFileSync(path, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    return [{ file: relative(repositoryRoot, path), source }];
  });
}

/** Every consumer in the services' code, read from its source the way a person would grep it. */
export function consumersInCode(): CodeConsumer[] {
  return serviceNames().flatMap((service) =>
    sources(join(servicesDir, service, 'src/consumers')).flatMap(({ file, source }) => {
      const group = /groupId:\s*(['"`])([^'"`]*)\1/.exec(source);
      if (!group) return [];
      const text = group[2] ?? '';
      const computed = group[1] === '`' && text.includes('${');
      const handlers = source.slice(source.indexOf('handlers:'));
      const topics = [...handlers.matchAll(/['"]([a-z0-9-]+(?:\.[a-z0-9-]+)+\.v\d+)['"]\s*:/g)].map(
        (match) => match[1] as string,
      );
      return [
        {
          service,
          file,
          groupId: computed ? undefined : text,
          groupPrefix: computed ? text.slice(0, text.indexOf('${')) : text,
          topics,
        },
      ];
    }),
  );
}

/** Every service's published topics, from its `publish('<topic>'` calls. */
export function producersInCode(): CodeProducer[] {
  return serviceNames().map((service) => {
    const topics = new Set<string>();
    for (const { source } of sources(join(servicesDir, service, 'src'))) {
      for (const match of source.matchAll(/\.publish\(\s*['"]([^'"]+)['"]/g)) {
        if (topicName.test(match[1] as string)) topics.add(match[1] as string);
      }
    }
    return { service, topics: [...topics].sort() };
  });
}
