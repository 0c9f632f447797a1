// Receipts forwarded by email end to end: POST /webhooks/email with the JSON
// envelope and with the raw message, the worker's own #[event(email)]
// handler through wrangler dev's local email trigger, and the confirmation
// or category question on WhatsApp (mock Kapso). The worker runs in strict
// policy mode, so the email path is also checked against subscriptions.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { ROOT, buttonsOf, choiceMessage, messageText, newSender, startWorker, textMessage, waitFor, workerFetch } from "./harness.mjs";
import { createCustomer } from "./seed.mjs";

const fixture = (name) => readFileSync(path.join(ROOT, "tests", "fixtures", "email", name));

const HOGAR_NUMBER = "600000001";
const HOGAR_ADDRESS = "gastos+hogar@misgastos.app";

let worker;
const ana = { id: "hogar-ana", phone: newSender() };

before(async () => {
  worker = await startWorker({ vars: { STRICT_POLICY_MODE: "true", DEFAULT_CUSTOMER_ID: "" } });
  await createCustomer(worker, { id: "hogar", number: HOGAR_NUMBER, users: [ana], emailRoutes: [{ address: HOGAR_ADDRESS }] });
  // WhatsApp accepts free-form messages only within 24 hours of the user's
  // last message, so Ana writes first.
  await worker.sendWebhook(textMessage({ from: ana.phone, text: "hola", phoneNumberId: HOGAR_NUMBER }));
  await worker.repliesTo(ana.phone);
});

after(async () => {
  await worker?.stop();
});

/** Returns the expense rows of a mail, by the Message-ID it was sent with. */
function expenseOf(customer, messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id = ?", `email:${customer}:${messageId}#1`);
}

/** Waits for a WhatsApp message to `phone`, after the first `skip`, whose text matches. */
function messageTo(phone, pattern, skip = 0) {
  return waitFor(() => worker.kapsoMessages(phone).slice(skip).find((m) => pattern.test(messageText(m))), { what: `message to ${phone} matching ${pattern}` });
}

