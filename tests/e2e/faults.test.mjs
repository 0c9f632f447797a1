// Faults end to end, each with the outcome the RUNBOOK's fault table
// documents: every signature case (and a key rotation), conversation state in
// KV failing to read, failing to write or not bound at all, two messages of
// one sender at once, D1 failing halfway through a message's batch, Sentry
// hanging, failing or unreachable, and bad requests on every route, whose
// responses must reveal nothing of the worker's internals.
//
// Kapso 429/409/5xx/hangs, Telegram 429 and a D1 table missing are in
// ops.test.mjs; the model failing or hanging is in ai.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  EMAIL_SECRET,
  WEBHOOK_SECRET,
  buttonsOf,
  choiceMessage,
  freePort,
  newSender,
  sign,
  startWorker,
  textMessage,
  waitFor,
  workerFetch,
} from "./harness.mjs";

const PREVIOUS_SECRET = "e2e-previous-webhook-secret";

let worker;

before(async () => {
  worker = await startWorker({ vars: { KAPSO_WEBHOOK_SECRET_PREVIOUS: PREVIOUS_SECRET } });
});

after(async () => {
  await worker?.stop();
});

function expensesOf(target, messageId) {
  return target.query("SELECT * FROM expenses WHERE source_message_id LIKE ? ORDER BY source_message_id", `${messageId}#%`);
}

/** Returns the replies sent so far to the inbound message `messageId`. */
function answersTo(target, messageId) {
  return target.mocks.requests.filter((r) => r.service === "kapso" && r.body?.biz_opaque_callback_data === messageId);
}

function countEvents(target, name, where = () => true) {
  return target.events().filter((e) => e.event === name && where(e)).length;
}

/** Sends "hola" from a new sender, so that later messages find them linked. */
async function linkedSender(target) {
  const from = newSender();
  const body = textMessage({ from, text: "hola" });
  assert.equal((await target.sendWebhook(body)).status, 200);
  await target.repliesFor(body.message.id);
  return from;
}

/** Makes D1 reject the insert of expense `sourceId`; returns the undo. */
function failInsertOf(target, sourceId) {
  const trigger = `fail_${sourceId.replace(/[^A-Za-z0-9]/g, "_")}`;
  target.execute(
    `CREATE TRIGGER ${trigger} BEFORE INSERT ON expenses WHEN NEW.source_message_id = '${sourceId}' ` +
      "BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END",
  );
  return () => target.execute(`DROP TRIGGER ${trigger}`);
}

function sentryRequests(target) {
  return target.mocks.requests.filter((r) => r.service === "sentry");
}

