// Workers AI end to end: classification through the AI stand-in (answers
// scripted in the mock server), every fallback to the keyword classifier,
// learned merchant rules, category and rule commands in chat, and receipt
// photos read by the vision model.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { PHONE_NUMBER_ID, buttonsOf, choiceMessage, messageText, startWorker, textMessage, waitFor, wrangler } from "./harness.mjs";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

let senders = 0;
function newSender() {
  senders += 1;
  return `5697${String(process.pid % 1000).padStart(3, "0")}${String(senders).padStart(4, "0")}`;
}

function expensesOf(messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ? ORDER BY source_message_id", `${messageId}#%`);
}

function categoryName(id) {
  return worker.query("SELECT name FROM categories WHERE id = ?", id)[0]?.name;
}

function aiRequests() {
  return worker.mocks.requests.filter((r) => r.service === "ai");
}

/** A model answer in the Workers AI text-generation shape. */
function answer(json) {
  return { status: 200, body: { response: typeof json === "string" ? json : JSON.stringify(json) } };
}

/** A Kapso v2 image message; `url` is Kapso's media URL. */
function imageMessage({ from, url, mediaId = `media-${randomUUID()}`, caption } = {}) {
  const image = { id: mediaId, mime_type: "image/jpeg", sha256: "c2FtcGxl" };
  if (caption) image.caption = caption;
  return {
    message: {
      id: `wamid.e2e.${randomUUID()}`,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: "image",
      image,
      kapso: { direction: "inbound", has_media: true, media_url: url, media_data: { url, content_type: "image/jpeg", byte_size: 16 } },
    },
    conversation: { phone_number: `+${from}`, phone_number_id: PHONE_NUMBER_ID },
    phone_number_id: PHONE_NUMBER_ID,
  };
}

/** Serves `/kapso/media/*` from the mock server as a small fake JPEG. */
function serveKapsoMedia() {
  worker.mocks.handle("kapso", (record) =>
    record.path.startsWith("/kapso/media/") ? { status: 200, headers: { "content-type": "image/jpeg" }, body: "fake-jpeg-bytes!" } : null,
  );
}

/** Sends a text from `from` to `target` and returns the next reply it gets. */
async function sendAndReply(target, from, text) {
  const body = textMessage({ from, text });
  assert.equal((await target.sendWebhook(body)).status, 200);
  return messageText((await target.repliesFor(body.message.id)).at(-1));
}

function isoDaysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

describe("classification with the model", () => {
  test("confident model answer completes the expense", async () => {
    const from = newSender();
    worker.mocks.script("ai", answer({ category: "Transporte", confidence: 0.93, merchant: "Cabify" }));
    const body = textMessage({ from, text: "viaje al aeropuerto 8500" });
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.status, "completed");
    assert.equal(expense.classified_by, "ai");
    assert.equal(expense.confidence, 0.93);
    assert.equal(expense.merchant, "cabify");
    assert.equal(categoryName(expense.category_id), "Transporte");

    const request = aiRequests().at(-1);
    assert.equal(request.body.model, "@cf/meta/llama-3.1-8b-instruct-fast");
    const { messages, response_format: format } = request.body.inputs;
    assert.equal(messages[0].role, "system");
    assert.match(messages[0].content, /- Transporte/);
    assert.doesNotMatch(messages[0].content, /aeropuerto/);
    assert.match(JSON.parse(messages[1].content).description, /aeropuerto/);
    assert.equal(format.type, "json_schema");
    assert.ok(format.json_schema.properties.category.enum.includes("Comida"), "category enum lists the customer's categories");

    const [reply] = await worker.repliesTo(from);
    assert.match(messageText(reply), /Transporte/);
    await worker.waitForEvent("expense.flow_completed", { where: (e) => e.message_id === body.message.id && e.classified_by === "ai" });
  });

  test("unsure model answer is stored pending with its confidence", async () => {
    const from = newSender();
    worker.mocks.script("ai", answer({ category: "Salud", confidence: 0.4, merchant: null }));
    const body = textMessage({ from, text: "qwerty 4200" });
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.status, "pending_category");
    assert.equal(expense.classified_by, "ai");
    assert.equal(expense.confidence, 0.4);
    const [question] = await worker.repliesTo(from);
    assert.equal(buttonsOf(question)[0].title, "Salud");
  });

  test("model and keywords disagreeing asks the user", async () => {
    const from = newSender();
    worker.mocks.script("ai", answer({ category: "Comida", confidence: 0.97, merchant: null }));
    const body = textMessage({ from, text: "taxi 6000" });
    await worker.sendWebhook(body);
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.status, "pending_category");
    assert.equal(expense.confidence, 0.5);
    const titles = buttonsOf((await worker.repliesTo(from))[0]).map((b) => b.title);
    assert.deepEqual(titles.slice(0, 2), ["Comida", "Transporte"]);
  });
});

