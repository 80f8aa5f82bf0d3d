// What other apps' tests (the dashboard's browser test) check a store connection against: the topics the
// install subscribes and the opening of a sealed shop token.
export { openShopToken, parseShopTokenKeys } from '@single/db/commands/shop-token';
export { WEBHOOK_TOPICS } from '../shopify/shopify-calls.ts';
