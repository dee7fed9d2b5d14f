export {
  type CustomerMapping,
  isSupportedPath,
  type MappedCustomer,
  mapCustomer,
  mappedValueMaxLength,
  mappingDefaults,
  readPath,
} from './customer-mapping.js';
