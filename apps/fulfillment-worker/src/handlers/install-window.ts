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
