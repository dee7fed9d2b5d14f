import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repositoryRoot } from './render.js';

export interface ComposeService {
  readonly image?: string;
  readonly build?: {
    readonly context: string;
    readonly dockerfile: string;
    readonly args?: Record<string, string>;
  };
  readonly environment?: Record<string, string | number | boolean | null>;
  readonly command?: string | string[];
  readonly entrypoint?: string | string[];
  readonly read_only?: boolean;
  readonly cap_drop?: string[];
  readonly user?: string;
  readonly ports?: string[];
  readonly restart?: string;
  readonly volumes?: string[];
  readonly depends_on?: Record<string, { readonly condition: string }>;
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
}

export const composeFile = join(repositoryRoot, 'deploy/compose/docker-compose.yml');

/** The compose file with YAML merge keys (`<<: *defaults`) resolved, as Docker Compose reads it. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(composeFile, 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * What deploy/compose/generate-env.sh writes, generated in a scratch copy (never the real .env);
 * `existing` is a .env the script finds there.
 */
export function generatedEnvFile(existing?: string): Record<string, string> {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-compose-env-'));
  try {
    copyFileSync(join(repositoryRoot, 'deploy/compose/generate-env.sh'), join(scratch, 'generate-env.sh'));
    if (existing !== undefined) writeFileSync(join(scratch, '.env'), existing);
    execFileSync('bash', [join(scratch, 'generate-env.sh')], { encoding: 'utf8' });
    const text = readFileSync(join(scratch, '.env'), 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Docker Compose's interpolation of `$$`, `${NAME}`, `${NAME:-default}` and `${NAME:?error}` with
 * `env` (the .env file); an unset `:?` variable throws, as `docker compose` refuses to start.
 */
export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (whole, name, kind, arg) => {
      if (whole === '$$') return '$';
      const current = env[name as string];
      if (kind === '-') return current ? current : (arg as string);
      if (kind === '?' && !current) throw new Error(`${name}: ${arg}`);
      return current ?? '';
    },
  );
}

/** A service's environment as its process sees it. */
export function serviceEnv(
  service: ComposeService,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(String(value ?? ''), env),
    ]),
  );
}

/** What one generated kafka-access.sh grants, per principal, in the units of support/kafka-access.ts. */
export interface ScriptedKafkaAccess {
  /** User → the variable its SCRAM password is taken from. */
  readonly passwords: Record<string, string>;
  /** User → its ACL entries, sorted. */
  readonly acls: Record<string, string[]>;
}

/**
 * Reads the kafka-configs.sh and kafka-acls.sh commands of a script made by
 * deploy/compose/kafka-access.mjs back into users, password variables and ACL entries; a line it
 * does not understand throws, so the check cannot pass by skipping commands.
 */
export function parseKafkaAccessScript(script: string): ScriptedKafkaAccess {
  const passwords: Record<string, string> = {};
  const acls: Record<string, string[]> = {};
  for (const line of script.split('\n')) {
    if (!line.startsWith('/opt/kafka/bin/')) continue;
    const configs =
      /kafka-configs\.sh .* --entity-type users --entity-name (\S+) --add-config "SCRAM-SHA-512=\[password=\$\{(\w+):\?\}\]"$/.exec(
        line,
      );
    if (configs) {
      passwords[configs[1] as string] = configs[2] as string;
      continue;
    }
    const acl =
      /kafka-acls\.sh .* --add --allow-principal User:(\S+) (.*) --resource-pattern-type (literal|prefixed)$/.exec(
        line,
      );
    if (!acl) throw new Error(`kafka-access.sh: unexpected command ${line}`);
    const [, user = '', rest = '', patternType = ''] = acl;
    const operations = [...rest.matchAll(/--operation (\w+)/g)].map((match) => match[1] as string);
    const resources = [...rest.matchAll(/--(topic|group) (\S+)/g)].map(
      (match) => [match[1], match[2]] as const,
    );
    const pattern = patternType === 'prefixed' ? 'prefix' : 'literal';
    const granted = acls[user] ?? [];
    for (const [type, name] of resources)
      for (const operation of operations) granted.push(`${type}:${pattern}:${name}:${operation}`);
    acls[user] = granted;
  }
  for (const user of Object.keys(acls)) acls[user]?.sort();
  return { passwords, acls };
}
