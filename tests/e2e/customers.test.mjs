// Customers, channel layers and the subscription policy end to end. Every
// customer, user, number and subscription here is created with the operator
// commands of tools/ops.mjs (the SQL files in db/ops/ run through wrangler),
// so these tests also check the commands the RUNBOOK documents.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { FAR_FUTURE, createCustomer } from "./seed.mjs";
import { buttonsOf, choiceMessage, messageText, newSender, startWorker, textMessage, waitFor, workerFetch } from "./harness.mjs";

const ACME_NUMBER = "111000111";
const CASA_NUMBER = "222000222";

function expensesOf(worker, messageId) {
  return worker.query("SELECT * FROM expenses WHERE source_message_id LIKE ? ORDER BY source_message_id", `${messageId}#%`);
}

function ledgerRow(worker, messageId) {
  return worker.query("SELECT customer_id, outcome FROM inbound_messages WHERE message_id = ?", messageId)[0];
}

/**
 * Sends a text from `from` to `number` and returns the webhook body, with
 * `repliesBefore`: how many replies `from` had been sent until then.
 */
async function send(worker, { from, number, text }) {
  const body = textMessage({ from, text, phoneNumberId: number });
  Object.defineProperty(body, "repliesBefore", { value: worker.kapsoMessages(from).length });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, response.text);
  return body;
}

