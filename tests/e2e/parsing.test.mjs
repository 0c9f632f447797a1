// Parsing end to end: the questions the flow sends when an amount or a date
// cannot be trusted, and their answers, several expenses in one message,
// voice-note transcripts, and messages that are not expenses. The development
// customer is es-CL with CLP as its home currency.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { buttonsOf, choiceMessage, messageText, newSender, startWorker, textMessage } from "./harness.mjs";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

function expensesOf(messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ? ORDER BY source_message_id", `${messageId}#%`);
}

/** Formats the day `offset` days from today in America/Santiago as `YYYY-MM-DD`. */
function santiagoDay(offset = 0) {
  const day = new Date(Date.now() + offset * 24 * 60 * 60 * 1000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago" }).format(day);
}

describe("ambiguous amounts", () => {
  test("comma amount in CLP asks with buttons", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "café 3,40" });
    assert.equal((await worker.sendWebhook(body)).status, 200);
    assert.deepEqual(expensesOf(body.message.id), [], "nothing stored before the answer");

    const [question] = await worker.repliesTo(from);
    assert.equal(question.body.type, "interactive");
    assert.match(messageText(question), /No estoy seguro del monto de café/);
    const buttons = buttonsOf(question);
    const titles = buttons.map((b) => b.title);
    assert.deepEqual(titles.sort(), ["CLP 3", "CLP 3.400"]);
    for (const title of titles) assert.ok([...title].length <= 20, title);
    await worker.waitForEvent("flow.question_asked", { where: (e) => e.message_id === body.message.id && e.question === "amount_choice" });

    const chosen = buttons.find((b) => b.title === "CLP 3.400");
    assert.equal((await worker.sendWebhook(choiceMessage({ from, choiceId: chosen.id, title: chosen.title }))).status, 200);
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 3400);
    assert.equal(expense.currency, "CLP");
    assert.equal(expense.description, "café");
    assert.equal(expense.status, "completed");
    const confirmation = (await worker.repliesTo(from, 2))[1];
    assert.match(messageText(confirmation), /CLP 3\.400/);
  });

  test("typed amount answers the question", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "arriendo 450,000" });
    await worker.sendWebhook(body);
    const [question] = await worker.repliesTo(from);
    assert.deepEqual(buttonsOf(question).map((b) => b.title).sort(), ["CLP 450", "CLP 450.000"]);

    await worker.sendWebhook(textMessage({ from, text: "450.000" }));
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 450000);
    assert.equal(expense.description, "arriendo");
  });

  test("unfitting answer asks again", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "café 1,000" });
    await worker.sendWebhook(body);
    await worker.repliesTo(from);
    const answer = textMessage({ from, text: "no sé" });
    await worker.sendWebhook(answer);
    const [, notUnderstood, again] = await worker.repliesTo(from, 3);
    assert.match(messageText(notUnderstood), /No entendí/);
    assert.match(messageText(again), /No estoy seguro del monto de café/);
    assert.equal(buttonsOf(again).length, 2);
    assert.deepEqual(expensesOf(body.message.id), []);
    assert.deepEqual(expensesOf(answer.message.id), []);
    await worker.waitForEvent("flow.answer_not_understood", { where: (e) => e.message_id === answer.message.id });
  });
});