describe("fallback to keywords", () => {
  const cases = [
    { name: "malformed json", reason: "malformed", script: answer("Claro, es transporte.") },
    { name: "a category the customer does not have", reason: "unknown_category", script: answer({ category: "Mascotas", confidence: 0.99, merchant: null }) },
    { name: "a confidence outside 0 to 1", reason: "malformed", script: answer({ category: "Comida", confidence: 7, merchant: null }) },
    { name: "a binding error", reason: "binding_error", script: { status: 500, body: { errors: [{ message: "model overloaded" }] } } },
    { name: "no category", reason: "no_category", script: answer({ category: null, confidence: 0, merchant: null }) },
  ];
  for (const { name, reason, script } of cases) {
    test(`${name} falls back and still stores the expense`, async () => {
      const from = newSender();
      worker.mocks.script("ai", script);
      const body = textMessage({ from, text: "almuerzo 9900" });
      assert.equal((await worker.sendWebhook(body)).status, 200);

      const [expense] = expensesOf(body.message.id);
      assert.ok(expense, "expense stored");
      assert.equal(expense.status, "completed");
      assert.equal(expense.classified_by, "keyword");
      assert.equal(categoryName(expense.category_id), "Comida");
      const event = await worker.waitForEvent("classifier.fallback_used", {
        where: (e) => e.source_message_id === `${body.message.id}#1`,
      });
      assert.equal(event.reason, reason);
      assert.equal(event.level, "WARN");
      assert.doesNotMatch(JSON.stringify(event), /almuerzo/, "no user text in the log");
    });
  }

  test("a model that hangs times out and the webhook still answers in time", async () => {
    const from = newSender();
    worker.mocks.script("ai", { hang: true });
    const body = textMessage({ from, text: "farmacia 3990" });
    const started = Date.now();
    const response = await worker.sendWebhook(body);
    const elapsed = Date.now() - started;
    assert.equal(response.status, 200);
    assert.ok(elapsed >= 3_500, `waited for the timeout, took ${elapsed} ms`);
    assert.ok(elapsed < 9_000, `answered within Kapso's budget, took ${elapsed} ms`);

    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.classified_by, "keyword");
    assert.equal(categoryName(expense.category_id), "Salud");
    const event = await worker.waitForEvent("classifier.fallback_used", { where: (e) => e.source_message_id === `${body.message.id}#1` });
    assert.equal(event.reason, "timeout");
  });

  test("a prompt stored in PROMPTS_KV replaces the built-in one", async () => {
    wrangler(["kv", "key", "put", "classifier:v1", "PROMPT V1 FROM KV\n{{categories}}\nlanguage={{language}}", "--binding", "PROMPTS_KV", "--local", "--env", "development", "--persist-to", worker.state]);
    try {
      const from = newSender();
      worker.mocks.script("ai", answer({ category: "Hogar", confidence: 0.9, merchant: null }));
      await worker.sendWebhook(textMessage({ from, text: "cortinas 25000" }));
      const system = aiRequests().at(-1).body.inputs.messages[0].content;
      assert.match(system, /^PROMPT V1 FROM KV\n/);
      assert.match(system, /- Hogar/);
      assert.match(system, /language=Spanish/);
    } finally {
      wrangler(["kv", "key", "delete", "classifier:v1", "--binding", "PROMPTS_KV", "--local", "--env", "development", "--persist-to", worker.state]);
    }
  });
});

