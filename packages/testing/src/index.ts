export * from './env.ts';
export * from './postgres.ts';
