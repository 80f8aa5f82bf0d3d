/**
 * geo-reporting's answer to POST /v1/reports/chart-files (one closed day's chart file stored), which cmdr reads:
 * one shape on both sides of the wire.
 */
export interface ProducedChartFile {
  chart: string;
  date: string;
  sha256: string;
  bytes: number;
  lines: number;
  /** false: the same bytes were already there (a rerun of an unchanged day). */
  stored: boolean;
}
