/**
 * Commands served by the store, by command name, from FerretDB's Prometheus endpoint
 * (`ferretdb_client_requests_total{command="find",...}`). Counters are the server's, so they
 * include whatever else uses the same store meanwhile.
 */
export function parseStoreCommands(metrics: string): Record<string, number> {
  const commands: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const match = /^ferretdb_client_requests_total\{([^}]*)\}\s+([0-9.e+]+)$/.exec(line.trim());
    if (!match) continue;
    const command = /(?:^|,)command="([^"]*)"/.exec(match[1] as string)?.[1] ?? 'unknown';
    commands[command] = (commands[command] ?? 0) + Number(match[2]);
  }
  return commands;
}

/** `after - before` per command, leaving out commands that did not change. */
export function commandDelta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, count] of Object.entries(after)) {
    const difference = count - (before[command] ?? 0);
    if (difference > 0) delta[command] = difference;
  }
  return delta;
}

/** Reads the store's command counters; undefined when it does not publish them (not FerretDB). */
export async function readStoreCommands(
  url: string | undefined,
): Promise<Record<string, number> | undefined> {
  if (!url) return undefined;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? parseStoreCommands(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}
