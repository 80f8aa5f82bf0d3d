/**
 * The worker's steps, each runnable on its own with an injected clock: what a host or a test that drives
 * the worker one tick at a time needs (the artist API's tests re-time a release through its own route and
 * tick the scheduler and the mailer in between). main.ts runs the same classes in loops.
 */
export { Mailer, type MailerOptions, type MailTransport } from './email/mailer.ts';
export { composeMime } from './email/mime.ts';
export { DownloadTokens } from './grants/tokens.ts';
export { applySnapshots } from './handlers/order-snapshot/apply-snapshots.ts';
export { markShopUninstalled } from './privacy/privacy.service.ts';
export { PreorderScheduler } from './scheduler/preorder-scheduler.ts';
export { type OrderSnapshot, orderSnapshot } from './shopify/payloads.ts';