describe("two customers on two numbers", () => {
  let worker;
  const acmeOwner = { id: "acme-owner", phone: newSender() };
  const casaAna = { id: "casa-ana", phone: newSender() };
  const casaBen = { id: "casa-ben", phone: newSender() };

  before(async () => {
    // Without DEFAULT_CUSTOMER_ID nothing is bootstrapped, as in production.
    worker = await startWorker({ vars: { DEFAULT_CUSTOMER_ID: "" } });
    await createCustomer(worker, { id: "acme", number: ACME_NUMBER, users: [acmeOwner], viaOps: true });
    await createCustomer(worker, {
      viaOps: true,
      id: "casa",
      number: CASA_NUMBER,
      locale: "en-US",
      currency: "USD",
      timeZone: "America/New_York",
      users: [casaAna, casaBen],
    });
  });

  after(async () => {
    await worker?.stop();
  });

  test("operator listings show both customers", async () => {
    const customers = JSON.parse(await worker.ops("customers:list", "--json"));
    assert.deepEqual(
      customers.map((c) => [c.id, c.home_currency, c.locale, c.users, c.numbers]),
      [
        ["acme", "CLP", "es-CL", 1, 1],
        ["casa", "USD", "en-US", 2, 1],
      ],
    );
    assert.match(customers[0].subscription, /^hogar active until 2099-01-01T00:00:00Z$/);
    const numbers = JSON.parse(await worker.ops("numbers:list", "--json"));
    assert.deepEqual(
      numbers.map((n) => [n.customer_id, n.external_id, n.active_identities]),
      [
        ["acme", ACME_NUMBER, 1],
        ["casa", CASA_NUMBER, 2],
      ],
    );
    const users = JSON.parse(await worker.ops("users:list", "--customer", "casa", "--json"));
    assert.deepEqual(
      users.map((u) => [u.id, u.role, u.phone_number_id, u.address, u.status]),
      [
        ["casa-ana", "owner", CASA_NUMBER, casaAna.phone, "active"],
        ["casa-ben", "member", CASA_NUMBER, casaBen.phone, "active"],
      ],
    );
  });

  test("each sender records into its own customer", async () => {
    const acme = await send(worker, { from: acmeOwner.phone, number: ACME_NUMBER, text: "almuerzo 12500" });
    const casa = await send(worker, { from: casaAna.phone, number: CASA_NUMBER, text: "lunch 12.50" });

    const [acmeExpense] = expensesOf(worker, acme.message.id);
    assert.equal(acmeExpense.customer_id, "acme");
    assert.equal(acmeExpense.user_id, "acme-owner");
    assert.equal(acmeExpense.amount_minor, 12500);
    assert.equal(acmeExpense.currency, "CLP");
    const [acmeCategory] = worker.query("SELECT customer_id, name FROM categories WHERE id = ?", acmeExpense.category_id);
    assert.deepEqual({ ...acmeCategory }, { customer_id: "acme", name: "Comida" });

    const [casaExpense] = expensesOf(worker, casa.message.id);
    assert.equal(casaExpense.customer_id, "casa");
    assert.equal(casaExpense.user_id, "casa-ana");
    assert.equal(casaExpense.amount_minor, 1250);
    assert.equal(casaExpense.currency, "USD");
    const [casaCategory] = worker.query("SELECT customer_id FROM categories WHERE id = ?", casaExpense.category_id);
    assert.equal(casaCategory.customer_id, "casa");

    assert.deepEqual({ ...ledgerRow(worker, acme.message.id) }, { customer_id: "acme", outcome: "handled" });
    assert.deepEqual({ ...ledgerRow(worker, casa.message.id) }, { customer_id: "casa", outcome: "handled" });

    const [acmeReply] = await worker.repliesTo(acmeOwner.phone);
    assert.equal(acmeReply.path, `/kapso/${ACME_NUMBER}/messages`);
    assert.match(messageText(acmeReply), /Anotado/);
    const [casaReply] = await worker.repliesTo(casaAna.phone);
    assert.equal(casaReply.path, `/kapso/${CASA_NUMBER}/messages`);
    assert.match(messageText(casaReply), /USD 12\.50/);

  });

  test("household members share one ledger with their own user ids", async () => {
    const ana = await send(worker, { from: casaAna.phone, number: CASA_NUMBER, text: "groceries 40" });
    const ben = await send(worker, { from: casaBen.phone, number: CASA_NUMBER, text: "groceries 25.50" });
    const rows = [...expensesOf(worker, ana.message.id), ...expensesOf(worker, ben.message.id)];
    assert.deepEqual(
      rows.map((r) => [r.customer_id, r.user_id, r.amount_minor]),
      [
        ["casa", "casa-ana", 4000],
        ["casa", "casa-ben", 2550],
      ],
    );
    const [ledger] = worker.query("SELECT count(*) AS n, count(DISTINCT user_id) AS members FROM expenses WHERE customer_id = 'casa'");
    assert.ok(ledger.n >= 3, `casa has ${ledger.n} expenses`);
    assert.equal(ledger.members, 2);
    const [acme] = worker.query("SELECT count(*) AS n FROM expenses WHERE customer_id = 'acme' AND user_id LIKE 'casa-%'");
    assert.equal(acme.n, 0);
  });

  for (const [direction, attacker, victim] of [
    ["acme sender against casa rows", { user: acmeOwner, number: ACME_NUMBER, customer: "acme" }, { user: casaAna, number: CASA_NUMBER, customer: "casa" }],
    ["casa sender against acme rows", { user: casaBen, number: CASA_NUMBER, customer: "casa" }, { user: acmeOwner, number: ACME_NUMBER, customer: "acme" }],
  ]) {
    test(`ids of the other customer change nothing: ${direction}`, async () => {
      // A pending expense of the victim, with its category buttons.
      const pending = await send(worker, { from: victim.user.phone, number: victim.number, text: "xyzzy 40" });
      const [victimExpense] = expensesOf(worker, pending.message.id);
      assert.equal(victimExpense.status, "pending_category");
      const asked = await waitFor(() => worker.kapsoMessages(victim.user.phone).find((m) => buttonsOf(m).some((b) => b.id.includes(victimExpense.source_message_id))), { what: "category buttons" });
      const victimButton = buttonsOf(asked).find((b) => b.id.startsWith("cat|"));
      const [attackerCategory] = worker.query("SELECT id FROM categories WHERE customer_id = ? ORDER BY position LIMIT 1", attacker.customer);
      const before = worker.query("SELECT * FROM expenses WHERE customer_id = ? ORDER BY id", victim.customer);
      const rulesBefore = worker.query("SELECT * FROM merchant_rules ORDER BY customer_id, merchant");

      const forged = [
        victimButton.id,
        `cat|${victimExpense.source_message_id}|${attackerCategory.id}`,
        `exp|${victimExpense.id}`,
        `del|${victimExpense.id}`,
      ];
      for (const choiceId of forged) {
        const body = choiceMessage({ from: attacker.user.phone, choiceId, title: "Comida", phoneNumberId: attacker.number });
        const response = await worker.sendWebhook(body);
        assert.equal(response.status, 200, `${choiceId}: ${response.text}`);
      }
      for (const text of ["borrar último", "cambia el monto a 999", "borrar 1", "deshacer", "mis gastos", "resumen"]) {
        await send(worker, { from: attacker.user.phone, number: attacker.number, text });
      }

      const afterRows = worker.query("SELECT * FROM expenses WHERE customer_id = ? ORDER BY id", victim.customer);
      assert.deepEqual(afterRows.map((r) => ({ ...r })), before.map((r) => ({ ...r })));
      assert.deepEqual(worker.query("SELECT * FROM merchant_rules ORDER BY customer_id, merchant").map((r) => ({ ...r })), rulesBefore.map((r) => ({ ...r })));
      const [victimCategoryOwner] = worker.query("SELECT customer_id FROM categories WHERE id = ?", victimButton.id.split("|")[2]);
      assert.equal(victimCategoryOwner.customer_id, victim.customer);

      // The attacker's replies name nothing of the victim's expense.
      const replies = worker.kapsoMessages(attacker.user.phone).map(messageText).join("\n");
      assert.doesNotMatch(replies, /xyzzy/);
      assert.ok(!replies.includes(victimExpense.id), "reply names the victim's expense id");

      // The victim still completes it with its own button.
      const tap = choiceMessage({ from: victim.user.phone, choiceId: victimButton.id, title: victimButton.title, phoneNumberId: victim.number });
      assert.equal((await worker.sendWebhook(tap)).status, 200);
      const [completed] = expensesOf(worker, pending.message.id);
      assert.equal(completed.status, "completed");
      assert.equal(completed.category_id, victimButton.id.split("|")[2]);
    });
  }

  test("unknown phone_number_id is refused and logged", async () => {
    const from = newSender();
    const body = await send(worker, { from, number: "999000999", text: "almuerzo 5000" });
    assert.deepEqual(expensesOf(worker, body.message.id), []);
    assert.equal(ledgerRow(worker, body.message.id), undefined);
    assert.deepEqual(worker.query("SELECT id FROM channel_accounts WHERE external_id = '999000999'"), []);
    assert.deepEqual(worker.query("SELECT id FROM channel_identities WHERE address = ?", from), []);
    const event = await worker.waitForEvent("whatsapp.unknown_phone_number", { where: (e) => e.message_id === body.message.id });
    assert.equal(event.phone_number_id, "999000999");
    assert.equal(event.level, "WARN");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(worker.kapsoMessages(from), []);
    assert.ok(!worker.eventNames().includes("customer.bootstrapped"));
  });

  test("unknown sender on a known number is recorded and onboarded", async () => {
    const from = newSender();
    const telegramBefore = worker.telegramMessages().length;
    const first = await send(worker, { from, number: ACME_NUMBER, text: "almuerzo 5000" });
    assert.deepEqual(expensesOf(worker, first.message.id), []);
    assert.deepEqual({ ...ledgerRow(worker, first.message.id) }, { customer_id: "acme", outcome: "unknown_sender" });
    const [identity] = worker.query("SELECT customer_id, account_id, user_id, status FROM channel_identities WHERE address = ?", from);
    assert.deepEqual({ ...identity }, { customer_id: "acme", account_id: `acct-${ACME_NUMBER}`, user_id: null, status: "pending" });
    const [reply] = await worker.repliesTo(from);
    assert.match(messageText(reply), /no está vinculado a una cuenta/);
    await worker.waitForEvent("whatsapp.sender_unknown", { where: (e) => e.message_id === first.message.id && e.customer_id === "acme" });
    const notices = await waitFor(() => worker.telegramMessages().slice(telegramBefore).find((m) => /Remitente nuevo/.test(m.body.text)), { what: "customers notice" });
    assert.doesNotMatch(notices.body.text, new RegExp(from));

    // The operator sees the pending sender and links it to a new user.
    const pending = JSON.parse(await worker.ops("identities:list", "--customer", "acme", "--json"));
    assert.equal(pending[0].address, from);
    assert.equal(pending[0].status, "pending");
    await worker.ops("user:create", "--id", "acme-new", "--customer", "acme", "--name", "Nuevo");
    await worker.ops("identity:link", "--phone-number-id", ACME_NUMBER, "--user", "acme-new", "--phone", from);
    const [linked] = worker.query("SELECT user_id, status FROM channel_identities WHERE address = ?", from);
    assert.deepEqual({ ...linked }, { user_id: "acme-new", status: "active" });

    const second = await send(worker, { from, number: ACME_NUMBER, text: "almuerzo 5000" });
    const [expense] = expensesOf(worker, second.message.id);
    assert.equal(expense.customer_id, "acme");
    assert.equal(expense.user_id, "acme-new");
  });

  test("linking a user of another customer is refused by the operator command", async () => {
    await assert.rejects(
      worker.ops("identity:link", "--phone-number-id", ACME_NUMBER, "--user", "casa-ana", "--phone", "56900000001"),
      /changed nothing: the number is not linked, or the user belongs to another customer/,
    );
    assert.deepEqual(worker.query("SELECT id FROM channel_identities WHERE address = '56900000001'"), []);
  });

  test("customer without subscription goes through with a warning in permissive mode", async () => {
    const owner = { id: "libre-owner", phone: newSender() };
    await createCustomer(worker, { id: "libre", number: "333000333", users: [owner], subscription: null });
    const body = await send(worker, { from: owner.phone, number: "333000333", text: "almuerzo 4000" });
    const [expense] = expensesOf(worker, body.message.id);
    assert.equal(expense.customer_id, "libre");
    assert.equal(expense.status, "completed");
    const event = await worker.waitForEvent("policy.allowed_in_permissive_mode", { where: (e) => e.message_id === body.message.id });
    assert.equal(event.reason, "no_subscription");
    assert.equal(event.customer_id, "libre");
    assert.equal(event.level, "WARN");
    const [reply] = await worker.repliesTo(owner.phone);
    assert.match(messageText(reply), /Anotado/);
  });

  test("entitlements are read from D1 once, then from ENTITLEMENTS_KV", async () => {
    const owner = { id: "cache-owner", phone: newSender() };
    await createCustomer(worker, { id: "cacheco", number: "444000444", users: [owner], subscription: { plan: "free", limit: 100 } });
    const first = await send(worker, { from: owner.phone, number: "444000444", text: "almuerzo 1000" });
    await worker.waitForEvent("policy.entitlements_loaded", { where: (e) => e.customer_id === "cacheco" && e.cache === "miss" });
    const cached = await waitFor(() => worker.kvGetAsync("entitlements:cacheco", "ENTITLEMENTS_KV"), { what: "entitlements in KV" });
    const entitlements = JSON.parse(cached);
    assert.equal(entitlements.subscription.plan, "free");
    assert.equal(entitlements.subscription.status, "active");
    assert.equal(entitlements.subscription.monthly_expense_limit, 100);
    const key = (await worker.kvKeysAsync("ENTITLEMENTS_KV")).find((k) => k.name === "entitlements:cacheco");
    const ttl = key.expiration - Date.now() / 1000;
    assert.ok(ttl > 240, `expires in ${ttl} s`);
    assert.ok(ttl <= 301, `expires in ${ttl} s`);

    const second = await send(worker, { from: owner.phone, number: "444000444", text: "almuerzo 2000" });
    await worker.waitForEvent("policy.entitlements_loaded", { where: (e) => e.customer_id === "cacheco" && e.cache === "hit" });
    assert.equal(expensesOf(worker, first.message.id).length, 1);
    assert.equal(expensesOf(worker, second.message.id).length, 1);
  });
});

