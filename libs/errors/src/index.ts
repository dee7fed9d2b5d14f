export { type ErrorCode, errorCodes, type ErrorCodeInfo, isErrorCode } from './codes.js';
export { ParleyError, type ParleyErrorOptions, isParleyError, toParleyError } from './parley-error.js';
