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
