import type postgres from "postgres";

/** One of a customer's orders, as /orders lists it. */
export interface OrderSummary {
  number: string;
  /** The website's order status (PENDING, SHIPPED...). */
  status: string;
  created: Date;
  tracking: string | null;
}

/** The customer's five newest orders, newest first. */
export function listRecentOrders(sql: postgres.Sql, userId: string): Promise<OrderSummary[]> {
  return sql<OrderSummary[]>`
    SELECT "orderNumber" AS number, status::text AS status, "createdAt" AS created, "trackingNumber" AS tracking
      FROM orders WHERE "userId" = ${userId} ORDER BY "createdAt" DESC LIMIT 5`;
}
