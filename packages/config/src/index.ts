export * from './fragments.ts';
export * from './load.ts';
