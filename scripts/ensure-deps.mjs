#!/usr/bin/env node
// @ts-check
// Installs the npm dependencies when a fresh clone has none yet, so that `npm test` and
// `npm run up` work as the first command. Uses only Node's standard library.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  // npm install honours package-lock.json; npm ci is avoided because the registry reachable here
  // lacks some other-platform optional binaries, which npm ci reports as a lock file out of sync.
  console.log('[deps] node_modules is missing: running npm install');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('deps: npm install failed');
    process.exit(1);
  }
}
