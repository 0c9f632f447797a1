#!/usr/bin/env node
// Finds, exports or deletes what misgastos keeps about one person, for an
// operator handling a request that did not come through the chat.
//
//   node scripts/privacy.mjs find   --phone 56912345678 --remote
//   node scripts/privacy.mjs export --phone 56912345678 --remote --out ./exports
//   node scripts/privacy.mjs delete --phone 56912345678 --remote
//
// It runs the statements of db/ops/privacy_*.sql, the same ones the worker
// runs, through `wrangler d1 execute`, and removes conversation state with
// `wrangler kv key delete`. Every run needs an explicit target: `--remote`
// for the deployed database, or `--local` (with `--persist-to DIR` and
// `--env development` for a `wrangler dev` state directory).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");
const EXPORT_FORMAT = "misgastos-export/1";
/** Ledger ids renamed per statement: about 110 bytes each, so a chunk stays near 30 KiB. */
const LEDGER_CHUNK = 250;

const USAGE = `usage: node scripts/privacy.mjs <find|export|delete> (--phone DIGITS | --email ADDRESS | --user ID)
                                 [--customer ID] (--remote | --local [--persist-to DIR]) [--env NAME]
                                 [--out DIR] [--yes]

  find     list the identities of the phone number or email address, with
           their customer and user, and how many ledger rows name them
  export   write misgastos-export-<customer>-<user>.json and .csv into --out
           (default: the current directory), the same sections as the link
           a user gets with "exportar mis datos"
  delete   delete as "borrar mis datos" does, with the customer's
           member_deletion setting; asks for the number again unless --yes

  --customer is needed when the person belongs to several customers.`;

function fail(message) {
  console.error(`privacy: ${message}`);
  process.exit(1);
}

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    phone: { type: "string" },
    email: { type: "string" },
    user: { type: "string" },
    customer: { type: "string" },
    remote: { type: "boolean", default: false },
    local: { type: "boolean", default: false },
    "persist-to": { type: "string" },
    env: { type: "string" },
    out: { type: "string", default: "." },
    yes: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

// ---- wrangler ---------------------------------------------------------------

function targetArgs() {
  if (options.remote === options.local) fail("give exactly one of --remote and --local");
  const args = options.remote ? ["--remote"] : ["--local"];
  if (options["persist-to"]) args.push("--persist-to", options["persist-to"]);
  if (options.env) args.push("--env", options.env);
  return args;
}

