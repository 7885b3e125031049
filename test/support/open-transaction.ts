import type postgres from "postgres";

/**
 * A transaction that has run `write` and stays open until `commit()` is called: a website
 * write in flight. `done` settles when it has committed.
 */
export async function openTransaction(
  sql: postgres.Sql,
  write: (tx: postgres.Sql) => Promise<unknown>,
): Promise<{ commit: () => void; done: Promise<unknown> }> {
  let commit = () => {};
  const open = new Promise<void>((resolve) => {
    commit = resolve;
  });
  let written = () => {};
  const wrote = new Promise<void>((resolve) => {
    written = resolve;
  });
  const done = sql.begin(async (tx) => {
    await write(tx as unknown as postgres.Sql);
    written();
    await open;
  });
  // A failed write fails `done`, and must not leave the caller waiting for `wrote`.
  done.catch(() => {}).finally(written);
  await wrote;
  return { commit, done };
}
