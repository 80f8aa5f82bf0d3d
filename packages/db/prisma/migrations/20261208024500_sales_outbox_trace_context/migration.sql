-- Trace context (Datadog propagation headers) of the handler that wrote each sales event, so the sales relay
-- publishes it to Kafka as a child of that trace and geo-reporting continues it. Null for rows written
-- before this column, or outside any trace.
ALTER TABLE "sales_outbox" ADD COLUMN "trace_headers" JSONB;
