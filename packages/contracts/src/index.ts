export * from './business-day.ts';
export * from './calendar-date.ts';
export * from './chart-file.ts';
export * from './fan-seal.ts';
export * from './sales-event.ts';
export * from './sales-event-builder.ts';
export * from './unit-price.ts';
export * from './webhook-envelope.ts';
