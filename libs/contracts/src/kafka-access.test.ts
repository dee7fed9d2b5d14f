import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type KafkaAccess, loadKafkaAccess, topicNames } from './index.js';

/** docs/kafka.md's table of principals, as it must read for kafka-access.json. */
function accessTable(access: KafkaAccess): string {
  const list = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(', ') || '—';
  const rows = Object.entries(access.principals).map(([service, { user, consumes, produces, groups }]) =>
    [
      `\`${user}\` (${service})`,
      list(consumes),
      list([...produces, ...consumes.map((topic) => `${topic}.dlq`)]),
      groups.map(({ name, pattern }) => `\`${name}\` (${pattern})`).join(', '),
    ].join(' | '),
  );
  return [
    '| Principal | READ, DESCRIBE | WRITE, DESCRIBE | READ on groups |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

describe('kafka-access.json', () => {
  const access = loadKafkaAccess();
  const principals = Object.entries(access.principals);

  it('names only topics of the event registry, each produced and consumed by someone', () => {
    const raw = JSON.parse(readFileSync(new URL('../kafka-access.json', import.meta.url), 'utf8')) as {
      principals: Record<string, { produces: string[]; consumes: string[] }>;
    };
    const named = Object.values(raw.principals).flatMap(({ produces, consumes }) => [
      ...produces,
      ...consumes,
    ]);
    expect(named.filter((topic) => !(topicNames as string[]).includes(topic))).toEqual([]);
    for (const topic of topicNames) {
      const producers = principals.filter(([, p]) => p.produces.includes(topic));
      const consumers = principals.filter(([, p]) => p.consumes.includes(topic));
      expect(producers.length, `producers of ${topic}`).toBeGreaterThan(0);
      expect(consumers.length, `consumers of ${topic}`).toBeGreaterThan(0);
    }
  });

  it('gives every service its own parley-<service> user, and a consumer its groups', () => {
    for (const [service, { user, consumes, groups }] of principals) {
      expect(user).toBe(`parley-${service}`);
      expect(groups.length > 0, service).toBe(consumes.length > 0);
    }
  });

  it('is the table docs/kafka.md shows', () => {
    const doc = readFileSync(new URL('../../../docs/kafka.md', import.meta.url), 'utf8');
    const table = /<!-- kafka-access table -->\n([\s\S]*?)\n\n/.exec(doc)?.[1];
    // Cells compared without the padding Biome's Markdown formatter adds.
    const cells = (markdown: string | undefined) =>
      markdown?.split('\n').map((row) =>
        row
          .split('|')
          .map((cell) => cell.trim())
          .map((cell) => (/^-+$/.test(cell) ? '---' : cell)),
      );
    expect(cells(table), 'docs/kafka.md has the table after <!-- kafka-access table -->').toEqual(
      cells(accessTable(access)),
    );
  });
});
