-- A sales relay publish whose outcome is not known yet (sales.v1 exactly once): the topic's end offsets
-- before the publish and the outbox rows it carried. Deleted in the transaction that marks the rows
-- published. A row found at the start of a round is settled by reading the topic back from these offsets.
CREATE TABLE "sales_relay_attempt" (
    "topic" TEXT NOT NULL,
    "end_offsets" JSONB NOT NULL,
    "outbox_ids" BIGINT[] NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sales_relay_attempt_pkey" PRIMARY KEY ("topic")
);
