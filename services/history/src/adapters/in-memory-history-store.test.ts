import { historyStoreContract } from './history-store.contract.js';
import { createInMemoryHistoryStores } from './in-memory-history-store.js';

const stores = createInMemoryHistoryStores();
historyStoreContract('in memory', () => stores);
