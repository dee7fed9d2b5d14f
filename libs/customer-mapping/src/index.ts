export {
  type CustomerMapping,
  isSupportedPath,
  type MappedCustomer,
  mapCustomer,
  readPath,
} from './customer-mapping.js';
