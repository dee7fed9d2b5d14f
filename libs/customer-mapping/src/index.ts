export { type CustomerData, type CustomerDataOptions, customerDataOf } from './customer-data.js';
export {
  type CustomerMapping,
  isSupportedPath,
  type MappedCustomer,
  mapCustomer,
  mappedValueMaxLength,
  mappingDefaults,
  readPath,
} from './customer-mapping.js';
