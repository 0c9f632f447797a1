// Totals in the customer's home currency, end to end under wrangler dev:
// the month summary, a budget and the report page convert every amount at
// the rate of its own date, with the rates served by the loopback mock of
// FX_API_BASE_URL (1 USD = 950 CLP = 17.5 MXN = 1000 ARS = 4000 COP) and
// cached in FX_RATES_KV. When the mock fails or hangs, the amounts are
// named as not converted and the webhook still answers 200 in time.
//
// Each test creates a customer of its own, so its totals, budgets and
// cached rates (one KV key per base currency and date) are its alone.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { messageText, newSender, startWorker, textMessage, workerFetch } from "./harness.mjs";

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

/** Today in America/Santiago, `YYYY-MM-DD`. */
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago" }).format(new Date());
}

/** The month before today's, as `{ year, month, key }` with `key` `YYYY-MM`. */
function lastMonth() {
  const [year, month] = today().split("-").map(Number);
  const previous = month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
  return { ...previous, key: `${previous.year}-${String(previous.month).padStart(2, "0")}` };
}

/** Creates a customer with its own WhatsApp number and one user per sender. */
function createCustomer({ locale = "es-CL", currency = "CLP", senders }) {
  const id = `cust-${randomUUID().slice(0, 8)}`;
  const phoneNumberId = `pn-${id}`;
  const statements = [
    `INSERT INTO customers (id, name, home_currency, locale, time_zone) VALUES ('${id}', 'Hogar', '${currency}', '${locale}', 'America/Santiago')`,
    `INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('acct-${id}', '${id}', 'whatsapp', '${phoneNumberId}')`,
  ];
  senders.forEach((sender, index) => {
    statements.push(`INSERT INTO users (id, customer_id, display_name, role) VALUES ('${id}-u${index}', '${id}', 'Miembro ${index}', 'owner')`);
    statements.push(
      `INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, status) VALUES ('${id}-i${index}', 'acct-${id}', '${id}', '${id}-u${index}', '${sender}', 'active')`,
    );
  });
  worker.execute(statements.join("; "));
  return { id, phoneNumberId };
}

/** Sends a text and returns the `count` replies to it, with the webhook's status and time. */
async function say(from, phoneNumberId, text, count = 1) {
  const body = textMessage({ from, text, phoneNumberId });
  const started = Date.now();
  const response = await worker.sendWebhook(body);
  const elapsedMs = Date.now() - started;
  assert.equal(response.status, 200, `${text}: ${response.text}`);
  const replies = await worker.repliesFor(body.message.id, count);
  return { id: body.message.id, texts: replies.map(messageText), elapsedMs };
}

function fxRequests() {
  return worker.mocks.requests.filter((request) => request.service === "fx");
}

function reportLinkIn(text) {
  const match = text.match(/(http:\/\/127\.0\.0\.1:\d+\/reports\/[A-Za-z0-9_.-]+)/);
  assert.ok(match, `report link in ${text}`);
  return match[1];
}

