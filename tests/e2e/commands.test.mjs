// The commands a user sends after the first expense, end to end under
// wrangler dev: help, cancel, undo, delete, edits (and the merchant rule a
// category correction teaches), the recent list, month summaries, budgets
// and the alerts edits raise, stale pending expenses and expired drafts, and
// the report page behind a summary's link (also opened in headless
// Chromium).
//
// Each test writes from a fresh sender, so the commands about "my last
// expense" see only its own. Development bootstraps every sender into one
// customer, so tests that add up a whole household or set budgets create a
// customer of their own.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { LINK_SIGNING_KEY, ROOT, buttonsOf, choiceMessage, messageText, newSender, startWorker, textMessage, waitFor, workerFetch } from "./harness.mjs";

const SPANISH_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
const ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Today in the development customer's time zone, `YYYY-MM-DD`. */
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago" }).format(new Date());
}

function shiftDays(day, days) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** `{ year, month }` of a `YYYY-MM-DD` day, month 1-based. */
function monthOf(day) {
  return { year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)) };
}

function previousMonth({ year, month }) {
  return month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
}

/** Sends a text and waits until `from` has received `total` messages in all. */
async function say(from, text, total, { phoneNumberId } = {}) {
  const body = textMessage({ from, text, ...(phoneNumberId ? { phoneNumberId } : {}) });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  const replies = await worker.repliesTo(from, total);
  return { id: body.message.id, replies, last: replies.at(-1) };
}

async function tap(from, choiceId, title, total, { list = false, phoneNumberId } = {}) {
  const body = choiceMessage({ from, choiceId, title, list, ...(phoneNumberId ? { phoneNumberId } : {}) });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200);
  const replies = await worker.repliesTo(from, total);
  return { id: body.message.id, replies, last: replies.at(-1) };
}

function expenseOf(messageId) {
  const [row] = worker.query("SELECT * FROM expenses WHERE source_message_id = ?", `${messageId}#1`);
  assert.ok(row, `expense of ${messageId}`);
  return row;
}

function changesOf(expenseId) {
  return worker.query("SELECT * FROM expense_changes WHERE expense_id = ? ORDER BY created_at, rowid", expenseId);
}

function categoryName(id) {
  return worker.query("SELECT name FROM categories WHERE id = ?", id)[0]?.name;
}

function listOf(request) {
  const action = request.body?.interactive?.action;
  return { label: action?.button, rows: action?.sections?.flatMap((section) => section.rows) ?? [] };
}

/** Checks WhatsApp's limits on an interactive message: 3 buttons of at most 20 characters, a list of at most 10 rows of at most 24. */
function assertWithinLimits(request) {
  const interactive = request.body?.interactive;
  if (!interactive) return;
  if (interactive.type === "button") {
    const buttons = buttonsOf(request);
    assert.ok(buttons.length >= 1 && buttons.length <= 3, `1 to 3 buttons: ${JSON.stringify(buttons)}`);
    for (const button of buttons) assert.ok([...button.title].length <= 20, `button title ${button.title}`);
  }
  if (interactive.type === "list") {
    const { label, rows } = listOf(request);
    assert.ok([...label].length <= 20, `list label ${label}`);
    assert.ok(rows.length >= 1 && rows.length <= 10, `1 to 10 rows: ${rows.length}`);
    for (const row of rows) assert.ok([...row.title].length <= 24, `row title ${row.title}`);
  }
}

/**
 * Creates a customer of its own with a WhatsApp number and the given
 * senders as users, so that its household totals and budgets are its alone.
 */
function createCustomer({ locale = "es-CL", currency = "CLP", senders }) {
  const id = `cust-${randomUUID().slice(0, 8)}`;
  const phoneNumberId = `pn-${id}`;
  const statements = [
    `INSERT INTO customers (id, name, home_currency, locale, time_zone) VALUES ('${id}', 'Hogar de prueba', '${currency}', '${locale}', 'America/Santiago')`,
    `INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('acct-${id}', '${id}', 'whatsapp', '${phoneNumberId}')`,
  ];
  senders.forEach((sender, index) => {
    statements.push(`INSERT INTO users (id, customer_id, display_name, role) VALUES ('${id}-u${index}', '${id}', 'Miembro ${index}', '${index === 0 ? "owner" : "member"}')`);
    statements.push(
      `INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, status) VALUES ('${id}-i${index}', 'acct-${id}', '${id}', '${id}-u${index}', '${sender}', 'active')`,
    );
  });
  worker.execute(statements.join("; "));
  return { id, phoneNumberId };
}

function base64url(buffer) {
  return Buffer.from(buffer).toString("base64url");
}

