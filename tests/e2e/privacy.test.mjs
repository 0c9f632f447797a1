// Personal data end to end: opting out and back in, the emailed-receipt
// confirmation an opted-out user does not get, export links whose CSV and
// JSON match D1, deletion through the chat button and through the operator
// script, each followed by a search of every D1 table and every KV key and
// value for what names the person.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
  EMAIL_SECRET,
  LINK_SIGNING_KEY,
  PHONE_NUMBER_ID,
  ROOT,
  buttonsOf,
  choiceMessage,
  messageText,
  newSender,
  startWorker,
  textMessage,
  workerFetch,
} from "./harness.mjs";

const CUSTOMER = "dev-customer";
const BIN = path.join(ROOT, "node_modules", ".bin");

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/**
 * Runs a program and resolves with its exit status and output. The mocks run
 * in this process, so a synchronous child would stall them (and the
 * worker's replies) for as long as it runs.
 */
function run(command, args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** `wrangler` against the worker's local state; rejects on failure. */
async function wrangler(...args) {
  const result = await run(path.join(BIN, "wrangler"), [...args, "--local", "--env", "development", "--persist-to", worker.state]);
  if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs SQL on the local D1 while the worker runs. */
function execute(sql) {
  return wrangler("d1", "execute", "DB", "--command", sql);
}

async function kvKeys(binding = "CONVERSATION_STATE_KV") {
  const out = await wrangler("kv", "key", "list", "--binding", binding);
  return JSON.parse(out.slice(out.indexOf("[")));
}

/** A wamid with Meta's layout: base64 of 1c 18, the number's length, its digits, then the message's own id. */
function wamid(phone) {
  const own = randomBytes(10).toString("hex").toUpperCase();
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, phone.length]),
    Buffer.from(phone, "latin1"),
    Buffer.from([0x15, 0x02, 0x00, 0x12, 0x18, 0x14]),
    Buffer.from(own, "latin1"),
    Buffer.from([0x00]),
  ]);
  return `wamid.${bytes.toString("base64")}`;
}

/** The number a wamid encodes, or null. */
function wamidPhone(id) {
  const bytes = Buffer.from(id.slice("wamid.".length), "base64");
  if (bytes[0] !== 0x1c || bytes[1] !== 0x18) return null;
  const digits = bytes.subarray(3, 3 + bytes[2]).toString("latin1");
  return /^[0-9]+$/.test(digits) ? digits : null;
}

/** What the worker logs in place of a wamid that encodes a number. */
function pseudonym(id) {
  return `wamid~${createHash("sha256").update(id).digest("hex").slice(0, 16)}`;
}

/** Sends a text from `from` under a realistic wamid; returns the body. */
async function say(from, text, name = "Camila") {
  const body = textMessage({ id: wamid(from), from, text, name });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, response.text);
  return body;
}

async function tap(from, choiceId, title) {
  const body = choiceMessage({ id: wamid(from), from, choiceId, title });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, response.text);
  return body;
}

/** Sends `text` and waits for the reply it gets; returns that reply. */
async function ask(from, text, name) {
  const before = worker.kapsoMessages(from).length;
  await say(from, text, name);
  const replies = await worker.repliesTo(from, before + 1);
  return replies[before];
}

function userOf(phone) {
  return worker.query(
    "SELECT i.id AS identity_id, i.user_id, u.opted_out_at FROM channel_identities i LEFT JOIN users u ON u.id = i.user_id WHERE i.address = ?",
    phone,
  )[0];
}

