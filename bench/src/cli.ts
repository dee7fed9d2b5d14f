import { BenchError } from './bench-error.js';
import { createCleanup } from './cleanup.js';
import { parseBenchFlags, usage } from './flags.js';
import type { runBench } from './orchestrator.js';
import { renderReport } from './report-table.js';

/**
 * `npm run bench -- [flags]`: runs the benchmark, stops everything it started (also on failure and
 * Ctrl-C), prints the report. Resolves with the exit code: 0 done, 1 failed, 2 bad flags.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseBenchFlags>;
  try {
    parsed = parseBenchFlags(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(usage);
    return 0;
  }
  const started = performance.now();
  const say = (line: string) =>
    process.stdout.write(`[bench +${Math.round((performance.now() - started) / 1000)}s] ${line}\n`);
  const cleanup = createCleanup((line) => process.stderr.write(`[bench] ${line}\n`));
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything this run started`);
    void cleanup.run().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let outcome: Awaited<ReturnType<typeof runBench>> | undefined;
  let failure: unknown;
  try {
    // Loaded only now: it brings oidc-provider, which has things to say at import.
    const { runBench } = await import('./orchestrator.js');
    outcome = await runBench(parsed.options, { say, cleanup });
  } catch (error) {
    failure = error;
  }
  if (interrupted) return new Promise<number>(() => {}); // the signal handler exits
  say('stopping everything this run started');
  await cleanup.run();
  if (outcome) {
    process.stdout.write(`\n${renderReport(outcome.report)}\n`);
    const files = ['report.json', ...(outcome.report.charts ?? []), 'services.log'];
    process.stdout.write(`Files: ${outcome.out}/${files.join(', ')}\n`);
    return 0;
  }
  if (failure instanceof BenchError) process.stderr.write(`bench: ${failure.message} [${failure.code}]\n`);
  else process.stderr.write(`bench: unexpected failure: ${(failure as Error)?.stack ?? String(failure)}\n`);
  return 1;
}
