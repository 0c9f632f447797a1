// Operations end to end: Kapso replies retried on 429, 409, 5xx and hangs
// within their budget or logged as failed, 131047 not retried, Telegram
// flood control, Sentry envelopes for errors, and a check that the worker's
// log lines carry the expected events and no secret, phone number, signature
// or message text.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  EMAIL_SECRET,
  KAPSO_API_KEY,
  SENDER_HASH_KEY,
  TELEGRAM_TOKEN,
  WEBHOOK_SECRET,
  newSender,
  sign,
  startWorker,
  textMessage,
  waitFor,
  workerFetch,
} from "./harness.mjs";

let worker;
/** Index of the first output line written after start-up. */
let firstLine = 0;
/** Every sender, text and signature the tests sent, for the log check. */
const sent = { senders: new Set(), texts: new Set(), signatures: new Set() };

before(async () => {
  worker = await startWorker();
  firstLine = worker.output.length;
});

after(async () => {
  await worker?.stop();
});

/** The signed webhook of a text from `from`, recorded for the log check. */
function message(from, text, id = undefined) {
  const body = textMessage({ from, text, id });
  sent.senders.add(from);
  sent.texts.add(text);
  sent.signatures.add(sign(JSON.stringify(body)));
  return body;
}

/** Sends a text from `from` and returns the message id and the response. */
async function sendText(text, from = newSender()) {
  const body = message(from, text);
  const response = await worker.sendWebhook(body);
  return { from, id: body.message.id, response };
}

/** Answers the next sends to `to` with `answers`, in order; then the default. */
function scriptKapso(to, answers) {
  const queue = [...answers];
  worker.mocks.handle("kapso", (record) => (record.body?.to === to && queue.length ? queue.shift() : null));
}

/** Answers the next Telegram requests with `answers`, in order. */
function scriptTelegram(answers) {
  const queue = [...answers];
  worker.mocks.handle("telegram", () => (queue.length ? queue.shift() : null));
}

function eventsOf(messageId, name) {
  return worker.events().filter((e) => e.event === name && e.message_id === messageId);
}

function expensesOf(messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ?", `${messageId}#%`);
}

function sentryEnvelopes() {
  return worker.mocks.requests
    .filter((r) => r.service === "sentry")
    .map((r) => ({ request: r, lines: r.raw.trim().split("\n").map((line) => JSON.parse(line)) }));
}

