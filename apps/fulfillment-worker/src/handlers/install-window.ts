/**
 * An uninstall is judged by the order's own time, not by when its message is processed: an order placed
 * before the uninstall instant is fulfilled even if its snapshot was still queued (Shopify retries for hours).
 * A shop that was redacted, or whose uninstall instant is unknown, takes nothing more.
 */
export function placedWhileInstalled(
  /** undefined: the shop is installed; null: redacted, or uninstalled at an unknown instant */
  uninstalledAt: Date | null | undefined,
  createdAt: string | null | undefined,
): boolean {
  if (uninstalledAt === undefined) return true;
  if (uninstalledAt === null || !createdAt) return false;
  return Date.parse(createdAt) < uninstalledAt.getTime();
}

/** Shopify retries a failed delivery for 48 hours: no delivery was triggered longer before we received it. */
const RETRY_HORIZON_MS = 48 * 3_600_000;

/**
 * The instant an app/uninstalled happened: X-Shopify-Triggered-At is not signed, so it counts only between
 * Shopify's retry horizon and the dispatcher's receipt, else the received time (the dispatcher bounds it the
 * same way; this keeps messages queued before it did). A 2099 would let later orders in; a 1971 would look
 * older than the install and the uninstall would be lost.
 */
export function uninstallInstant(triggeredAt: string | null, receivedAt: string): Date {
  const received = Date.parse(receivedAt);
  const at = triggeredAt ? Date.parse(triggeredAt) : Number.NaN;
  return new Date(at <= received && at >= received - RETRY_HORIZON_MS ? at : received);
}
