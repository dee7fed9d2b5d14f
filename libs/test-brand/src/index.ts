export {
  type AuthorizationResult,
  type BrandServer,
  type BrandServerOptions,
  startBrandServer,
} from './brand-server.js';
