export const OPENAPI_INFO = {
  title: 'Single artist API',
  version: '1.0.0',
  description:
    'What artist and label dashboards call: catalogue, product mappings, orders, fulfilment, sales and the webhook log. ' +
    "Every `/v1` route needs `Authorization: Bearer <API key>` and sees only the key's own account: ids of other " +
    'accounts answer 404 like unknown ids. Errors are RFC 9457 problem+json with a stable `code`. ' +
    '`GET /d/{token}` is the public download link of a fan.',
};