describe("strict policy mode", () => {
  let worker;

  before(async () => {
    worker = await startWorker({ vars: { STRICT_POLICY_MODE: "true", DEFAULT_CUSTOMER_ID: "" } });
  });

  after(async () => {
    await worker?.stop();
  });

  /** Asserts that a refused message stored nothing but its ledger row. */
  async function assertRefused(body, { from, customer, reason, text }) {
    assert.deepEqual(expensesOf(worker, body.message.id), []);
    assert.deepEqual({ ...ledgerRow(worker, body.message.id) }, { customer_id: customer, outcome: "policy_denied" });
    const event = await worker.waitForEvent("policy.denied", { where: (e) => e.message_id === body.message.id });
    assert.equal(event.reason, reason);
    assert.equal(event.customer_id, customer);
    const reply = await waitFor(() => worker.kapsoMessages(from).slice(body.repliesBefore).find((m) => text.test(messageText(m))), { what: `refusal to ${from}` });
    // A retried reply may arrive twice, so every message since is checked.
    for (const sent of worker.kapsoMessages(from).slice(body.repliesBefore)) assert.match(messageText(sent), text);
    assert.equal(reply.path, `/kapso/${body.phone_number_id}/messages`);
    const notice = await waitFor(() => worker.telegramMessages().find((m) => m.body.text.includes("Mensaje rechazado") && m.body.text.includes(reason.replaceAll("_", "\\_"))), { what: "policy notice" });
    assert.doesNotMatch(notice.body.text, new RegExp(from));
  }

  test("customer without subscription is refused with a clear reply", async () => {
    const owner = { id: "nosub-owner", phone: newSender() };
    await createCustomer(worker, { id: "nosub", number: "510000001", users: [owner], subscription: null });
    const body = await send(worker, { from: owner.phone, number: "510000001", text: "almuerzo 12500" });
    await assertRefused(body, { from: owner.phone, customer: "nosub", reason: "no_subscription", text: /no tiene una suscripción activa/ });
    assert.deepEqual(worker.query("SELECT id FROM categories WHERE customer_id = 'nosub'"), []);
    assert.ok(!(await worker.kvKeysAsync()).some((k) => k.name.startsWith("conversation:nosub:")));
  });

  test("expired subscription is refused", async () => {
    const owner = { id: "old-owner", phone: newSender() };
    await createCustomer(worker, {
      id: "old",
      number: "510000002",
      users: [owner],
      subscription: { status: "expired", start: "2025-01-01T00:00:00Z", end: "2026-01-01T00:00:00Z" },
    });
    const body = await send(worker, { from: owner.phone, number: "510000002", text: "almuerzo 12500" });
    await assertRefused(body, { from: owner.phone, customer: "old", reason: "subscription_inactive", text: /no tiene una suscripción activa/ });
    const event = await worker.waitForEvent("policy.denied", { where: (e) => e.message_id === body.message.id });
    assert.equal(event.status, "expired");
  });

  test("active subscription whose period ended is refused", async () => {
    const owner = { id: "ended-owner", phone: newSender() };
    await createCustomer(worker, {
      id: "ended",
      number: "510000003",
      users: [owner],
      subscription: { start: "2025-01-01T00:00:00Z", end: "2026-01-01T00:00:00Z" },
    });
    const body = await send(worker, { from: owner.phone, number: "510000003", text: "almuerzo 12500" });
    await assertRefused(body, { from: owner.phone, customer: "ended", reason: "period_ended", text: /no tiene una suscripción activa/ });
  });

  test("limit reached refuses new expenses but not answers about pending ones", async () => {
    const owner = { id: "free-owner", phone: newSender() };
    await createCustomer(worker, { id: "gratis", number: "510000004", users: [owner], subscription: { plan: "free", limit: 2 } });
    const first = await send(worker, { from: owner.phone, number: "510000004", text: "almuerzo 1000" });
    assert.equal(expensesOf(worker, first.message.id).length, 1);
    const second = await send(worker, { from: owner.phone, number: "510000004", text: "xyzzy 2000" });
    const [pending] = expensesOf(worker, second.message.id);
    assert.equal(pending.status, "pending_category");
    const afterSecond = await worker.repliesTo(owner.phone, 3);
    assert.ok(afterSecond.map(messageText).some((t) => /Con esto llegaste al límite de 2 gastos/.test(t)), afterSecond.map(messageText).join("\n"));
    await worker.waitForEvent("policy.limit_near", { where: (e) => e.message_id === second.message.id && e.remaining === 0 });
    const button = buttonsOf(afterSecond.find((m) => buttonsOf(m).length > 0))[0];

    const third = await send(worker, { from: owner.phone, number: "510000004", text: "taxi 3000" });
    await assertRefused(third, { from: owner.phone, customer: "gratis", reason: "limit_reached", text: /Llegaste al límite de 2 gastos de este mes/ });
    const [count] = worker.query("SELECT count(*) AS n FROM expenses WHERE customer_id = 'gratis'");
    assert.equal(count.n, 2);

    // Completing the pending expense adds no expense, so it goes through.
    const tap = choiceMessage({ from: owner.phone, choiceId: button.id, title: button.title, phoneNumberId: "510000004" });
    assert.equal((await worker.sendWebhook(tap)).status, 200);
    const [completed] = expensesOf(worker, second.message.id);
    assert.equal(completed.status, "completed");
    assert.deepEqual({ ...ledgerRow(worker, tap.message.id) }, { customer_id: "gratis", outcome: "handled" });
  });

  test("a first message over the limit writes no categories", async () => {
    const owner = { id: "tope-owner", phone: newSender() };
    await createCustomer(worker, { id: "tope", number: "510000006", users: [owner], subscription: { plan: "free", limit: 1 } });
    const body = await send(worker, { from: owner.phone, number: "510000006", text: "almuerzo 1000 y taxi 2000" });
    await assertRefused(body, { from: owner.phone, customer: "tope", reason: "limit_reached", text: /te quedan 1, pero este mensaje trae 2/ });
    assert.deepEqual(worker.query("SELECT id FROM categories WHERE customer_id = 'tope'"), []);
    assert.ok(!(await worker.kvKeysAsync()).some((k) => k.name.startsWith("conversation:tope:")));

    // The next message within the limit brings the categories with it.
    const next = await send(worker, { from: owner.phone, number: "510000006", text: "almuerzo 1000" });
    await worker.repliesFor(next.message.id);
    assert.equal(expensesOf(worker, next.message.id).length, 1);
    assert.ok(worker.query("SELECT id FROM categories WHERE customer_id = 'tope'").length >= 5);
  });

  test("cached entitlements are used until invalidated or stale", async () => {
    const owner = { id: "renew-owner", phone: newSender() };
    await createCustomer(worker, { id: "renew", number: "510000005", users: [owner] });
    const first = await send(worker, { from: owner.phone, number: "510000005", text: "almuerzo 1000" });
    assert.equal(expensesOf(worker, first.message.id).length, 1);
    await waitFor(() => worker.kvGetAsync("entitlements:renew", "ENTITLEMENTS_KV"), { what: "entitlements in KV" });

    // A change made straight in D1 is not seen while the cached entry lives.
    await worker.executeAsync("UPDATE subscriptions SET status = 'canceled' WHERE customer_id = 'renew'");
    const cachedWhileCanceled = await send(worker, { from: owner.phone, number: "510000005", text: "almuerzo 2000" });
    assert.equal(expensesOf(worker, cachedWhileCanceled.message.id).length, 1);
    await worker.waitForEvent("policy.entitlements_loaded", { where: (e) => e.customer_id === "renew" && e.cache === "hit" });

    // The operator command deletes the cached entry, so D1 is read again.
    assert.match(await worker.ops("entitlements:invalidate", "--customer", "renew"), /deleted entitlements:renew/);
    const afterInvalidation = await send(worker, { from: owner.phone, number: "510000005", text: "almuerzo 3000" });
    await assertRefused(afterInvalidation, { from: owner.phone, customer: "renew", reason: "subscription_inactive", text: /no tiene una suscripción activa/ });

    // subscription:set renews and invalidates in one command.
    await worker.ops("subscription:set", "--customer", "renew", "--plan", "hogar", "--end", FAR_FUTURE);
    const renewed = await send(worker, { from: owner.phone, number: "510000005", text: "almuerzo 4000" });
    assert.equal(expensesOf(worker, renewed.message.id).length, 1);

    // An entry older than the TTL is not used. This one still has the active
    // subscription while D1 has it canceled, so the message is refused.
    await worker.executeAsync("UPDATE subscriptions SET status = 'canceled' WHERE customer_id = 'renew'");
    const cached = JSON.parse(await waitFor(() => worker.kvGetAsync("entitlements:renew", "ENTITLEMENTS_KV"), { what: "entitlements in KV" }));
    assert.equal(cached.subscription.status, "active");
    cached.computed_at = Math.floor(Date.now() / 1000) - 301;
    await worker.kvPutAsync("entitlements:renew", JSON.stringify(cached), "ENTITLEMENTS_KV");
    const stale = await send(worker, { from: owner.phone, number: "510000005", text: "almuerzo 5000" });
    await assertRefused(stale, { from: owner.phone, customer: "renew", reason: "subscription_inactive", text: /no tiene una suscripción activa/ });
  });
});

