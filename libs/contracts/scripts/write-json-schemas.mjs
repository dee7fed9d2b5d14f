// Writes the JSON Schema of every event to libs/contracts/json-schema/ from the built contracts.
// Run through `npm run contracts:schemas`, which builds first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderJsonSchemas } from '@parley/contracts';

const outDir = new URL('../json-schema/', import.meta.url);
mkdirSync(outDir, { recursive: true });
for (const [file, content] of renderJsonSchemas()) {
  writeFileSync(new URL(file, outDir), content);
  console.log(`wrote libs/contracts/json-schema/${file}`);
}