describe("learned rules", () => {
  test("a chosen category becomes a rule that skips the model, and chat lists and deletes it", async () => {
    const from = newSender();
    worker.mocks.script("ai", answer({ category: "Comida", confidence: 0.3, merchant: null }));
    const first = textMessage({ from, text: "uber 5000" });
    await worker.sendWebhook(first);
    assert.equal(expensesOf(first.message.id)[0].status, "pending_category");
    await worker.sendWebhook(textMessage({ from, text: "Servicios" }));
    assert.equal(categoryName(expensesOf(first.message.id)[0].category_id), "Servicios");
    const [rule] = worker.query("SELECT merchant, category_id FROM merchant_rules WHERE merchant = 'uber'");
    assert.equal(categoryName(rule.category_id), "Servicios");

    const calls = aiRequests().length;
    const second = textMessage({ from, text: "uber 3000" });
    await worker.sendWebhook(second);
    const [expense] = expensesOf(second.message.id);
    assert.equal(expense.classified_by, "rule");
    assert.equal(expense.status, "completed");
    assert.equal(categoryName(expense.category_id), "Servicios");
    assert.equal(aiRequests().length, calls, "no model call for a merchant with a rule");

    assert.match(await sendAndReply(worker, from, "reglas"), /uber → Servicios/);
    assert.match(await sendAndReply(worker, from, "borrar regla Uber"), /borré la regla de uber/);
    assert.deepEqual(worker.query("SELECT * FROM merchant_rules WHERE merchant = 'uber'"), []);
    assert.match(await sendAndReply(worker, from, "borrar regla uber"), /No tengo una regla para uber/);
  });

  test("a merchant the model names is stored and learned", async () => {
    const from = newSender();
    worker.mocks.script("ai", answer({ category: "Entretenimiento", confidence: 0.45, merchant: "Cinépolis" }));
    const body = textMessage({ from, text: "función matiné 9000" });
    await worker.sendWebhook(body);
    const [pending] = expensesOf(body.message.id);
    assert.equal(pending.merchant, "cinepolis");
    const question = (await worker.repliesTo(from))[0];
    const button = buttonsOf(question).find((b) => b.title === "Entretenimiento");
    await worker.sendWebhook(choiceMessage({ from, choiceId: button.id, title: button.title }));
    const [rule] = worker.query("SELECT category_id FROM merchant_rules WHERE merchant = 'cinepolis'");
    assert.equal(categoryName(rule.category_id), "Entretenimiento");
  });
});

describe("categories in chat", () => {
  test("adding and renaming categories reaches D1 and the model's prompt", async () => {
    const from = newSender();

    assert.match(await sendAndReply(worker, from, "agregar categoría Mascotas"), /Agregué la categoría Mascotas/);
    const [added] = worker.query("SELECT name, keywords FROM categories WHERE name = 'Mascotas'");
    assert.equal(added.keywords, "mascotas");
    assert.match(await sendAndReply(worker, from, "agregar categoría mascotas"), /Ya tienes una categoría Mascotas/);

    assert.match(await sendAndReply(worker, from, "renombrar categoría Otros a Varios"), /Otros ahora se llama Varios/);
    assert.equal(worker.query("SELECT count(*) AS n FROM categories WHERE name = 'Otros'")[0].n, 0);
    assert.equal(worker.query("SELECT count(*) AS n FROM categories WHERE name = 'Varios'")[0].n, 1);

    const list = await sendAndReply(worker, from, "categorías");
    assert.match(list, /Mascotas/);
    assert.match(list, /Varios/);

    worker.mocks.script("ai", answer({ category: "Mascotas", confidence: 0.95, merchant: null }));
    const body = textMessage({ from, text: "alimento para el perro 15990" });
    await worker.sendWebhook(body);
    const names = aiRequests().at(-1).body.inputs.response_format.json_schema.properties.category.enum;
    assert.ok(names.includes("Mascotas") && names.includes("Varios") && !names.includes("Otros"), `enum: ${names}`);
    // No keyword knows `perro`, so the model's answer is only proposed: the
    // expense waits, with Mascotas as the first button.
    const [pending] = expensesOf(body.message.id);
    assert.equal(pending.status, "pending_category");
    assert.equal(pending.classified_by, "ai");
    assert.equal(pending.confidence, 0.95);
    const [question] = await worker.repliesFor(body.message.id);
    assert.equal(buttonsOf(question)[0].title, "Mascotas");
  });
});