describe("development bootstrap at the expense limit", () => {
  let worker;

  before(async () => {
    // Strict mode, so that the limit refuses instead of only logging.
    worker = await startWorker({ vars: { STRICT_POLICY_MODE: "true", DEFAULT_CUSTOMER_ID: "tope-dev" } });
  });

  after(async () => {
    await worker?.stop();
  });

  test("a refused first message binds the sender and seeds no categories", async () => {
    const owner = { id: "tope-dev-owner", phone: newSender() };
    await createCustomer(worker, { id: "tope-dev", number: "530000001", users: [owner], subscription: { plan: "free", limit: 1 } });
    // A sender the operator never linked: the bootstrap binds it.
    const stranger = newSender();
    const body = await send(worker, { from: stranger, number: "530000001", text: "almuerzo 1000 y taxi 2000" });
    await worker.waitForEvent("policy.denied", { where: (e) => e.message_id === body.message.id && e.reason === "limit_reached" });
    assert.deepEqual({ ...ledgerRow(worker, body.message.id) }, { customer_id: "tope-dev", outcome: "policy_denied" });
    const [identity] = worker.query("SELECT customer_id, status FROM channel_identities WHERE address = ?", stranger);
    assert.deepEqual({ ...identity }, { customer_id: "tope-dev", status: "active" });
    assert.deepEqual(worker.query("SELECT id FROM categories WHERE customer_id = 'tope-dev'"), []);
    assert.deepEqual(worker.query("SELECT id FROM expenses WHERE customer_id = 'tope-dev'"), []);
  });
});