describe("missing amount and dates", () => {
  test("missing amount is asked then stored", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "farmacia" });
    await worker.sendWebhook(body);
    const [question] = await worker.repliesTo(from);
    assert.match(messageText(question), /¿Cuánto fue farmacia\?/);
    assert.deepEqual(expensesOf(body.message.id), []);

    await worker.sendWebhook(textMessage({ from, text: "8.990" }));
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 8990);
    assert.equal(expense.description, "farmacia");
    assert.equal(expense.spent_on, santiagoDay());
  });

  test("future date asked, today chosen", async () => {
    const from = newSender();
    const tomorrow = santiagoDay(1);
    const [year, month, day] = tomorrow.split("-");
    const body = textMessage({ from, text: `cena 20000 el ${day}/${month}/${year}` });
    await worker.sendWebhook(body);
    const [question] = await worker.repliesTo(from);
    assert.match(messageText(question), /aún no llega/);
    const buttons = buttonsOf(question);
    assert.equal(buttons.length, 2);
    assert.deepEqual(expensesOf(body.message.id), []);

    const today = buttons.find((b) => b.id.endsWith("|today"));
    assert.ok(today, `a button for today among ${JSON.stringify(buttons)}`);
    await worker.sendWebhook(choiceMessage({ from, choiceId: today.id, title: today.title }));
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 20000);
    assert.equal(expense.spent_on, santiagoDay());
  });

  test("a date more than a year back is asked, and kept when confirmed", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "arriendo 350 000 el 1/1/1990" });
    await worker.sendWebhook(body);
    const [question] = await worker.repliesTo(from);
    assert.equal(messageText(question), "La fecha de arriendo (01-01-1990) es de hace más de un año. ¿La anoto igual?");
    assert.deepEqual(expensesOf(body.message.id), []);

    const keep = buttonsOf(question).find((b) => b.id.endsWith("|keep"));
    assert.ok(keep, `a button to keep the date among ${JSON.stringify(buttonsOf(question))}`);
    await worker.sendWebhook(choiceMessage({ from, choiceId: keep.id, title: keep.title }));
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 350000);
    assert.equal(expense.spent_on, "1990-01-01");
  });

  test("ayer is yesterday in Santiago", async () => {
    const body = textMessage({ text: "uber 8.40 usd ayer" });
    await worker.sendWebhook(body);
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 840);
    assert.equal(expense.currency, "USD");
    assert.equal(expense.spent_on, santiagoDay(-1));
  });
});

describe("several expenses and other inputs", () => {
  test("two expenses confirmed together", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "uber 5000 y almuerzo 8000" });
    await worker.sendWebhook(body);
    const expenses = expensesOf(body.message.id);
    assert.deepEqual(
      expenses.map((e) => [e.source_message_id, e.amount_minor, e.description]),
      [
        [`${body.message.id}#1`, 5000, "uber"],
        [`${body.message.id}#2`, 8000, "almuerzo"],
      ],
    );
    const replies = await worker.repliesTo(from);
    assert.equal(replies.length, 1);
    assert.equal(messageText(replies[0]).split("\n").length, 2);
  });

  test("one expense per line", async () => {
    const body = textMessage({ text: "pan 1.990\nleche 1.290\n15 lucas supermercado" });
    await worker.sendWebhook(body);
    assert.deepEqual(
      expensesOf(body.message.id).map((e) => e.amount_minor),
      [1990, 1290, 15000],
    );
  });

  test("voice transcript parsed as text", async () => {
    const from = newSender();
    const id = `wamid.e2e.audio.${from}`;
    const body = {
      message: {
        id,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: "audio",
        audio: { id: "media-audio-1", mime_type: "audio/ogg; codecs=opus", voice: true },
        kapso: { direction: "inbound", has_media: true, transcript: { text: "taxi 8000 ayer" }, content: "Transcript: taxi 8000 ayer" },
      },
      conversation: { phone_number: `+${from}`, phone_number_id: "100200300400500" },
      phone_number_id: "100200300400500",
    };
    assert.equal((await worker.sendWebhook(body)).status, 200);
    const [expense] = expensesOf(id);
    assert.equal(expense.amount_minor, 8000);
    assert.equal(expense.description, "taxi");
    assert.equal(expense.spent_on, santiagoDay(-1));
  });

  test("small talk answered, nothing stored", async () => {
    for (const [text, expected] of [
      ["hola", /Hola/],
      ["gracias!", /De nada/],
    ]) {
      const from = newSender();
      const body = textMessage({ from, text });
      await worker.sendWebhook(body);
      const [reply] = await worker.repliesTo(from);
      assert.match(messageText(reply), expected, text);
      assert.deepEqual(expensesOf(body.message.id), [], text);
    }
  });
});