describe("receipt photos", () => {
  test("a readable receipt becomes an expense, with the key sent only to Kapso", async () => {
    const from = newSender();
    serveKapsoMedia();
    try {
      const spentOn = isoDaysAgo(3);
      worker.mocks.script(
        "ai",
        answer({ amount: 12990, currency: "CLP", merchant: "Jumbo", date: spentOn }),
        answer({ category: "Supermercado", confidence: 0.96, merchant: "Jumbo" }),
      );
      const body = imageMessage({ from, url: `${worker.mocks.url}/kapso/media/receipt-1` });
      assert.equal((await worker.sendWebhook(body)).status, 200);

      const [expense] = expensesOf(body.message.id);
      assert.equal(expense.amount_minor, 12990);
      assert.equal(expense.currency, "CLP");
      assert.equal(expense.merchant, "jumbo");
      assert.equal(expense.spent_on, spentOn);
      assert.equal(expense.status, "completed");
      assert.equal(categoryName(expense.category_id), "Supermercado");

      const download = worker.mocks.requests.find((r) => r.path === "/kapso/media/receipt-1");
      assert.equal(download.headers["x-api-key"], "e2e-kapso-key");
      const vision = aiRequests().at(-2);
      assert.equal(vision.body.model, "@cf/meta/llama-3.2-11b-vision-instruct");
      assert.equal(Buffer.from(vision.body.inputs.image).toString("utf8"), "fake-jpeg-bytes!");
      await worker.waitForEvent("receipt.read", { where: (e) => e.message_id === body.message.id && e.amount_found === true });
    } finally {
      worker.mocks.handle("kapso", null);
    }
  });

  test("media on another host is downloaded without the api key", async () => {
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { "content-type": "image/jpeg" });
      res.end("other-host-jpeg");
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const from = newSender();
      worker.mocks.script("ai", answer({ amount: 4500, currency: null, merchant: null, date: null }));
      const body = imageMessage({ from, url: `http://127.0.0.1:${server.address().port}/photo.jpg`, caption: "estacionamiento" });
      await worker.sendWebhook(body);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]["x-api-key"], undefined);
      const [expense] = expensesOf(body.message.id);
      assert.equal(expense.amount_minor, 4500);
      assert.equal(expense.description, "estacionamiento");
    } finally {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("an unreadable photo asks for the amount and the answer stores it", async () => {
    const from = newSender();
    serveKapsoMedia();
    try {
      worker.mocks.script("ai", answer("I cannot read this image."));
      const body = imageMessage({ from, url: `${worker.mocks.url}/kapso/media/blurry` });
      assert.equal((await worker.sendWebhook(body)).status, 200);
      assert.deepEqual(expensesOf(body.message.id), []);
      const replies = await worker.repliesTo(from, 2);
      assert.match(messageText(replies[0]), /No pude leer el monto/);
      assert.match(messageText(replies[1]), /¿Cuánto fue la boleta de la foto\?/);
      await worker.waitForEvent("receipt.read_failed", { where: (e) => e.message_id === body.message.id && e.reason === "malformed" });

      await worker.sendWebhook(textMessage({ from, text: "7.990" }));
      const [expense] = await waitFor(() => expensesOf(body.message.id).length && expensesOf(body.message.id));
      assert.equal(expense.amount_minor, 7990);
      assert.equal(expense.description, "la boleta de la foto");
    } finally {
      worker.mocks.handle("kapso", null);
    }
  });

  test("a total above the maximum is not recorded and the amount is asked", async () => {
    const from = newSender();
    serveKapsoMedia();
    try {
      worker.mocks.script("ai", answer({ amount: 100000000001, currency: "CLP", merchant: "Jumbo", date: null }));
      const body = imageMessage({ from, url: `${worker.mocks.url}/kapso/media/huge` });
      assert.equal((await worker.sendWebhook(body)).status, 200);
      const replies = (await worker.repliesFor(body.message.id, 2)).map(messageText);
      assert.equal(replies[0], "CLP 100.000.000.001 es más de lo que puedo anotar: el máximo es CLP 100.000.000.000 por monto. Revisa el número y escríbelo de nuevo.");
      assert.match(replies[1], /^¿Cuánto fue jumbo\?/);
      assert.deepEqual(expensesOf(body.message.id), []);
    } finally {
      worker.mocks.handle("kapso", null);
    }
  });

  test("a failed download is never dropped", async () => {
    const from = newSender();
    worker.mocks.handle("kapso", (record) => (record.path.startsWith("/kapso/media/") ? { status: 404, body: { error: "gone" } } : null));
    try {
      const calls = aiRequests().length;
      const body = imageMessage({ from, url: `${worker.mocks.url}/kapso/media/expired` });
      assert.equal((await worker.sendWebhook(body)).status, 200);
      assert.equal(aiRequests().length, calls, "no model call without a photo");
      const replies = await worker.repliesTo(from, 2);
      assert.match(messageText(replies[1]), /¿Cuánto fue/);
      await worker.waitForEvent("receipt.download_failed", { where: (e) => e.message_id === body.message.id && e.reason === "status" });
    } finally {
      worker.mocks.handle("kapso", null);
    }
  });

  test("a caption with an amount is read as text without the model", async () => {
    const from = newSender();
    const calls = aiRequests().length;
    const body = imageMessage({ from, url: `${worker.mocks.url}/kapso/media/unused`, caption: "farmacia 5990" });
    await worker.sendWebhook(body);
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 5990);
    assert.equal(categoryName(expense.category_id), "Salud");
    assert.equal(aiRequests().length, calls + 1, "only the classification call, no vision call");
    assert.ok(!worker.mocks.requests.some((r) => r.path === "/kapso/media/unused"), "photo not downloaded");
  });
});

