// The WhatsApp webhook end to end: signature, payload shapes, the expense
// flow to D1, replies through mock Kapso, notices through mock Telegram.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { ROOT, WRANGLER_TMPDIR, buttonsOf, choiceMessage, messageText, newSender, sign, startWorker, textMessage, waitFor, workerFetch } from "./harness.mjs";

const fixture = (name) => readFileSync(path.join(ROOT, "tests", "fixtures", `${name}.json`), "utf8");

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


describe("health", () => {
  test("reports bindings and version", async () => {
    const response = await workerFetch(`${worker.url}/health`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.status, "ok");
    assert.equal(body.environment, "development");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.equal(body.checks.DB, "ok");
    assert.equal(body.checks.CONVERSATION_STATE_KV, "ok");
  });
});

describe("signature", () => {
  test("wrong signature is 401 and stores nothing", async () => {
    const body = textMessage({ text: "almuerzo 12500" });
    const response = await worker.sendWebhook(body, { signature: sign(JSON.stringify(body), "not-the-secret") });
    assert.equal(response.status, 401);
    assert.deepEqual(expensesOf(body.message.id), []);
    await worker.waitForEvent("whatsapp.webhook_unauthorized", { where: (e) => e.reason === "mismatch" });
  });

  test("missing signature is 401", async () => {
    const body = textMessage({ text: "almuerzo 12500" });
    const response = await worker.sendWebhook(body, { signature: null });
    assert.equal(response.status, 401);
    assert.deepEqual(expensesOf(body.message.id), []);
    await worker.waitForEvent("whatsapp.webhook_unauthorized", { where: (e) => e.reason === "missing" });
  });

  test("signature of another body is 401", async () => {
    const body = textMessage({ text: "almuerzo 12500" });
    const response = await worker.sendWebhook(body, { signature: sign("{}") });
    assert.equal(response.status, 401);
  });

  test("x-webhook-signature with sha256= prefix is accepted", async () => {
    const body = textMessage({ text: "hola" });
    const raw = JSON.stringify(body);
    const response = await worker.sendWebhook(raw, { header: "x-webhook-signature", signature: `sha256=${sign(raw)}` });
    assert.equal(response.status, 200);
  });
});

describe("expense flow", () => {
  test("text becomes a completed expense, a reply and a notice", async () => {
    const from = newSender();
    const telegramBefore = worker.telegramMessages().length;
    const body = textMessage({ from, text: "almuerzo 12500" });
    const response = await worker.sendWebhook(body);
    assert.equal(response.status, 200);

    const [expense] = expensesOf(body.message.id);
    assert.ok(expense, "expense row stored");
    assert.equal(expense.amount_minor, 12500);
    assert.equal(expense.currency, "CLP");
    assert.equal(expense.status, "completed");
    assert.equal(expense.source, "whatsapp");
    assert.equal(expense.source_message_id, `${body.message.id}#1`);
    assert.equal(expense.classified_by, "keyword");
    assert.match(expense.spent_on, /^\d{4}-\d{2}-\d{2}$/);
    const [category] = worker.query("SELECT name FROM categories WHERE id = ?", expense.category_id);
    assert.equal(category.name, "Comida");

    const [reply] = await worker.repliesTo(from);
    assert.equal(reply.path, "/kapso/100200300400500/messages");
    assert.equal(reply.headers["x-api-key"], "e2e-kapso-key");
    assert.equal(reply.body.to, from);
    assert.equal(reply.body.biz_opaque_callback_data, body.message.id);
    assert.match(messageText(reply), /CLP 12\.500/);
    assert.match(messageText(reply), /Comida/);

    const notices = await waitFor(() => worker.telegramMessages().length > telegramBefore && worker.telegramMessages());
    const notice = notices.at(-1);
    assert.equal(notice.path, "/telegram/bote2e-telegram-token/sendMessage");
    assert.equal(notice.body.parse_mode, "MarkdownV2");
    assert.match(notice.body.text, /CLP 12\\\.500/);
    assert.doesNotMatch(notice.body.text, new RegExp(from));

    await worker.waitForEvent("expense.flow_completed", { where: (e) => e.message_id === body.message.id });
  });

  test("usd amount keeps its currency", async () => {
    const body = textMessage({ text: "uber 8.40 usd" });
    assert.equal((await worker.sendWebhook(body)).status, 200);
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.amount_minor, 840);
    assert.equal(expense.currency, "USD");
    assert.equal(expense.status, "completed");
  });

  test("unsure classification asks with buttons and a tap completes it", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "xyzzy 5000" });
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const [pending] = expensesOf(body.message.id);
    assert.equal(pending.status, "pending_category");
    assert.equal(pending.category_id, null);
    assert.equal(pending.amount_minor, 5000);
    await worker.waitForEvent("expense.pending_category_created", { where: (e) => e.message_id === body.message.id });

    const [question] = await worker.repliesTo(from);
    assert.equal(question.body.type, "interactive");
    const buttons = buttonsOf(question);
    assert.ok(buttons.length >= 1 && buttons.length <= 3, `1 to 3 buttons, got ${buttons.length}`);
    for (const button of buttons) assert.ok([...button.title].length <= 20, button.title);

    const keys = worker.kvKeys().map((k) => k.name);
    assert.ok(keys.some((k) => k.startsWith("conversation:dev-customer:")), `state key in KV: ${keys}`);
    assert.ok(!keys.some((k) => k.includes(from)), "no phone number in KV keys");

    const chosen = buttons[1] ?? buttons[0];
    const tap = choiceMessage({ from, choiceId: chosen.id, title: chosen.title });
    assert.equal((await worker.sendWebhook(tap)).status, 200);
    const [completed] = expensesOf(body.message.id);
    assert.equal(completed.status, "completed");
    assert.equal(completed.classified_by, "user");
    const [category] = worker.query("SELECT name FROM categories WHERE id = ?", completed.category_id);
    assert.equal(category.name, chosen.title);
    const confirmation = (await worker.repliesTo(from, 2))[1];
    assert.match(messageText(confirmation), new RegExp(chosen.title));
  });

  test("typing the category name completes a pending expense", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "plugh 7000" });
    await worker.sendWebhook(body);
    assert.equal(expensesOf(body.message.id)[0].status, "pending_category");
    await worker.sendWebhook(textMessage({ from, text: "salud" }));
    const [expense] = expensesOf(body.message.id);
    assert.equal(expense.status, "completed");
    const [category] = worker.query("SELECT name FROM categories WHERE id = ?", expense.category_id);
    assert.equal(category.name, "Salud");
  });
});

