// Budget alerts of expenses recorded outside a chat turn, end to end under
// wrangler dev: receipts that come by email (POST /webhooks/email) and
// recurring occurrences that the scheduled run records. Where the user can
// be sent a message (no opt-out, 24-hour window open) the alert goes out
// with the expense's own confirmation and is recorded once. Elsewhere
// nothing is recorded, and the next chat turn in the category announces it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { messageText, newSender, startWorker, textMessage, waitFor } from "./harness.mjs";
import { createCustomer } from "./seed.mjs";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Sends a text and returns the `count` replies to it. */
async function say(from, number, text, count = 1) {
  const body = textMessage({ from, text, phoneNumberId: number });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  return (await worker.repliesFor(body.message.id, count)).map(messageText);
}

/** Posts a Cabify receipt for `total` (as printed, `$8.500`) to `to`. */
async function mailReceipt(to, messageId, total) {
  const response = await worker.sendEmail({
    from: "Cabify <recibos@cabify.com>",
    to,
    subject: "Tu viaje con Cabify",
    message_id: `<${messageId}>`,
    date: new Date().toUTCString(),
    text: `Gracias por viajar\n\nTotal ${total}\n`,
    html: null,
  });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.status, "completed", response.text);
  return response.json;
}

/** Waits for a WhatsApp message to `phone` whose text matches `pattern`. */
function messageTo(phone, pattern) {
  return waitFor(() => worker.kapsoMessages(phone).map(messageText).find((text) => pattern.test(text)), { what: `message to ${phone} matching ${pattern}` });
}

function alertsOf(customerId) {
  return worker.query("SELECT threshold, spent_minor, message_id FROM budget_alerts WHERE customer_id = ? ORDER BY threshold", customerId).map((row) => ({ ...row }));
}

/** Creates a customer with one WhatsApp user and an email address for that user. */
async function household(id, number) {
  const user = { id: `${id}-ana`, phone: newSender() };
  const address = `gastos+${id}@misgastos.app`;
  await createCustomer(worker, { id, number, users: [user], emailRoutes: [{ address, user: user.id }] });
  return { user, address };
}

describe("emailed receipts", () => {
  test("a receipt that reaches a budget alerts with its confirmation", async () => {
    const number = "710000001";
    const { user, address } = await household("presu-mail", number);
    // Setting the budget is also the message that opens the 24-hour window.
    await say(user.phone, number, "presupuesto transporte 10.000");

    await mailReceipt(address, "presu-1@cabify.com", "$8.500");
    const alert = await messageTo(user.phone, /Llevas/);
    assert.equal(alert, "📧 ⚠️ Llevas CLP 8.500 de CLP 10.000 en Transporte este mes (85%).");
    assert.deepEqual(alertsOf("presu-mail"), [{ threshold: 80, spent_minor: 8500, message_id: "email:presu-mail:presu-1@cabify.com" }]);
    await worker.waitForEvent("budget.alert_sent", { where: (e) => e.customer_id === "presu-mail" && e.threshold === 80 });

    await mailReceipt(address, "presu-2@cabify.com", "$2.000");
    const reached = await messageTo(user.phone, /Llegaste/);
    assert.equal(reached, "📧 🚨 Llegaste al presupuesto de Transporte: CLP 10.500 de CLP 10.000 este mes (105%).");
    assert.deepEqual(
      alertsOf("presu-mail").map((row) => row.threshold),
      [80, 100],
    );
    const texts = worker.kapsoMessages(user.phone).map(messageText);
    assert.equal(texts.filter((text) => text.includes("⚠️")).length, 1, texts.join("\n"));
  });

  test("a receipt of a user who opted out alerts on the next chat turn", async () => {
    const number = "710000002";
    const { user, address } = await household("presu-baja", number);
    await say(user.phone, number, "presupuesto transporte 10.000");
    worker.execute(`UPDATE users SET opted_out_at = '2026-01-01T00:00:00.000Z' WHERE id = '${user.id}'`);

    const stored = await mailReceipt(address, "baja-1@cabify.com", "$8.500");
    assert.equal(stored.whatsapp_notified, false);
    await worker.waitForEvent("budget.check_deferred", { where: (e) => e.customer_id === "presu-baja" && e.reason === "unreachable" });
    assert.deepEqual(alertsOf("presu-baja"), []);

    const replies = await say(user.phone, number, "taxi 1000", 2);
    assert.match(replies[0], /^✅ Anotado: CLP 1\.000 en Transporte/);
    assert.equal(replies[1], "⚠️ Llevas CLP 9.500 de CLP 10.000 en Transporte este mes (95%).");
    assert.deepEqual(
      alertsOf("presu-baja").map((row) => row.threshold),
      [80],
    );
  });
});