/** POSTs a receipt to /webhooks/email as the email worker does. */
async function emailReceipt(to, total) {
  const body = {
    from: "Tienda Ejemplo <boletas@tienda.example>",
    to,
    subject: "Tu boleta electrónica",
    message_id: `<${randomUUID()}@tienda.example>`,
    date: new Date().toUTCString(),
    text: `Gracias por tu compra en Tienda Ejemplo\nTotal $${total}`,
  };
  const response = await workerFetch(`${worker.url}/webhooks/email`, {
    method: "POST",
    headers: { authorization: `Bearer ${EMAIL_SECRET}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), messageId: body.message_id };
}

function routeEmail(address, userId) {
  return execute(`INSERT INTO email_routes (address, customer_id, user_id) VALUES ('${address}', '${CUSTOMER}', '${userId}')`);
}

/** Rows of the local D1 file as plain objects (node:sqlite's have no prototype). */
function rows(sql, ...params) {
  return worker.query(sql, ...params).map((row) => ({ ...row }));
}

/** The date and hour of `ms` on the development customer's clock (America/Santiago). */
function localDate(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** The instant at which the customer's clock shows 12:00 on `date`. */
function atLocalNoon(date) {
  const [year, month, day] = date.split("-").map(Number);
  const target = Date.UTC(year, month - 1, day, 12);
  let guess = target;
  for (let step = 0; step < 2; step += 1) {
    const shown = localDate(guess);
    const [y, m, d] = shown.date.split("-").map(Number);
    guess += target - Date.UTC(y, m - 1, d, shown.hour, shown.minute);
  }
  return guess;
}

/** Every text in every column of every table of the local D1 file. */
function d1Texts() {
  const texts = [];
  const tables = worker.query("SELECT name FROM sqlite_master WHERE type = 'table'").map((row) => row.name);
  for (const table of tables) {
    for (const row of worker.query(`SELECT * FROM "${table}"`)) {
      for (const [column, value] of Object.entries(row)) {
        if (value !== null && value !== undefined) texts.push([`${table}.${column}`, String(value)]);
      }
    }
  }
  return texts;
}

/** Every key and value of every KV namespace the worker binds. */
async function kvTexts() {
  const texts = [];
  for (const binding of ["CONVERSATION_STATE_KV", "ENTITLEMENTS_KV", "PROMPTS_KV"]) {
    for (const { name } of await kvKeys(binding)) {
      texts.push([`${binding} key`, name]);
      texts.push([`${binding} ${name}`, await wrangler("kv", "key", "get", name, "--binding", binding, "--text")]);
    }
  }
  return texts;
}

/** Asserts that no D1 or KV text contains a needle or a wamid of `phone`. */
async function assertNothingNames(phone, needles) {
  const texts = [...d1Texts(), ...(await kvTexts())];
  assert.ok(texts.length > 0);
  for (const [place, text] of texts) {
    for (const needle of [phone, ...needles]) {
      assert.ok(!text.includes(needle), `${place} contains \`${needle}\`: ${text.slice(0, 300)}`);
    }
    for (const match of text.matchAll(/wamid\.[A-Za-z0-9+/=]+/g)) {
      assert.notEqual(wamidPhone(match[0]), phone, `${place} has a wamid of the number: ${match[0]}`);
    }
  }
}

function householdTotals() {
  return worker.query(
    "SELECT currency, count(*) AS expenses, sum(amount_minor) AS total FROM expenses WHERE customer_id = ? AND status != 'deleted' GROUP BY currency ORDER BY currency",
    CUSTOMER,
  );
}