/** Text that must never appear in a response body. */
const INTERNALS = [/D1_/, /SQLITE/i, /\bSQL\b/, /no such table/i, /injected/, /panicked/, /\.rs\b/, /src\//, /wasm/i, /\bat \S+ \(/, /Error:/, /undefined/, /RAISE/];

function assertRevealsNothing(description, text) {
  for (const pattern of INTERNALS) assert.doesNotMatch(text, pattern, `${description}: ${text}`);
  for (const secret of [WEBHOOK_SECRET, PREVIOUS_SECRET, EMAIL_SECRET]) {
    assert.ok(!text.includes(secret), `${description} reveals a secret`);
  }
}

describe("signatures", () => {
  // The same cases as `documented_outcomes_for_each_case` in
  // src/signature.rs, and the README's table.
  const body = JSON.stringify({ probe: "signature table" });
  const good = sign(body);
  const otherSecret = sign(body, "not-the-secret");
  const cases = [
    { name: "missing", signature: null, status: 401, reason: "missing" },
    { name: "empty", signature: "", status: 401, reason: "missing" },
    { name: "lowercase hex", signature: good, status: 200 },
    { name: "uppercase hex", signature: good.toUpperCase(), status: 200 },
    { name: "surrounding whitespace", signature: ` ${good}  `, status: 200 },
    { name: "sha256= prefix", signature: `sha256=${good}`, status: 200 },
    { name: "x-webhook-signature header", signature: `sha256=${good}`, header: "x-webhook-signature", status: 200 },
    { name: "truncated", signature: good.slice(0, 63), status: 401, reason: "malformed" },
    { name: "not hex", signature: "z".repeat(64), status: 401, reason: "malformed" },
    { name: "wrong secret", signature: otherSecret, status: 401, reason: "mismatch" },
    { name: "sha256= with a wrong digest", signature: `sha256=${otherSecret}`, status: 401, reason: "mismatch" },
    { name: "signature of another body", signature: sign(JSON.stringify({ probe: "another body" })), status: 401, reason: "mismatch" },
    { name: "previous secret while rotating", signature: sign(body, PREVIOUS_SECRET), status: 200 },
  ];

  for (const { name, signature, header, status, reason } of cases) {
    test(`${name} is ${status}`, async () => {
      const rejected = () => countEvents(worker, "whatsapp.webhook_unauthorized", (e) => e.reason === reason);
      const before = rejected();
      const response = await worker.sendWebhook(body, { signature, header });
      assert.equal(response.status, status, response.text);
      if (status === 200) {
        assert.deepEqual(response.json, { ok: true, handled: 0 });
      } else {
        assert.deepEqual(response.json, { error: "invalid or missing signature" });
        await waitFor(() => rejected() > before, { what: `whatsapp.webhook_unauthorized with reason ${reason}` });
      }
    });
  }

  test("a message signed with the previous secret is handled", async () => {
    const from = await linkedSender(worker);
    const message = textMessage({ from, text: "almuerzo 12500 rotacion" });
    const response = await worker.sendWebhook(message, { secret: PREVIOUS_SECRET });
    assert.equal(response.status, 200);
    assert.equal(expensesOf(worker, message.message.id).length, 1);
  });
});

describe("conversation state in KV failing", () => {
  // KV rejects keys over 512 bytes, in production and locally alike, so a
  // customer whose id is 600 characters long makes every read and write of
  // its conversation state fail with a real KV error.
  const customerId = `kv-fault-${"k".repeat(600)}`;
  const phoneNumberId = "900800700600500";
  const from = newSender();

  before(() => {
    worker.execute(
      [
        `INSERT INTO customers (id, name) VALUES ('${customerId}', 'KV fault')`,
        `INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('acct-kv-fault', '${customerId}', 'whatsapp', '${phoneNumberId}')`,
        `INSERT INTO users (id, customer_id, display_name, role) VALUES ('user-kv-fault', '${customerId}', 'KV', 'owner')`,
        `INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, status) VALUES ('identity-kv-fault', 'acct-kv-fault', '${customerId}', 'user-kv-fault', '${from}', 'active')`,
      ].join("; "),
    );
  });

  test("reads and writes fail, and every expense is stored and answered", async () => {
    const loadFailed = () => countEvents(worker, "conversation.state_load_failed", (e) => e.customer_id === customerId);
    const saveFailed = () => countEvents(worker, "conversation.state_save_failed", (e) => e.customer_id === customerId);

    const completed = textMessage({ from, text: "almuerzo 12500", phoneNumberId });
    assert.equal((await worker.sendWebhook(completed)).status, 200);
    assert.equal(expensesOf(worker, completed.message.id)[0].status, "completed");
    assert.equal((await worker.repliesFor(completed.message.id)).length, 1);
    await waitFor(() => loadFailed() >= 1, { what: "conversation.state_load_failed" });

    // The question cannot be saved, but its buttons name the expense, so the
    // tap completes it all the same.
    const pending = textMessage({ from, text: "xyzzy 5000", phoneNumberId });
    assert.equal((await worker.sendWebhook(pending)).status, 200);
    assert.equal(expensesOf(worker, pending.message.id)[0].status, "pending_category");
    await waitFor(() => saveFailed() >= 1, { what: "conversation.state_save_failed" });
    const [question] = await worker.repliesFor(pending.message.id);
    const [button] = buttonsOf(question);
    assert.ok(button, "the pending expense is asked about with buttons");

    const tap = choiceMessage({ from, choiceId: button.id, title: button.title, phoneNumberId });
    assert.equal((await worker.sendWebhook(tap)).status, 200);
    assert.equal(expensesOf(worker, pending.message.id)[0].status, "completed");
    assert.equal((await worker.repliesFor(tap.message.id)).length, 1);
    assert.ok(loadFailed() >= 3, `${loadFailed()} failed reads for three messages`);
  });
});

describe("two messages from one sender at once", () => {
  /** Reads the sender's conversation state from KV; null when there is none. */
  function stateOf(from) {
    const [identity] = worker.query("SELECT id, customer_id FROM channel_identities WHERE address = ?", from);
    const text = worker.kvGet(`conversation:${identity.customer_id}:${identity.id}`);
    return text ? JSON.parse(text) : null;
  }

  const questionIds = (state) => (state?.questions ?? []).map((question) => question.source_id);

  test("a completed and a pending expense keep the open question", async () => {
    for (let round = 0; round < 3; round += 1) {
      const from = await linkedSender(worker);
      const pending = textMessage({ from, text: `xyzzy ${5000 + round}` });
      const completed = textMessage({ from, text: `almuerzo ${12000 + round}` });
      const responses = await Promise.all([worker.sendWebhook(pending), worker.sendWebhook(completed)]);
      assert.deepEqual(responses.map((r) => r.status), [200, 200]);

      assert.equal(expensesOf(worker, pending.message.id).length, 1);
      assert.equal(expensesOf(worker, completed.message.id).length, 1);
      await worker.repliesFor(pending.message.id);
      await worker.repliesFor(completed.message.id);
      // The completed one writes no state, so it cannot erase the question.
      const state = stateOf(from);
      assert.ok(state, `round ${round}: the question is in KV`);
      assert.deepEqual(questionIds(state), [`${pending.message.id}#1`], `round ${round}`);
    }
  });

  test("two pending expenses are both asked about and completed once", async () => {
    const from = await linkedSender(worker);
    const first = textMessage({ from, text: "xyzzy 4100" });
    const second = textMessage({ from, text: "plugh 4200" });
    const responses = await Promise.all([worker.sendWebhook(first), worker.sendWebhook(second)]);
    assert.deepEqual(responses.map((r) => r.status), [200, 200]);
    const ids = [first.message.id, second.message.id];
    for (const id of ids) {
      assert.deepEqual(expensesOf(worker, id).map((e) => e.status), ["pending_category"], id);
      assert.equal((await worker.repliesFor(id)).length, 1, `one reply to ${id}`);
    }

    // Both read an idle state, so the later write may have dropped the
    // other's question from KV. Whichever question KV kept is answered
    // first; the other expense is then asked about, from KV or from D1.
    const keptQuestions = questionIds(stateOf(from));
    assert.ok(keptQuestions.length === 1 || keptQuestions.length === 2, `questions in KV: ${keptQuestions}`);
    const sources = ids.map((id) => `${id}#1`);
    assert.ok(sources.includes(keptQuestions[0]), `KV holds ${keptQuestions}`);
    const firstAnswered = keptQuestions[0];
    const other = sources.find((source) => source !== firstAnswered);

    const firstQuestion = answersTo(worker, firstAnswered.slice(0, -2)).find((r) => buttonsOf(r).length > 0);
    const [button] = buttonsOf(firstQuestion);
    const tap = choiceMessage({ from, choiceId: button.id, title: button.title });
    assert.equal((await worker.sendWebhook(tap)).status, 200);
    const question = await waitFor(
      () => answersTo(worker, tap.message.id).find((r) => buttonsOf(r).some((b) => b.id.includes(other))),
      { what: `the question about ${other} after the first answer` },
    );

    const secondButton = buttonsOf(question).find((b) => b.id.includes(other));
    const secondTap = choiceMessage({ from, choiceId: secondButton.id, title: secondButton.title });
    assert.equal((await worker.sendWebhook(secondTap)).status, 200);
    for (const id of ids) {
      assert.deepEqual(expensesOf(worker, id).map((e) => e.status), ["completed"], id);
    }
  });
});

describe("D1 failing halfway through a message", () => {
  test("a three-expense message stores all or nothing, then all once", async () => {
    const from = await linkedSender(worker);
    const body = textMessage({ from, text: "pan 1.990\nleche 1.290\n15 lucas supermercado" });
    const id = body.message.id;
    const restore = failInsertOf(worker, `${id}#2`);
    let failed;
    try {
      failed = await worker.sendWebhook(body);
    } finally {
      restore();
    }
    assert.equal(failed.status, 503);
    assert.deepEqual(failed.json, { error: "temporarily unavailable, retry later" });
    assertRevealsNothing("503 of a failed batch", failed.text);
    assert.deepEqual(expensesOf(worker, id), [], "the first expense was rolled back with the batch");
    assert.deepEqual(worker.query("SELECT * FROM inbound_messages WHERE message_id = ?", id), []);
    await worker.waitForEvent("whatsapp.message_failed", { where: (e) => e.message_id === id });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(answersTo(worker, id), [], "a message that failed is not answered");

    const retried = await worker.sendWebhook(body);
    assert.equal(retried.status, 200);
    assert.deepEqual(expensesOf(worker, id).map((e) => e.amount_minor), [1990, 1290, 15000]);
    // The answer is a confirmation of two expenses and the question about
    // `leche`, which no keyword classifies.
    const replies = await worker.repliesFor(id, 2);
    assert.equal((await worker.sendWebhook(body)).status, 200, "a third delivery is a duplicate");
    assert.equal(expensesOf(worker, id).length, 3);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const bodies = answersTo(worker, id).map((r) => JSON.stringify(r.body));
    assert.equal(bodies.length, replies.length, `no reply sent twice:\n${bodies.join("\n")}`);
    assert.equal(new Set(bodies).size, bodies.length, "no reply sent twice");
  });
});

describe("sentry down", () => {
  /** Fails one message on D1 while Sentry responds with `answer`; returns what happened. */
  async function failWhileSentry(answer) {
    const from = await linkedSender(worker);
    const body = textMessage({ from, text: "farmacia 4321 sin sentry" });
    const id = body.message.id;
    const restore = failInsertOf(worker, `${id}#1`);
    const sentryBefore = sentryRequests(worker).length;
    const failedBefore = countEvents(worker, "sentry.send_failed");
    const noticesBefore = worker.telegramMessages().length;
    worker.mocks.script("sentry", answer);
    let response;
    let elapsed;
    try {
      const started = Date.now();
      response = await worker.sendWebhook(body);
      elapsed = Date.now() - started;
    } finally {
      restore();
    }
    const failure = await waitFor(
      () => countEvents(worker, "sentry.send_failed") > failedBefore && worker.events().filter((e) => e.event === "sentry.send_failed").at(-1),
      { timeoutMs: 15_000, what: "sentry.send_failed" },
    );
    assert.ok(sentryRequests(worker).length > sentryBefore, "the worker tried Sentry");
    const notice = await waitFor(
      () => worker.telegramMessages().slice(noticesBefore).find((r) => r.body?.text?.includes("http\\.request\\_failed")),
      { timeoutMs: 15_000, what: "the errors notice on Telegram" },
    );
    const retried = await worker.sendWebhook(body);
    return { id, response, elapsed, failure, notice, retried };
  }

  test("a hanging Sentry delays nothing and loses nothing", async () => {
    const { id, response, elapsed, failure, notice, retried } = await failWhileSentry({ hang: true });
    assert.equal(response.status, 503);
    assert.ok(elapsed < 5_000, `the 503 took ${elapsed} ms; Sentry is reported after the answer`);
    assert.match(failure.error, /timed out after 5000 ms/);
    assert.ok(notice, "the operators still hear about the error");
    assert.equal(retried.status, 200);
    assert.equal(expensesOf(worker, id).length, 1);
  });

  test("Sentry answering 500 is logged and loses nothing", async () => {
    const { id, response, failure, retried } = await failWhileSentry({ status: 500, body: { detail: "internal" } });
    assert.equal(response.status, 503);
    assert.match(failure.error, /sentry answered 500/);
    assert.equal(retried.status, 200);
    assert.equal(expensesOf(worker, id).length, 1);
  });
});

describe("bad requests on every route", () => {
  test("answers are generic and reveal no internals", async () => {
    const huge = "x".repeat(1024 * 1024 + 1);
    const requests = [
      ["GET /nope", 404, "/nope", {}],
      ["POST /nope", 404, "/nope", { method: "POST", body: "{}" }],
      ["PUT /health", 405, "/health", { method: "PUT" }],
      ["GET /webhooks/whatsapp", 405, "/webhooks/whatsapp", {}],
      ["DELETE /webhooks/email", 405, "/webhooks/email", { method: "DELETE" }],
      ["whatsapp without signature", 401, "/webhooks/whatsapp", { method: "POST", body: "{}" }],
      ["whatsapp over 1 MiB", 413, "/webhooks/whatsapp", { method: "POST", body: huge, headers: { "x-kapso-signature": "0".repeat(64) } }],
      ["whatsapp signed non-JSON", 400, "/webhooks/whatsapp", { method: "POST", body: "{\"message\":", headers: { "x-kapso-signature": sign("{\"message\":") } }],
      ["whatsapp signed wrong types", 400, "/webhooks/whatsapp", { method: "POST", body: '{"message": {"id": 5}}', headers: { "x-kapso-signature": sign('{"message": {"id": 5}}') } }],
      ["email without bearer", 401, "/webhooks/email", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }],
      ["email with a wrong bearer", 401, "/webhooks/email", { method: "POST", body: "{}", headers: { "content-type": "application/json", authorization: `Bearer ${EMAIL_SECRET}x` } }],
      ["email of an unknown type", 415, "/webhooks/email", { method: "POST", body: "hi", headers: { "content-type": "text/plain", authorization: `Bearer ${EMAIL_SECRET}` } }],
      ["email of invalid JSON", 400, "/webhooks/email", { method: "POST", body: "{\"to\":", headers: { "content-type": "application/json", authorization: `Bearer ${EMAIL_SECRET}` } }],
      ["report with a forged token", 404, "/reports/eyJraW5kIjoicmVwb3J0In0.AAAA", {}],
      ["report CSV with garbage", 404, "/reports/%00%ff'--/csv", {}],
    ];
    for (const [name, status, route, init] of requests) {
      const response = await workerFetch(`${worker.url}${route}`, init);
      const text = await response.text();
      assert.equal(response.status, status, `${name}: ${text}`);
      assertRevealsNothing(name, text);
    }
  });
});

