export { isNonPublicAddress } from './address-guard.js';
export {
  type BrandHttpClient,
  type BrandHttpOptions,
  type BrandRequest,
  type BrandResponse,
  createBrandHttpClient,
} from './brand-http-client.js';
export { type CircuitBreakers, createCircuitBreakers } from './circuit-breakers.js';
export { createHostPolicy, type HostPolicy } from './host-policy.js';