describe("opt-out", () => {
  for (const word of ["STOP", "BAJA", "detener", "unsubscribe"]) {
    test(`${word} is confirmed and stored`, async () => {
      const from = newSender();
      await ask(from, "almuerzo 4500");
      assert.equal(userOf(from).opted_out_at, null);
      const reply = await ask(from, word);
      assert.match(messageText(reply), /ALTA/);
      assert.notEqual(userOf(from).opted_out_at, null);
      await worker.waitForEvent("privacy.opt_out_changed", { where: (e) => e.opted_out === true && /^[0-9a-f]{16}$/.test(e.sender) });
    });
  }

  test("START and ALTA resume messages", async () => {
    const from = newSender();
    await ask(from, "baja");
    const stoppedAt = userOf(from).opted_out_at;
    assert.ok(stoppedAt);
    await ask(from, "Baja");
    assert.equal(userOf(from).opted_out_at, stoppedAt, "a second opt-out keeps the first time");
    const reply = await ask(from, "START");
    assert.match(messageText(reply), /BAJA/);
    assert.equal(userOf(from).opted_out_at, null);
    await ask(from, "stop");
    assert.ok(userOf(from).opted_out_at);
    await ask(from, "alta");
    assert.equal(userOf(from).opted_out_at, null);
  });

  test("an expense text with an opt-out word stays an expense", async () => {
    const from = newSender();
    const body = await say(from, "baja de precio 5000");
    await worker.repliesTo(from, 1);
    assert.equal(userOf(from).opted_out_at, null);
    const rows = worker.query("SELECT amount_minor FROM expenses WHERE source_message_id = ?", `${body.message.id}#1`);
    assert.deepEqual(rows.map((row) => row.amount_minor), [5000]);
  });

  test("opted-out user gets no reminder or payment notice", async () => {
    const from = newSender();
    // A monthly payment due tomorrow is announced by the run at noon.
    const tomorrow = localDate(Date.now() + 24 * 60 * 60 * 1000);
    await ask(from, `seguro auto privado 30000 todos los meses el ${tomorrow.day}`);
    await ask(from, "recordatorio diario a las 0");
    await ask(from, "BAJA");
    const since = worker.kapsoMessages(from).length;

    // The run's time is noon today on the customer's clock, after the
    // notices' hour.
    const noon = atLocalNoon(localDate(Date.now()).date);
    await worker.scheduled({ time: noon });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(worker.kapsoMessages(from).length, since, "nothing sent after BAJA");
    const { user_id: userId } = userOf(from);
    assert.equal(worker.query("SELECT count(*) AS n FROM reminders_sent WHERE user_id = ?", userId)[0].n, 0);
    await worker.waitForEvent("reminder.skipped", { where: (e) => e.reason === "opted_out" && e.kind === "payment_notice" });

    // Back in, the next run announces the payment.
    await ask(from, "ALTA");
    const back = worker.kapsoMessages(from).length;
    await worker.scheduled({ time: noon + 60_000 });
    const sent = await worker.repliesTo(from, back + 1);
    assert.match(messageText(sent[back]), /seguro auto privado/);
  });

  test("opted-out user gets no emailed-receipt confirmation but the expense is stored", async () => {
    const from = newSender();
    await ask(from, "almuerzo 6000");
    const { user_id: userId } = userOf(from);
    const address = `gastos+optout${from}@misgastos.test`;
    await routeEmail(address, userId);

    // Opted in, the receipt is confirmed on WhatsApp. Its open question
    // is cancelled, so that a later receipt would be asked about at once.
    const sentBefore = worker.kapsoMessages(from).length;
    const first = await emailReceipt(address, "5.990");
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.whatsapp_notified, true);
    await worker.repliesTo(from, sentBefore + 1);
    await ask(from, "cancelar");

    await ask(from, "STOP");
    const sentAfterStop = worker.kapsoMessages(from).length;
    const second = await emailReceipt(address, "7.490");
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(second.json.whatsapp_notified, false);
    const stored = rows("SELECT user_id, amount_minor, source FROM expenses WHERE source_message_id = ?", second.json.source_message_id);
    assert.deepEqual(stored, [{ user_id: userId, amount_minor: 7490, source: "email" }]);
    await worker.waitForEvent("privacy.proactive_suppressed", { where: (e) => e.purpose === "email_receipt" && e.reason === "opted_out" });
    // Replies leave in wait_until right after the response; give them time.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(worker.kapsoMessages(from).length, sentAfterStop, "nothing sent after the opt-out");

    // Opted back in, confirmations come again.
    await ask(from, "ALTA");
    const sentAfterStart = worker.kapsoMessages(from).length;
    const third = await emailReceipt(address, "3.990");
    assert.equal(third.json.whatsapp_notified, true);
    await worker.repliesTo(from, sentAfterStart + 1);
  });
});

/** The CSV and JSON links of an export reply. */
function exportLinks(reply) {
  const text = messageText(reply);
  const csv = text.match(/CSV: (\S+)/)?.[1];
  const json = text.match(/JSON: (\S+)/)?.[1];
  assert.ok(csv && json, text);
  return { csv, json };
}

