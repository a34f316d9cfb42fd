export * from './kappa.js';
