-- Download redemption fixture (idempotent): 200 paid orders of the benchmark account's shop-0, one line and
-- one grant each (token bench-download-token-NNNN, a limit no run reaches), on releases of 10 tracks.
INSERT INTO track (release_id, position, title, isrc)
SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(r * 98), 12, '0'))::uuid, p, 'track ' || p,
       'QZBEN' || lpad((r * 10 + p)::text, 7, '0')
FROM generate_series(0, 19) r CROSS JOIN generate_series(1, 10) p
ON CONFLICT (release_id, position) DO NOTHING;

INSERT INTO order_line (order_id, shopify_line_id, quantity, price, requires_shipping, release_id)
SELECT o.id, 9000000000 + o.shopify_order_id, 1, 9.99, false,
       ('00000000-0000-4000-a000-' || lpad(to_hex(((o.shopify_order_id - 5000000100) / 100 % 20) * 98), 12, '0'))::uuid
FROM orders o
WHERE o.shop_domain = 'shop-0.myshopify.com' AND o.shopify_order_id BETWEEN 5000000100 AND 5000020000
ON CONFLICT (order_id, shopify_line_id) DO NOTHING;

INSERT INTO download_grant (token_hash, order_line_id, release_id, unit_index, status, activate_at, download_limit)
SELECT encode(sha256(convert_to('bench-download-token-' || lpad(n::text, 4, '0'), 'UTF8')), 'hex'), ol.id, ol.release_id,
       0, 'active', '2026-01-02T05:00:00Z', 1000000
FROM (SELECT ol.*, row_number() OVER (ORDER BY ol.shopify_line_id) - 1 AS n
      FROM order_line ol WHERE ol.shopify_line_id BETWEEN 9000000000 + 5000000100 AND 9000000000 + 5000020000) ol
ON CONFLICT (token_hash) DO NOTHING;

DELETE FROM download WHERE grant_id IN (SELECT g.id FROM download_grant g WHERE g.download_limit = 1000000);
UPDATE download_grant SET downloads_used = 0 WHERE download_limit = 1000000;
