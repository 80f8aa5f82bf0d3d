-- 1,000,000 orders over 100 shops (one account each; the benchmark account owns shop-0 .. shop-2) and
-- 10,000,000 sale lines over 2,000 releases and one year, plus the regional roll-ups geo-reporting keeps.
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;

INSERT INTO account (id, kind, name, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(a), 12, '0'))::uuid, 'label', 'account ' || a, now()
FROM generate_series(0, 97) a;

INSERT INTO shop (domain, account_id, updated_at)
SELECT 'shop-' || s || '.myshopify.com', ('00000000-0000-4000-8000-' || lpad(to_hex(greatest(s - 2, 0)), 12, '0'))::uuid, now()
FROM generate_series(0, 99) s;

INSERT INTO artist (id, account_id, name, updated_at)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(a), 12, '0'))::uuid, ('00000000-0000-4000-8000-' || lpad(to_hex(a), 12, '0'))::uuid, 'artist ' || a, now()
FROM generate_series(0, 97) a;

-- 2,000 releases; release r belongs to artist r % 98
INSERT INTO release (id, artist_id, title, upc, release_instant, territories, updated_at)
SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(r), 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad(to_hex(r % 98), 12, '0'))::uuid,
       'release ' || r, '2' || lpad(r::text, 12, '0'), '2026-01-02T05:00:00Z', '{}', now()
FROM generate_series(0, 1999) r;

DROP INDEX orders_shop_domain_shopify_order_id_key;
DROP INDEX orders_shop_domain_customer_id_idx;
INSERT INTO orders (id, shop_domain, shopify_order_id, name, financial_status, currency, billing_country, test,
                    shopify_created_at, shopify_updated_at, updated_at)
SELECT gen_random_uuid(), 'shop-' || (o % 100) || '.myshopify.com', 5000000000 + o, '#' || (1000 + o / 100),
       CASE WHEN o % 20 = 0 THEN 'refunded' ELSE 'paid' END, 'USD', 'US', o % 250 = 0,
       timestamptz '2026-01-01' + (o * interval '31 seconds'), timestamptz '2026-01-01' + (o * interval '31 seconds'), now()
FROM generate_series(1, 1000000) o;
CREATE UNIQUE INDEX orders_shop_domain_shopify_order_id_key ON orders (shop_domain, shopify_order_id);
CREATE INDEX orders_shop_domain_customer_id_idx ON orders (shop_domain, customer_id);

ALTER TABLE sale_line DROP CONSTRAINT sale_line_pkey;
DROP INDEX sale_line_chart_order_line_id_unit_index_kind_key;
DROP INDEX sale_line_chart_business_date_idx;
DROP INDEX sale_line_release_id_idx;
INSERT INTO sale_line (id, chart, kind, eligibility, reason_code, shop_domain, order_id, order_line_id, unit_index, release_id,
                       upc, zip, country, quantity, net_price, currency, occurred_at, counted_at, business_date, updated_at)
SELECT gen_random_uuid(), 'luminate', 'sale',
       (CASE WHEN i % 10 < 7 THEN 'eligible' WHEN i % 10 < 9 THEN 'excluded' ELSE 'pending' END)::sale_eligibility,
       CASE WHEN i % 10 = 7 THEN 'below_floor' WHEN i % 10 = 8 THEN 'bulk_capped' END,
       'shop-' || (i % 100) || '.myshopify.com', (5000000000 + i % 1000000)::text, (7000000000 + i)::text, 0,
       ('00000000-0000-4000-a000-' || lpad(to_hex(i % 2000), 12, '0'))::uuid,
       '2' || lpad((i % 2000)::text, 12, '0'), lpad((i % 99999)::text, 5, '0'), 'US', 1, 9.99, 'USD',
       t, CASE WHEN i % 10 < 7 THEN t END, CASE WHEN i % 10 < 7 THEN (t AT TIME ZONE 'America/New_York')::date END, now()
FROM (SELECT i, timestamptz '2026-01-01' + (i * interval '3.1536 seconds') AS t FROM generate_series(1, 10000000) i) s;
ALTER TABLE sale_line ADD CONSTRAINT sale_line_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX sale_line_chart_order_line_id_unit_index_kind_key ON sale_line (chart, order_line_id, unit_index, kind);
CREATE INDEX sale_line_chart_business_date_idx ON sale_line (chart, business_date);
CREATE INDEX sale_line_release_id_idx ON sale_line (release_id);

-- roll-ups: per release and day, the country row (US), the unknown-place row (''), one region and one postal code
INSERT INTO regional_rollup (release_id, day, level, code, currency, units, net_amount, updated_at)
SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(r), 12, '0'))::uuid, d::date, l.level::geo_precision, l.code, 'USD',
       l.units, l.units * 9.99, now()
FROM generate_series(0, 1999) r
CROSS JOIN generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') d
CROSS JOIN (VALUES ('country', 'US', 12), ('country', '', 2), ('region', 'US-WA', 5), ('postal', 'US-98354', 3)) AS l(level, code, units);

ANALYZE;
