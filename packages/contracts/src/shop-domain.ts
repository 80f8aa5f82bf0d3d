/**
 * A myshopify domain as Shopify names shops: lower-case, one DNS label (letters, digits and inner hyphens, at most
 * 63 characters: never `a-.myshopify.com`) under `.myshopify.com`. The one definition that the dispatcher's intake,
 * the message envelope, the store install and cmdr check alike, so a shop one accepts is never refused by another.
 */
export const MYSHOPIFY_DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.myshopify\.com$/;