/** Builds a raw receipt with a Message-ID and a total. */
function rawReceipt({ messageId, to = HOGAR_ADDRESS, from = "Cabify <recibos@cabify.com>", subject = "Tu viaje con Cabify", body = "Gracias por viajar\r\n\r\nTotal $7.890\r\n" }) {
  return [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Date: Tue, 01 Dec 2026 20:15:00 -0300`, `Message-ID: <${messageId}>`, "MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"', "", body].join("\r\n");
}

describe("POST /webhooks/email", () => {
  test("JSON envelope receipt is stored and confirmed on WhatsApp", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    const response = await worker.sendEmail({
      from: "Cabify <recibos@cabify.com>",
      to: HOGAR_ADDRESS,
      subject: "Tu viaje con Cabify",
      message_id: "<e2e-json-1@cabify.com>",
      date: "Tue, 01 Dec 2026 20:15:00 -0300",
      text: "Gracias por viajar\n\nSubtotal $7.000\nPropina $890\nTotal $7.890\n",
      html: null,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.ok, true);
    assert.equal(response.json.duplicate, false);
    assert.equal(response.json.status, "completed");
    assert.equal(response.json.source_message_id, "email:hogar:e2e-json-1@cabify.com#1");
    assert.equal(response.json.whatsapp_notified, true);

    const [expense] = expenseOf("hogar", "e2e-json-1@cabify.com");
    assert.equal(expense.customer_id, "hogar");
    assert.equal(expense.source, "email");
    assert.equal(expense.amount_minor, 7890);
    assert.equal(expense.currency, "CLP");
    assert.equal(expense.merchant, "cabify");
    assert.equal(expense.spent_on, "2026-12-01");
    assert.equal(expense.description, "Tu viaje con Cabify");
    assert.equal(expense.status, "completed");
    assert.equal(expense.user_id, null, "a household address names no user");
    const [category] = worker.query("SELECT name FROM categories WHERE id = ?", expense.category_id);
    assert.equal(category.name, "Transporte");
    const [ledger] = worker.query("SELECT customer_id, outcome FROM inbound_messages WHERE message_id = 'email:hogar:e2e-json-1@cabify.com'");
    assert.deepEqual({ ...ledger }, { customer_id: "hogar", outcome: "handled" });

    const confirmation = await messageTo(ana.phone, /Anotado/, before);
    assert.equal(confirmation.path, `/kapso/${HOGAR_NUMBER}/messages`);
    assert.match(messageText(confirmation), /^📧 ✅ Anotado: CLP 7\.890 en Transporte/);
    await worker.waitForEvent("email.receipt_stored", { where: (e) => e.message_id === "email:hogar:e2e-json-1@cabify.com" && e.status === "completed" });
  });

  test("raw message/rfc822 receipt is stored and confirmed on WhatsApp", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    // The fixture is addressed to gastos+ana@…; the envelope recipient in
    // the `to` parameter decides the route.
    const response = await worker.sendEmail(fixture("uber_trip_cl.eml"), { query: { to: HOGAR_ADDRESS } });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.status, "completed");

    const [expense] = expenseOf("hogar", "uber-cl-20260303-8841@uber.com");
    assert.equal(expense.source, "email");
    assert.equal(expense.amount_minor, 6430, "the total, not the subtotal or the tip");
    assert.equal(expense.currency, "CLP");
    assert.equal(expense.merchant, "uber");
    assert.equal(expense.spent_on, "2026-03-03");
    assert.equal(expense.description, "Tu viaje del martes por la noche con Uber");
    const confirmation = await messageTo(ana.phone, /Anotado/, before);
    assert.match(messageText(confirmation), /^📧 ✅ Anotado: CLP 6\.430 en Transporte/);
  });

  test("recipient in the To header routes a raw message", async () => {
    const response = await worker.sendEmail(rawReceipt({ messageId: "e2e-header-1@cabify.com", to: "otra@ejemplo.cl" }), { headers: { to: `Hogar <${HOGAR_ADDRESS}>` } });
    assert.equal(response.status, 200, response.text);
    assert.equal(expenseOf("hogar", "e2e-header-1@cabify.com").length, 1);
  });

  test("pending-category receipt is asked on WhatsApp with buttons", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    const response = await worker.sendEmail(rawReceipt({ messageId: "e2e-pending-1@xyzzy.cl", from: "Xyzzy Ltda <boletas@xyzzy.cl>", subject: "Tu boleta Xyzzy", body: "Boleta electrónica\r\nTotal $15.500\r\n" }));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.status, "pending_category");
    const [pending] = expenseOf("hogar", "e2e-pending-1@xyzzy.cl");
    assert.equal(pending.status, "pending_category");
    assert.equal(pending.source, "email");

    const question = await waitFor(() => worker.kapsoMessages(ana.phone).slice(before).find((m) => buttonsOf(m).length > 0), { what: "category buttons" });
    assert.match(messageText(question), /^📧 /);
    assert.match(messageText(question), /15\.500/);
    const buttons = buttonsOf(question);
    assert.ok(buttons.length <= 3, `${buttons.length} buttons`);
    assert.ok(buttons.every((b) => b.id.startsWith(`cat|${pending.source_message_id}|`)), JSON.stringify(buttons));
    await worker.waitForEvent("expense.pending_category_created", { where: (e) => e.source_message_id === pending.source_message_id });

    const choice = buttons[0];
    const tap = choiceMessage({ from: ana.phone, choiceId: choice.id, title: choice.title, phoneNumberId: HOGAR_NUMBER });
    assert.equal((await worker.sendWebhook(tap)).status, 200);
    const [completed] = expenseOf("hogar", "e2e-pending-1@xyzzy.cl");
    assert.equal(completed.status, "completed");
    assert.equal(completed.classified_by, "user");
    assert.equal(completed.category_id, choice.id.split("|")[2]);
  });

  // The mock Kapso refuses a button id over WhatsApp's 256 characters, as
  // the Cloud API does. A long Message-ID, or one with a `|`, used to go
  // into the button ids as it was, so the question was never delivered or
  // its tap was split in the wrong place.
  test("long or piped Message-ID still gets buttons that work", async () => {
    const cases = [`${"x".repeat(220)}@mail.qwzx0.cl`, "e2e-pipe|1@qwzx1.cl"];
    for (const [index, messageId] of cases.entries()) {
      const before = worker.kapsoMessages(ana.phone).length;
      const response = await worker.sendEmail(rawReceipt({ messageId, from: `Qwzx${index} Ltda <boletas@qwzx${index}.cl>`, subject: `Tu boleta Qwzx${index}`, body: `Boleta electrónica\r\nTotal $1${index}.500\r\n` }));
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json.status, "pending_category");
      const sourceId = response.json.source_message_id;
      assert.match(sourceId, /^email:hogar:mid-sha256-[0-9a-f]{32}#1$/);

      const question = await waitFor(() => worker.kapsoMessages(ana.phone).slice(before).find((m) => buttonsOf(m).length > 0), { what: "category buttons" });
      const buttons = buttonsOf(question);
      assert.ok(buttons.every((b) => b.id.length <= 256 && b.id.startsWith(`cat|${sourceId}|`)), JSON.stringify(buttons));

      const tap = choiceMessage({ from: ana.phone, choiceId: buttons[0].id, title: buttons[0].title, phoneNumberId: HOGAR_NUMBER });
      assert.equal((await worker.sendWebhook(tap)).status, 200);
      const [completed] = worker.query("SELECT * FROM expenses WHERE source_message_id = ?", sourceId);
      assert.equal(completed.status, "completed", messageId);
      assert.equal(completed.category_id, buttons[0].id.split("|")[2]);
    }
  });

  test("same Message-ID twice is one expense", async () => {
    const raw = rawReceipt({ messageId: "e2e-twice-1@cabify.com" });
    const first = await worker.sendEmail(raw);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.duplicate, false);
    const second = await worker.sendEmail(raw);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.duplicate, true);
    assert.equal(second.json.source_message_id, "email:hogar:e2e-twice-1@cabify.com#1");
    // The JSON form of the same mail, and the email event, are the same mail.
    const third = await worker.sendEmail({ to: HOGAR_ADDRESS, subject: "Tu viaje con Cabify", message_id: "<e2e-twice-1@cabify.com>", text: "Total $7.890" });
    assert.equal(third.json.duplicate, true);
    const event = await worker.emailEvent(raw, { from: "recibos@cabify.com", to: HOGAR_ADDRESS });
    assert.equal(event.status, 200, event.text);
    assert.equal(expenseOf("hogar", "e2e-twice-1@cabify.com").length, 1);
    await worker.waitForEvent("email.duplicate_skipped", { where: (e) => e.message_id === "email:hogar:e2e-twice-1@cabify.com" });
  });

  test("wrong or missing bearer is 401 and logged", async () => {
    const raw = rawReceipt({ messageId: "e2e-unauthorized-1@cabify.com" });
    const wrong = await worker.sendEmail(raw, { bearer: "not-the-secret" });
    assert.equal(wrong.status, 401);
    await worker.waitForEvent("email.webhook_unauthorized", { where: (e) => e.reason === "mismatch" });
    const missing = await worker.sendEmail(raw, { bearer: null });
    assert.equal(missing.status, 401);
    await worker.waitForEvent("email.webhook_unauthorized", { where: (e) => e.reason === "missing" });
    const basic = await worker.sendEmail(raw, { bearer: null, headers: { authorization: "Basic ZTJl" } });
    assert.equal(basic.status, 401);
    await worker.waitForEvent("email.webhook_unauthorized", { where: (e) => e.reason === "malformed" });
    assert.deepEqual(expenseOf("hogar", "e2e-unauthorized-1@cabify.com"), []);
    assert.ok(!worker.output.some((line) => line.includes("not-the-secret")), "the token is not logged");
  });

  test("unknown recipient is refused and logged", async () => {
    const raw = rawReceipt({ messageId: "e2e-unknown-1@cabify.com", to: "nadie@otro-dominio.cl" });
    const response = await worker.sendEmail(raw);
    assert.equal(response.status, 404);
    assert.equal(response.json.ok, false);
    const event = await worker.waitForEvent("email.route_unknown", { where: (e) => String(e.recipient_domains).includes("otro-dominio.cl") });
    assert.equal(event.level, "WARN");
    assert.ok(!JSON.stringify(event).includes("nadie@"), "the address is not logged");
    assert.deepEqual(worker.query("SELECT * FROM expenses WHERE source_message_id LIKE '%e2e-unknown-1@cabify.com%'"), []);
    assert.deepEqual(worker.query("SELECT * FROM inbound_messages WHERE message_id LIKE '%e2e-unknown-1@cabify.com%'"), []);
  });

  test("oversized mail is 413 and the user is told", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    const big = Buffer.alloc(5 * 1024 * 1024 + 10, "a");
    const response = await worker.sendEmail(big, { query: { to: HOGAR_ADDRESS } });
    assert.equal(response.status, 413, response.text);
    assert.equal(response.json.whatsapp_notified, true);
    await worker.waitForEvent("email.payload_too_large");
    const told = await messageTo(ana.phone, /más de 5 MB/, before);
    assert.match(messageText(told), /^📧 /);
  });

  test("unreadable mail is 422 and the user is told", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    const garbage = await worker.sendEmail(Buffer.from([0, 1, 2, 3, 255, 254]), { query: { to: HOGAR_ADDRESS } });
    assert.equal(garbage.status, 422, garbage.text);
    assert.equal(garbage.json.reason, "not_a_message");
    await messageTo(ana.phone, /no encontré el total/, before);

    const newsletter = rawReceipt({ messageId: "e2e-no-total-1@tienda.cl", subject: "Ofertas de la semana", body: "Hola, mira nuestras ofertas de la semana.\r\n" });
    const noTotal = await worker.sendEmail(newsletter);
    assert.equal(noTotal.status, 422, noTotal.text);
    assert.equal(noTotal.json.reason, "no_total");
    await messageTo(ana.phone, /«Ofertas de la semana», pero no encontré el total/, before);
    await worker.waitForEvent("email.receipt_unreadable", { where: (e) => e.message_id === "email:hogar:e2e-no-total-1@tienda.cl" });
    const [ledger] = worker.query("SELECT outcome FROM inbound_messages WHERE message_id = 'email:hogar:e2e-no-total-1@tienda.cl'");
    assert.equal(ledger.outcome, "unreadable");
    assert.deepEqual(expenseOf("hogar", "e2e-no-total-1@tienda.cl"), []);
  });

  test("malformed JSON is 400 and another content type 415", async () => {
    const response = await workerFetch(`${worker.url}/webhooks/email`, { method: "POST", headers: { authorization: "Bearer e2e-email-secret", "content-type": "application/json" }, body: "{not json" });
    assert.equal(response.status, 400);
    const other = await workerFetch(`${worker.url}/webhooks/email`, { method: "POST", headers: { authorization: "Bearer e2e-email-secret", "content-type": "text/plain" }, body: "Total $1.000" });
    assert.equal(other.status, 415);
  });
});

describe("customers without a reachable WhatsApp user", () => {
  test("receipt waits as pending until the user's next message", async () => {
    const bea = { id: "nadie-bea" };
    await createCustomer(worker, { id: "nadie", number: "600000002", users: [bea], emailRoutes: [{ address: "nadie@misgastos.app", user: bea.id }] });
    const response = await worker.sendEmail(rawReceipt({ messageId: "e2e-nolink-1@xyzzy.cl", to: "nadie@misgastos.app", from: "Xyzzy Ltda <boletas@xyzzy.cl>", subject: "Tu boleta Xyzzy", body: "Total $9.990\r\n" }));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.status, "pending_category");
    assert.equal(response.json.whatsapp_notified, false);
    const [pending] = expenseOf("nadie", "e2e-nolink-1@xyzzy.cl");
    assert.equal(pending.status, "pending_category");
    assert.equal(pending.user_id, "nadie-bea");
    await worker.waitForEvent("email.whatsapp_not_linked");

    // The operator links Bea's phone, and her next message gets the question.
    bea.phone = newSender();
    await worker.ops("identity:link", "--phone-number-id", "600000002", "--user", bea.id, "--phone", bea.phone);
    await worker.sendWebhook(textMessage({ from: bea.phone, text: "hola", phoneNumberId: "600000002" }));
    const question = await waitFor(() => worker.kapsoMessages(bea.phone).find((m) => buttonsOf(m).length > 0), { what: "offered question" });
    assert.match(messageText(question), /9\.990/);
    await worker.waitForEvent("email.pending_offered", { where: (e) => e.source_message_id === pending.source_message_id });
    const choice = buttonsOf(question)[0];
    assert.ok(choice.id.startsWith(`cat|${pending.source_message_id}|`), choice.id);
    const tap = choiceMessage({ from: bea.phone, choiceId: choice.id, title: choice.title, phoneNumberId: "600000002" });
    await worker.sendWebhook(tap);
    const [completed] = expenseOf("nadie", "e2e-nolink-1@xyzzy.cl");
    assert.equal(completed.status, "completed");
    await worker.repliesFor(tap.message.id);

    // It is offered once: a later message does not ask again.
    const questions = worker.kapsoMessages(bea.phone).filter((m) => buttonsOf(m).length > 0).length;
    const later = textMessage({ from: bea.phone, text: "hola", phoneNumberId: "600000002" });
    await worker.sendWebhook(later);
    await worker.repliesFor(later.message.id);
    assert.equal(worker.kapsoMessages(bea.phone).filter((m) => buttonsOf(m).length > 0).length, questions);
  });

  test("user who has not written in 24 hours is not messaged", async () => {
    const carla = { id: "silencio-carla", phone: newSender() };
    await createCustomer(worker, { id: "silencio", number: "600000003", users: [carla], emailRoutes: [{ address: "silencio@misgastos.app" }] });
    const response = await worker.sendEmail(rawReceipt({ messageId: "e2e-window-1@cabify.com", to: "silencio@misgastos.app" }));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.whatsapp_notified, false);
    assert.equal(expenseOf("silencio", "e2e-window-1@cabify.com").length, 1);
    await worker.waitForEvent("email.whatsapp_window_closed", { where: (e) => e.customer_id === "silencio" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(worker.kapsoMessages(carla.phone), []);
  });
});

describe("subscription policy", () => {
  test("customer without subscription gets no expense from a receipt", async () => {
    const dora = { id: "vencido-dora", phone: newSender() };
    await createCustomer(worker, { id: "vencido", number: "600000004", users: [dora], emailRoutes: [{ address: "vencido@misgastos.app" }], subscription: null });
    // Dora writes first, so that her window is open; strict mode refuses it.
    await worker.sendWebhook(textMessage({ from: dora.phone, text: "hola", phoneNumberId: "600000004" }));
    await worker.repliesTo(dora.phone);

    const response = await worker.sendEmail(rawReceipt({ messageId: "e2e-policy-1@cabify.com", to: "vencido@misgastos.app" }));
    assert.equal(response.status, 403, response.text);
    assert.equal(response.json.reason, "no_subscription");
    assert.deepEqual(expenseOf("vencido", "e2e-policy-1@cabify.com"), []);
    const [ledger] = worker.query("SELECT outcome FROM inbound_messages WHERE message_id = 'email:vencido:e2e-policy-1@cabify.com'");
    assert.equal(ledger.outcome, "policy_denied");
    const event = await worker.waitForEvent("policy.denied", { where: (e) => e.message_id === "email:vencido:e2e-policy-1@cabify.com" });
    assert.equal(event.source, "email");
    assert.equal(event.reason, "no_subscription");
    await waitFor(() => worker.telegramMessages().find((m) => m.body.text.includes("Correo rechazado")), { what: "policy notice" });
    // Dora wrote (and was refused), so her window is open and she gets the refusal.
    assert.equal(response.json.whatsapp_notified, true);
    await messageTo(dora.phone, /^📧 Tu cuenta no tiene una suscripción activa/);
  });
});

describe("receipt fixtures in the worker", () => {
  // tests/email_fixtures.rs reads every receipt natively. This test reads
  // them in the wasm build, because a dependency can behave differently
  // there (HTML entities once did). Each goes to a customer with the
  // fixture's locale and currency.
  test("every fixture yields its expense", async () => {
    const dir = path.join(ROOT, "tests", "fixtures", "email");
    const names = readdirSync(dir).filter((file) => file.endsWith(".expected.json")).map((file) => file.replace(".expected.json", ""));
    const fixtures = names.map((name) => ({ name, ...JSON.parse(readFileSync(path.join(dir, `${name}.expected.json`), "utf8")) }));
    const contexts = [...new Set(fixtures.map((f) => JSON.stringify(f.context)))].map((json) => JSON.parse(json));
    for (const [index, context] of contexts.entries()) {
      await createCustomer(worker, {
        id: `fx${index}`,
        number: `61000000${index}`,
        locale: context.locale,
        currency: context.home_currency,
        timeZone: context.time_zone,
        users: [],
        emailRoutes: [{ address: `fx${index}@misgastos.app` }],
      });
    }
    const mismatches = [];
    for (const fixture of fixtures) {
      const customer = `fx${contexts.findIndex((c) => JSON.stringify(c) === JSON.stringify(fixture.context))}`;
      const isRaw = readdirSync(dir).includes(`${fixture.name}.eml`);
      const body = isRaw ? readFileSync(path.join(dir, `${fixture.name}.eml`)) : JSON.parse(readFileSync(path.join(dir, `${fixture.name}.json`), "utf8"));
      const response = await worker.sendEmail(body, { query: { to: `${customer}@misgastos.app` } });
      if (response.status !== 200) {
        mismatches.push(`${fixture.name}: status ${response.status} ${response.text}`);
        continue;
      }
      const [row] = worker.query("SELECT amount_minor, currency, merchant, spent_on, description, source FROM expenses WHERE source_message_id = ?", response.json.source_message_id);
      const want = { ...fixture.expense, source: "email" };
      for (const field of Object.keys(want)) {
        if (row?.[field] !== want[field]) mismatches.push(`${fixture.name}: ${field} expected \`${want[field]}\`, found \`${row?.[field]}\``);
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(fixtures.length >= 20, `${fixtures.length} fixtures`);
  });
});