describe("without the CONVERSATION_STATE_KV binding", () => {
  let bare;
  let sentryPort;

  before(async () => {
    // Nothing listens on this port, so Sentry refuses the connection.
    sentryPort = await freePort();
    bare = await startWorker({
      variant: (config) => {
        const development = config.env.development;
        development.kv_namespaces = development.kv_namespaces.filter((kv) => kv.binding !== "CONVERSATION_STATE_KV");
      },
      vars: { SENTRY_DSN: `http://e2epublic@127.0.0.1:${sentryPort}/42` },
    });
  });

  after(async () => {
    await bare?.stop();
  });

  test("health is 503 and names the missing binding", async () => {
    const response = await workerFetch(`${bare.url}/health`);
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.equal(body.status, "degraded");
    assert.equal(body.checks.DB, "ok");
    assert.equal(body.checks.CONVERSATION_STATE_KV, "error: binding missing");
  });

  test("messages are handled and stored without state", async () => {
    const from = await linkedSender(bare);
    const completed = textMessage({ from, text: "almuerzo 12500" });
    assert.equal((await bare.sendWebhook(completed)).status, 200);
    assert.equal(expensesOf(bare, completed.message.id)[0].status, "completed");
    await bare.repliesFor(completed.message.id);
    await bare.waitForEvent("conversation.state_load_failed");

    const pending = textMessage({ from, text: "xyzzy 5000" });
    assert.equal((await bare.sendWebhook(pending)).status, 200);
    const [question] = await bare.repliesFor(pending.message.id);
    const [button] = buttonsOf(question);
    const tap = choiceMessage({ from, choiceId: button.id, title: button.title });
    assert.equal((await bare.sendWebhook(tap)).status, 200);
    assert.equal(expensesOf(bare, pending.message.id)[0].status, "completed");
  });

  test("the previous secret is rejected when it is not configured", async () => {
    const body = JSON.stringify({ probe: "rotation over" });
    const response = await bare.sendWebhook(body, { signature: sign(body, PREVIOUS_SECRET) });
    assert.equal(response.status, 401);
    await bare.waitForEvent("whatsapp.webhook_unauthorized", { where: (e) => e.reason === "mismatch" });
  });

  test("an unreachable Sentry is logged and the retry stores the expense", async () => {
    const from = await linkedSender(bare);
    const body = textMessage({ from, text: "farmacia 4321 sentry caido" });
    const id = body.message.id;
    const restore = failInsertOf(bare, `${id}#1`);
    let response;
    try {
      response = await bare.sendWebhook(body);
    } finally {
      restore();
    }
    assert.equal(response.status, 503);
    const failure = await bare.waitForEvent("sentry.send_failed", { timeoutMs: 15_000 });
    assert.match(failure.error, /request failed|timed out/);
    await waitFor(() => bare.telegramMessages().some((r) => r.body?.text?.includes("http\\.request\\_failed")), {
      what: "the errors notice on Telegram",
    });
    assert.equal((await bare.sendWebhook(body)).status, 200);
    assert.equal(expensesOf(bare, id).length, 1);
  });
});
