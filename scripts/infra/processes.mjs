// @ts-check
// Detached server processes with pid files, so that start is idempotent and stop works from any shell.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './settings.mjs';

/** @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** @param {number} pid @returns {string} the command line of a live process, or '' */
function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout : '';
  }
}

/**
 * The pid in a pid file when that process is alive and is ours: its command line contains
 * `marker` (a path unique to this data directory). A pid reused by an unrelated process after a
 * reboot is never signalled.
 * @param {string} pidFile @param {string} marker @returns {number | undefined}
 */
export function runningPid(pidFile, marker) {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return commandLine(pid).includes(marker) ? pid : undefined;
}

/** @param {string} host @param {number} port @returns {Promise<boolean>} */
export function portAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * @param {{ name: string, command: string, args: string[], pidFile: string, logFile: string, env?: NodeJS.ProcessEnv, cwd?: string }} options
 * @returns {number} the pid
 */
export function startDetached({ name, command, args, pidFile, logFile, env, cwd }) {
  mkdirSync(dirname(pidFile), { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: env ?? process.env,
    cwd,
  });
  closeSync(out);
  if (!child.pid) throw new InfraError(`${name} did not start (${command} ${args.join(' ')})`);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

/**
 * Waits until `ready()` answers true, failing early when the process dies.
 * @param {{ name: string, pid: number, logFile: string, timeoutMs: number, ready: () => Promise<boolean> }} options
 */
export async function waitUntilReady({ name, pid, logFile, timeoutMs, ready }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new InfraError(`${name} exited during start; last log lines:\n${tail(logFile)}`);
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new InfraError(`${name} was not ready after ${timeoutMs / 1000}s; last log lines:\n${tail(logFile)}`);
}

/** @param {string} file */
export function tail(file, lines = 15) {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * `stopSignal` (SIGTERM by default), then SIGKILL after `graceMs`; removes the pid file.
 * @param {string} pidFile @param {string} marker see runningPid @param {number} graceMs
 * @param {NodeJS.Signals} stopSignal
 * @returns {Promise<boolean>} whether a process was stopped
 */
export async function stopProcess(pidFile, marker, graceMs = 20000, stopSignal = 'SIGTERM') {
  const pid = runningPid(pidFile, marker);
  if (pid) {
    // Detached children lead their own process group: signal the group so nothing is left behind.
    const signal = (/** @type {NodeJS.Signals} */ sig) => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {}
      }
    };
    signal(stopSignal);
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
  return pid !== undefined;
}

/**
 * Fails with one line naming the missing tool and how to provide it.
 * @param {string} command @param {string[]} versionArgs @param {string} purpose @param {string} howToGet
 */
export function requireCommand(command, versionArgs, purpose, howToGet) {
  const probe = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new InfraError(`${command} is needed ${purpose} but was not found on PATH: ${howToGet}`);
  }
  return `${probe.stdout}${probe.stderr}`.trim().split('\n')[0] ?? '';
}

/**
 * A command line for an error message with its passwords hidden: `password=…` values and the
 * argument after `-storepass`/`-keypass` (the Kafka launcher passes its dev passwords so).
 * @param {string[]} args
 */
function maskedArgs(args) {
  return args
    .map((arg, i) =>
      /^-(store|key)pass$/.test(args[i - 1] ?? '') ? '***' : arg.replace(/(password=)[^,\]\s]+/gi, '$1***'),
    )
    .join(' ');
}

/**
 * Runs a command to completion, failing with its output on a non-zero exit.
 * @param {string} command @param {string[]} args @param {{ cwd?: string, env?: NodeJS.ProcessEnv, what: string }} options
 */
export function runToCompletion(command, args, { cwd, env, what }) {
  const result = spawnSync(command, args, {
    cwd,
    env: env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new InfraError(
      `${what} failed (${command} ${maskedArgs(args)}):\n${output || result.error?.message}`,
    );
  }
  return result.stdout;
}

/**
 * A cross-process lock (mkdir is atomic) so that `npm test` and `npm run up` started together do
 * not both format Kafka's storage. A lock whose holder died is taken over by renaming it away,
 * which only one waiter can do.
 * @template T @param {string} dir @param {() => Promise<T>} work @returns {Promise<T>}
 */
export async function withLock(dir, work) {
  const lockDir = join(dir, '.lock');
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    let holder = 0;
    let age = 0;
    try {
      age = Date.now() - statSync(lockDir).mtimeMs;
      holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    } catch {}
    // Stale: the holder is dead, or it never wrote its pid (a very young lock may not have yet).
    if ((holder && !isAlive(holder)) || (!holder && age > 5000)) {
      const stale = `${lockDir}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(lockDir, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {}
      continue;
    }
    if (Date.now() > deadline) throw new InfraError(`infrastructure lock ${lockDir} held by pid ${holder}`);
    await sleep(500);
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Reuses a server whose process runs (waiting for it if it is still starting, never killing it),
 * or starts it detached and waits until it answers; a start that never answers is stopped again.
 * @param {{
 *   name: string, pidFile: string, marker: string, logFile: string, host: string, port: number,
 *   portHint: string, timeoutMs: number, ready: () => Promise<boolean>,
 *   prepare: () => { command: string, args: string[] },
 * }} options
 * @returns {Promise<{ pid: number, started: boolean }>}
 */
export async function ensureServer(options) {
  const { name, pidFile, marker, logFile, host, port, portHint, timeoutMs, ready, prepare } = options;
  const running = runningPid(pidFile, marker);
  if (running) {
    await waitUntilReady({ name, pid: running, logFile, timeoutMs, ready });
    return { pid: running, started: false };
  }
  if (await portAnswers(host, port))
    throw new InfraError(`port ${port} is taken by another process: ${portHint}`);
  const { command, args } = prepare();
  const pid = startDetached({ name, command, args, pidFile, logFile });
  try {
    await waitUntilReady({ name, pid, logFile, timeoutMs, ready });
  } catch (error) {
    await stopProcess(pidFile, marker, 5000);
    throw error;
  }
  return { pid, started: true };
}

/** @param {string} pidFile @param {string} marker @param {string} address @param {string} log */
export function serverStatus(pidFile, marker, address, log) {
  return { pid: runningPid(pidFile, marker), address, log };
}