describe("totals in the home currency", () => {
  test("summary converts USD on two dates and keeps the originals", async () => {
    const from = newSender();
    const { phoneNumberId } = createCustomer({ senders: [from] });
    const { year, month, key } = lastMonth();
    await say(from, phoneNumberId, `almuerzo 12000 el 3/${month}`);
    await say(from, phoneNumberId, `taxi 10 usd el 3/${month}`);
    await say(from, phoneNumberId, `uber 20 usd el 20/${month}`);
    const recorded = worker.query("SELECT amount_minor, currency, spent_on FROM expenses WHERE customer_id = (SELECT customer_id FROM channel_accounts WHERE external_id = ?) ORDER BY spent_on, amount_minor", phoneNumberId);
    assert.deepEqual(
      recorded.map((row) => ({ ...row })),
      [
        { amount_minor: 1000, currency: "USD", spent_on: `${key}-03` },
        { amount_minor: 12000, currency: "CLP", spent_on: `${key}-03` },
        { amount_minor: 2000, currency: "USD", spent_on: `${key}-20` },
      ],
      "each expense keeps its own amount and currency",
    );

    const before = fxRequests().length;
    const { texts } = await say(from, phoneNumberId, `resumen ${key}`);
    const lines = texts[0].split("\n");
    const monthName = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"][month - 1];
    // USD 10 and USD 20 at 950 CLP: 9.500 and 19.000.
    assert.deepEqual(lines.slice(0, 6), [
      `📊 Resumen de ${monthName} ${year} (hogar)`,
      "*Total: CLP 40.500*",
      "• Transporte: CLP 28.500",
      "• Comida: CLP 12.000",
      "Por moneda: CLP 12.000 · USD 30,00",
      "Convertí USD a CLP al tipo de cambio de la fecha de cada gasto.",
    ]);
    assert.match(lines[6], /^Gráficos y CSV: /);

    const fetched = fxRequests().slice(before).map((request) => request.path);
    const version = (day) => `/fx/currency-api@${year}.${month}.${day}/v1/currencies/clp.min.json`;
    assert.deepEqual(fetched.sort(), [version(20), version(3)].sort(), "one fetch per distinct date, against CLP");
    const cached = worker.kvKeys("FX_RATES_KV").map((entry) => entry.name);
    assert.ok(cached.includes(`fx:CLP:${key}-03`), cached.join(", "));
    assert.ok(cached.includes(`fx:CLP:${key}-20`), cached.join(", "));

    const again = fxRequests().length;
    const { texts: second } = await say(from, phoneNumberId, `resumen ${key}`);
    assert.ok(second[0].includes("*Total: CLP 40.500*"), second[0]);
    assert.equal(fxRequests().length, again, "the second summary reads the cached rates");

    // The report page and its CSV show the converted values next to the originals.
    const link = reportLinkIn(texts[0]);
    const html = await (await workerFetch(link)).text();
    assert.ok(html.includes("<h2>Total en CLP</h2><p class=\"total\">CLP 40.500</p>"), "page total");
    assert.ok(html.includes("Por moneda: CLP 12.000 · USD 30,00"));
    assert.ok(html.includes("Incluye USD convertido a CLP al tipo de cambio de la fecha de cada gasto."));
    assert.ok(html.includes('<td class="amount">USD 20,00</td><td class="amount">CLP 19.000</td>'));
    assert.equal((html.match(/<svg/g) ?? []).length, 2, "one category chart and one day chart, in CLP");
    const csvPath = html.match(/href="(\/reports\/[^"]+\/csv)"/)?.[1];
    const rows = (await (await workerFetch(new URL(csvPath, link))).text()).replace(/^\ufeff/, "").trimEnd().split("\r\n");
    assert.equal(rows[0], "date,description,merchant,category,amount,currency,home_amount,home_currency,status");
    assert.ok(rows.includes(`${key}-03,taxi,,Transporte,10.00,USD,9500,CLP,completed`), rows.join("\n"));
    assert.ok(rows.includes(`${key}-03,almuerzo,,Comida,12000,CLP,12000,CLP,completed`), rows.join("\n"));
  });

  test("failing rates source leaves amounts not converted", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ locale: "es-MX", currency: "MXN", senders: [from] });
    await say(from, phoneNumberId, "almuerzo 150");
    await say(from, phoneNumberId, "taxi 10 usd");
    worker.mocks.handle("fx", () => ({ status: 503, body: "unavailable" }));
    try {
      const before = fxRequests().length;
      const { texts } = await say(from, phoneNumberId, "resumen");
      const text = texts[0];
      assert.ok(text.includes("*Total: MXN 150.00*"), text);
      assert.ok(text.includes("• Transporte: MXN 0.00 + USD 10.00 sin convertir"), text);
      assert.ok(text.includes("Por moneda: MXN 150.00 · USD 10.00"), text);
      assert.ok(text.includes("⚠️ El total no incluye estos montos, sin tipo de cambio: USD 10.00 (hoy)."), text);
      assert.ok(!text.includes("Convertí"), text);
      assert.equal(fxRequests().length - before, 1, "one attempt for the one date");
      await worker.waitForEvent("fx.rates_unavailable", { where: (event) => event.base === "MXN" && event.reason === "status" });

      const html = await (await workerFetch(reportLinkIn(text))).text();
      assert.ok(html.includes("Sin tipo de cambio, fuera del total y de los gráficos: USD 10.00"), "page names it");
      assert.ok(html.includes('<span class="note">sin convertir</span>'));
    } finally {
      worker.mocks.handle("fx", null);
    }
    const cached = worker.kvKeys("FX_RATES_KV").map((entry) => entry.name);
    assert.ok(!cached.some((name) => name.startsWith("fx:MXN:")), "a failure is not cached");
    const { texts } = await say(from, phoneNumberId, "resumen");
    assert.ok(texts[0].includes("*Total: MXN 325.00*"), `converted once the source answers: ${texts[0]}`);
    assert.equal(worker.query("SELECT count(*) AS n FROM expenses WHERE customer_id = ?", customerId)[0].n, 2);
  });

  test("hanging rates source is cut off within the time budget", async () => {
    const from = newSender();
    const { phoneNumberId } = createCustomer({ locale: "es-CO", currency: "COP", senders: [from] });
    await say(from, phoneNumberId, "taxi 10 usd");
    worker.mocks.handle("fx", () => ({ hang: true }));
    try {
      const { texts, elapsedMs } = await say(from, phoneNumberId, "resumen");
      assert.ok(texts[0].includes("⚠️ El total no incluye estos montos, sin tipo de cambio: USD 10,00 (hoy)."), texts[0]);
      assert.ok(elapsedMs < 8_000, `the webhook answered in ${elapsedMs} ms`);
      await worker.waitForEvent("fx.rates_unavailable", { where: (event) => event.base === "COP" && event.reason === "timeout" });
    } finally {
      worker.mocks.handle("fx", null);
    }
  });
});