/** Splits RFC 4180 CSV into rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i += 1;
    } else cell += c;
  }
  return rows;
}

/** A link token signed as src/token.rs signs it. */
function signToken(claims, key = LINK_SIGNING_KEY) {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const tag = createHmac("sha256", key).update(`misgastos-link:${payload}`).digest("base64url");
  return `${payload}.${tag}`;
}

describe("export", () => {
  let from;
  let links;
  let sent = [];

  before(async () => {
    from = newSender();
    sent.push((await say(from, "almuerzo 12500")).message.id);
    await worker.repliesTo(from, 1);
    sent.push((await say(from, "uber 8000 ayer")).message.id);
    await worker.repliesTo(from, 2);
    // No keyword and no rule: a pending expense whose question stays open
    // in KV.
    sent.push((await say(from, "xyzzy 3000")).message.id);
    await worker.repliesTo(from, 3);
    const body = await say(from, "Exportar mis datos");
    sent.push(body.message.id);
    links = exportLinks((await worker.repliesTo(from, 4))[3]);
  });

  test("link is signed, expiring and under PUBLIC_BASE_URL", async () => {
    assert.ok(links.csv.startsWith(`${worker.url}/exports/`), links.csv);
    assert.ok(links.json.endsWith(".json"), links.json);
    const token = links.json.slice(`${worker.url}/exports/`.length, -".json".length);
    const claims = JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
    assert.equal(claims.kind, "export");
    assert.equal(claims.customer_id, CUSTOMER);
    assert.equal(claims.user_id, userOf(from).user_id);
    const ttl = claims.expires_at - Math.floor(Date.now() / 1000);
    assert.ok(ttl > 3_000, `expires in ${ttl} s`);
    assert.ok(ttl <= 3_600, `expires in ${ttl} s`);
    await worker.waitForEvent("privacy.export_link_sent");
  });

  test("JSON rows match D1", async () => {
    const response = await workerFetch(links.json);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /application\/json/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-robots-tag"), "noindex");
    const data = await response.json();
    const { user_id: userId, identity_id: identityId } = userOf(from);
    assert.equal(data.format, "misgastos-export/1");
    assert.equal(data.user_id, userId);
    assert.deepEqual(data.user, rows("SELECT id, customer_id, display_name, role, opted_out_at, created_at, updated_at FROM users WHERE id = ?", userId)[0]);

    const expenses = rows(
      `SELECT e.id, e.amount_minor, e.currency, e.spent_on, e.description, e.merchant, e.category_id, c.name AS category,
              e.status, e.confidence, e.classified_by, e.source, e.source_message_id, e.created_at, e.updated_at
         FROM expenses e LEFT JOIN categories c ON c.id = e.category_id WHERE e.user_id = ? ORDER BY e.spent_on, e.created_at, e.id`,
      userId,
    );
    assert.equal(expenses.length, 3);
    assert.deepEqual(data.expenses, expenses);
    assert.deepEqual(
      data.identities.map((row) => [row.id, row.kind, row.address]),
      [[identityId, "whatsapp", from]],
    );
    const categories = rows("SELECT id, name, keywords, position, monthly_budget_minor, created_at, updated_at FROM categories WHERE customer_id = ? ORDER BY position, name", CUSTOMER);
    assert.deepEqual(data.categories, categories);
    const ledger = rows(`SELECT message_id, outcome, received_at FROM inbound_messages WHERE message_id IN (${sent.map(() => "?").join(",")}) ORDER BY received_at, message_id`, ...sent);
    assert.equal(ledger.length, 4);
    assert.deepEqual(data.messages, ledger);
    assert.equal(data.conversation_state.length, 1);
    assert.equal(data.conversation_state[0].identity_id, identityId);
    assert.equal(data.conversation_state[0].state.questions[0].kind, "category");
    await worker.waitForEvent("privacy.export_served", { where: (e) => e.format === "json" });
  });

  test("CSV rows match D1 and guard formulas", async () => {
    const { user_id: userId } = userOf(from);
    const [target] = worker.query("SELECT id FROM expenses WHERE user_id = ? ORDER BY id LIMIT 1", userId);
    await execute(`UPDATE expenses SET description = '=1+2' WHERE id = '${target.id}'`);
    const response = await workerFetch(links.csv);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /text\/csv/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-robots-tag"), "noindex");
    assert.match(response.headers.get("content-disposition"), /attachment; filename="misgastos-\d{4}-\d{2}-\d{2}\.csv"/);
    const table = parseCsv(await response.text());
    const header = table[0];
    assert.equal(header[0], "section");
    const records = table.slice(1).map((cells) => Object.fromEntries(header.map((name, index) => [name, cells[index]])));
    const expenses = worker.query("SELECT id, amount_minor, description FROM expenses WHERE user_id = ? ORDER BY id", userId);
    const csvExpenses = records.filter((record) => record.section === "expenses").sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(
      csvExpenses.map((record) => [record.id, Number(record.amount_minor)]),
      expenses.map((row) => [row.id, row.amount_minor]),
    );
    const risky = csvExpenses.find((record) => record.id === target.id);
    assert.equal(risky.description, "'=1+2", "a formula is written as text");
    assert.equal(records.filter((record) => record.section === "user").length, 1);
    assert.equal(records.filter((record) => record.section === "messages").length, 4);
  });

  test("wrong, expired and foreign tokens get a bare 404", async () => {
    const unknown = await workerFetch(`${worker.url}/no-such-path`);
    const unknownBody = await unknown.text();
    const now = Math.floor(Date.now() / 1000);
    const claims = { kind: "export", customer_id: CUSTOMER, user_id: userOf(from).user_id, period: null, nonce: "00" };
    const token = links.json.slice(`${worker.url}/exports/`.length, -".json".length);
    const [payload, tag] = token.split(".");
    const flipped = `${tag[0] === "A" ? "B" : "A"}${tag.slice(1)}`;
    const cases = {
      tampered: `${worker.url}/exports/${payload}.${flipped}.json`,
      expired: `${worker.url}/exports/${signToken({ ...claims, expires_at: now - 1 })}.json`,
      "report kind": `${worker.url}/exports/${signToken({ ...claims, kind: "report", expires_at: now + 600 })}.json`,
      "other key": `${worker.url}/exports/${signToken({ ...claims, expires_at: now + 600 }, "not-the-key")}.csv`,
      "unknown user": `${worker.url}/exports/${signToken({ ...claims, user_id: "user-nobody", expires_at: now + 600 })}.csv`,
      "no extension": links.json.replace(/\.json$/, ""),
    };
    for (const [name, url] of Object.entries(cases)) {
      const response = await workerFetch(url);
      assert.equal(response.status, 404, name);
      assert.equal(await response.text(), unknownBody, `${name}: the same body as an unknown path`);
      assert.equal(response.headers.get("cache-control"), "no-store", name);
    }
    const valid = await workerFetch(`${worker.url}/exports/${signToken({ ...claims, expires_at: now + 600 })}.json`);
    assert.equal(valid.status, 200, "the same claims with a future expiry open the export");
    await worker.waitForEvent("privacy.export_link_rejected", { where: (e) => e.reason === "invalid_or_expired" });
    await worker.waitForEvent("privacy.export_link_rejected", { where: (e) => e.reason === "user_missing" });
  });
});