describe("#[event(email)]", () => {
  test("wrangler's local email trigger stores a receipt through the same path", async () => {
    const before = worker.kapsoMessages(ana.phone).length;
    const response = await worker.emailEvent(fixture("cabify_es.eml"), { from: "ana@ejemplo.cl", to: HOGAR_ADDRESS });
    assert.equal(response.status, 200, response.text);
    const [expense] = expenseOf("hogar", "cabify-es-3312@cabify.com");
    assert.ok(expense, "expense stored");
    assert.equal(expense.source, "email");
    assert.equal(expense.amount_minor, 1110);
    assert.equal(expense.currency, "EUR");
    assert.equal(expense.merchant, "cabify");
    await worker.waitForEvent("email.receipt_stored", { where: (e) => e.message_id === "email:hogar:cabify-es-3312@cabify.com" });
    const confirmation = await messageTo(ana.phone, /EUR 11[.,]10/, before);
    assert.match(messageText(confirmation), /^📧 ✅ Anotado/);
  });

  test("unknown recipient is rejected back to the sender", async () => {
    const raw = rawReceipt({ messageId: "e2e-event-unknown-1@cabify.com", to: "nadie@otro-dominio.cl" });
    const response = await worker.emailEvent(raw, { from: "ana@ejemplo.cl", to: "nadie@otro-dominio.cl" });
    assert.notEqual(response.status, 200);
    assert.match(response.text, /no misgastos account receives mail at this address/);
    await worker.waitForEvent("email.rejected", { where: (e) => e.status === 404 });
  });
});
