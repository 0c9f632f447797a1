// Loopback stand-ins for the third-party HTTP APIs the worker calls: Kapso,
// Telegram, the Workers AI stand-in's backend, Sentry and the exchange-rates
// source (FX_API_BASE_URL). Each request is
// recorded; answers are scripted per service (status, body, delay), so tests
// can make a service fail, throttle or hang.
//
// As a program (`node tools/mock-apis.mjs [port]`, used by scripts/dev) it
// prints what the bot would have sent. As a module, tests call
// startMockApis() and read `requests`.
import http from "node:http";

const SERVICES = ["kapso", "telegram", "ai", "sentry", "fx"];

/** Units of each currency per US dollar that the mock rates source serves, for every date. */
export const MOCK_USD_RATES = { usd: 1, clp: 950, mxn: 17.5, ars: 1000, cop: 4000, eur: 0.92, brl: 5, gbp: 0.8, pen: 3.75, uyu: 40 };

/**
 * The response of the rates source to `/fx/<package>@<Y.M.D>/v1/currencies/<base>.min.json`, shaped
 * like fawazahmed0's currency API: `{"date", "<base>": {"<code>": units per base}}`.
 */
function fxAnswer(path) {
  const match = /@(\d{4})\.(\d{1,2})\.(\d{1,2})\/v1\/currencies\/([a-z]+)(?:\.min)?\.json$/.exec(path);
  if (!match || !(match[4] in MOCK_USD_RATES)) return { status: 404, body: "Not found" };
  const [, year, month, day, base] = match;
  const date = `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`;
  const rates = {};
  for (const [code, perUsd] of Object.entries(MOCK_USD_RATES)) rates[code] = Number((perUsd / MOCK_USD_RATES[base]).toPrecision(8));
  return { status: 200, body: { date, [base]: rates } };
}

/**
 * The first limit of WhatsApp's Cloud API that a message to send breaks, or
 * null: text up to 4096 characters; interactive body up to 1024; up to 3 reply
 * buttons with ids up to 256 and titles up to 20 characters; up to 10 list rows
 * with ids up to 200, titles up to 24 and descriptions up to 72 characters.
 */
function whatsappLimitBroken(body) {
  const length = (text) => [...(text ?? "")].length;
  if (body?.type === "text" && length(body.text?.body) > 4096) return "text body over 4096 characters";
  const interactive = body?.type === "interactive" ? body.interactive : null;
  if (!interactive) return null;
  if (length(interactive.body?.text) > 1024) return "interactive body over 1024 characters";
  const buttons = interactive.action?.buttons ?? [];
  if (buttons.length > 3) return "more than 3 buttons";
  for (const button of buttons) {
    if (length(button.reply?.id) > 256) return `button id over 256 characters: ${button.reply.id}`;
    if (length(button.reply?.title) > 20) return `button title over 20 characters: ${button.reply.title}`;
  }
  const rows = (interactive.action?.sections ?? []).flatMap((section) => section.rows ?? []);
  if (rows.length > 10) return "more than 10 list rows";
  for (const row of rows) {
    if (length(row.id) > 200) return `row id over 200 characters: ${row.id}`;
    if (length(row.title) > 24) return `row title over 24 characters: ${row.title}`;
    if (length(row.description) > 72) return `row description over 72 characters: ${row.description}`;
  }
  return null;
}

function defaultAnswer(service, request) {
  switch (service) {
    case "kapso": {
      if (request.body && request.body.status === "read") return { status: 200, body: { success: true } };
      // Like the Cloud API, refuse a message that breaks a limit (error 131009).
      const broken = whatsappLimitBroken(request.body);
      if (broken) {
        return { status: 400, body: { error: { message: `(#131009) Parameter value is not valid: ${broken}`, type: "OAuthException", code: 131009 } } };
      }
      return {
        status: 200,
        body: {
          messaging_product: "whatsapp",
          contacts: [{ input: request.body?.to, wa_id: request.body?.to }],
          messages: [{ id: `wamid.mock.${request.seq}` }],
        },
      };
    }
    case "telegram":
      return { status: 200, body: { ok: true, result: { message_id: request.seq } } };
    case "fx":
      return fxAnswer(request.path);
    case "ai":
      // No opinion: the worker falls back to its keyword classifier.
      return { status: 200, body: { response: '{"category": null, "confidence": 0, "merchant": null}' } };
    default:
      return { status: 200, body: { id: "0" } };
  }
}

function serviceOf(path) {
  const first = path.split("/")[1] ?? "";
  if (SERVICES.includes(first)) return first;
  if (/^\/api\/\d+\/(envelope|store)\/?/.test(path)) return "sentry";
  return null;
}

/**
 * Starts the mock server on 127.0.0.1. `port` 0 picks a free port.
 * Returns { port, url, requests, script(service, answers), reset(), close() }.
 */
export async function startMockApis({ port = 0, log = false } = {}) {
  const requests = [];
  const scripts = Object.fromEntries(SERVICES.map((s) => [s, []]));
  const handlers = Object.fromEntries(SERVICES.map((s) => [s, null]));
  let seq = 0;

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const path = new URL(req.url, "http://127.0.0.1").pathname;
      const service = serviceOf(path);
      let body = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        // Sentry envelopes are newline-separated JSON; keep the text.
      }
      const record = { seq: ++seq, service, method: req.method, path, headers: req.headers, body, raw, at: Date.now() };
      if (!service) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "no mock for this path" }));
        return;
      }
      requests.push(record);
      if (log) printRequest(record);
      const scripted = scripts[service].shift();
      const handler = handlers[service];
      const answer = scripted ?? (handler ? await handler(record) : null) ?? defaultAnswer(service, record);
      if (answer.hang) return; // never answers: the caller's timeout must fire
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      const headers = { "content-type": "application/json", ...(answer.headers ?? {}) };
      res.writeHead(answer.status ?? 200, headers);
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    requests,
    /** Queues answers for the next requests to `service`, in order. */
    script(service, ...answers) {
      scripts[service].push(...answers);
    },
    /** Answers every request to `service` with `fn(record)` (null: default). */
    handle(service, fn) {
      handlers[service] = fn;
    },
    reset() {
      requests.length = 0;
      for (const s of SERVICES) {
        scripts[s].length = 0;
        handlers[s] = null;
      }
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function printRequest(record) {
  const { service, body } = record;
  if (service === "kapso") {
    if (body?.status === "read") return;
    const text = body?.text?.body ?? body?.interactive?.body?.text ?? (body?.template ? `[template ${body.template.name}]` : JSON.stringify(body));
    const options = body?.interactive?.action?.buttons?.map((b) => `[${b.reply.title}]`).join(" ") ?? "";
    console.log(`→ WhatsApp to ${body?.to}: ${text} ${options}`.trimEnd());
  } else if (service === "telegram") {
    console.log(`→ Telegram: ${body?.text}`);
  } else {
    console.log(`→ ${service}: ${record.path}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 8790);
  const mocks = await startMockApis({ port, log: true });
  console.log(`mock Kapso, Telegram, AI, Sentry and exchange rates listening on ${mocks.url}`);
}