const telegramFlood = (seconds) => ({
  status: 429,
  body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${seconds}`, parameters: { retry_after: seconds } },
});

describe("kapso reply retries", () => {
  test("429 waits for Retry-After and the reply arrives", async () => {
    const from = newSender();
    scriptKapso(from, [{ status: 429, headers: { "retry-after": "1" }, body: { error: { message: "rate limited" } } }]);
    const body = message(from, "farmacia 4321 reintento");
    const response = await worker.sendWebhook(body);
    assert.equal(response.status, 200);

    const attempts = await worker.repliesTo(from, 2);
    assert.ok(attempts[1].at - attempts[0].at >= 900, `second attempt came ${attempts[1].at - attempts[0].at} ms after the first`);
    const retry = await worker.waitForEvent("kapso.reply_retrying", { where: (e) => e.message_id === body.message.id });
    assert.equal(retry.status, 429);
    assert.equal(retry.wait_ms, 1000);
    assert.equal(expensesOf(body.message.id).length, 1);
  });

  test("409 in flight is retried after the backoff", async () => {
    const from = newSender();
    scriptKapso(from, [{ status: 409, body: { error: { message: "Another message in-flight for this conversation" } } }]);
    const body = message(from, "taxi 7800 en vuelo");
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const attempts = await worker.repliesTo(from, 2);
    assert.equal(attempts.length, 2);
    const retry = await worker.waitForEvent("kapso.reply_retrying", { where: (e) => e.message_id === body.message.id });
    assert.equal(retry.status, 409);
    assert.equal(retry.wait_ms, 500);
  });

  test("500 three times then the reply arrives", async () => {
    const from = newSender();
    const failure = { status: 500, body: { error: { message: "internal error" } } };
    scriptKapso(from, [failure, failure, failure]);
    const body = message(from, "cine 6500 servidor caido");
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const attempts = await worker.repliesTo(from, 4, { timeoutMs: 15_000 });
    assert.equal(attempts.length, 4);
    await waitFor(() => eventsOf(body.message.id, "kapso.reply_retrying").length === 3, { what: "three retries logged" });
    const waits = eventsOf(body.message.id, "kapso.reply_retrying").map((e) => e.wait_ms);
    assert.deepEqual(waits, [500, 1000, 2000]);
    assert.deepEqual(eventsOf(body.message.id, "kapso.reply_failed"), []);
  });

  test("a hang times out and the retry delivers the reply", async () => {
    const from = newSender();
    scriptKapso(from, [{ hang: true }]);
    const body = message(from, "panaderia 2300 colgado");
    const started = Date.now();
    assert.equal((await worker.sendWebhook(body)).status, 200);
    assert.ok(Date.now() - started < 5_000, "the webhook answers before the reply is sent");

    const attempts = await worker.repliesTo(from, 2, { timeoutMs: 15_000 });
    assert.ok(attempts[1].at - attempts[0].at >= 5_500, `retry came ${attempts[1].at - attempts[0].at} ms after the hang`);
    const retry = await worker.waitForEvent("kapso.reply_retrying", { where: (e) => e.message_id === body.message.id });
    assert.match(retry.error, /timed out after 6000 ms/);
  });

  test("500 every time is logged as failed and reported", async () => {
    const from = newSender();
    const failure = { status: 503, body: { error: { message: "unavailable" } } };
    scriptKapso(from, [failure, failure, failure, failure]);
    const sentryBefore = sentryEnvelopes().length;
    // Sentry masks runs of 7 or more digits as phone numbers, so the id
    // compared below must have none; a random UUID sometimes does.
    const id = `wamid.e2e.lost-reply-${from.replace(/\d/g, (digit) => "abcdefghij"[digit])}`;
    const body = message(from, "gimnasio 25000 sin servicio", id);
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const failed = await worker.waitForEvent("kapso.reply_failed", { timeoutMs: 15_000, where: (e) => e.message_id === body.message.id });
    assert.equal(failed.level, "ERROR");
    assert.equal(failed.reason, "attempts_exhausted");
    assert.equal(failed.attempts, 4);
    assert.equal(failed.status, 503);
    assert.equal(worker.kapsoMessages(from).length, 4);
    assert.equal(expensesOf(body.message.id).length, 1, "the expense is kept");

    const [envelope] = await waitFor(() => sentryEnvelopes().length > sentryBefore && sentryEnvelopes().slice(sentryBefore), {
      what: "a sentry envelope for the lost reply",
    });
    const event = envelope.lines[2];
    assert.equal(event.tags.event, "kapso.reply_failed");
    assert.equal(event.tags.reason, "attempts_exhausted");
    assert.equal(event.tags.message_id, body.message.id);
    assert.ok(!envelope.request.raw.includes(from), "no phone number in the envelope");
  });

  test("Retry-After beyond the budget is logged, not waited for", async () => {
    const from = newSender();
    scriptKapso(from, [{ status: 429, headers: { "retry-after": "60" }, body: { error: { message: "rate limited" } } }]);
    const body = message(from, "libreria 9900 limite");
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const failed = await worker.waitForEvent("kapso.reply_failed", { where: (e) => e.message_id === body.message.id });
    assert.equal(failed.reason, "budget_exhausted");
    assert.equal(failed.status, 429);
    assert.equal(worker.kapsoMessages(from).length, 1);
  });

  test("131047 window closed is logged and not retried", async () => {
    const from = newSender();
    const closed = {
      status: 400,
      body: { error: { message: "(#131047) Re-engagement message", type: "OAuthException", code: 131047 } },
    };
    scriptKapso(from, [closed]);
    const body = message(from, "verduleria 3100 ventana");
    assert.equal((await worker.sendWebhook(body)).status, 200);

    const closedEvent = await worker.waitForEvent("kapso.window_closed", { where: (e) => e.message_id === body.message.id });
    assert.equal(closedEvent.level, "WARN");
    // Give a retry, if there were one, the time to happen.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(worker.kapsoMessages(from).length, 1);
    assert.deepEqual(eventsOf(body.message.id, "kapso.reply_retrying"), []);
    assert.deepEqual(eventsOf(body.message.id, "kapso.reply_failed"), []);
  });
});

describe("telegram flood control", () => {
  test("429 within the budget waits and the notice arrives", async () => {
    const before = worker.telegramMessages().length;
    scriptTelegram([telegramFlood(1)]);
    const { id, response } = await sendText("almuerzo 12500 aviso");
    assert.equal(response.status, 200);

    const notices = await waitFor(() => worker.telegramMessages().length >= before + 2 && worker.telegramMessages().slice(before), {
      what: "the notice sent again after retry_after",
    });
    assert.ok(notices[1].at - notices[0].at >= 900, "waited retry_after");
    assert.equal(notices[1].body.parse_mode, "MarkdownV2");
    assert.match(notices[1].body.text, /Gasto anotado/);
    const retry = await worker.waitForEvent("notify.telegram_retrying");
    assert.equal(retry.status, 429);
    assert.equal(expensesOf(id).length, 1);
  });

  test("429 beyond the budget drops the notice and keeps the expense", async () => {
    const before = worker.telegramMessages().length;
    scriptTelegram([telegramFlood(60)]);
    const { from, id, response } = await sendText("almuerzo 13500 sin aviso");
    assert.equal(response.status, 200);

    const throttled = await worker.waitForEvent("notify.telegram_throttled");
    assert.equal(throttled.retry_after, 60);
    assert.ok(throttled.remaining_ms < 60_000, `remaining_ms ${throttled.remaining_ms}`);
    assert.equal(worker.telegramMessages().length, before + 1);
    assert.equal(expensesOf(id).length, 1);
    assert.equal((await worker.repliesTo(from, 1)).length, 1, "the reply is sent all the same");
  });
});

describe("sentry", () => {
  test("a storage failure answers 503 and sends an envelope", async () => {
    const sentryBefore = sentryEnvelopes().length;
    worker.execute("ALTER TABLE expenses RENAME TO expenses_parked");
    let response;
    let id;
    try {
      ({ id, response } = await sendText("supermercado 45000 sin base"));
    } finally {
      worker.execute("ALTER TABLE expenses_parked RENAME TO expenses");
    }
    assert.equal(response.status, 503);

    const failed = await worker.waitForEvent("whatsapp.message_failed", { where: (e) => e.message_id === id });
    assert.equal(failed.status, 503);
    const requestFailed = await worker.waitForEvent("http.request_failed", { where: (e) => e.path === "/webhooks/whatsapp" });
    assert.equal(requestFailed.level, "ERROR");

    const envelopes = await waitFor(() => sentryEnvelopes().length > sentryBefore && sentryEnvelopes().slice(sentryBefore), {
      what: "a sentry envelope for the 503",
    });
    const { request, lines } = envelopes.find((e) => e.lines[2]?.tags?.event === "http.request_failed");
    assert.equal(request.path, "/api/42/envelope/");
    assert.equal(request.headers["content-type"], "application/x-sentry-envelope");
    assert.match(request.headers["x-sentry-auth"], /^Sentry sentry_version=7, .*sentry_key=e2epublic$/);
    const [header, item, event] = lines;
    assert.equal(header.event_id, event.event_id);
    assert.match(event.event_id, /^[0-9a-f]{32}$/);
    assert.equal(item.type, "event");
    assert.equal(event.level, "error");
    assert.equal(event.environment, "development");
    assert.match(event.release, /^misgastos@\d+\.\d+\.\d+/);
    assert.equal(event.tags.status, "503");
    assert.equal(event.user, undefined);
    for (const from of sent.senders) assert.ok(!request.raw.includes(from), "no phone number in the envelope");
    assert.ok(!request.raw.includes("supermercado 45000"), "no message text in the envelope");

    const alert = await waitFor(() => worker.telegramMessages().find((r) => r.body?.text?.includes("http\\.request\\_failed")), {
      what: "the errors notice on telegram",
    });
    assert.equal(alert.body.parse_mode, "MarkdownV2");
  });

  test("the retried delivery succeeds once storage is back", async () => {
    const from = newSender();
    const body = message(from, "bencina 30000 reintento");
    worker.execute("ALTER TABLE expenses RENAME TO expenses_parked");
    let first;
    try {
      first = await worker.sendWebhook(body);
    } finally {
      worker.execute("ALTER TABLE expenses_parked RENAME TO expenses");
    }
    assert.equal(first.status, 503);
    const retried = await worker.sendWebhook(body);
    assert.equal(retried.status, 200);
    assert.equal(expensesOf(body.message.id).length, 1);
    await worker.repliesTo(from, 1);
  });
});

describe("link tokens", () => {
  /** Sends `text` from `from` and returns the text of the worker's reply. */
  async function ask(from, text) {
    const body = textMessage({ from, text });
    sent.senders.add(from);
    sent.signatures.add(sign(JSON.stringify(body)));
    const response = await worker.sendWebhook(body);
    assert.equal(response.status, 200, response.text);
    const [reply] = await worker.repliesFor(body.message.id);
    return reply.body?.text?.body ?? "";
  }

  // A report or export link is a bearer credential. A 503 on one used to
  // log the full path, and the same path went to Sentry and, as the errors
  // notice, to Telegram, so anyone reading those could open the link.
  test("a failing link keeps its token out of logs, sentry and telegram", async () => {
    const from = newSender();
    await ask(from, "almuerzo 5000");
    const report = /(\S+\/reports\/\S+)/.exec(await ask(from, "resumen"))?.[1];
    const exported = /JSON: (\S+)/.exec(await ask(from, "exportar mis datos"))?.[1];
    assert.ok(report && exported, `links: ${report} ${exported}`);
    const reportToken = report.split("/reports/")[1];
    const exportToken = exported.split("/exports/")[1].replace(/\.json$/, "");
    const failedBefore = worker.events().filter((e) => e.event === "http.request_failed").length;

    worker.execute("ALTER TABLE expenses RENAME TO expenses_parked");
    const statuses = [];
    try {
      for (const url of [report, `${report}/csv`, exported]) statuses.push((await workerFetch(url)).status);
    } finally {
      worker.execute("ALTER TABLE expenses_parked RENAME TO expenses");
    }
    assert.deepEqual(statuses, [503, 503, 503]);

    const failed = await waitFor(() => {
      const found = worker.events().filter((e) => e.event === "http.request_failed").slice(failedBefore);
      return found.length >= 3 && found;
    }, { what: "three http.request_failed events" });
    assert.deepEqual(
      failed.map((e) => e.path),
      ["/reports/{token}", "/reports/{token}/csv", "/exports/{token}.json"],
    );
    const notices = await waitFor(() => {
      const found = worker.telegramMessages().filter((r) => r.raw.includes("/reports/") || r.raw.includes("/exports/"));
      return found.length >= 3 && found;
    }, { what: "three errors notices on telegram" });
    const envelopes = await waitFor(() => {
      const found = sentryEnvelopes().filter((e) => e.request.raw.includes("{token}"));
      return found.length >= 3 && found;
    }, { what: "three sentry envelopes" });

    const ours = worker.output.filter((line) => line.includes('"event":'));
    for (const token of [reportToken, exportToken]) {
      const payload = token.split(".")[0];
      for (const line of ours) assert.ok(!line.includes(payload), `token in log line: ${line}`);
      for (const notice of notices) assert.ok(!notice.raw.includes(payload), `token in telegram notice: ${notice.raw}`);
      for (const { request } of envelopes) assert.ok(!request.raw.includes(payload), "token in a sentry envelope");
    }
  });
});

describe("log output", () => {
  test("expected events appear as JSON lines with level and ids", async () => {
    await worker.waitForEvent("whatsapp.message_handled");
    const names = new Set(worker.eventNames());
    const expected = [
      "expense.flow_completed",
      "whatsapp.message_handled",
      "whatsapp.message_failed",
      "http.request_failed",
      "kapso.reply_retrying",
      "kapso.reply_failed",
      "kapso.window_closed",
      "notify.telegram_retrying",
      "notify.telegram_throttled",
    ];
    for (const name of expected) assert.ok(names.has(name), `event ${name} logged`);

    for (const event of worker.events().filter((e) => e.event === "whatsapp.message_handled")) {
      assert.ok(event.level, "level");
      assert.ok(event.customer_id, "customer_id");
      assert.match(event.sender, /^[0-9a-f]{16}$/, "sender is a hash");
      assert.ok(event.message_id, "message_id");
      assert.equal(event.outcome, "handled");
    }
  });

  test("no secret, phone number, signature or message text is logged", () => {
    const lines = worker.output.slice(firstLine);
    assert.ok(lines.length > 0);
    const secrets = [WEBHOOK_SECRET, KAPSO_API_KEY, TELEGRAM_TOKEN, EMAIL_SECRET, SENDER_HASH_KEY];
    const forbidden = [
      ...secrets.map((value) => ["secret", value]),
      ...[...sent.senders].map((value) => ["phone number", value]),
      ...[...sent.signatures].map((value) => ["signature", value]),
      ...[...sent.texts].map((value) => ["message text", value]),
    ];
    for (const line of lines) {
      for (const [kind, value] of forbidden) {
        assert.ok(!line.includes(value), `${kind} \`${value}\` in log line: ${line}`);
      }
    }
  });
});
