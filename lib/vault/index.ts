export { Vault, type VaultOptions } from './vault.js';
export { type KeyWrapper, kmsKeyWrapper, localKeyWrapper } from './wrappers.js';
