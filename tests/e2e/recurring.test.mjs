// Recurring expenses and reminders end to end: rules created and managed in
// chat, scheduled runs through wrangler's local trigger
// (`/cdn-cgi/local/scheduled`, with the run's time passed in) that record
// each due occurrence once, and reminders that go out as text inside the
// 24-hour window, as the configured template outside it, are recorded and
// not retried on a 131047, and never reach a member who opted out.
//
// Every sender of the local configuration belongs to one customer
// (`dev-customer`, America/Santiago), so each test uses its own senders and
// rule names and looks only at its own rows and messages.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { messageText, newSender, startWorker, textMessage, waitFor } from "./harness.mjs";

const ZONE = "America/Santiago";
const DAY_MS = 24 * 60 * 60 * 1000;

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Returns the wall-clock date and hour of `ms` in the customer's zone. */
function local(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** Returns the instant at which the customer's clock shows `hour`:00 on `date`. */
function atLocal(date, hour) {
  const [year, month, day] = date.split("-").map(Number);
  let guess = Date.UTC(year, month - 1, day, hour);
  for (let step = 0; step < 2; step += 1) {
    const shown = local(guess);
    const [y, m, d] = shown.date.split("-").map(Number);
    guess += Date.UTC(year, month - 1, day, hour) - Date.UTC(y, m - 1, d, shown.hour, shown.minute);
  }
  return guess;
}

/** Sends a text from `from` and waits for the worker's reply. */
async function say(from, text) {
  const before = worker.kapsoMessages(from).length;
  const response = await worker.sendWebhook(textMessage({ from, text }));
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  const replies = await worker.repliesTo(from, before + 1);
  return messageText(replies[replies.length - 1]);
}

function ruleNamed(description) {
  const rows = worker.query("SELECT * FROM recurring_rules WHERE description = ?", description);
  assert.equal(rows.length, 1, `one rule named ${description}`);
  return rows[0];
}

function occurrencesOf(rule) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ? ORDER BY spent_on", `recurring:${rule.id}:%`);
}

/** Proactive messages the mock Kapso received for `to` after index `since`. */
function messagesTo(to, since = 0) {
  return worker.kapsoMessages(to).slice(since);
}

function identityOf(phone) {
  const rows = worker.query("SELECT * FROM channel_identities WHERE address = ?", phone);
  assert.equal(rows.length, 1);
  return rows[0];
}

describe("rules in chat", () => {
  test("rules are created with their schedule", async () => {
    const from = newSender();
    const today = local(Date.now());

    const rent = await say(from, "arriendo depto 450.000 todos los meses el 5");
    assert.match(rent, /\*arriendo depto\* CLP 450\.000, cada mes el día 5/);
    const rule = ruleNamed("arriendo depto");
    assert.equal(rule.amount_minor, 450000);
    assert.equal(rule.currency, "CLP");
    assert.equal(rule.frequency, "monthly");
    assert.equal(rule.day, 5);
    assert.equal(rule.status, "active");
    assert.equal(rule.active_from, today.date);
    assert.equal(rule.customer_id, "dev-customer");

    const netflix = await say(from, "netflix hogar 9.99 usd mensual");
    assert.match(netflix, /\*netflix hogar\* USD 9,99, cada mes el día \d+/);
    const subscription = ruleNamed("netflix hogar");
    assert.equal(subscription.amount_minor, 999);
    assert.equal(subscription.currency, "USD");
    assert.equal(subscription.day, today.day);

    const gym = await say(from, "gimnasio barrio 35000 todos los lunes");
    assert.match(gym, /cada lunes/);
    const weekly = ruleNamed("gimnasio barrio");
    assert.equal(weekly.frequency, "weekly");
    assert.equal(weekly.day, 1);

    const usage = await say(from, "arriendo mensual");
    assert.match(usage, /dime qué es y cuánto/);
    assert.equal(worker.query("SELECT * FROM recurring_rules WHERE description = 'arriendo'").length, 0);
    const typed = worker.query("SELECT * FROM expenses WHERE description IN ('arriendo depto', 'netflix hogar', 'gimnasio barrio')");
    assert.equal(typed.length, 0, "a rule is not an expense");
  });

  test("rules are listed, paused, resumed and deleted", async () => {
    const from = newSender();
    await say(from, "seguro auto 20000 todos los meses el 10");
    await say(from, "patente moto 80000 todos los meses el 20");

    const list = await say(from, "recurrentes");
    assert.match(list, /🔁 Gastos recurrentes:/);
    const line = list.split("\n").find((row) => row.includes("seguro auto"));
    assert.ok(line, list);
    assert.match(line, /^\d+\. seguro auto · CLP 20\.000 · cada mes el día 10 · próximo \d\d-\d\d-\d{4}$/);
    const number = line.split(".")[0];

    const paused = await say(from, `pausar ${number}`);
    assert.match(paused, /Pausé \*seguro auto\*/);
    assert.equal(ruleNamed("seguro auto").status, "paused");
    assert.match(await say(from, "pausar seguro auto"), /ya estaba pausado/);
    const listed = await say(from, "recurrentes");
    assert.match(listed, /seguro auto · CLP 20\.000 · cada mes el día 10 · ⏸️ pausado/);

    const resumed = await say(from, "reanudar seguro auto");
    assert.match(resumed, /Reanudé \*seguro auto\*/);
    assert.equal(ruleNamed("seguro auto").status, "active");
    assert.equal(ruleNamed("seguro auto").active_from, local(Date.now()).date);

    const deleted = await say(from, "borrar recurrente patente moto");
    assert.match(deleted, /Borré el gasto recurrente \*patente moto\*/);
    assert.equal(ruleNamed("patente moto").status, "deleted");
    assert.doesNotMatch(await say(from, "recurrentes"), /patente moto/);
    assert.match(await say(from, "borrar recurrente patente moto"), /No encontré el gasto recurrente «patente moto»/);

    const events = worker.events().filter((e) => e.event === "recurring.rule_changed").map((e) => e.change);
    for (const change of ["created", "paused", "resumed", "deleted"]) assert.ok(events.includes(change), `${change} in ${events}`);
  });
});

