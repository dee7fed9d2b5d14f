// @ts-check
// FerretDB 1.x, a MongoDB wire-protocol server, built from source with `go install` (Go module proxy)
// and run on its SQLite backend. Built once per version into the cache.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureServer, requireCommand, runToCompletion, serverStatus, stopProcess } from './processes.mjs';
import { repoRoot } from './settings.mjs';

/** @typedef {import('./settings.mjs').InfraSettings} InfraSettings */

/** @param {InfraSettings} settings */
function paths(settings) {
  const buildRoot = join(settings.cacheDir, 'ferretdb', settings.ferretdb.version);
  const dataRoot = join(settings.dataDir, 'ferretdb');
  return {
    buildDir: join(buildRoot, 'build'),
    binary: join(buildRoot, 'bin', 'ferretdb'),
    binDir: join(buildRoot, 'bin'),
    dataRoot,
    sqliteDir: join(dataRoot, 'sqlite'),
    pidFile: join(dataRoot, 'ferretdb.pid'),
    logFile: join(dataRoot, 'ferretdb.log'),
  };
}

/**
 * `go install` of the pinned module (scripts/infra/ferretdb/go.mod). The module proxy's copy of
 * FerretDB lacks the generated build/version/version.txt that the binary embeds, so the build
 * vendors the module and writes that file first; `go install pkg@version` cannot be used because
 * the proxy here refuses the version-list request it makes.
 * @param {InfraSettings} settings
 */
function ensureBinary(settings) {
  const p = paths(settings);
  if (existsSync(p.binary)) return false;
  requireCommand(
    'go',
    ['version'],
    'to build FerretDB (the local MongoDB-compatible store)',
    'install Go 1.22+ (apt-get install golang), or set MONGO_URL to a running MongoDB',
  );
  console.error(
    `[infra] building FerretDB ${settings.ferretdb.version} with go install (first run only, about a minute)`,
  );
  rmSync(p.buildDir, { recursive: true, force: true });
  mkdirSync(p.buildDir, { recursive: true });
  for (const file of ['go.mod', 'go.sum', 'tools.go'])
    cpSync(join(repoRoot, 'scripts/infra/ferretdb', file), join(p.buildDir, file));
  const env = {
    ...process.env,
    GOFLAGS: '-buildvcs=false',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOBIN: p.binDir,
  };
  runToCompletion('go', ['mod', 'vendor'], { cwd: p.buildDir, env, what: 'fetching FerretDB sources' });
  writeFileSync(
    join(p.buildDir, 'vendor/github.com/FerretDB/FerretDB/build/version/version.txt'),
    `${settings.ferretdb.version}\n`,
  );
  runToCompletion('go', ['install', '-mod=vendor', 'github.com/FerretDB/FerretDB/cmd/ferretdb'], {
    cwd: p.buildDir,
    env,
    what: 'building FerretDB',
  });
  rmSync(p.buildDir, { recursive: true, force: true });
  return true;
}

/** @param {string} url @returns {Promise<{ version: string, ferretdbVersion?: string } | undefined>} */
export async function mongoBuildInfo(url) {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return {
      version: String(info.version),
      ferretdbVersion: info.ferretdbVersion ? String(info.ferretdbVersion) : undefined,
    };
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Starts FerretDB unless it runs already.
 * @param {InfraSettings} settings
 * @returns {Promise<{ url: string, version: string, started: boolean, pid: number }>}
 */
export async function ensureFerretDB(settings) {
  const p = paths(settings);
  const { host } = settings;
  const { port, debugPort, version } = settings.ferretdb;
  const url = `mongodb://${host}:${port}/`;
  const stateDirFlag = `--state-dir=${p.dataRoot}`;
  const { pid, started } = await ensureServer({
    name: 'FerretDB',
    pidFile: p.pidFile,
    marker: stateDirFlag,
    logFile: p.logFile,
    host,
    port,
    portHint: 'set PARLEY_MONGO_PORT, or MONGO_URL to use that server',
    timeoutMs: 30_000,
    ready: async () => Boolean(await mongoBuildInfo(url)),
    prepare() {
      ensureBinary(settings);
      mkdirSync(p.sqliteDir, { recursive: true });
      const args = [
        '--handler=sqlite',
        `--sqlite-url=file:${p.sqliteDir}/`,
        stateDirFlag,
        `--listen-addr=${host}:${port}`,
        `--debug-addr=${host}:${debugPort}`,
        '--telemetry=disable',
        '--log-format=json',
        '--log-level=warn',
      ];
      return { command: p.binary, args };
    },
  });
  return { url, version, started, pid };
}

/** @param {InfraSettings} settings */
export function ferretdbStatus(settings) {
  const p = paths(settings);
  return serverStatus(
    p.pidFile,
    `--state-dir=${p.dataRoot}`,
    `${settings.host}:${settings.ferretdb.port}`,
    p.logFile,
  );
}

/** @param {InfraSettings} settings */
export function stopFerretDB(settings) {
  const p = paths(settings);
  return stopProcess(p.pidFile, `--state-dir=${p.dataRoot}`, 10_000);
}
