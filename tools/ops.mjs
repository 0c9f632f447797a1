// Operator commands for customers, users, WhatsApp numbers, subscriptions and
// email routes. Each command runs one of the SQL files in db/ops/ with
// `wrangler d1 execute`, against the remote database (--remote) or a local
// copy (--local):
//
//   node tools/ops.mjs customer:create --id casa-perez --name "Casa Pérez" --remote
//   pnpm run ops -- subscriptions:list --customer casa-perez --remote
//
// `wrangler d1 execute` cannot bind parameters, so the values are written
// into the statement as SQL literals: text is quoted with single quotes
// doubled, numbers are checked to be numbers. `node tools/ops.mjs help` lists
// the commands.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

/** Options every command accepts; they are passed on to wrangler. */
const WRANGLER_OPTIONS = {
  local: { flag: true, help: "run on the local D1 copy (.wrangler/state, or --persist-to)" },
  remote: { flag: true, help: "run on the Cloudflare D1 database" },
  env: { help: "wrangler environment of wrangler.jsonc, for example development" },
  "persist-to": { help: "directory of the local state (with --local)" },
  database: { default: "misgastos", help: "D1 database name or binding" },
  json: { flag: true, help: "print the rows as JSON" },
};

const PHONE = /^[1-9][0-9]{6,14}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

/** Removes `+`, spaces and dashes from a phone number and checks the E.164 digits. */
function phone(value, name) {
  const digits = String(value).replace(/[\s+()-]/g, "");
  if (!PHONE.test(digits)) fail(`--${name} must be a phone number in E.164 form (7 to 15 digits), found \`${value}\``);
  return digits;
}

function timestamp(value, name) {
  if (value === "now") return new Date().toISOString();
  if (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
    fail(`--${name} must be an RFC 3339 UTC timestamp such as 2027-01-01T00:00:00Z, or now; found \`${value}\``);
  }
  return value;
}

function integer(value, name) {
  if (value === null) return null;
  if (!/^\d+$/.test(String(value))) fail(`--${name} must be a whole number of 0 or more, found \`${value}\``);
  return Number(value);
}

function fraction(value, name) {
  const number = Number(value);
  if (String(value).trim() === "" || !(number >= 0 && number <= 1)) fail(`--${name} must be a number from 0 to 1, found \`${value}\``);
  return number;
}

/**
 * The commands. `params` lists the options in the order of the SQL file's
 * ?1, ?2, … (a step's `args` picks other ones), as [name, default, check];
 * an option without a default is required. A step with `mustChange` must
 * change a row, and its reason is shown when none does. `invalidates`
 * deletes the customer's cached entitlements afterwards.
 */