/** Signs link claims as the worker does, to make expired or foreign tokens. */
function signToken(claims, key = LINK_SIGNING_KEY) {
  const encoded = base64url(JSON.stringify(claims));
  const tag = createHmac("sha256", key).update("misgastos-link:").update(encoded).digest();
  return `${encoded}.${base64url(tag)}`;
}

function reportLinkIn(text) {
  const match = text.match(/(http:\/\/127\.0\.0\.1:\d+\/reports\/[A-Za-z0-9_.-]+)/);
  assert.ok(match, `report link in ${text}`);
  return match[1];
}

describe("help and cancel", () => {
  test("help lists the commands", async () => {
    const from = newSender();
    const { last } = await say(from, "ayuda", 1);
    const text = messageText(last);
    for (const command of ["deshacer", "borrar último", "últimos", "resumen", "presupuesto", "cancelar", "no, eran 15.000"]) {
      assert.ok(text.includes(command), `help mentions ${command}: ${text}`);
    }
  });

  test("cancel drops the draft in progress", async () => {
    const from = newSender();
    const asked = await say(from, "almuerzo", 1);
    assert.match(messageText(asked.last), /¿Cuánto fue almuerzo\?/);
    const [identity] = worker.query("SELECT id FROM channel_identities WHERE address = ?", from);
    const key = `conversation:dev-customer:${identity.id}`;
    assert.ok(worker.kvKeys().some((entry) => entry.name === key), "the draft is in the conversation state");

    const { last } = await say(from, "cancelar", 2);
    assert.match(messageText(last), /descarté la pregunta pendiente/);
    assert.ok(!worker.kvKeys().some((entry) => entry.name === key), "the state is gone");
    const { last: after } = await say(from, "cancelar", 3);
    assert.equal(messageText(after), "No había nada pendiente.");
    assert.deepEqual(worker.query("SELECT id FROM expenses WHERE source_message_id = ?", `${asked.id}#1`), []);
  });
});

describe("undo and delete", () => {
  test("undo deletes the last recording and a second undo restores it", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 12500", 1);
    const expense = expenseOf(recorded.id);
    assert.equal(expense.status, "completed");

    const undone = await say(from, "deshacer", 2);
    assert.equal(messageText(undone.last), "↩️ Deshice el registro de CLP 12.500 en Comida (almuerzo, hoy). Escribe *deshacer* otra vez para recuperarlo.");
    assert.equal(expenseOf(recorded.id).status, "deleted");
    const [first] = changesOf(expense.id);
    assert.equal(first.action, "undo");
    assert.equal(first.status, "completed", "the change keeps the status from before");
    assert.equal(first.reverts_change_id, null);
    assert.equal(first.message_id, undone.id);
    assert.equal(first.customer_id, "dev-customer");
    assert.equal(first.user_id, expense.user_id);

    const redone = await say(from, "deshacer", 3);
    assert.equal(messageText(redone.last), "↩️ Recuperé CLP 12.500 en Comida (almuerzo, hoy).");
    const restored = expenseOf(recorded.id);
    assert.equal(restored.status, "completed");
    assert.equal(restored.category_id, expense.category_id);
    const changes = changesOf(expense.id);
    assert.equal(changes.length, 2);
    assert.equal(changes[1].reverts_change_id, first.id);
    assert.equal(changes[1].status, "deleted");
    await worker.waitForEvent("expense.changed", { where: (e) => e.message_id === redone.id && e.change === "undone" });
  });

  test("undo with nothing recorded says so", async () => {
    const from = newSender();
    const { last } = await say(from, "undo", 1);
    assert.equal(messageText(last), "No hay nada que deshacer.");
  });

  test("delete last marks it deleted and shows its details", async () => {
    const from = newSender();
    const recorded = await say(from, "uber 5000", 1);
    const { last } = await say(from, "borrar último", 2);
    assert.equal(messageText(last), "🗑️ Borré CLP 5.000 en Transporte (uber, hoy). Escribe *deshacer* para recuperarlo.");
    const expense = expenseOf(recorded.id);
    assert.equal(expense.status, "deleted");
    assert.notEqual(expense.updated_at, expense.created_at);
    const [change] = changesOf(expense.id);
    assert.equal(change.action, "delete");
    assert.equal(change.status, "completed");
    assert.equal(worker.query("SELECT count(*) AS n FROM expenses WHERE id = ?", expense.id)[0].n, 1, "never removed");

    const { last: restored } = await say(from, "deshacer", 3);
    assert.equal(messageText(restored), "↩️ Recuperé CLP 5.000 en Transporte (uber, hoy).");
    assert.equal(expenseOf(recorded.id).status, "completed");
  });

  test("recent list, then a chosen expense is confirmed and deleted", async () => {
    const from = newSender();
    const first = await say(from, "almuerzo 12500", 1);
    const second = await say(from, "uber 5000", 2);
    const third = await say(from, "farmacia 3990", 3);

    const listed = await say(from, "últimos", 4);
    assert.equal(listed.last.body.interactive.type, "list");
    assertWithinLimits(listed.last);
    const { label, rows } = listOf(listed.last);
    assert.equal(label, "Ver gastos");
    assert.deepEqual(
      rows.map((row) => row.title),
      ["1. CLP 3.990 farmacia", "2. CLP 5.000 uber", "3. CLP 12.500 almuerzo"],
    );
    assert.match(rows[1].description, /^hoy · Transporte$/);
    const uber = expenseOf(second.id);
    assert.equal(rows[1].id, `exp|${uber.id}`);

    const confirm = await tap(from, rows[1].id, rows[1].title, 5, { list: true });
    assertWithinLimits(confirm.last);
    assert.equal(messageText(confirm.last), "¿Borro CLP 5.000 en Transporte (uber, hoy)?");
    const buttons = buttonsOf(confirm.last);
    assert.deepEqual(buttons.map((b) => b.title), ["Sí, borrar", "No, dejarlo"]);
    assert.equal(expenseOf(second.id).status, "completed", "nothing deleted before the confirmation");

    const kept = await tap(from, buttons[1].id, buttons[1].title, 6);
    assert.equal(messageText(kept.last), "Listo, no borré nada.");
    assert.equal(expenseOf(second.id).status, "completed");

    const deleted = await tap(from, buttons[0].id, buttons[0].title, 7);
    assert.equal(messageText(deleted.last), "🗑️ Borré CLP 5.000 en Transporte (uber, hoy). Escribe *deshacer* para recuperarlo.");
    assert.equal(expenseOf(second.id).status, "deleted");

    const again = await tap(from, buttons[0].id, buttons[0].title, 8);
    assert.equal(messageText(again.last), "Ese gasto ya no está. Escribe *últimos* para ver tus gastos.");

    const typed = await say(from, "borrar 2", 9);
    assert.match(messageText(typed.last), /^🗑️ Borré CLP 12\.500 en Comida \(almuerzo, hoy\)/);
    assert.equal(expenseOf(first.id).status, "deleted");
    assert.equal(expenseOf(third.id).status, "completed");
    const tooFar = await say(from, "borrar 9", 10);
    assert.match(messageText(tooFar.last), /No hay un gasto número 9/);
  });
});