describe("recurring occurrences", () => {
  test("an occurrence that reaches a budget alerts after its confirmation", async () => {
    const number = "710000003";
    const { user } = await household("presu-cron", number);
    await say(user.phone, number, "presupuesto hogar 100.000");
    await say(user.phone, number, "arriendo depto 90.000 todos los meses");

    const run = await worker.scheduled({ time: Date.now() });
    assert.equal(run.outcome, "ok");
    const [occurrence] = worker.query("SELECT * FROM expenses WHERE customer_id = 'presu-cron' AND source = 'recurring'");
    assert.equal(occurrence.status, "completed");
    const alert = await messageTo(user.phone, /Llevas/);
    assert.equal(alert, "⚠️ Llevas CLP 90.000 de CLP 100.000 en Hogar este mes (90%).");
    const texts = worker.kapsoMessages(user.phone).map(messageText);
    const confirmation = texts.findIndex((text) => text.includes("Anoté tu gasto recurrente *arriendo depto*"));
    assert.ok(confirmation >= 0, texts.join("\n"));
    assert.ok(confirmation < texts.indexOf(alert), `the confirmation comes first: ${texts.join("\n")}`);
    assert.deepEqual(alertsOf("presu-cron"), [{ threshold: 80, spent_minor: 90000, message_id: occurrence.source_message_id }]);

    await worker.scheduled({ time: Date.now() + 60_000 });
    const again = worker.kapsoMessages(user.phone).map(messageText);
    assert.equal(again.filter((text) => text.includes("⚠️")).length, 1, again.join("\n"));
    assert.equal(alertsOf("presu-cron").length, 1);
  });

  test("an occurrence outside the window alerts on the next chat turn", async () => {
    const number = "710000004";
    const { user } = await household("presu-ventana", number);
    await say(user.phone, number, "presupuesto hogar 100.000");
    await say(user.phone, number, "arriendo casa 90.000 todos los meses");
    // The user's last message was two days ago: WhatsApp would reject text.
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000).toISOString();
    worker.execute(`UPDATE channel_identities SET last_inbound_at = '${twoDaysAgo}' WHERE address = '${user.phone}'`);

    await worker.scheduled({ time: Date.now() });
    const [occurrence] = worker.query("SELECT * FROM expenses WHERE customer_id = 'presu-ventana' AND source = 'recurring'");
    assert.equal(occurrence.status, "completed");
    await worker.waitForEvent("budget.check_deferred", { where: (e) => e.customer_id === "presu-ventana" && e.reason === "window_closed" });
    assert.deepEqual(alertsOf("presu-ventana"), []);
    assert.ok(!worker.kapsoMessages(user.phone).some((m) => messageText(m).includes("Llevas")));

    const replies = await say(user.phone, number, "luz 5.000", 2);
    assert.match(replies[0], /^✅ Anotado: CLP 5\.000 en Hogar/);
    assert.equal(replies[1], "⚠️ Llevas CLP 95.000 de CLP 100.000 en Hogar este mes (95%).");
  });
});
