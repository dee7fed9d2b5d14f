export { bindingContext, createSecretBox, type KeyRing, parseKeyRing, type SecretBox } from './secret-box.js';