describe("scheduled runs", () => {
  test("due occurrences are recorded once across runs", async () => {
    const from = newSender();
    const now = Date.now();
    const tomorrow = local(now + DAY_MS);
    await say(from, "agua potable 15000 todos los meses");
    await say(from, `luz electrica 30000 todos los meses el ${tomorrow.day}`);
    await say(from, "cable tv 19990 todos los meses");
    await say(from, "pausar cable tv");
    const water = ruleNamed("agua potable");
    const power = ruleNamed("luz electrica");
    const cable = ruleNamed("cable tv");

    const first = await worker.scheduled({ time: now });
    assert.equal(first.outcome, "ok");
    const recorded = occurrencesOf(water);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].source, "recurring");
    assert.equal(recorded[0].spent_on, local(now).date);
    assert.equal(recorded[0].amount_minor, 15000);
    assert.equal(recorded[0].currency, "CLP");
    assert.equal(recorded[0].description, "agua potable");
    assert.equal(recorded[0].user_id, water.user_id);
    assert.match(recorded[0].source_message_id, /^recurring:[0-9a-f-]+:\d{4}-\d{2}$/);
    assert.ok(["completed", "pending_category"].includes(recorded[0].status));
    assert.equal(occurrencesOf(power).length, 0, "tomorrow's rule is not due yet");
    assert.equal(occurrencesOf(cable).length, 0, "a paused rule records nothing");
    assert.equal(ruleNamed("agua potable").last_occurrence_on, local(now).date);

    const total = worker.query("SELECT count(*) AS n FROM expenses WHERE source = 'recurring'")[0].n;
    await worker.scheduled({ time: now + 60_000 });
    assert.equal(occurrencesOf(water).length, 1, "a second run records nothing new");
    assert.equal(worker.query("SELECT count(*) AS n FROM expenses WHERE source = 'recurring'")[0].n, total);

    // The confirmation of the recorded occurrence, inside the window.
    const confirmation = await waitFor(() => messagesTo(from).find((m) => messageText(m).includes("Anoté tu gasto recurrente *agua potable*")));
    assert.equal(confirmation.body.type, "text");

    // A day later the customer's clock shows tomorrow: the rule for that day
    // is due, and a run repeated then records nothing twice.
    const next = now + DAY_MS;
    await worker.scheduled({ time: next });
    await worker.scheduled({ time: next + 60_000 });
    const powerRecorded = occurrencesOf(power);
    assert.equal(powerRecorded.length, 1);
    assert.equal(powerRecorded[0].spent_on, tomorrow.date);
    assert.equal(occurrencesOf(water).length, 1);
    assert.equal(occurrencesOf(cable).length, 0);

    // A run's log line can reach wrangler's output after its HTTP answer.
    const runsFinished = () => worker.events().filter((e) => e.event === "scheduled.run_finished");
    const finished = await waitFor(() => runsFinished().length >= 4 && runsFinished(), { what: "four finished runs" });
    assert.ok(finished.length >= 4, `${finished.length} finished runs`);
    assert.ok(finished.every((e) => e.failures === 0), JSON.stringify(finished));
  });
});

