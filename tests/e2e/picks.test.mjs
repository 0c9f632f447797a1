// Category picks end to end under wrangler dev. A category button confirms
// only a change to an expense of the sender's customer. An old button of the
// sender's own expense still works after its question expired. A pick is a
// recorded change that `deshacer` reverts, merchant rule included.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { buttonsOf, choiceMessage, messageText, newSender, startWorker, textMessage } from "./harness.mjs";
import { createCustomer } from "./seed.mjs";

const QUESTION_CLOSED = "Esa pregunta ya fue respondida o expiró. Si quieres anotar un gasto, escríbelo, por ejemplo *almuerzo 12.500*.";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Sends a text and returns the `count` replies to it. */
async function say(from, text, count = 1, { phoneNumberId } = {}) {
  const body = textMessage({ from, text, ...(phoneNumberId ? { phoneNumberId } : {}) });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  return { id: body.message.id, replies: await worker.repliesFor(body.message.id, count) };
}

/** Taps a button and returns the `count` replies to the tap. */
async function tap(from, choiceId, title, count = 1, { phoneNumberId } = {}) {
  const body = choiceMessage({ from, choiceId, title, ...(phoneNumberId ? { phoneNumberId } : {}) });
  const response = await worker.sendWebhook(body);
  assert.equal(response.status, 200, `${choiceId}: ${response.text}`);
  return { id: body.message.id, replies: await worker.repliesFor(body.message.id, count) };
}

function expenseOf(messageId) {
  const [row] = worker.query("SELECT * FROM expenses WHERE source_message_id = ?", `${messageId}#1`);
  assert.ok(row, `expense of ${messageId}`);
  return row;
}

function changesOf(expenseId) {
  return worker.query("SELECT * FROM expense_changes WHERE expense_id = ? ORDER BY created_at, rowid", expenseId);
}

function categoryName(id) {
  return worker.query("SELECT name FROM categories WHERE id = ?", id)[0]?.name;
}

describe("category buttons", () => {
  test("a button for no expense of the customer confirms nothing", async () => {
    const victim = { id: "otro-ana", phone: newSender() };
    await createCustomer(worker, { id: "otro", number: "700000001", users: [victim] });
    const recorded = await say(victim.phone, "xyzzy 40", 1, { phoneNumberId: "700000001" });
    const victimExpense = expenseOf(recorded.id);
    assert.equal(victimExpense.status, "pending_category");

    const attacker = newSender();
    await say(attacker, "hola");
    const [own] = worker.query("SELECT id, name FROM categories WHERE customer_id = 'dev-customer' ORDER BY position LIMIT 1");
    const forged = [`cat|${victimExpense.source_message_id}|${own.id}`, `cat|wamid.never-recorded#1|${own.id}`];
    for (const choiceId of forged) {
      const { id, replies } = await tap(attacker, choiceId, own.name);
      assert.equal(messageText(replies[0]), QUESTION_CLOSED, choiceId);
      assert.deepEqual(worker.query("SELECT id FROM expense_changes WHERE message_id = ?", id), [], choiceId);
    }

    const after = expenseOf(recorded.id);
    assert.equal(after.status, "pending_category");
    assert.equal(after.category_id, null);
    assert.equal(after.updated_at, victimExpense.updated_at);
    assert.deepEqual(changesOf(victimExpense.id), []);
  });

  test("an old button of an own expense still sets its category", async () => {
    const from = newSender();
    const recorded = await say(from, "temu 5000");
    const buttons = buttonsOf(recorded.replies[0]);
    assert.ok(buttons.length >= 2, JSON.stringify(buttons));
    // The question expires with the conversation state.
    const [identity] = worker.query("SELECT id FROM channel_identities WHERE address = ?", from);
    worker.kvDelete(`conversation:dev-customer:${identity.id}`);

    const [first, second] = buttons;
    const picked = await tap(from, first.id, first.title);
    assert.equal(messageText(picked.replies[0]), `✅ Anotado: CLP 5.000 en ${first.title} (temu, hoy).`);
    const expense = expenseOf(recorded.id);
    assert.equal(expense.status, "completed");
    assert.equal(categoryName(expense.category_id), first.title);
    const [change] = changesOf(expense.id);
    assert.equal(change.action, "edit");
    assert.equal(change.status, "pending_category", "the change keeps the status from before");
    assert.equal(change.category_id, null);
    assert.equal(change.message_id, picked.id);

    const moved = await tap(from, second.id, second.title);
    assert.equal(messageText(moved.replies[0]), `✅ Categoría cambiada a ${second.title}.`);
    assert.equal(categoryName(expenseOf(recorded.id).category_id), second.title);
    assert.equal(changesOf(expense.id).length, 2);
  });
});

describe("undo after a pick", () => {
  test("undo puts the expense back to pending and forgets the rule", async () => {
    const user = { id: "deshacer-ana", phone: newSender() };
    const number = "700000002";
    await createCustomer(worker, { id: "deshacer", number, users: [user] });
    const rule = () => worker.query("SELECT category_id FROM merchant_rules WHERE customer_id = 'deshacer' AND merchant = 'temu'")[0]?.category_id;

    const recorded = await say(user.phone, "temu 5000", 1, { phoneNumberId: number });
    const [button] = buttonsOf(recorded.replies[0]);
    const picked = await tap(user.phone, button.id, button.title, 1, { phoneNumberId: number });
    assert.match(messageText(picked.replies[0]), /^✅ Anotado: CLP 5\.000/);
    assert.equal(categoryName(rule()), button.title, "the pick teaches the rule");

    const undone = await say(user.phone, "deshacer", 2, { phoneNumberId: number });
    assert.equal(messageText(undone.replies[0]), "↩️ Deshice el cambio: CLP 5.000 sin categoría (temu, hoy).");
    assert.match(messageText(undone.replies[1]), /¿En qué categoría va CLP 5\.000 \(temu\)\?/);
    const expense = expenseOf(recorded.id);
    assert.equal(expense.status, "pending_category", "undo reverts the pick, not the recording");
    assert.equal(expense.category_id, null);
    assert.equal(rule(), undefined, "the rule the pick taught is forgotten");
    const changes = changesOf(expense.id);
    assert.deepEqual(
      changes.map((row) => [row.action, row.status]),
      [
        ["edit", "pending_category"],
        ["undo", "completed"],
      ],
    );
    assert.equal(changes[1].reverts_change_id, changes[0].id);

    // A second undo redoes the pick, rule included.
    const redone = await say(user.phone, "deshacer", 1, { phoneNumberId: number });
    assert.equal(messageText(redone.replies[0]), `↩️ Deshice el cambio: CLP 5.000 en ${button.title} (temu, hoy).`);
    assert.equal(expenseOf(recorded.id).status, "completed");
    assert.equal(categoryName(rule()), button.title);
    const after = await say(user.phone, "gracias", 1, { phoneNumberId: number });
    assert.equal(messageText(after.replies[0]), "¡De nada! 🙌", "the redone pick's question is closed");
  });
});
