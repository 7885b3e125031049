/**
 * The reference line: graphile-worker doing the notifier's job. Its trigger enqueues the
 * event with graphile_worker.add_job (as its documentation shows); its task (peer-worker.ts)
 * decrypts the chat id, renders the same message (the customer's language and time zone,
 * else the shop's; escaping; the button) and POSTs sendMessage with a keep-alive client
 * to the same Bot API double.
 */
import { Logger, runMigrations } from "graphile-worker";
import postgres from "postgres";
import { enableOnly } from "./lib/database.ts";

/** graphile-worker's triggers on the website's tuning_files, disabled until asked for. */
export const PEER_TRIGGERS = ["bench_peer_file_change", "bench_peer_file_upload"];

const PEER_SQL = `
CREATE FUNCTION public.bench_peer_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM graphile_worker.add_job('send', json_build_object(
            'chat', u."telegramChatId", 'firstName', u."firstName", 'fileId', NEW.id,
            'language', u.language, 'timezone', u.timezone,
            'label', NEW."originalFilename", 'status', NEW.status, 'kind', TG_OP, 'at', now()))
     FROM public.users u
    WHERE u.id = NEW."userId" AND u."telegramChatId" IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_peer_file_change AFTER UPDATE ON public.tuning_files
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION public.bench_peer_enqueue();
CREATE TRIGGER bench_peer_file_upload AFTER INSERT ON public.tuning_files
  FOR EACH ROW EXECUTE FUNCTION public.bench_peer_enqueue();
ALTER TABLE public.tuning_files DISABLE TRIGGER bench_peer_file_change;
ALTER TABLE public.tuning_files DISABLE TRIGGER bench_peer_file_upload;
`;

/** Installs graphile-worker's schema and the peer's triggers (disabled) in `url`. */
export async function installPeer(url: string): Promise<void> {
  await runMigrations({ connectionString: url, logger: new Logger(() => () => {}) });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(PEER_SQL);
  } finally {
    await sql.end();
  }
}

/** Which triggers on tuning_files record events: ours, graphile-worker's, or none. */
export async function useTriggers(sql: postgres.Sql, who: "ours" | "peer" | "none"): Promise<void> {
  const triggers = {
    ours: ["telegram_record_file_upload", "telegram_record_file_change"],
    peer: PEER_TRIGGERS,
    none: [],
  };
  await enableOnly(sql, triggers[who]);
}
