export * from './sales-event.ts';
export * from './sales-event-builder.ts';
export * from './webhook-envelope.ts';
