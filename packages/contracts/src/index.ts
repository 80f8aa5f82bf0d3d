export * from './sales-event.ts';
export * from './webhook-envelope.ts';
