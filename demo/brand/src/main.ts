import { loadDemoBrandConfig } from './config.js';
import { startDemoBrand } from './demo-brand.js';
import { DemoBrandError } from './errors.js';

function exitOnBadConfig(error: unknown): never {
  if (!(error instanceof DemoBrandError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const options = (() => {
  try {
    return loadDemoBrandConfig(process.env);
  } catch (error) {
    return exitOnBadConfig(error);
  }
})();

const brand = await startDemoBrand(options).catch((error: NodeJS.ErrnoException) => {
  console.error(
    `demo brand: cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`,
  );
  process.exit(1);
});
process.stdout.write(`demo brand: issuer ${brand.issuer} · CRM ${brand.crmUrl}\n`);

const stop = () => void brand.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