const COMMANDS = {
  "customer:create": {
    help: "create a customer",
    params: [
      ["id"],
      ["name"],
      ["currency", "CLP", (v, n) => (/^[A-Z]{3}$/.test(v) ? v : fail(`--${n} must be an ISO 4217 code such as CLP, found \`${v}\``))],
      ["locale", "es-CL"],
      ["time-zone", "America/Santiago"],
      ["threshold", "0.75", fraction],
    ],
    steps: [{ file: "customer_create.sql" }],
  },
  "user:create": {
    help: "add a person to a customer (role owner or member)",
    params: [["id"], ["customer"], ["name", null], ["role", "member"]],
    steps: [{ file: "user_create.sql" }],
  },
  "number:link": {
    help: "link a WhatsApp business number (Kapso phone_number_id) to a customer",
    params: [["id", (o) => `acct-${o["phone-number-id"]}`], ["customer"], ["phone-number-id"], ["name", null]],
    steps: [{ file: "number_link.sql" }],
  },
  "identity:link": {
    help: "link a sender's phone on a number to a user (activates a pending sender)",
    params: [["id", () => randomUUID()], ["phone-number-id"], ["user"], ["phone", undefined, phone]],
    steps: [{ file: "identity_link.sql", mustChange: "the number is not linked, or the user belongs to another customer than the number" }],
  },
  "subscription:set": {
    help: "record a subscription from --start (default now) to --end; it replaces the current one from --start",
    params: [
      ["id", () => randomUUID()],
      ["customer"],
      ["plan"],
      ["status", "active"],
      ["start", "now", timestamp],
      ["end", undefined, timestamp],
      ["limit", null, integer],
    ],
    steps: [
      { file: "subscription_supersede.sql", args: ["customer", "start"] },
      { file: "subscription_trim.sql", args: ["customer", "start"] },
      { file: "subscription_insert.sql" },
    ],
    invalidates: true,
  },
  "email-route:set": {
    help: "route an inbound address to a customer, and to one of its users with --user",
    params: [["address"], ["customer"], ["user", null]],
    steps: [{ file: "email_route_create.sql", mustChange: "the customer is unknown, or the user belongs to another customer" }],
  },
  "entitlements:invalidate": {
    help: "delete a customer's cached entitlements from ENTITLEMENTS_KV, so the next message reads D1",
    params: [["customer"]],
    steps: [],
    invalidates: true,
  },
  "customers:list": { help: "list customers with their current subscription", params: [], steps: [{ file: "customers_list.sql" }] },
  "users:list": { help: "list a customer's users and their numbers", params: [["customer"]], steps: [{ file: "users_list.sql" }] },
  "numbers:list": { help: "list WhatsApp numbers and email accounts", params: [], steps: [{ file: "numbers_list.sql" }] },
  "identities:list": { help: "list a customer's senders, pending first", params: [["customer"]], steps: [{ file: "identities_list.sql" }] },
  "subscriptions:list": { help: "list subscriptions, of one customer with --customer", params: [["customer", null]], steps: [{ file: "subscriptions_list.sql" }] },
  "email-routes:list": { help: "list inbound email addresses", params: [], steps: [{ file: "email_routes_list.sql" }] },
};

/** A rejected command line or a failed command; main() prints it. */
class OpsError extends Error {}

function fail(message) {
  throw new OpsError(message);
}

function usage() {
  const lines = ["usage: node tools/ops.mjs <command> [--option value …] (--local | --remote)", "", "commands:"];
  for (const [name, command] of Object.entries(COMMANDS)) {
    const options = command.params.map(([option, fallback]) => (fallback === undefined ? `--${option} V` : `[--${option} V]`));
    lines.push(`  ${name} ${options.join(" ")}`, `      ${command.help}`);
  }
  lines.push("", "options of every command:");
  for (const [name, option] of Object.entries(WRANGLER_OPTIONS)) lines.push(`  --${name}${option.flag ? "" : " V"}  ${option.help}`);
  return lines.join("\n");
}

/** Reads `--name value` and `--flag` pairs. */
function parseOptions(args) {
  const options = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (!arg.startsWith("--")) fail(`unexpected argument \`${arg}\`; options are written --name value`);
    const name = arg.slice(2);
    if (WRANGLER_OPTIONS[name]?.flag) {
      options[name] = true;
      continue;
    }
    if (i + 1 >= args.length) fail(`--${name} needs a value`);
    options[name] = args[i + 1];
    i += 1;
  }
  return options;
}

/** Writes a JS value as an SQL literal: NULL, a number, or quoted text. */
export function literal(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * Writes `values` into the ?N parameters of `sql` and drops its `--`
 * comments. Quoted text in the SQL is copied unchanged, so a `?` inside a
 * string literal is left alone.
 */
export function bindLiterals(sql, values) {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    if (char === "'") {
      let end = i + 1;
      while (end < sql.length && !(sql[end] === "'" && sql[end + 1] !== "'")) end += sql[end] === "'" ? 2 : 1;
      out += sql.slice(i, end + 1);
      i = end + 1;
    } else if (char === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i += 1;
    } else if (char === "?") {
      let end = i + 1;
      while (end < sql.length && /[0-9]/.test(sql[end])) end += 1;
      const index = Number(sql.slice(i + 1, end));
      if (!(index >= 1 && index <= values.length)) throw new Error(`parameter ?${sql.slice(i + 1, end)} has no value`);
      out += literal(values[index - 1]);
      i = end;
    } else {
      out += char;
      i += 1;
    }
  }
  return out.trim().replace(/;$/, "");
}

