import { z } from 'zod';
import { eventContracts } from './registry.js';

/**
 * The JSON Schema documents bot authors read, one per topic, keyed by file name. The committed
 * copies under `libs/contracts/json-schema/` are checked against this by a test.
 */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const contract of Object.values(eventContracts)) {
    const schema = {
      $id: `https://parley.dev/schemas/${contract.type}.json`,
      title: contract.type,
      description: `${contract.description} Topic: ${contract.topic}.`,
      ...z.toJSONSchema(contract.schema, { target: 'draft-2020-12' }),
    };
    files.set(`${contract.topic}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return files;
}