describe("worker without ENTITLEMENTS_KV", () => {
  let worker;

  before(async () => {
    worker = await startWorker({
      vars: { STRICT_POLICY_MODE: "true", DEFAULT_CUSTOMER_ID: "" },
      variant: (config) => {
        const development = config.env.development;
        development.kv_namespaces = development.kv_namespaces.filter((kv) => kv.binding !== "ENTITLEMENTS_KV");
      },
    });
  });

  after(async () => {
    await worker?.stop();
  });

  test("reads D1 on every message and sees a change at once", async () => {
    const owner = { id: "nokv-owner", phone: newSender() };
    await createCustomer(worker, { id: "nokv", number: "520000001", users: [owner] });
    const first = await send(worker, { from: owner.phone, number: "520000001", text: "almuerzo 1000" });
    assert.equal(expensesOf(worker, first.message.id).length, 1);
    await worker.waitForEvent("policy.entitlements_loaded", { where: (e) => e.customer_id === "nokv" && e.cache === "unbound" });
    await worker.waitForEvent("policy.entitlements_cache_unavailable");

    await worker.executeAsync("UPDATE subscriptions SET status = 'past_due' WHERE customer_id = 'nokv'");
    const second = await send(worker, { from: owner.phone, number: "520000001", text: "almuerzo 2000" });
    assert.deepEqual(expensesOf(worker, second.message.id), []);
    const denied = await worker.waitForEvent("policy.denied", { where: (e) => e.message_id === second.message.id });
    assert.equal(denied.status, "past_due");
    assert.ok(!worker.eventNames().includes("policy.entitlements_cache_failed"));
  });
});

