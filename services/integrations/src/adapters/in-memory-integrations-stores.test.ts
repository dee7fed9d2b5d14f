import { createInMemoryIntegrationsStores } from './in-memory-integrations-stores.js';
import { integrationsStoreContract } from './integrations-store.contract.js';

const stores = createInMemoryIntegrationsStores();
integrationsStoreContract('in memory', () => stores);
