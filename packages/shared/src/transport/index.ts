export * from './codec.js';
export * from './mailbox.js';