function toolEnv() {
  // wrangler needs Node 22, which scripts/bootstrap puts in node_modules/.bin.
  return { ...process.env, PATH: `${BIN}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };
}

function wranglerArgs(options) {
  const args = [];
  if (options.local) args.push("--local");
  if (options.remote) args.push("--remote");
  if (options.env) args.push("--env", options.env);
  if (options["persist-to"]) args.push("--persist-to", options["persist-to"]);
  return args;
}

function runWrangler(args) {
  const result = spawnSync(path.join(BIN, "wrangler"), args, { cwd: ROOT, env: toolEnv(), encoding: "utf8" });
  if (result.error) fail(`could not run wrangler: ${result.error.message}; run bash scripts/bootstrap first`);
  return result;
}

/** Runs SQL with `wrangler d1 execute --json` and returns each statement's rows. */
function execute(sql, options) {
  const result = runWrangler(["d1", "execute", options.database, ...wranglerArgs(options), "--json", "--command", sql]);
  const start = result.stdout.search(/^[[{]/m);
  let parsed = null;
  try {
    parsed = start >= 0 ? JSON.parse(result.stdout.slice(start)) : null;
  } catch {}
  if (result.status !== 0 || !Array.isArray(parsed)) {
    const detail = parsed?.error?.text ?? `${result.stdout}\n${result.stderr}`.trim();
    fail(`wrangler d1 execute failed: ${detail}`);
  }
  return parsed.map((statement) => statement.results ?? []);
}

function invalidate(customer, options) {
  const key = `entitlements:${customer}`;
  const result = runWrangler(["kv", "key", "delete", key, "--binding", "ENTITLEMENTS_KV", ...wranglerArgs(options)]);
  if (result.status !== 0) {
    console.error(`ops: ${key} was not deleted from ENTITLEMENTS_KV, so the worker may use the old entitlements for up to 5 minutes:\n${result.stderr.trim()}`);
    return false;
  }
  console.log(`deleted ${key} from ENTITLEMENTS_KV`);
  return true;
}

/**
 * Checks a command's options and returns its SQL: `statements` to run in
 * one batch, `checked` (the positions of `SELECT changes()` that must not be
 * 0, with the reason) and the option `values`. Throws an OpsError for an
 * unknown command or a missing or invalid option.
 */
export function buildCommand(name, options) {
  const command = COMMANDS[name];
  if (!command) fail(`unknown command \`${name}\`\n\n${usage()}`);
  for (const key of Object.keys(options)) {
    const known = key in WRANGLER_OPTIONS || command.params.some(([param]) => param === key);
    if (!known) fail(`${name} has no option --${key}`);
  }

  const values = {};
  for (const [param, fallback, check] of command.params) {
    let value = options[param];
    if (value === undefined) {
      if (fallback === undefined) fail(`${name} needs --${param}`);
      value = typeof fallback === "function" ? fallback(options) : fallback;
    }
    values[param] = check && value !== null ? check(value, param) : value;
  }

  const statements = [];
  const checked = [];
  for (const step of command.steps) {
    const names = step.args ?? command.params.map(([param]) => param);
    const sql = readFileSync(path.join(ROOT, "db", "ops", step.file), "utf8");
    statements.push(bindLiterals(sql, names.map((param) => values[param])));
    if (step.mustChange) {
      checked.push({ index: statements.length, reason: step.mustChange });
      statements.push("SELECT changes() AS changed");
    }
  }
  return { command, statements, checked, values };
}

function main(argv) {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help") {
    console.log(usage());
    return;
  }
  const options = parseOptions(rest);
  const { command, statements, checked, values } = buildCommand(name, options);
  if (options.local === options.remote) fail("pass exactly one of --local and --remote");
  options.database ??= WRANGLER_OPTIONS.database.default;
  if (statements.length > 0) {
    // One --command runs as one D1 batch, so a failing statement writes nothing.
    const results = execute(statements.join(";\n"), options);
    for (const { index, reason } of checked) {
      if (results[index]?.[0]?.changed === 0) fail(`${name} changed nothing: ${reason}`);
    }
    const rows = results.filter((rows, index) => rows.length > 0 && !checked.some((c) => c.index === index)).flat();
    if (options.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length > 0) console.table(rows);
    else console.log(`${name}: done`);
  }
  if (command.invalidates && !invalidate(values.customer, options) && command.steps.length === 0) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OpsError)) throw error;
    console.error(`ops: ${error.message}`);
    process.exit(2);
  }
}
