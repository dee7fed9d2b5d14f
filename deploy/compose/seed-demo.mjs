// @ts-check
// The demo tenant of the Docker Compose system (what `npm run up` does after starting the services):
// an admin API key stores channel "web" of tenant "demo" pointing at the demo brand, and a bot key is
// written to DEMO_BOT_KEY_FILE for the demo bot, whose state folder DEMO_BOT_STATE_DIR (its stream
// cursor) is handed to the bot's user. Runs in the ingress image, whose create-api-key command makes
// the keys (printed once, stored hashed). Running it again makes new keys and stores the same channel.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`seed-demo: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const ingressUrl = required('PARLEY_INGRESS_URL');
const brandIssuer = required('DEMO_BRAND_ISSUER');
const clientSecret = required('DEMO_CLIENT_SECRET');
const webOrigin = required('DEMO_WEB_ORIGIN');
const botKeyFile = required('DEMO_BOT_KEY_FILE');
const botStateDir = required('DEMO_BOT_STATE_DIR');
/** The user the images run as (deploy/docker/Dockerfile). */
const botUser = 10001;

/** @param {string} name @param {string} scope */
function createApiKey(name, scope) {
  const result = spawnSync(
    process.execPath,
    ['dist/create-api-key.js', '--tenant', 'demo', '--name', name, '--scope', scope],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    process.stderr.write(`seed-demo: could not create the ${name} API key: ${result.stderr.trim()}\n`);
    process.exit(1);
  }
  return result.stdout.trim();
}

const adminKey = createApiKey('demo-admin', 'admin');
const response = await fetch(`${ingressUrl}/v1/admin/channels/web`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({
    issuer: brandIssuer,
    client: { clientId: 'parley-demo', clientSecret },
    redirectUris: [`${webOrigin}/callback`],
    customerDataUrl: `${brandIssuer}/me`,
    mapping: { customFields: { tier: '$.tier', openCase: '$.open_case' } },
  }),
});
if (!response.ok) {
  process.stderr.write(
    `seed-demo: could not store the demo channel: ${response.status} ${await response.text()}\n`,
  );
  process.exit(1);
}
writeFileSync(botKeyFile, `${createApiKey('demo-bot', 'bot')}\n`, { mode: 0o644 });
// Mode first: once the bot's user owns it, root without capabilities may no longer change it.
mkdirSync(botStateDir, { recursive: true });
chmodSync(botStateDir, 0o700);
chownSync(botStateDir, botUser, botUser);
process.stdout.write(
  `seed-demo: channel "web" of tenant "demo" points at ${brandIssuer}; bot key in ${botKeyFile}\n`,
);