describe("deletion", () => {
  /**
   * Creates a member with WhatsApp expenses, one of them edited, a budget
   * alert announced to them, a recurring rule, a daily reminder, an open
   * question and an emailed receipt.
   */
  async function member(tag) {
    const from = newSender();
    const name = `Zoraida ${tag} Quispe`;
    await ask(from, "almuerzo 12500", name);
    // A budget just above what the household spent on food, so that the
    // next lunch crosses it; alerts fire only when spending crosses one.
    const [{ spent }] = worker.query(
      "SELECT coalesce(sum(e.amount_minor), 0) AS spent FROM expenses e JOIN categories c ON c.id = e.category_id WHERE e.customer_id = ? AND c.name = 'Comida' AND e.status = 'completed' AND e.currency = 'CLP'",
      CUSTOMER,
    );
    const budget = spent + 5000;
    await ask(from, `presupuesto comida ${budget}`, name);
    await ask(from, "almuerzo 9000", name);
    await ask(from, "presupuesto comida 0", name);
    await ask(from, "cambia la descripción a cena con Pedro", name);
    await ask(from, `gimnasio ${tag} 25000 todos los meses el 1`, name);
    await ask(from, "recordatorio diario a las 21", name);
    await ask(from, "xyzzy 3000", name);

    const { user_id: userId, identity_id: identityId } = userOf(from);
    const alerts = worker.query("SELECT message_id FROM budget_alerts WHERE budget_minor = ?", budget);
    assert.ok(alerts.length > 0, "a budget alert was announced");
    assert.ok(alerts.every((alert) => wamidPhone(alert.message_id) === from), "in a reply to the member");
    const changes = worker.query("SELECT message_id, description FROM expense_changes WHERE user_id = ?", userId);
    assert.equal(changes.length, 1, "the edit is in the history");
    assert.equal(wamidPhone(changes[0].message_id), from);
    assert.equal(worker.query("SELECT count(*) AS n FROM recurring_rules WHERE user_id = ?", userId)[0].n, 1);
    assert.equal(worker.query("SELECT daily_hour FROM reminder_preferences WHERE user_id = ?", userId)[0].daily_hour, 21);

    const address = `gastos+${tag}${from.slice(-4)}@misgastos.test`;
    await routeEmail(address, userId);
    const receipt = await emailReceipt(address, "5.990");
    assert.equal(receipt.status, 200, JSON.stringify(receipt.json));

    const keys = (await kvKeys()).map((key) => key.name);
    assert.ok(keys.includes(`conversation:${CUSTOMER}:${identityId}`), "the open question is in KV before the deletion");
    return { from, name, userId, identityId, address };
  }

  async function askDeletion(from) {
    const reply = await ask(from, "borrar mis datos");
    const buttons = buttonsOf(reply);
    assert.equal(buttons.length, 2, messageText(reply));
    return { reply, confirm: buttons[0], keep: buttons[1] };
  }

  test("keep button deletes nothing", async () => {
    const from = newSender();
    await ask(from, "almuerzo 4000");
    const { keep } = await askDeletion(from);
    assert.equal(keep.id, "prv|keep");
    const before = worker.kapsoMessages(from).length;
    await tap(from, keep.id, keep.title);
    const replies = await worker.repliesTo(from, before + 1);
    assert.match(messageText(replies[before]), /no borré nada/);
    assert.ok(userOf(from).user_id);
  });

  test("an expired button deletes nothing", async () => {
    const from = newSender();
    await ask(from, "almuerzo 4000");
    const before = worker.kapsoMessages(from).length;
    await tap(from, "prv|del|1700000000", "Sí, borrar");
    const replies = await worker.repliesTo(from, before + 1);
    assert.match(messageText(replies[before]), /venció/);
    assert.ok(userOf(from).user_id);
    await worker.waitForEvent("privacy.deletion", { where: (e) => e.step === "expired" });
  });

  test("button deletion anonymises and leaves nothing naming the user", async () => {
    const other = newSender();
    await ask(other, "taxi 7000");
    const person = await member("anon");
    const totals = householdTotals();
    const { reply, confirm } = await askDeletion(person.from);
    assert.match(messageText(reply), /quedan en los totales/);
    assert.match(confirm.id, /^prv\|del\|\d+$/);
    const before = worker.kapsoMessages(person.from).length;
    const tapped = await tap(person.from, confirm.id, confirm.title);
    const replies = await worker.repliesTo(person.from, before + 1);
    assert.match(messageText(replies[before]), /borré tus datos/);
    await worker.waitForEvent("privacy.deletion", { where: (e) => e.step === "completed" && e.mode === "anonymise" });

    assert.deepEqual(householdTotals(), totals, "the household keeps its totals");
    assert.equal(worker.query("SELECT count(*) AS n FROM expenses WHERE source_message_id LIKE 'erased:%'")[0].n >= 3, true);
    await assertNothingNames(person.from, [person.userId, person.identityId, person.name, person.address, "cena con Pedro"]);
    assert.ok(userOf(other).user_id, "the other member is untouched");

    // A retry of the confirming delivery is a duplicate, not a new sender.
    const users = worker.query("SELECT count(*) AS n FROM users")[0].n;
    const retry = await worker.sendWebhook(tapped);
    assert.equal(retry.status, 200);
    await worker.waitForEvent("whatsapp.duplicate_skipped", { where: (e) => e.message_id === pseudonym(tapped.message.id) });
    assert.equal(worker.query("SELECT count(*) AS n FROM users")[0].n, users);

    // A later message starts from scratch: in development the sender is
    // bound again, as a user with nothing of the old one.
    await ask(person.from, "hola");
    const again = userOf(person.from);
    assert.ok(again.user_id);
    assert.equal(worker.query("SELECT count(*) AS n FROM expenses WHERE user_id = ?", again.user_id)[0].n, 0);
  });

  // A `mi resumen` link names one user. After that user's deletion it used
  // to keep opening their page (empty, since their expenses were
  // anonymised), where an export link of the same user gets 404.
  test("a personal report link dies with its user", async () => {
    const from = newSender();
    await ask(from, "almuerzo 4000");
    const mine = /(\S+\/reports\/\S+)/.exec(messageText(await ask(from, "mi resumen")))?.[1];
    const household = /(\S+\/reports\/\S+)/.exec(messageText(await ask(from, "resumen")))?.[1];
    assert.ok(mine && household, `links: ${mine} ${household}`);
    assert.equal((await workerFetch(mine)).status, 200);

    const { confirm } = await askDeletion(from);
    const before = worker.kapsoMessages(from).length;
    await tap(from, confirm.id, confirm.title);
    await worker.repliesTo(from, before + 1);
    await worker.waitForEvent("privacy.deletion", { where: (e) => e.step === "completed" });

    const unknownBody = await (await workerFetch(`${worker.url}/reports/no-such-token`)).text();
    for (const url of [mine, `${mine}/csv`]) {
      const response = await workerFetch(url);
      assert.equal(response.status, 404, url);
      assert.equal(await response.text(), unknownBody, "the same body as any wrong link");
    }
    assert.equal((await workerFetch(household)).status, 200, "the household's page stays the household's");
  });

  test("delete mode removes the expenses", async () => {
    await execute(`UPDATE customers SET member_deletion = 'delete' WHERE id = '${CUSTOMER}'`);
    try {
      const person = await member("gone");
      const before = householdTotals();
      const mine = worker.query("SELECT count(*) AS n, sum(amount_minor) AS total FROM expenses WHERE user_id = ?", person.userId)[0];
      const { reply, confirm } = await askDeletion(person.from);
      assert.match(messageText(reply), /También se borran tus gastos \(4\)/);
      const count = worker.kapsoMessages(person.from).length;
      await tap(person.from, confirm.id, confirm.title);
      await worker.repliesTo(person.from, count + 1);
      await worker.waitForEvent("privacy.deletion", { where: (e) => e.step === "completed" && e.mode === "delete" });
      const after = householdTotals();
      const clp = (rows) => rows.find((row) => row.currency === "CLP");
      assert.equal(clp(after).total, clp(before).total - mine.total);
      assert.equal(clp(after).expenses, clp(before).expenses - mine.n);
      await assertNothingNames(person.from, [person.userId, person.identityId, person.name, person.address, "cena con Pedro"]);
    } finally {
      await execute(`UPDATE customers SET member_deletion = 'anonymise' WHERE id = '${CUSTOMER}'`);
    }
  });

  test("Telegram notices and log lines name nobody", async () => {
    const phones = new Set(
      worker.mocks.requests.filter((r) => r.service === "kapso" && r.body?.to).map((r) => r.body.to),
    );
    assert.ok(phones.size > 0);
    const notices = worker.telegramMessages().map((r) => r.raw);
    assert.ok(notices.some((raw) => raw.includes("Datos personales")), "the operators heard of the deletions");
    for (const line of [...worker.output, ...notices]) {
      for (const phone of phones) assert.ok(!line.includes(phone), `phone number in: ${line}`);
      for (const match of line.matchAll(/wamid\.[A-Za-z0-9+/=]+/g)) {
        assert.equal(wamidPhone(match[0]), null, `a wamid with a number in: ${line}`);
      }
    }
  });
});

