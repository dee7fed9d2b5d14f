// @ts-check
// A real PostgreSQL server from the machine's server binaries (Debian's `postgresql` package, or any
// installation with `initdb` and `postgres`), run as a local process on loopback. PostgreSQL refuses
// to run as root: when this runs as root, the server runs as an unprivileged user (`postgres`, else
// `nobody`) through setpriv. Data, logs and the pid file live under the data dir.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ensureServer, runToCompletion, serverStatus, stopProcess } from './processes.mjs';
import { InfraError } from './settings.mjs';

/** @typedef {import('./settings.mjs').InfraSettings} InfraSettings */

/** The database every Parley service uses (each in its own schema, with its own role). */
export const parleyDatabase = 'parley';
/** The superuser of the local server, used only to bootstrap the database and the roles. */
const adminRole = 'parley';
/**
 * One login role per service, each allowed to create (and so own) only its own schema. The local
 * server trusts loopback connections; the password matters where DATABASE_URL names a server that
 * checks passwords. Development and test roles only: production provisions its own (deploy/README.md).
 */
export const serviceRoles = Object.freeze({
  auth: 'parley_auth',
  history: 'parley_history',
  ingress: 'parley_ingress',
  integrations: 'parley_integrations',
});
const devPassword = 'parley-dev';

/** The server binaries: those in PARLEY_POSTGRES_BIN when set (no other), else the newest Debian installation, else PATH. @param {NodeJS.ProcessEnv} env */
export function findPostgresBinaries(env = process.env) {
  const chosen = env.PARLEY_POSTGRES_BIN;
  if (chosen) {
    // A folder named on purpose is the one to use: never another installation in its place.
    if (existsSync(join(chosen, 'postgres')) && existsSync(join(chosen, 'initdb')))
      return { initdb: join(chosen, 'initdb'), postgres: join(chosen, 'postgres') };
    throw new InfraError(
      `PARLEY_POSTGRES_BIN=${chosen} holds no PostgreSQL server binaries (initdb, postgres): point it at their folder (e.g. /usr/lib/postgresql/15/bin), or unset it to use the installed ones (apt-get install postgresql)`,
    );
  }
  /** @type {string[]} */
  const candidates = [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')))
      return { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') };
  }
  const which = spawnSync('sh', ['-c', 'command -v postgres && command -v initdb'], { encoding: 'utf8' });
  const [postgres, initdb] = which.stdout.trim().split('\n');
  if (which.status === 0 && postgres && initdb) return { initdb, postgres };
  throw new InfraError(
    'PostgreSQL server binaries (initdb, postgres) were not found: install them (apt-get install postgresql), set PARLEY_POSTGRES_BIN to their folder, or set DATABASE_URL to a running server',
  );
}

/**
 * Who runs the server: the current user, or an unprivileged one when this runs as root.
 * @returns {{ user: string, uid: number, gid: number } | undefined} undefined: run as ourselves
 */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0)
      return { user, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new InfraError('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL');
}

/** A command run as `user` (setpriv execs, so the pid is the server's own). @param {ReturnType<typeof serverUser>} user @param {string} command @param {string[]} args */
function asUser(user, command, args) {
  if (!user) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', command, ...args],
  };
}

/** Whether `user` can reach `dir` (every folder above it, and it, let the user through). */
function canReach(/** @type {ReturnType<typeof serverUser>} */ user, /** @type {string} */ dir) {
  if (!user) return true;
  const probe = asUser(user, 'test', ['-x', dir]);
  return spawnSync(probe.command, probe.args).status === 0;
}

/** @param {InfraSettings} settings */
function paths(settings) {
  const root = join(settings.dataDir, 'postgres');
  return {
    root,
    pidFile: join(root, 'postgres.pid'),
    logFile: join(root, 'postgres.log'),
    pointer: join(root, 'data-dir'),
  };
}

/**
 * The cluster's own folder. Under the data dir when the server's user can reach it (the folder is
 * made by us and handed to that user); a repository below /root cannot be reached by an
 * unprivileged user, so there the cluster lives under /var/tmp (named after the data dir, so two
 * checkouts never share one). A cluster made by an earlier start stays where it is.
 * @param {InfraSettings} settings @param {ReturnType<typeof serverUser>} user
 */
function clusterDir(settings, user) {
  const p = paths(settings);
  mkdirSync(p.root, { recursive: true });
  if (existsSync(p.pointer)) {
    const previous = readFileSync(p.pointer, 'utf8').trim();
    if (previous && existsSync(join(previous, '.initialised'))) return previous;
  }
  if (canReach(user, p.root)) return join(p.root, 'cluster');
  const id = createHash('sha256').update(settings.dataDir).digest('hex').slice(0, 12);
  return trustedFallback(join('/var/tmp', `parley-postgres-${id}`), user);
}

/**
 * A cluster folder in the world-writable /var/tmp is used only when it is ours: a real folder (not
 * a link), owned by root or the server's user, writable by its owner only. Anyone else could
 * otherwise plant a cluster (its configuration runs commands) before the first start.
 * @param {string} dir @param {ReturnType<typeof serverUser>} user
 */
