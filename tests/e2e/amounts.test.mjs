// The maximum amount end to end under wrangler dev: CLP 100.000.000.000
// (10^11 minor units) is recorded and read back from D1 exactly, and one
// peso more is rejected with a reply that names the maximum, whether it
// comes in an expense, an answer, an edit, a budget, a recurring rule or an
// emailed receipt.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { messageText, newSender, startWorker, textMessage, waitFor } from "./harness.mjs";
import { createCustomer } from "./seed.mjs";

const MAX = 100_000_000_000;
const TOO_LARGE = "CLP 100.000.000.001 es más de lo que puedo anotar: el máximo es CLP 100.000.000.000 por monto. Revisa el número y escríbelo de nuevo.";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Sends a text and returns the `count` replies to it, as text. */
async function say(from, text, count = 1, { phoneNumberId } = {}) {
  const body = textMessage({ from, text, ...(phoneNumberId ? { phoneNumberId } : {}) });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  const replies = await worker.repliesFor(body.message.id, count);
  return { id: body.message.id, texts: replies.map(messageText) };
}

function expensesOf(messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ?", `${messageId}#%`);
}

describe("the maximum amount", () => {
  test("an expense at the maximum is recorded exactly", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 100000000000");
    assert.equal(recorded.texts[0], "✅ Anotado: CLP 100.000.000.000 en Comida (almuerzo, hoy).");
    const [expense] = expensesOf(recorded.id);
    assert.equal(expense.amount_minor, MAX);

    const above = await say(from, "almuerzo 100000000001");
    assert.deepEqual(above.texts, [TOO_LARGE]);
    assert.deepEqual(expensesOf(above.id), []);
  });

  test("an answer above the maximum is asked again", async () => {
    const from = newSender();
    const asked = await say(from, "taxi");
    assert.match(asked.texts[0], /^¿Cuánto fue taxi\?/);
    const above = await say(from, "100000000001", 2);
    assert.equal(above.texts[0], TOO_LARGE);
    assert.match(above.texts[1], /^¿Cuánto fue taxi\?/);

    const answered = await say(from, "100000000000");
    assert.equal(answered.texts[0], "✅ Anotado: CLP 100.000.000.000 en Transporte (taxi, hoy).");
    assert.equal(expensesOf(asked.id)[0].amount_minor, MAX);
  });

  test("edits, budgets and recurring rules stop at the maximum", async () => {
    const from = newSender();
    const recorded = await say(from, "almuerzo 5000");
    assert.deepEqual((await say(from, "no, eran 100000000001")).texts, [TOO_LARGE]);
    assert.equal(expensesOf(recorded.id)[0].amount_minor, 5000);
    const edited = await say(from, "no, eran 100000000000");
    assert.match(edited.texts[0], /^✏️ Corregido: CLP 100\.000\.000\.000 en Comida/);
    assert.equal(expensesOf(recorded.id)[0].amount_minor, MAX);

    const budget = () => worker.query("SELECT monthly_budget_minor FROM categories WHERE customer_id = 'dev-customer' AND name = 'Salud'")[0].monthly_budget_minor;
    assert.deepEqual((await say(from, "presupuesto salud 100000000001")).texts, [TOO_LARGE]);
    assert.equal(budget(), null);
    const set = await say(from, "presupuesto salud 100000000000");
    assert.match(set.texts[0], /^✅ Presupuesto de Salud: CLP 100\.000\.000\.000 al mes/);
    assert.equal(budget(), MAX);

    assert.deepEqual((await say(from, "seguro casa 100000000001 todos los meses")).texts, [TOO_LARGE]);
    assert.deepEqual(worker.query("SELECT id FROM recurring_rules WHERE description = 'seguro casa'"), []);
  });

  test("an emailed receipt above the maximum is refused with the maximum", async () => {
    const user = { id: "maximo-ana", phone: newSender() };
    const number = "720000001";
    const address = "gastos+maximo@misgastos.app";
    await createCustomer(worker, { id: "maximo", number, users: [user], emailRoutes: [{ address, user: user.id }] });
    // The user writes first, so that WhatsApp allows the mail's reply.
    await say(user.phone, "hola", 1, { phoneNumberId: number });

    const response = await worker.sendEmail({
      from: "Cabify <recibos@cabify.com>",
      to: address,
      subject: "Tu viaje con Cabify",
      message_id: "<maximo-1@cabify.com>",
      date: new Date().toUTCString(),
      text: "Gracias por viajar\n\nTotal $100.000.000.001\n",
      html: null,
    });
    assert.equal(response.status, 422, response.text);
    assert.equal(response.json.reason, "amount_too_large");
    assert.deepEqual(worker.query("SELECT id FROM expenses WHERE customer_id = 'maximo'"), []);
    const told = await waitFor(() => worker.kapsoMessages(user.phone).map(messageText).find((text) => text.includes("más de lo que puedo anotar")));
    assert.equal(told, `📧 ${TOO_LARGE}`);
  });
});
