import { authRepositoriesContract } from './auth-repositories.contract.js';
import { createInMemoryAuthRepositories } from './in-memory-auth-repositories.js';

authRepositoriesContract('in memory', ({ secretBox }) => createInMemoryAuthRepositories({ secretBox }));