describe("production environment", () => {
  let worker;

  before(async () => {
    // DEFAULT_CUSTOMER_ID stays set (dev-customer), as a careless deploy might leave it.
    worker = await startWorker({ vars: { ENVIRONMENT: "production" } });
  });

  after(async () => {
    await worker?.stop();
  });

  test("DEFAULT_CUSTOMER_ID binds nobody", async () => {
    const health = await (await workerFetch(`${worker.url}/health`)).json();
    assert.equal(health.environment, "production");

    const from = newSender();
    const body = await send(worker, { from, number: "530000001", text: "almuerzo 12500" });
    assert.deepEqual(expensesOf(worker, body.message.id), []);
    assert.deepEqual(worker.query("SELECT id FROM customers"), []);
    assert.deepEqual(worker.query("SELECT id FROM channel_accounts"), []);
    assert.deepEqual(worker.query("SELECT id FROM channel_identities"), []);
    await worker.waitForEvent("whatsapp.unknown_phone_number", { where: (e) => e.message_id === body.message.id });
    assert.ok(!worker.eventNames().includes("customer.bootstrapped"));

    // Nor a sender on a known number of another customer: it is onboarded.
    const owner = { id: "prod-owner", phone: newSender() };
    await createCustomer(worker, { id: "prod", number: "530000002", users: [owner] });
    const stranger = newSender();
    const onboarded = await send(worker, { from: stranger, number: "530000002", text: "almuerzo 12500" });
    assert.deepEqual(expensesOf(worker, onboarded.message.id), []);
    const [identity] = worker.query("SELECT customer_id, status FROM channel_identities WHERE address = ?", stranger);
    assert.deepEqual({ ...identity }, { customer_id: "prod", status: "pending" });
    assert.deepEqual(worker.query("SELECT id FROM customers WHERE id = 'dev-customer'"), []);
  });
});
