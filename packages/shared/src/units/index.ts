export * from './fixed.js';
export * from './fees.js';
export * from './grid.js';
