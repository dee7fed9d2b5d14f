export {
  BrandFailure,
  type BrandFailureOptions,
  type BrandFailureReason,
  brandFailureReasons,
  isBrandFailure,
} from './brand-failure.js';
export { callerGone, throwIfCallerGone, untilCallerGone } from './caller-gone.js';
export { type ErrorCode, type ErrorCodeInfo, errorCodes, isErrorCode } from './codes.js';
export { isParleyError, ParleyError, type ParleyErrorOptions, toParleyError } from './parley-error.js';
export { untrustedText } from './untrusted-text.js';