describe("budgets in the home currency", () => {
  test("a USD expense crosses a CLP budget", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ senders: [from] });
    await say(from, phoneNumberId, "presupuesto comida 20.000");
    await say(from, phoneNumberId, "almuerzo 12000");
    // USD 5 at 950 CLP is CLP 4.750: 16.750 of 20.000.
    const { texts } = await say(from, phoneNumberId, "almuerzo 5 usd", 2);
    assert.match(texts[0], /^✅ Anotado: USD 5,00 en Comida/);
    assert.equal(texts[1], "⚠️ Llevas CLP 16.750 de CLP 20.000 en Comida este mes (83%). Incluye USD convertido al tipo de cambio de la fecha de cada gasto.");
    const alerts = worker.query("SELECT threshold, budget_minor, spent_minor FROM budget_alerts WHERE customer_id = ?", customerId);
    assert.deepEqual(alerts.map((row) => ({ ...row })), [{ threshold: 80, budget_minor: 20000, spent_minor: 16750 }]);

    const { texts: summary } = await say(from, phoneNumberId, "resumen");
    assert.ok(summary[0].includes("• Comida: CLP 16.750 de CLP 20.000 (83%)"), summary[0]);
  });

  test("a USD expense without a rate is not counted and says so", async () => {
    const from = newSender();
    const { id: customerId, phoneNumberId } = createCustomer({ locale: "es-AR", currency: "ARS", senders: [from] });
    await say(from, phoneNumberId, "presupuesto comida 10.000");
    await say(from, phoneNumberId, "almuerzo 7.000");
    worker.mocks.handle("fx", () => ({ status: 500, body: "error" }));
    try {
      const { texts } = await say(from, phoneNumberId, "almuerzo 5 usd", 2);
      assert.match(texts[0], /^✅ Anotado: USD 5,00 en Comida/);
      assert.equal(texts[1], "⚠️ No conseguí el tipo de cambio de USD 5,00 (hoy), así que aún no cuenta para el presupuesto de Comida.");
    } finally {
      worker.mocks.handle("fx", null);
    }
    assert.equal(worker.query("SELECT count(*) AS n FROM budget_alerts WHERE customer_id = ?", customerId)[0].n, 0, "no alert on a guess");
    // Once the rate can be had, the next expense counts the earlier one:
    // 7.000 + 5.000 (USD 5 at 1000 ARS) + 100 reaches 100%.
    const { texts } = await say(from, phoneNumberId, "almuerzo 100", 2);
    assert.equal(texts[1], "🚨 Llegaste al presupuesto de Comida: ARS 12.100,00 de ARS 10.000,00 este mes (121%). Incluye USD convertido al tipo de cambio de la fecha de cada gasto.");
  });
});