describe("reminders", () => {
  /** Noon today on the customer's clock: after the notices' 9:00. */
  const noon = () => atLocal(local(Date.now()).date, 12);

  test("notice inside the window is a text", async () => {
    const from = newSender();
    const tomorrow = local(Date.now() + DAY_MS);
    await say(from, `internet fibra 25.990 todos los meses el ${tomorrow.day}`);
    const since = worker.kapsoMessages(from).length;

    await worker.scheduled({ time: noon() });
    const [notice] = await waitFor(() => messagesTo(from, since).length >= 1 && messagesTo(from, since));
    assert.equal(notice.body.type, "text");
    assert.match(messageText(notice), /Aviso: el \d\d-\d\d-\d{4} anotaré \*internet fibra\* por CLP 25\.990/);
    const rule = ruleNamed("internet fibra");
    const claims = worker.query("SELECT * FROM reminders_sent WHERE kind = 'payment_notice' AND reminder_key LIKE ?", `${rule.id}:%`);
    assert.equal(claims.length, 1);
    assert.equal(claims[0].outcome, "sent_text");

    await worker.scheduled({ time: noon() + 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(messagesTo(from, since).length, 1, "a notice goes out once");
  });

  test("outside the window the template is sent", async () => {
    const from = newSender();
    const tomorrow = local(Date.now() + DAY_MS);
    await say(from, `jardin condominio 20000 todos los meses el ${tomorrow.day}`);
    await say(from, "recordatorio diario a las 0");
    const identity = identityOf(from);
    const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS).toISOString();
    worker.execute(`UPDATE channel_identities SET last_inbound_at = '${twoDaysAgo}' WHERE id = '${identity.id}'`);
    const since = worker.kapsoMessages(from).length;

    await worker.scheduled({ time: noon() });
    const sent = await waitFor(() => messagesTo(from, since).length >= 2 && messagesTo(from, since));
    assert.ok(sent.every((m) => m.body.type === "template"), JSON.stringify(sent.map((m) => m.body)));
    const notice = sent.find((m) => m.body.template.name === "misgastos_aviso_pago");
    assert.ok(notice, JSON.stringify(sent.map((m) => m.body)));
    assert.equal(notice.body.template.language.code, "es");
    const parameters = notice.body.template.components[0].parameters.map((p) => p.text);
    assert.equal(parameters[0], "jardin condominio");
    assert.equal(parameters[1], "CLP 20.000");
    assert.match(parameters[2], /^\d\d-\d\d-\d{4}$/);
    const nudge = sent.find((m) => m.body.template.name === "misgastos_recordatorio_diario");
    assert.ok(nudge);
    assert.equal(nudge.body.template.components, undefined);

    const outcomes = worker.query("SELECT kind, outcome FROM reminders_sent WHERE user_id = ? ORDER BY kind", identity.user_id);
    assert.deepEqual(outcomes.map((row) => `${row.kind}:${row.outcome}`), ["daily:sent_template", "payment_notice:sent_template"]);
  });

  test("131047 is recorded and the text not retried", async () => {
    const from = newSender();
    await say(from, "recordatorio diario a las 0");
    const since = worker.kapsoMessages(from).length;
    worker.mocks.handle("kapso", (record) =>
      record.body?.to === from && record.body?.type === "text"
        ? { status: 400, body: { error: { message: "(#131047) Re-engagement message", type: "OAuthException", code: 131047 } } }
        : null,
    );
    try {
      await worker.scheduled({ time: noon() });
    } finally {
      worker.mocks.handle("kapso", null);
    }
    const sent = messagesTo(from, since);
    assert.deepEqual(sent.map((m) => m.body.type), ["text", "template"], "one text, then the template; no retry");
    assert.equal(sent[1].body.template.name, "misgastos_recordatorio_diario");
    assert.ok(identityOf(from).window_closed_at, "the closed window is recorded");
    await worker.waitForEvent("reminder.window_closed", { where: (e) => e.kind === "daily" });
    const user = identityOf(from).user_id;
    assert.equal(worker.query("SELECT outcome FROM reminders_sent WHERE user_id = ? AND kind = 'daily'", user)[0].outcome, "sent_template");

    // The recorded close keeps the next reminder on the template path,
    // until the member writes again.
    const later = worker.kapsoMessages(from).length;
    await worker.scheduled({ time: noon() + DAY_MS });
    const next = await waitFor(() => messagesTo(from, later).length >= 1 && messagesTo(from, later));
    assert.equal(next[0].body.type, "template");
  });

  test("daily nudge skips a member who logged something", async () => {
    const from = newSender();
    await say(from, "recordatorio diario a las 0");
    await say(from, "almuerzo 5000");
    const since = worker.kapsoMessages(from).length;
    await worker.scheduled({ time: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(messagesTo(from, since).length, 0);
    assert.equal(worker.query("SELECT * FROM reminders_sent WHERE user_id = ?", identityOf(from).user_id).length, 0);
  });

  test("opted-out member gets no reminder", async () => {
    const from = newSender();
    const tomorrow = local(Date.now() + DAY_MS);
    await say(from, "recordatorio diario a las 0");
    await say(from, `colegio niños 300000 todos los meses el ${tomorrow.day}`);
    const user = identityOf(from).user_id;
    worker.execute(`UPDATE users SET opted_out_at = '${new Date().toISOString()}' WHERE id = '${user}'`);
    const since = worker.kapsoMessages(from).length;

    await worker.scheduled({ time: noon() });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(messagesTo(from, since).length, 0);
    assert.equal(worker.query("SELECT * FROM reminders_sent WHERE user_id = ?", user).length, 0);
    const skipped = worker.events().filter((e) => e.event === "reminder.skipped" && e.reason === "opted_out");
    assert.ok(skipped.length >= 2, JSON.stringify(skipped));
  });
});