function trustedFallback(dir, user) {
  if (!existsSync(dir)) {
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }
  const stat = lstatSync(dir);
  const owners = new Set([0, user?.uid ?? process.getuid?.()]);
  if (!stat.isDirectory() || stat.isSymbolicLink() || !owners.has(stat.uid) || (stat.mode & 0o022) !== 0) {
    throw new InfraError(
      `${dir} exists but is not a folder that only root or the server's user controls: remove it, or set PARLEY_INFRA_DATA_DIR to a folder the server's user can reach`,
    );
  }
  return dir;
}

/** @param {string} url */
async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    const result = await client.query('show server_version');
    return String(result.rows[0]?.server_version ?? 'unknown');
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The version string a PostgreSQL URL answers with, or undefined. @param {string} url */
export async function postgresVersion(url) {
  return answers(url);
}

/**
 * Creates the Parley database and the service roles when missing (idempotent). Needs a URL of a role
 * that may create databases and roles.
 * @param {string} adminUrl
 */
export async function bootstrapParleyDatabase(adminUrl) {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [parleyDatabase]);
    if (exists.rowCount === 0) {
      try {
        await admin.query(`create database ${parleyDatabase}`);
      } catch (error) {
        if (/** @type {{ code?: string }} */ (error).code !== '42P04') throw error; // created meanwhile
      }
    }
    for (const role of Object.values(serviceRoles)) {
      const found = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
      if (found.rowCount === 0) {
        try {
          await admin.query(`create role ${role} login password '${devPassword}'`);
        } catch (error) {
          if (/** @type {{ code?: string }} */ (error).code !== '42710') throw error; // created meanwhile
        }
      }
      // Each role may create schemas (its own) in the Parley database, and nothing else.
      await admin.query(`grant connect, create on database ${parleyDatabase} to ${role}`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * The URL a service connects with: its own role, the Parley database.
 * @param {string} adminUrl @param {keyof typeof serviceRoles} service
 */
export function serviceDatabaseUrl(adminUrl, service) {
  const url = new URL(adminUrl);
  url.username = serviceRoles[service];
  url.password = devPassword;
  url.pathname = `/${parleyDatabase}`;
  return url.toString();
}

/**
 * Starts PostgreSQL unless it runs already; returns the superuser URL.
 * @param {InfraSettings} settings
 * @returns {Promise<{ url: string, version: string, started: boolean, pid: number }>}
 */
export async function ensurePostgres(settings) {
  const p = paths(settings);
  const { host } = settings;
  const { port } = settings.postgres;
  const url = `postgres://${adminRole}@${host}:${port}/postgres`;
  const user = serverUser();
  const data = clusterDir(settings, user);
  const { pid, started } = await ensureServer({
    name: 'PostgreSQL',
    pidFile: p.pidFile,
    marker: join(data, 'pgdata'),
    logFile: p.logFile,
    host,
    port,
    portHint: 'set PARLEY_POSTGRES_PORT, or DATABASE_URL to use that server',
    timeoutMs: 60_000,
    ready: async () => Boolean(await answers(url)),
    prepare() {
      const binaries = findPostgresBinaries();
      const run = join(data, 'run');
      if (!existsSync(join(data, '.initialised'))) {
        console.error(`[infra] creating a PostgreSQL cluster in ${data}${user ? ` (as ${user.user})` : ''}`);
        mkdirSync(data, { recursive: true, mode: 0o700 });
        // What a start that died half-way left behind: initdb wants an empty folder.
        rmSync(join(data, 'pgdata'), { recursive: true, force: true });
        if (user) spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, data]);
        const initdb = asUser(user, binaries.initdb, [
          `--pgdata=${join(data, 'pgdata')}`,
          `--username=${adminRole}`,
          '--auth=trust',
          '--encoding=UTF8',
          '--no-locale',
        ]);
        runToCompletion(initdb.command, initdb.args, { what: 'initdb' });
        writeFileSync(join(data, '.initialised'), `${new Date().toISOString()}\n`);
      }
      // On every start, so that a start killed after initdb still leaves a working socket folder.
      mkdirSync(run, { recursive: true });
      if (user) spawnSync('chown', [`${user.uid}:${user.gid}`, run]);
      writeFileSync(p.pointer, `${data}\n`);
      return asUser(user, binaries.postgres, [
        '-D',
        join(data, 'pgdata'),
        '-c',
        `listen_addresses=${host}`,
        '-c',
        `port=${port}`,
        '-c',
        `unix_socket_directories=${run}`,
        '-c',
        'max_connections=300',
        // Statement counts for `npm run bench` (part of the server package).
        '-c',
        'shared_preload_libraries=pg_stat_statements',
        '-c',
        'log_min_messages=warning',
      ]);
    },
  });
  return { url, version: (await answers(url)) ?? 'unknown', started, pid };
}

/** The cluster the last start used (its path is what marks the server's process as ours). @param {InfraSettings} settings */
function marker(settings) {
  const p = paths(settings);
  return existsSync(p.pointer)
    ? join(readFileSync(p.pointer, 'utf8').trim(), 'pgdata')
    : join(p.root, 'cluster', 'pgdata');
}

/** @param {InfraSettings} settings */
export function postgresStatus(settings) {
  const p = paths(settings);
  return serverStatus(p.pidFile, marker(settings), `${settings.host}:${settings.postgres.port}`, p.logFile);
}

/** Fast shutdown (SIGINT: open sessions are ended, nothing committed is lost). @param {InfraSettings} settings */
export function stopPostgres(settings) {
  const p = paths(settings);
  return stopProcess(p.pidFile, marker(settings), 20_000, 'SIGINT');
}