describe("operator script", () => {
  function script(args, options) {
    const target = ["--local", "--env", "development", "--persist-to", worker.state];
    return run(process.execPath, [path.join(ROOT, "scripts", "privacy.mjs"), ...args, ...target], options);
  }

  async function succeed(...args) {
    const result = await script(args);
    assert.equal(result.status, 0, `${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  test("export matches the link and delete leaves nothing", async () => {
    const from = newSender();
    const name = "Operadora Ximena Ruiz";
    await ask(from, "almuerzo 9900", name);
    await ask(from, "xyzzy 2500", name);
    const { user_id: userId, identity_id: identityId } = userOf(from);

    const out = mkdtempSync(path.join(os.tmpdir(), "misgastos-export-"));
    await succeed("export", "--phone", from, "--out", out);
    const byScript = JSON.parse(readFileSync(path.join(out, `misgastos-export-${CUSTOMER}-${userId}.json`), "utf8"));
    const linkReply = await ask(from, "export my data", name);
    const byLink = await (await workerFetch(exportLinks(linkReply).json)).json();
    // The export request is one more ledger row; drop it and the times.
    const requestRow = byLink.messages.at(-1);
    byLink.messages = byLink.messages.filter((row) => row !== requestRow);
    for (const data of [byScript, byLink]) delete data.generated_at;
    assert.deepEqual(byScript, byLink);
    const csv = parseCsv(readFileSync(path.join(out, `misgastos-export-${CUSTOMER}-${userId}.csv`), "utf8"));
    assert.equal(csv.filter((row) => row[0] === "expenses").length, 2);

    const found = await succeed("find", "--phone", from);
    assert.match(found, new RegExp(`user ${userId}`));
    await succeed("delete", "--phone", from, "--yes");
    await assertNothingNames(from, [userId, identityId, name]);
    const erased = worker.query("SELECT count(*) AS n FROM expenses WHERE user_id IS NULL AND source_message_id LIKE 'erased:%'");
    assert.ok(erased[0].n >= 2);
  });

  test("delete removes a sender never linked to a user", async () => {
    const from = newSender();
    const id = wamid(from);
    await execute(
      `INSERT INTO channel_identities (id, account_id, customer_id, address, status) VALUES ('pending-${from.slice(-4)}', 'acct-${PHONE_NUMBER_ID}', '${CUSTOMER}', '${from}', 'pending');
       INSERT INTO inbound_messages (message_id, customer_id, outcome) VALUES ('${id}', '${CUSTOMER}', 'unknown_sender')`,
    );
    assert.match(await succeed("find", "--phone", from), /ledger rows naming the number: 1/);
    await succeed("delete", "--phone", from, "--yes");
    await assertNothingNames(from, [`pending-${from.slice(-4)}`]);
    const erased = `erased:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
    assert.equal(worker.query("SELECT count(*) AS n FROM inbound_messages WHERE message_id = ?", erased)[0].n, 1);
  });

  test("delete asks for the number again without --yes", async () => {
    const from = newSender();
    await ask(from, "almuerzo 3000");
    const result = await script(["delete", "--phone", from], { input: "\n" });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /not confirmed; nothing was deleted/);
    assert.ok(userOf(from).user_id, "the user is still there");
  });
});
