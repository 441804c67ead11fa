export { Vault, type VaultOptions } from './vault.js';
export { countedKeyWrapper, type KeyWrapper, kmsKeyWrapper, localKeyWrapper } from './wrappers.js';
