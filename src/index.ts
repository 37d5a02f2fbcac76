/** The smartdelta library: the same operations as the CLI, as typed functions over bytes. */
export * from './errors.js';