describe("edits", () => {
  test("amount edit records the old amount and is applied once", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 12500", 1);
    const before = expenseOf(recorded.id);
    const body = textMessage({ from, text: "no, eran 15.000" });
    assert.equal((await worker.sendWebhook(body)).status, 200);
    const replies = await worker.repliesTo(from, 2);
    assert.equal(messageText(replies[1]), "✏️ Corregido: CLP 15.000 en Comida (almuerzo, hoy). Escribe *deshacer* para volver atrás.");
    const after = expenseOf(recorded.id);
    assert.equal(after.amount_minor, 15000);
    assert.ok(after.updated_at > before.updated_at, `${after.updated_at} > ${before.updated_at}`);
    const [change] = changesOf(before.id);
    assert.equal(change.action, "edit");
    assert.equal(change.amount_minor, 12500);
    assert.equal(change.currency, "CLP");
    assert.equal(change.message_id, body.message.id);

    const duplicate = await worker.sendWebhook(body);
    assert.equal(duplicate.status, 200);
    assert.equal(changesOf(before.id).length, 1, "a duplicate delivery changes nothing");
    assert.equal(expenseOf(recorded.id).amount_minor, 15000);

    const undone = await say(from, "deshacer", 3);
    assert.equal(messageText(undone.last), "↩️ Deshice el cambio: CLP 12.500 en Comida (almuerzo, hoy).");
    assert.equal(expenseOf(recorded.id).amount_minor, 12500);
  });

  test("category edit moves the last expense", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 12500", 1);
    const { last } = await say(from, "cambia a transporte", 2);
    assert.equal(messageText(last), "✏️ Corregido: CLP 12.500 en Transporte (almuerzo, hoy). Escribe *deshacer* para volver atrás.");
    const expense = expenseOf(recorded.id);
    assert.equal(categoryName(expense.category_id), "Transporte");
    assert.equal(expense.classified_by, "user");
    const [change] = changesOf(expense.id);
    assert.equal(categoryName(change.category_id), "Comida");
  });

  test("category edit completes a pending expense and closes its question", async () => {
    const from = newSender();
    const recorded = await say(from, "xyzzy 4000", 1);
    assert.equal(expenseOf(recorded.id).status, "pending_category");
    const { last } = await say(from, "cambia la categoría a salud", 2);
    assert.equal(messageText(last), "✏️ Corregido: CLP 4.000 en Salud (xyzzy, hoy). Escribe *deshacer* para volver atrás.");
    assert.equal(expenseOf(recorded.id).status, "completed");
    const { last: next } = await say(from, "gracias", 3);
    assert.equal(messageText(next), "¡De nada! 🙌", "the answered question is not asked again");
  });

  test("category correction teaches the merchant rule", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ senders: [from] });
    const rule = () => worker.query("SELECT category_id FROM merchant_rules WHERE customer_id = ? AND merchant = 'jumbo'", customerId)[0]?.category_id;
    const first = await say(from, "jumbo 12000", 1, { phoneNumberId });
    const original = expenseOf(first.id).category_id;
    assert.equal(rule(), undefined, "no rule before the correction");

    const corrected = await say(from, "cambia a salud", 2, { phoneNumberId });
    assert.match(messageText(corrected.last), /^✏️ Corregido: CLP 12\.000 en Salud/);
    assert.equal(categoryName(rule()), "Salud");

    // Undoing the correction points the rule back; a second undo redoes it.
    await say(from, "deshacer", 3, { phoneNumberId });
    assert.equal(expenseOf(first.id).category_id, original);
    assert.equal(rule(), original ?? undefined, "the rule follows the undone correction");
    await say(from, "deshacer", 4, { phoneNumberId });
    assert.equal(categoryName(rule()), "Salud");

    const modelCalls = () => worker.mocks.requests.filter((request) => request.service === "ai").length;
    const calls = modelCalls();
    const next = await say(from, "jumbo 3000", 5, { phoneNumberId });
    assert.match(messageText(next.last), /^✅ Anotado: CLP 3\.000 en Salud/);
    assert.equal(expenseOf(next.id).classified_by, "rule");
    assert.equal(modelCalls(), calls, "the rule decided without calling the model");
  });

  test("date edit moves the last expense to yesterday", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 12500", 1);
    const original = expenseOf(recorded.id).spent_on;
    const { last } = await say(from, "fue ayer", 2);
    const yesterday = shiftDays(original, -1);
    const shown = `${yesterday.slice(8, 10)}-${yesterday.slice(5, 7)}-${yesterday.slice(0, 4)}`;
    assert.equal(messageText(last), `✏️ Corregido: CLP 12.500 en Comida (almuerzo, ${shown}). Escribe *deshacer* para volver atrás.`);
    assert.equal(expenseOf(recorded.id).spent_on, yesterday);
    assert.equal(changesOf(expenseOf(recorded.id).id)[0].spent_on, original);
  });

  test("description edit renames the last expense", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 12500", 1);
    const { last } = await say(from, "cambia la descripción a cena con amigos", 2);
    assert.equal(messageText(last), "✏️ Corregido: CLP 12.500 en Comida (cena con amigos, hoy). Escribe *deshacer* para volver atrás.");
    const expense = expenseOf(recorded.id);
    assert.equal(expense.description, "cena con amigos");
    assert.equal(changesOf(expense.id)[0].description, "almuerzo");
  });
});

