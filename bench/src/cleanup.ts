/**
 * What a run started, stopped in reverse order exactly once — at the end, on failure or on Ctrl-C.
 * A step that fails or hangs is reported and the others still run.
 */
export function createCleanup(report: (line: string) => void, stepTimeoutMs = 45_000) {
  const steps: { name: string; run: () => Promise<unknown> }[] = [];
  let running: Promise<void> | undefined;
  return {
    defer(name: string, run: () => Promise<unknown>) {
      steps.push({ name, run });
    },
    run(): Promise<void> {
      running ??= (async () => {
        for (const step of steps.reverse()) {
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              step.run(),
              new Promise((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`did not finish in ${stepTimeoutMs} ms`)),
                  stepTimeoutMs,
                );
              }),
            ]);
          } catch (error) {
            report(`cleanup: stopping ${step.name} failed: ${(error as Error).message}`);
          } finally {
            clearTimeout(timer);
          }
        }
      })();
      return running;
    },
  };
}

export type Cleanup = ReturnType<typeof createCleanup>;
