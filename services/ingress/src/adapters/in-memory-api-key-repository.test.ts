import { apiKeyRepositoryContract } from './api-key-repository.contract.js';
import { createInMemoryApiKeyRepository } from './in-memory-api-key-repository.js';

const repository = createInMemoryApiKeyRepository();
apiKeyRepositoryContract('in memory', () => repository);