describe("summaries and the report page", () => {
  test("own summary of this month totals by category with a report link", async () => {
    const from = newSender();
    await say(from, "almuerzo 12500", 1);
    await say(from, "uber 5000", 2);
    await say(from, "taxi 8.40 usd", 3);
    const { year, month } = monthOf(today());
    const { last } = await say(from, "mi resumen", 4);
    const text = messageText(last);
    const lines = text.split("\n");
    assert.equal(lines[0], `📊 Tu resumen de ${SPANISH_MONTHS[month - 1]} ${year}`);
    // USD 8,40 at the mock's 950 CLP per dollar is CLP 7.980.
    assert.deepEqual(lines.slice(1, 6), [
      "*Total: CLP 25.480*",
      "• Transporte: CLP 12.980",
      "• Comida: CLP 12.500",
      "Por moneda: CLP 17.500 · USD 8,40",
      "Convertí USD a CLP al tipo de cambio de la fecha de cada gasto.",
    ]);
    assert.match(lines[6], /^Gráficos y CSV: http:\/\/127\.0\.0\.1:\d+\/reports\/\S+ \(vence en 7 días\)$/);
  });

  test("named month summary counts only that month", async () => {
    const from = newSender();
    const last = previousMonth(monthOf(today()));
    const day = `${last.year}-${String(last.month).padStart(2, "0")}-15`;
    const old = await say(from, `almuerzo 7000 el 15/${last.month}`, 1);
    assert.equal(expenseOf(old.id).spent_on, day);
    await say(from, "uber 5000", 2);
    const name = SPANISH_MONTHS[last.month - 1];
    const { last: reply } = await say(from, `mi resumen ${name}`, 3);
    const lines = messageText(reply).split("\n");
    assert.equal(lines[0], `📊 Tu resumen de ${name} ${last.year}`);
    assert.deepEqual(lines.slice(1, 3), ["*CLP 7.000*", "• Comida: CLP 7.000"]);
    assert.ok(!messageText(reply).includes("Transporte"));
    const { last: unknown } = await say(from, "resumen de marzuelo", 4);
    assert.match(messageText(unknown), /^No entendí el mes/);
  });

  test("household summary adds every member and own summary one", async () => {
    const owner = newSender();
    const member = newSender();
    const { phoneNumberId } = createCustomer({ senders: [owner, member] });
    await say(owner, "almuerzo 10000", 1, { phoneNumberId });
    await say(member, "uber 3000", 1, { phoneNumberId });
    await say(member, "supermercado 20000", 2, { phoneNumberId });

    const household = await say(owner, "¿cuánto llevo?", 2, { phoneNumberId });
    const lines = messageText(household.last).split("\n");
    assert.match(lines[0], /^📊 Resumen de \S+ \d{4} \(hogar\)$/);
    assert.deepEqual(lines.slice(1, 5), ["*CLP 33.000*", "• Supermercado: CLP 20.000", "• Comida: CLP 10.000", "• Transporte: CLP 3.000"]);

    const own = await say(owner, "mi resumen", 3, { phoneNumberId });
    const ownLines = messageText(own.last).split("\n");
    assert.deepEqual(ownLines.slice(1, 3), ["*CLP 10.000*", "• Comida: CLP 10.000"]);
    assert.match(ownLines[3], /^Gráficos y CSV: /);

    // The personal link shows the owner's expenses only.
    const page = await (await workerFetch(reportLinkIn(messageText(own.last)))).text();
    assert.ok(page.includes("almuerzo"));
    assert.ok(!page.includes("supermercado"), "another member's expense is not in a personal report");
  });

  test("summary and recent list in English", async () => {
    const from = newSender();
    const { phoneNumberId } = createCustomer({ locale: "en-US", currency: "USD", senders: [from] });
    await say(from, "lunch 12.50", 1, { phoneNumberId });
    const { year, month } = monthOf(today());
    const summary = await say(from, "summary", 2, { phoneNumberId });
    const lines = messageText(summary.last).split("\n");
    assert.equal(lines[0], `📊 Summary of ${ENGLISH_MONTHS[month - 1]} ${year} (household)`);
    assert.deepEqual(lines.slice(1, 3), ["*USD 12.50*", "• Food: USD 12.50"]);
    assert.match(lines[3], /^Charts and CSV: http:\/\/\S+ \(expires in 7 days\)$/);

    const recent = await say(from, "recent", 3, { phoneNumberId });
    assertWithinLimits(recent.last);
    assert.equal(listOf(recent.last).label, "See expenses");
    const [row] = listOf(recent.last).rows;
    // The same tap through another customer's number finds nothing.
    const foreign = await tap(from, row.id, row.title, 4, { list: true });
    assert.equal(messageText(foreign.last), "Ese gasto ya no está. Escribe *últimos* para ver tus gastos.");
    const confirm = await tap(from, row.id, row.title, 5, { list: true, phoneNumberId });
    assertWithinLimits(confirm.last);
    assert.equal(messageText(confirm.last), "Delete USD 12.50 in Food (lunch, today)?");
    assert.deepEqual(buttonsOf(confirm.last).map((b) => b.title), ["Yes, delete", "No, keep it"]);
  });

  test("report page, CSV and rejected links", async () => {
    const from = newSender();
    await say(from, "almuerzo 12500", 1);
    await say(from, "uber 8.40 usd", 2);
    const { last } = await say(from, "mi resumen", 3);
    const link = reportLinkIn(messageText(last));

    const page = await workerFetch(link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.match(page.headers.get("x-robots-tag"), /noindex/);
    assert.match(page.headers.get("content-security-policy"), /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    const html = await page.text();
    assert.ok(html.includes('class="chart chart-category"'), "category chart");
    assert.ok(html.includes('class="chart chart-day"'), "day chart");
    assert.ok(html.includes('data-currency="CLP"'), "a section in the home currency");
    assert.ok(!html.includes('data-currency="USD"'), "and none per other currency");
    assert.ok(html.includes("Incluye USD convertido a CLP"), "the page says what it converted");
    assert.ok(html.includes("almuerzo") && html.includes("uber"));
    const csvPath = html.match(/href="(\/reports\/[^"]+\/csv)"/)?.[1];
    assert.ok(csvPath, "CSV link");

    const csv = await workerFetch(new URL(csvPath, link));
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type"), /^text\/csv/);
    assert.match(csv.headers.get("content-disposition"), /^attachment; filename="misgastos-\d{4}-\d{2}\.csv"$/);
    assert.equal(csv.headers.get("cache-control"), "no-store");
    const rows = (await csv.text()).replace(/^\ufeff/, "").trimEnd().split("\r\n");
    assert.equal(rows[0], "date,description,merchant,category,amount,currency,home_amount,home_currency,status");
    assert.ok(rows.some((row) => /,almuerzo,,Comida,12500,CLP,12500,CLP,completed$/.test(row)), rows.join("\n"));
    assert.ok(rows.some((row) => /,uber,[^,]*,Transporte,8\.40,USD,7980,CLP,completed$/.test(row)), rows.join("\n"));

    const token = link.split("/reports/")[1];
    const [payload, tag] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    assert.equal(claims.kind, "report");
    assert.equal(claims.customer_id, "dev-customer");
    assert.ok(claims.expires_at > Date.now() / 1000 + 6 * 86400, "valid for 7 days");
    const flipped = tag[0] === "A" ? `B${tag.slice(1)}` : `A${tag.slice(1)}`;
    const now = Math.floor(Date.now() / 1000);
    const rejected = {
      tampered: `${payload}.${flipped}`,
      "tampered csv": `${payload}.${flipped}/csv`,
      expired: signToken({ ...claims, expires_at: now - 1 }),
      "other kind": signToken({ ...claims, kind: "export" }),
      "other key": signToken(claims, "not-the-key"),
      "missing customer": signToken({ ...claims, customer_id: "no-such-customer" }),
      garbage: "garbage",
    };
    const bodies = new Set();
    for (const [what, bad] of Object.entries(rejected)) {
      const response = await workerFetch(`${worker.url}/reports/${bad}`);
      assert.equal(response.status, 404, what);
      assert.equal(response.headers.get("cache-control"), "no-store", what);
      const body = await response.text();
      assert.ok(!body.includes("dev-customer") && !body.includes("almuerzo"), `${what} leaks nothing`);
      bodies.add(body);
    }
    assert.equal(bodies.size, 1, "every rejected link gets the same body");
    assert.equal((await workerFetch(link, { method: "POST" })).status, 405);
  });

  test("report page renders in headless Chromium", async () => {
    const from = newSender();
    await say(from, "almuerzo 12500", 1);
    await say(from, "uber 5000", 2);
    await say(from, "supermercado 23990", 3);
    await say(from, "cine <b>estreno</b> 7000", 4);
    const { last } = await say(from, "mi resumen", 5);
    const link = reportLinkIn(messageText(last));

    const install = spawnSync("bash", [path.join(ROOT, "scripts", "chromium")], { encoding: "utf8" });
    assert.equal(install.status, 0, `scripts/chromium failed:\n${install.stderr}`);
    const chromium = install.stdout.trim();
    const profile = mkdtempSync(path.join(os.tmpdir(), "misgastos-chromium-"));
    const flags = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-domain-reliability",
      "--no-default-browser-check",
      "--hide-scrollbars",
      // Chromium looks up Google hosts on its own, such as
      // clients2.google.com for component updates. This rule fails every
      // name but 127.0.0.1, so no DNS query leaves the machine.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      `--user-data-dir=${profile}`,
    ];
    const run = (extra) => spawnSync(chromium, [...flags, ...extra, link], { encoding: "utf8", timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    try {
      const dump = run(["--dump-dom", "--virtual-time-budget=2000"]);
      assert.equal(dump.status, 0, `chromium --dump-dom failed:\n${dump.stderr}`);
      const dom = dump.stdout;
      assert.match(dom, /<svg class="chart chart-category"[^>]*>.*<rect class="bar"/s, "category chart with bars");
      assert.match(dom, /<svg class="chart chart-day"[^>]*>.*<rect class="day"/s, "day chart with bars");
      assert.match(dom, /<a class="csv" href="\/reports\/[^"]+\/csv" download="">Descargar CSV<\/a>/);
      assert.ok(dom.includes("cine &lt;b&gt;estreno"), `a description with markup is shown as text: ${dom.match(/cine[^<]*/)?.[0]}`);
      assert.ok(!dom.includes("<b>estreno"), "and is no element");

      const artifacts = path.join(ROOT, "test-artifacts");
      mkdirSync(artifacts, { recursive: true });
      const screenshot = path.join(artifacts, "report-page.png");
      rmSync(screenshot, { force: true });
      // A phone-sized viewport (412 CSS pixels wide), tall enough for the
      // whole page.
      const shot = run([`--screenshot=${screenshot}`, "--window-size=412,1400"]);
      assert.equal(shot.status, 0, `chromium --screenshot failed:\n${shot.stderr}`);
      await waitFor(() => statSync(screenshot, { throwIfNoEntry: false })?.size > 10_000, { what: "the screenshot" });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

describe("budgets", () => {
  test("80% and 100% alerts are sent once each", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ senders: [from] });
    const set = await say(from, "presupuesto comida 10.000", 1, { phoneNumberId });
    assert.equal(messageText(set.last), "✅ Presupuesto de Comida: CLP 10.000 al mes. Te aviso al llegar al 80% y al 100%.");
    const [comida] = worker.query("SELECT id, monthly_budget_minor FROM categories WHERE customer_id = ? AND name = 'Comida'", customerId);
    assert.equal(comida.monthly_budget_minor, 10000);

    const below = await say(from, "almuerzo 5000", 2, { phoneNumberId });
    assert.match(messageText(below.last), /^✅ Anotado/);
    const eighty = await say(from, "almuerzo 3000", 4, { phoneNumberId });
    assert.equal(messageText(eighty.replies[3]), "⚠️ Llevas CLP 8.000 de CLP 10.000 en Comida este mes (80%).");
    const quiet = await say(from, "almuerzo 1000", 5, { phoneNumberId });
    assert.match(messageText(quiet.last), /^✅ Anotado/);
    const hundred = await say(from, "almuerzo 1500", 7, { phoneNumberId });
    assert.equal(messageText(hundred.replies[6]), "🚨 Llegaste al presupuesto de Comida: CLP 10.500 de CLP 10.000 este mes (105%).");
    await say(from, "almuerzo 1000", 8, { phoneNumberId });
    // Deleting the last two takes the month back under the budget; adding
    // again crosses 100% a second time, which is not announced again.
    await say(from, "borrar último", 9, { phoneNumberId });
    await say(from, "borrar último", 10, { phoneNumberId });
    const recrossed = await say(from, "almuerzo 1500", 11, { phoneNumberId });
    assert.match(messageText(recrossed.last), /^✅ Anotado/);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const texts = worker.kapsoMessages(from).map(messageText);
    assert.equal(texts.filter((text) => text.startsWith("⚠️")).length, 1, texts.join("\n"));
    assert.equal(texts.filter((text) => text.startsWith("🚨")).length, 1, texts.join("\n"));
    const alerts = worker.query("SELECT threshold, budget_minor, spent_minor, period FROM budget_alerts WHERE customer_id = ? ORDER BY threshold", customerId);
    const { year, month } = monthOf(today());
    const period = `${year}-${String(month).padStart(2, "0")}`;
    assert.deepEqual(
      alerts.map((a) => ({ ...a })),
      [
        { threshold: 80, budget_minor: 10000, spent_minor: 8000, period },
        { threshold: 100, budget_minor: 10000, spent_minor: 10500, period },
      ],
    );
    await worker.waitForEvent("budget.alert_sent", { where: (e) => e.customer_id === customerId && e.threshold === 100 });

    const summary = await say(from, "resumen", 12, { phoneNumberId });
    assert.ok(messageText(summary.last).includes("• Comida: CLP 10.500 de CLP 10.000 (105%)"), messageText(summary.last));
    const removed = await say(from, "presupuesto comida 0", 13, { phoneNumberId });
    assert.equal(messageText(removed.last), "✅ Quité el presupuesto de Comida.");
    assert.equal(worker.query("SELECT monthly_budget_minor FROM categories WHERE id = ?", comida.id)[0].monthly_budget_minor, null);
  });
});

describe("budget alerts after edits", () => {
  test("an edit that crosses 80% alerts once, a category move 100%", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ senders: [from] });
    await say(from, "presupuesto transporte 10.000", 1, { phoneNumberId });
    await say(from, "uber 5000", 2, { phoneNumberId });
    const edited = await say(from, "no, eran 9.000", 4, { phoneNumberId });
    assert.match(messageText(edited.replies[2]), /^✏️ Corregido: CLP 9\.000 en Transporte/);
    assert.equal(messageText(edited.replies[3]), "⚠️ Llevas CLP 9.000 de CLP 10.000 en Transporte este mes (90%).");
    const again = await say(from, "no, eran 9.500", 5, { phoneNumberId });
    assert.match(messageText(again.last), /^✏️ Corregido: CLP 9\.500/);

    await say(from, "almuerzo 4000", 6, { phoneNumberId });
    const moved = await say(from, "cambia a transporte", 8, { phoneNumberId });
    assert.equal(messageText(moved.replies[7]), "🚨 Llegaste al presupuesto de Transporte: CLP 13.500 de CLP 10.000 este mes (135%).");
    await new Promise((resolve) => setTimeout(resolve, 500));

    const texts = worker.kapsoMessages(from).map(messageText);
    assert.equal(texts.filter((text) => text.startsWith("⚠️")).length, 1, texts.join("\n"));
    assert.equal(texts.filter((text) => text.startsWith("🚨")).length, 1, texts.join("\n"));
    const alerts = worker.query("SELECT threshold, spent_minor FROM budget_alerts WHERE customer_id = ? ORDER BY threshold", customerId);
    assert.deepEqual(
      alerts.map((row) => ({ ...row })),
      [
        { threshold: 80, spent_minor: 9000 },
        { threshold: 100, spent_minor: 13500 },
      ],
    );
  });
});

describe("stale pending expenses", () => {
  test("a pending expense whose question was cancelled is asked again later", async () => {
    const from = newSender();
    const recorded = await say(from, "xyzzy 4000", 1);
    assert.equal(recorded.last.body.interactive?.type, "button");
    await say(from, "cancelar", 2);
    assert.equal(expenseOf(recorded.id).status, "pending_category", "cancel keeps the stored expense");

    const { replies } = await say(from, "hola", 4);
    assert.match(messageText(replies[2]), /^¡Hola!/);
    const question = replies[3];
    assertWithinLimits(question);
    assert.match(messageText(question), /¿En qué categoría va CLP 4\.000 \(xyzzy\)\?/);
    const [button] = buttonsOf(question);
    assert.ok(button.id.startsWith(`cat|${recorded.id}#1|`), button.id);
    const answered = await tap(from, button.id, button.title, 5);
    assert.match(messageText(answered.last), /^✅ Anotado: CLP 4\.000/);
    assert.equal(expenseOf(recorded.id).status, "completed");
  });

  test("an expired draft is reported as not recorded", async () => {
    const from = newSender();
    const asked = await say(from, "taxi", 1);
    assert.match(messageText(asked.last), /^¿Cuánto fue taxi\?/);
    const [identity] = worker.query("SELECT id FROM channel_identities WHERE address = ?", from);
    const key = `conversation:dev-customer:${identity.id}`;
    const entry = worker.kvKeys().find((item) => item.name === key);
    assert.ok(entry?.expiration > Date.now() / 1000 + 29 * 86400, `the state outlives its question: ${JSON.stringify(entry)}`);

    // A day and an hour pass without an answer.
    const state = JSON.parse(worker.kvGet(key));
    state.updated_at -= 25 * 3600;
    worker.kvPut(key, JSON.stringify(state));

    const { replies } = await say(from, "hola", 3);
    assert.equal(
      messageText(replies[1]),
      [
        "⌛ No anoté estos gastos porque su pregunta venció (24 horas sin respuesta):",
        "• taxi (hoy): faltaba el monto",
        "Si quieres anotarlos, escríbelos de nuevo con su monto y su fecha, por ejemplo *almuerzo 12500 ayer*.",
      ].join("\n"),
    );
    assert.match(messageText(replies[2]), /^¡Hola!/);
    await worker.waitForEvent("flow.drafts_expired", { where: (event) => event.count === 1 });
    assert.ok(!worker.kvKeys().some((item) => item.name === key), "the idle state is removed");
    const { last } = await say(from, "5000", 4);
    assert.doesNotMatch(messageText(last), /Anotado: CLP 5\.000 en .*taxi/, "a late answer is not read as the expired one");
  });

  test("a pending expense whose state expired is asked again", async () => {
    const from = newSender();
    const recorded = await say(from, "qwxyz 3000", 1);
    const [identity] = worker.query("SELECT id FROM channel_identities WHERE address = ?", from);
    worker.kvDelete(`conversation:dev-customer:${identity.id}`);

    const { replies } = await say(from, "gracias", 3);
    assert.equal(messageText(replies[1]), "¡De nada! 🙌");
    assert.match(messageText(replies[2]), /¿En qué categoría va CLP 3\.000 \(qwxyz\)\?/);
    const { last } = await say(from, "salud", 4);
    assert.match(messageText(last), /^✅ Anotado: CLP 3\.000 en Salud/);
    assert.equal(expenseOf(recorded.id).status, "completed");
  });
});
