export { type ErrorCode, type ErrorCodeInfo, errorCodes, isErrorCode } from './codes.js';
export { isParleyError, ParleyError, type ParleyErrorOptions, toParleyError } from './parley-error.js';
export { untrustedText } from './untrusted-text.js';
