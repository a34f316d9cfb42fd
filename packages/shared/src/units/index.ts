export * from './fixed.js';
export * from './fees.js';
export * from './grid.js';
export * from './rate-tiers.js';