describe("deliveries", () => {
  test("the same delivery twice gives one expense and one reply", async () => {
    const from = newSender();
    const body = textMessage({ from, text: "café 3500" });
    assert.equal((await worker.sendWebhook(body)).status, 200);
    assert.equal((await worker.sendWebhook(body)).status, 200);
    assert.equal(expensesOf(body.message.id).length, 1);
    await worker.waitForEvent("whatsapp.duplicate_skipped", { where: (e) => e.message_id === body.message.id });
    await worker.repliesTo(from);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(worker.kapsoMessages(from).length, 1);
  });

  test("twenty concurrent deliveries give one expense and one reply", async () => {
    const from = newSender();
    // The first message links the new sender, so the race below is about
    // the expense alone.
    await worker.sendWebhook(textMessage({ from, text: "hola" }));
    await worker.repliesTo(from);
    const body = textMessage({ from, text: "cena 18000" });
    const responses = await Promise.all(Array.from({ length: 20 }, () => worker.sendWebhook(body)));
    assert.deepEqual([...new Set(responses.map((r) => r.status))], [200]);
    assert.equal(expensesOf(body.message.id).length, 1);
    await worker.repliesTo(from, 2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(worker.kapsoMessages(from).length, 2);
  });

  test("slow batch defers its tail and redelivery finishes it", async () => {
    const from = newSender();
    await worker.sendWebhook(textMessage({ from, text: "hola" }));
    await worker.repliesTo(from);
    // Each model call takes a second, so the 3 s budget ends mid-batch.
    worker.mocks.handle("ai", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return null;
    });
    try {
      const messages = Array.from({ length: 6 }, (_, index) => textMessage({ from, text: `almuerzo ${(index + 1) * 1000}` }));
      const batch = { type: "whatsapp.message.received", batch: true, data: messages };

      const first = await worker.sendWebhook(batch);
      assert.equal(first.status, 503);
      assert.ok(first.json.handled >= 1 && first.json.handled < 6, first.text);
      assert.equal(first.json.deferred, 6 - first.json.handled);
      await worker.waitForEvent("whatsapp.batch_deferred", { where: (e) => e.deferred === first.json.deferred });

      // Kapso redelivers the whole batch until it gets a 200.
      let status = first.status;
      for (let attempt = 0; attempt < 6 && status !== 200; attempt += 1) status = (await worker.sendWebhook(batch)).status;
      assert.equal(status, 200);
      for (const message of messages) {
        assert.equal(expensesOf(message.message.id).length, 1, message.message.text.body);
        assert.equal((await worker.repliesFor(message.message.id)).length, 1, message.message.text.body);
      }
    } finally {
      worker.mocks.handle("ai", null);
    }
  });

  test("status events and echoes are acknowledged and store nothing", async () => {
    const count = () => worker.query("SELECT count(*) AS n FROM expenses")[0].n;
    const before = count();
    for (const name of ["kapso_status_delivered", "kapso_outbound_echo", "kapso_delivered_event", "meta_status"]) {
      const response = await worker.sendWebhook(fixture(name));
      assert.equal(response.status, 200, name);
    }
    assert.equal(count(), before);
    await worker.waitForEvent("whatsapp.event_ignored");
  });

  test("kapso test delivery is acknowledged and never answered", async () => {
    const response = await worker.sendWebhook(fixture("kapso_test_delivery"));
    assert.equal(response.status, 200);
    await worker.waitForEvent("whatsapp.test_delivery_ignored");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(worker.kapsoMessages("15551234567").length, 0);
    assert.equal(worker.query("SELECT count(*) AS n FROM inbound_messages WHERE message_id = 'wamid.TEST_0001'")[0].n, 0);
  });

  test("meta envelope and batch shapes are handled", async () => {
    const meta = fixture("meta_text");
    assert.equal((await worker.sendWebhook(meta)).status, 200);
    const [expense] = expensesOf("wamid.meta.1");
    assert.equal(expense.amount_minor, 32000);
    const batch = fixture("kapso_batch");
    assert.equal((await worker.sendWebhook(batch)).status, 200);
    assert.equal(expensesOf("wamid.batch.1").length, 1);
    assert.equal(expensesOf("wamid.batch.2").length, 1);
  });

  test("malformed bodies are 400 and oversized ones 413", async () => {
    for (const raw of ["not json", "[1,2]", "42", '{"message": 5}']) {
      const response = await worker.sendWebhook(raw);
      assert.equal(response.status, 400, raw);
    }
    const empty = await worker.sendWebhook("{}");
    assert.equal(empty.status, 200);
    const huge = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) });
    const response = await worker.sendWebhook(huge, { signature: "0".repeat(64) });
    assert.equal(response.status, 413);
  });

  // The body used to be read to its end before its size was checked, so an
  // upload that never ended held the request open, and a huge one was held
  // in memory (twice: in JS and in wasm), all before the signature check.
  test("an upload still coming past 1 MiB is refused without waiting for its end", async () => {
    const url = new URL(`${worker.url}/webhooks/whatsapp`);
    const answer = await new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "x-kapso-signature": "0".repeat(64) } },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode));
        },
      );
      request.on("error", reject);
      // 2 MiB without a content-length, and the upload never ends.
      request.write(Buffer.alloc(2 * 1024 * 1024, 32));
      const timer = setTimeout(() => {
        request.destroy();
        resolve("no answer");
      }, 20_000);
      timer.unref();
    });
    assert.equal(answer, 413);
    await worker.waitForEvent("whatsapp.payload_too_large");
  });

  test("unknown route is 404", async () => {
    const response = await workerFetch(`${worker.url}/nope`);
    assert.equal(response.status, 404);
  });
});

describe("development bootstrap", () => {
  test("first message created the default customer with categories", () => {
    const [customer] = worker.query("SELECT * FROM customers WHERE id = 'dev-customer'");
    assert.equal(customer.home_currency, "CLP");
    assert.equal(customer.locale, "es-CL");
    assert.equal(customer.time_zone, "America/Santiago");
    const categories = worker.query("SELECT name FROM categories WHERE customer_id = 'dev-customer'");
    assert.ok(categories.length >= 5);
    const [identity] = worker.query("SELECT * FROM channel_identities WHERE address = '56912345678'");
    assert.equal(identity.status, "active");
    assert.ok(identity.user_id);
    const [subscription] = worker.query("SELECT status FROM subscriptions WHERE customer_id = 'dev-customer'");
    assert.equal(subscription.status, "active");
  });
});

describe("loopback only", () => {
  test("wrangler made no update check", () => {
    // Checked after wrangler dev and the migrations ran: with its banner
    // shown, wrangler fetches its own metadata from registry.npmjs.org.
    const cache = path.join(WRANGLER_TMPDIR, "update-check");
    assert.ok(!existsSync(cache), `${cache} exists: a wrangler asked npm for its latest version`);
  });
});
