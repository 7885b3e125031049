import type postgres from "postgres";

/** One of a customer's tuning files, as /files lists it. */
export interface FileSummary {
  id: string;
  name: string;
  /** The website's file status (PENDING, COMPLETED...). */
  status: string;
  /** Estimated processing time in minutes, if the shop gave one. */
  eta: number | null;
  uploaded: Date;
}

/** The customer's five newest tuning files, newest first. */
export function listRecentFiles(sql: postgres.Sql, userId: string): Promise<FileSummary[]> {
  return sql<FileSummary[]>`
    SELECT id, "originalFilename" AS name, status::text AS status, "estimatedProcessingTime" AS eta, "createdAt" AS uploaded
      FROM tuning_files WHERE "userId" = ${userId} ORDER BY "createdAt" DESC LIMIT 5`;
}