describe("an English-speaking customer", () => {
  let english;

  before(async () => {
    english = await startWorker({ vars: { DEFAULT_CUSTOMER_ID: "e2e-en" } });
    english.execute(
      "INSERT INTO customers (id, name, home_currency, locale, time_zone) VALUES ('e2e-en', 'Home', 'USD', 'en-US', 'America/New_York')",
    );
  });

  after(async () => {
    await english?.stop();
  });

  test("gets English default categories and commands", async () => {
    const from = "15550001111";
    const body = textMessage({ from, text: "lunch 12.50" });
    assert.equal((await english.sendWebhook(body)).status, 200);
    const names = english.query("SELECT name FROM categories WHERE customer_id = 'e2e-en' ORDER BY position").map((r) => r.name);
    assert.deepEqual(names, ["Food", "Groceries", "Transport", "Home", "Health", "Entertainment", "Shopping", "Education", "Services", "Other"]);
    const [expense] = english.query("SELECT * FROM expenses WHERE source_message_id = ?", `${body.message.id}#1`);
    assert.equal(expense.amount_minor, 1250);
    assert.equal(english.query("SELECT name FROM categories WHERE id = ?", expense.category_id)[0].name, "Food");

    assert.equal(await sendAndReply(english, from, "add category Pets"), "✅ Added the category Pets.");
    assert.match(await sendAndReply(english, from, "rules"), /^I have no rules yet/);
  });
});
