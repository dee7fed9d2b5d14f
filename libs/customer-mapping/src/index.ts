export {
  type CustomerMapping,
  isSupportedPath,
  type MappedCustomer,
  mapCustomer,
  mappedValueMaxLength,
  nameMaxLength,
  readPath,
} from './customer-mapping.js';
