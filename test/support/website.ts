import { randomBytes } from "node:crypto";
import type postgres from "postgres";

/**
 * Writes rows the way the CompuCar website (Prisma) does, one statement per website
 * action, so tests exercise the triggers with the real statements.
 */
export function website(sql: postgres.Sql) {
  return {
    /** Registers a customer; `chatId` links it (stored as given: plaintext or encrypted). */
    async createUser(
      fields: {
        email?: string;
        firstName?: string;
        lastName?: string;
        language?: string;
        timezone?: string;
        chatId?: string | null;
        telegramUsername?: string | null;
      } = {},
    ): Promise<string> {
      const id = cuid();
      await sql`
        INSERT INTO users (id, email, "firstName", "lastName", language, timezone, "updatedAt",
                           "telegramChatId", "telegramUsername", "telegramLinkedAt")
        VALUES (${id}, ${fields.email ?? `${id}@example.com`}, ${fields.firstName ?? "Karim"},
                ${fields.lastName ?? "Benali"}, ${fields.language ?? "en"},
                ${fields.timezone ?? "Africa/Algiers"}, now(), ${fields.chatId ?? null},
                ${fields.telegramUsername ?? null},
                ${fields.chatId ? sql`now()` : null})`;
      return id;
    },

    /** Upload: INSERT with status RECEIVED. */
    async uploadFile(userId: string, originalFilename = "stage1_golf_tdi.bin"): Promise<string> {
      const id = cuid();
      await sql`
        INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
        VALUES (${id}, ${userId}, ${originalFilename}, ${`uploads/${id}`}, 524288, 'bin', now())`;
      return id;
    },

    /** Admin status change: ONE UPDATE of status, dates and, when picked, the estimate. */
    async changeFileStatus(fileId: string, status: string, etaMinutes?: number): Promise<void> {
      if (etaMinutes === undefined) {
        await sql`
          UPDATE tuning_files SET status = ${status}::"TuningFileStatus", "updatedDate" = now(), "updatedAt" = now()
           WHERE id = ${fileId}`;
      } else {
        await sql`
          UPDATE tuning_files SET status = ${status}::"TuningFileStatus", "estimatedProcessingTime" = ${etaMinutes},
                 "estimatedProcessingTimeSetAt" = now(), "updatedDate" = now(), "updatedAt" = now()
           WHERE id = ${fileId}`;
      }
    },

    /** Modified file upload: the modified* columns and status READY in one UPDATE. */
    async uploadModifiedFile(
      fileId: string,
      modifiedFilename = "stage1_golf_tdi_mod.bin",
    ): Promise<void> {
      await sql`
        UPDATE tuning_files SET "modifiedFilename" = ${modifiedFilename}, "modifiedR2Key" = ${`modified/${cuid()}`},
               "modifiedFileType" = 'bin', "modifiedFileSize" = 524288, "modifiedUploadDate" = now(),
               status = 'READY', "updatedDate" = now(), "updatedAt" = now()
         WHERE id = ${fileId}`;
    },

    /** Admin comment for the customer. */
    async commentOnFile(fileId: string, adminNotes: string | null): Promise<void> {
      await sql`
        UPDATE tuning_files SET "adminNotes" = ${adminNotes}, "updatedDate" = now(), "updatedAt" = now()
         WHERE id = ${fileId}`;
    },

    /** Payment of a tuning file. */
    async markFilePaid(fileId: string): Promise<void> {
      await sql`UPDATE tuning_files SET "paymentStatus" = 'PAID', "updatedAt" = now() WHERE id = ${fileId}`;
    },

    /** What Prisma does on any save: only "updatedAt" moves. */
    async touchFile(fileId: string): Promise<void> {
      await sql`UPDATE tuning_files SET "updatedAt" = now() WHERE id = ${fileId}`;
    },

    /** A cash-on-delivery order; `userId` null is a guest order. */
    async placeOrder(
      userId: string | null,
      orderNumber = `CC-${randomBytes(3).toString("hex").toUpperCase()}`,
    ): Promise<string> {
      const id = cuid();
      await sql`
        INSERT INTO orders (id, "orderNumber", "userId", subtotal, total, "shippingMethod", "updatedAt")
        VALUES (${id}, ${orderNumber}, ${userId}, 12000, 12500, 'yalidine', now())`;
      return id;
    },

    async setOrderStatus(orderId: string, status: string): Promise<void> {
      await sql`
        UPDATE orders SET status = ${status}::"OrderStatus", "updatedAt" = now() WHERE id = ${orderId}`;
    },

    /** Shipping: status SHIPPED with a tracking number, as the admin does it. */
    async shipOrder(orderId: string, trackingNumber: string): Promise<void> {
      await sql`
        UPDATE orders SET status = 'SHIPPED', "trackingNumber" = ${trackingNumber}, "shippedAt" = now(),
               "updatedAt" = now()
         WHERE id = ${orderId}`;
    },

    /** The courier integration moving the cash-on-delivery status. */
    async setCodStatus(orderId: string, codStatus: string): Promise<void> {
      await sql`
        UPDATE orders SET "codStatus" = ${codStatus}::"CODStatus", "updatedAt" = now() WHERE id = ${orderId}`;
    },

    async createPayment(orderId: string, status = "PENDING"): Promise<string> {
      const id = cuid();
      await sql`
        INSERT INTO payments (id, "orderId", method, status, amount, "updatedAt")
        VALUES (${id}, ${orderId}, 'COD', ${status}::"PaymentStatus", 12500, now())`;
      return id;
    },

    async setPaymentStatus(paymentId: string, status: string): Promise<void> {
      await sql`
        UPDATE payments SET status = ${status}::"PaymentStatus",
               "paidAt" = CASE WHEN ${status} = 'SUCCEEDED' THEN now() ELSE "paidAt" END, "updatedAt" = now()
         WHERE id = ${paymentId}`;
    },

    /** A one-time deep-link token for the customer, as the website's account page makes it. */
    async createLinkToken(userId: string): Promise<string> {
      const [{ token }] = await sql<[{ token: string }]>`
        SELECT telegram.create_link_token(${userId}) AS token`;
      return token;
    },
  };
}

/** A cuid-like id, as Prisma generates them. */
export function cuid(): string {
  return `c${Date.now().toString(36)}${randomBytes(8).toString("hex")}`;
}
