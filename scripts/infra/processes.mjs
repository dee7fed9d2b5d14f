// @ts-check
// Detached server processes with pid files, so that start is idempotent and stop works from any shell.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
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

/** @param {string} pidFile @returns {number | undefined} the pid when that process is alive */
export function runningPid(pidFile) {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
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
 * SIGTERM, then SIGKILL after `graceMs`; removes the pid file.
 * @param {string} pidFile @param {number} graceMs @returns {Promise<boolean>} whether a process was stopped
 */
export async function stopProcess(pidFile, graceMs = 20000) {
  const pid = runningPid(pidFile);
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
    signal('SIGTERM');
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
      `${what} failed (${command} ${args.join(' ')}):\n${output || result.error?.message}`,
    );
  }
  return result.stdout;
}

/**
 * A cross-process lock (mkdir is atomic) so that `npm test` and `npm run up` started together do
 * not both format Kafka's storage.
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
    } catch {
      let holder = 0;
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
        holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {}
      // A lock without a live holder is stale; a very young one may not have its pid file yet.
      if ((holder && !isAlive(holder)) || (!holder && age > 5000))
        rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new InfraError(`infrastructure lock ${lockDir} held by pid ${holder}`);
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