function wrangler(args) {
  const result = spawnSync(WRANGLER, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return result;
}

/** Runs `statements` (already bound) as one `wrangler d1 execute`; returns each one's rows. */
function d1(statements) {
  const command = statements.join(";\n");
  const result = wrangler(["d1", "execute", "DB", ...targetArgs(), "--json", `--command=${command}`]);
  const start = result.stdout.indexOf("[");
  if (result.status !== 0 || start < 0) {
    fail(`wrangler d1 execute failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(result.stdout.slice(start)).map((statement) => statement.results ?? []);
}

function kvGet(key) {
  const result = wrangler(["kv", "key", "get", key, "--binding", "CONVERSATION_STATE_KV", ...targetArgs(), "--text"]);
  if (result.status !== 0) return null;
  const text = result.stdout.trim();
  return text === "" || text === "Value not found" ? null : text;
}

function kvDelete(key) {
  const result = wrangler(["kv", "key", "delete", key, "--binding", "CONVERSATION_STATE_KV", ...targetArgs()]);
  if (result.status !== 0) fail(`wrangler kv key delete ${key} failed:\n${result.stdout}\n${result.stderr}`);
}

// ---- SQL --------------------------------------------------------------------

/** Reads a statement of db/ops without its comment lines and final semicolon. */
function statementOf(name) {
  const text = readFileSync(path.join(ROOT, "db", "ops", `privacy_${name}.sql`), "utf8");
  return text
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .trim()
    .replace(/;$/, "");
}

function literal(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return String(value);
  return `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * Puts the values of `?1`, `?2`, … into `sql` as literals, because
 * `wrangler d1 execute` takes no parameters. The privacy statements have no
 * `?` inside their own string literals.
 */
function bind(sql, params) {
  return sql.replace(/\?(\d+)/g, (_, index) => {
    const position = Number(index) - 1;
    if (position >= params.length) fail(`statement needs ?${index}: ${sql}`);
    return literal(params[position]);
  });
}

function query(name, params) {
  return d1([bind(statementOf(name), params)])[0];
}

// ---- WhatsApp message ids ---------------------------------------------------
// The same rules as src/privacy.rs: a wamid is `wamid.` and base64 of
// 1c 18, the number's length and its digits, then the message's own id.

function wamidPhone(id) {
  if (!id.startsWith("wamid.")) return null;
  const bytes = Buffer.from(id.slice(6), "base64");
  if (bytes.length < 3 || bytes[0] !== 0x1c || bytes[1] !== 0x18) return null;
  const digits = bytes.subarray(3, 3 + bytes[2]);
  if (digits.length !== bytes[2] || digits.length === 0) return null;
  const text = digits.toString("latin1");
  return /^[0-9]+$/.test(text) ? text : null;
}

function wamidSearchPrefix(phone) {
  if (!/^[0-9]{1,255}$/.test(phone)) return null;
  const bytes = Buffer.concat([Buffer.from([0x1c, 0x18, phone.length]), Buffer.from(phone, "latin1")]);
  return `wamid.${bytes.subarray(0, Math.floor(bytes.length / 3) * 3).toString("base64")}`;
}

function erasedLedgerId(id) {
  return `erased:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
}

function ledgerRows(customer, identities) {
  const rows = [];
  for (const identity of identities.filter((i) => i.kind === "whatsapp")) {
    const prefix = wamidSearchPrefix(identity.address);
    if (!prefix) continue;
    for (const row of query("ledger_candidates", [customer, prefix])) {
      if (wamidPhone(row.message_id) === identity.address) rows.push(row);
    }
  }
  return rows;
}

// ---- who --------------------------------------------------------------------

/** Finds the person the options name: `{customer, user, identities, pending}`. */
function person() {
  const given = ["phone", "email", "user"].filter((name) => options[name] !== undefined);
  if (given.length !== 1) fail("give exactly one of --phone, --email and --user");
  if (options.phone !== undefined && !/^[0-9]{6,15}$/.test(options.phone)) {
    fail(`--phone must be E.164 digits without +, found \`${options.phone}\``);
  }
  if (options.user !== undefined) {
    if (!options.customer) fail("--user needs --customer");
    const identities = query("user_identities", [options.customer, options.user]);
    return { customer: options.customer, user: options.user, identities, pending: [] };
  }
  const address = options.phone ?? options.email;
  let rows = query("find_user", [address]);
  if (options.customer) rows = rows.filter((row) => row.customer_id === options.customer);
  if (rows.length === 0) fail(`no identity has the address \`${address}\`${options.customer ? ` in customer ${options.customer}` : ""}`);
  const people = [...new Set(rows.map((row) => `${row.customer_id}\u0000${row.user_id ?? ""}`))];
  const linked = people.filter((key) => !key.endsWith("\u0000"));
  const customers = [...new Set(rows.map((row) => row.customer_id))];
  if (customers.length > 1 || linked.length > 1) {
    const list = rows.map((row) => `  customer ${row.customer_id} user ${row.user_id ?? "(pending)"} identity ${row.identity_id}`).join("\n");
    fail(`the address belongs to several people; pick one with --customer (and --user):\n${list}`);
  }
  const customer = customers[0];
  const user = rows.find((row) => row.user_id)?.user_id ?? null;
  const identities = user ? query("user_identities", [customer, user]) : [];
  const pending = rows.filter((row) => !row.user_id).map((row) => ({ id: row.identity_id, kind: row.kind, address: row.address }));
  return { customer, user, identities, pending };
}

// ---- export -------------------------------------------------------------------
// Keep in step with src/privacy/export.rs.

const QUERIES = [
  ["user", "export_user", true],
  ["identities", "export_identities", true],
  ["expenses", "export_expenses", true],
  ["expense_changes", "export_expense_changes", true],
  ["recurring_rules", "export_recurring_rules", true],
  ["reminder_preferences", "export_reminder_preferences", true],
  ["categories", "export_categories", false],
  ["budgets", "export_budgets", false],
  ["merchant_rules", "export_merchant_rules", false],
  ["email_routes", "export_email_routes", true],
];

function stableJson(value) {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function csvText(value) {
  const guarded = /^[=+\-@\t\r\0]/.test(value) ? `'${value}` : value;
  return /[,"\n\r]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

function csvCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return csvText(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return csvText(stableJson(value));
}

function renderCsv(sections) {
  const columns = [];
  for (const section of sections) for (const name of section.columns) if (!columns.includes(name)) columns.push(name);
  const lines = [["section", ...columns].map(csvText).join(",")];
  for (const section of sections) {
    for (const row of section.rows) lines.push([csvText(section.name), ...columns.map((name) => csvCell(row[name]))].join(","));
  }
  return lines.map((line) => `${line}\r\n`).join("");
}

function renderJson(customer, user, generatedAt, sections) {
  const object = { format: EXPORT_FORMAT, generated_at: generatedAt, customer_id: customer, user_id: user };
  for (const section of sections) object[section.name] = section.name === "user" ? section.rows[0] ?? null : section.rows;
  return object;
}

/** Columns of each section, as src/privacy/export.rs lists them. */
const COLUMNS = {
  user: ["id", "customer_id", "display_name", "role", "opted_out_at", "created_at", "updated_at"],
  identities: ["id", "kind", "account", "address", "business_scoped_user_id", "status", "last_inbound_at", "created_at", "updated_at"],
  expenses: [
    "id", "amount_minor", "currency", "spent_on", "description", "merchant", "category_id", "category",
    "status", "confidence", "classified_by", "source", "source_message_id", "created_at", "updated_at",
  ],
  expense_changes: [
    "id", "expense_id", "action", "reverts_change_id", "message_id", "amount_minor", "currency",
    "spent_on", "description", "category_id", "status", "created_at",
  ],
  recurring_rules: [
    "id", "description", "merchant", "amount_minor", "currency", "frequency", "day", "status",
    "active_from", "last_occurrence_on", "created_at", "updated_at",
  ],
  reminder_preferences: ["daily_hour", "created_at", "updated_at"],
  categories: ["id", "name", "keywords", "position", "monthly_budget_minor", "created_at", "updated_at"],
  budgets: ["category_id", "category", "monthly_budget_minor", "home_currency"],
  merchant_rules: ["merchant", "category_id", "category", "created_at"],
  email_routes: ["address", "created_at"],
  messages: ["message_id", "outcome", "received_at"],
  conversation_state: ["identity_id", "state"],
};

function exportData() {
  const { customer, user, identities } = person();
  if (!user) fail("the address belongs to a sender that was never linked to a user; `find` lists all that is kept about it");
  const statements = QUERIES.map(([, name, withUser]) => bind(statementOf(name), withUser ? [customer, user] : [customer]));
  const results = d1(statements);
  const sections = QUERIES.map(([section], index) => ({ name: section, rows: results[index] }));
  sections.push({ name: "messages", rows: ledgerRows(customer, identities) });
  const states = [];
  for (const identity of identities) {
    const text = kvGet(`conversation:${customer}:${identity.id}`);
    if (text !== null) {
      let state = text;
      try {
        state = JSON.parse(text);
      } catch {}
      states.push({ identity_id: identity.id, state });
    }
  }
  sections.push({ name: "conversation_state", rows: states });
  for (const section of sections) section.columns = COLUMNS[section.name];

  const generatedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  mkdirSync(options.out, { recursive: true });
  const base = path.join(options.out, `misgastos-export-${customer}-${user}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(renderJson(customer, user, generatedAt, sections), null, 2)}\n`);
  writeFileSync(`${base}.csv`, renderCsv(sections));
  console.log(`${base}.json\n${base}.csv`);
}

// ---- find and delete ------------------------------------------------------------

function find() {
  const { customer, user, identities, pending } = person();
  const all = [...identities, ...pending];
  console.log(`customer ${customer}, user ${user ?? "(none: pending sender)"}`);
  for (const identity of all) console.log(`  identity ${identity.id} ${identity.kind} ${identity.address}`);
  console.log(`  ledger rows naming the number: ${ledgerRows(customer, all).length}`);
  if (user) {
    const [summary] = query("summary", [customer, user]);
    console.log(`  expenses: ${summary?.expenses ?? 0} (member_deletion: ${summary?.member_deletion})`);
  }
}

async function remove() {
  const { customer, user, identities, pending } = person();
  const all = [...identities, ...pending];
  const addresses = [...new Set(all.map((identity) => identity.address))];
  const ledgerIds = ledgerRows(customer, all).map((row) => row.message_id);
  const [summary] = user ? query("summary", [customer, user]) : [{ member_deletion: "anonymise", expenses: 0 }];
  if (!summary) fail(`customer ${customer} not found`);
  const mode = summary.member_deletion === "delete" ? "delete" : "anonymise";

  console.log(`customer ${customer}, user ${user ?? "(none: pending sender)"}`);
  console.log(`  identities: ${all.length}, ledger rows: ${ledgerIds.length}, expenses: ${summary.expenses} (${mode})`);
  if (!options.yes) {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const typed = await prompt.question(`Type ${options.phone ?? options.email ?? options.user} to delete this person's data: `);
    prompt.close();
    if (typed.trim() !== (options.phone ?? options.email ?? options.user)) fail("not confirmed; nothing was deleted");
  }

  // The order and parameters of privacy::deletion_statements. A long
  // ledger is renamed in chunks first, because Linux limits one command line
  // argument to 128 KiB. Renaming is idempotent, so a failed run is simply
  // run again.
  const pairs = ledgerIds.map((id) => [id, erasedLedgerId(id)]);
  const chunks = [];
  for (let start = 0; start < pairs.length; start += LEDGER_CHUNK) chunks.push(pairs.slice(start, start + LEDGER_CHUNK));
  const rename = (chunk) => [
    bind(statementOf("rewrite_ledger"), [customer, JSON.stringify(chunk)]),
    bind(statementOf("rewrite_budget_alerts"), [customer, JSON.stringify(chunk)]),
  ];
  for (const chunk of chunks.slice(0, -1)) d1(rename(chunk));
  const statements = [
    ...rename(chunks.at(-1) ?? []),
    bind(statementOf(mode === "delete" ? "delete_expense_history" : "anonymise_expense_history"), [customer, user]),
    bind(statementOf("anonymise_user_changes"), [customer, user]),
    bind(statementOf(mode === "delete" ? "delete_recurring_rules" : "anonymise_recurring_rules"), [customer, user]),
    bind(statementOf("delete_reminder_preferences"), [customer, user]),
    bind(statementOf("delete_reminders_sent"), [customer, user, JSON.stringify(all.map((identity) => identity.id))]),
    bind(statementOf(mode === "delete" ? "delete_expenses" : "anonymise_expenses"), [customer, user]),
    bind(statementOf("delete_identities"), [customer, user, JSON.stringify(addresses)]),
    bind(statementOf("delete_email_routes"), [customer, user]),
    bind(statementOf("delete_user"), [customer, user]),
  ];
  d1(statements);
  for (const identity of all) kvDelete(`conversation:${customer}:${identity.id}`);
  console.log("deleted");
}

if (options.help) {
  console.log(USAGE);
} else {
  switch (positionals[0]) {
    case "find":
      find();
      break;
    case "export":
      exportData();
      break;
    case "delete":
      await remove();
      break;
    default:
      fail(`expected find, export or delete\n${USAGE}`);
  }
}
