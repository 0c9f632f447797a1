// End-to-end harness: runs the real worker (wasm in workerd, through
// `wrangler dev`) with fresh local D1 and KV, and loopback mocks for every
// third-party API. Nothing here talks to a host other than 127.0.0.1.
//
//   const worker = await startWorker();
//   await worker.sendWebhook(textMessage({ text: "almuerzo 12500" }));
//   worker.query("SELECT * FROM expenses");
//   await worker.stop();
//
// The wasm is built once by scripts/test (MISGASTOS_SKIP_BUILD=1 keeps
// wrangler from rebuilding it); set MISGASTOS_E2E_BUILD=1 to let wrangler
// build.
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";

import { startMockApis } from "../../tools/mock-apis.mjs";

// Every request to the worker opens a connection of its own. wrangler dev
// closes idle keep-alive connections on its own clock, and a request sent on
// one as it closes fails with "other side closed" before the worker
// receives it.
export function workerFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("connection", "close");
  return fetch(input, { ...init, headers });
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const WEBHOOK_SECRET = "e2e-webhook-secret";
export const EMAIL_SECRET = "e2e-email-secret";
export const SENDER_HASH_KEY = "e2e-sender-hash-key";
export const LINK_SIGNING_KEY = "e2e-link-signing-key";
export const KAPSO_API_KEY = "e2e-kapso-key";
export const TELEGRAM_TOKEN = "e2e-telegram-token";
export const PHONE_NUMBER_ID = "100200300400500";
export const SENDER = "56912345678";

let senderSeq = 0;
/** A fresh sender number, so that each test reads only its own replies. */
export function newSender() {
  senderSeq += 1;
  return `569${String(process.pid % 1000).padStart(3, "0")}${String(senderSeq).padStart(5, "0")}`;
}

const BIN = path.join(ROOT, "node_modules", ".bin");

// The TMPDIR of every wrangler this run starts. wrangler's update check
// caches the version npm returned in $TMPDIR/update-check, so that folder
// appearing here means a wrangler reached the npm registry.
export const WRANGLER_TMPDIR = mkdtempSync(path.join(os.tmpdir(), "misgastos-wrangler-"));

function toolEnv(extra = {}) {
  return {
    ...process.env,
    PATH: `${BIN}:${process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo")}/bin:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    // The banner's update check would fetch wrangler's metadata from npm.
    WRANGLER_HIDE_BANNER: "true",
    TMPDIR: WRANGLER_TMPDIR,
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    MISGASTOS_SKIP_BUILD: process.env.MISGASTOS_E2E_BUILD === "1" ? "0" : "1",
    ...extra,
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs wrangler synchronously and returns stdout; throws with its output on failure. */
export function wrangler(args, { env = {} } = {}) {
  const result = spawnSync(path.join(BIN, "wrangler"), args, {
    cwd: ROOT,
    env: toolEnv(env),
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Runs a command without blocking the event loop, so that the loopback
 * mocks in this process keep answering the worker meanwhile. Resolves with
 * stdout; rejects with the output when the command exits non-zero.
 */
function runAsync(command, args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: toolEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(command)} ${args.join(" ")} failed (${code}):\n${stdout}\n${stderr}`));
    });
  });
}

/** Waits until `check()` returns a truthy value, polling every 100 ms. */
export async function waitFor(check, { timeoutMs = 10_000, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
}

/** HMAC-SHA256 hex signature of a body, as Kapso computes it. */
export function sign(body, secret = WEBHOOK_SECRET) {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/** A Kapso v2 `whatsapp.message.received` text body. */
export function textMessage({ id = `wamid.e2e.${randomUUID()}`, from = SENDER, text, phoneNumberId = PHONE_NUMBER_ID, name = "Camila" } = {}) {
  return {
    message: {
      id,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: "text",
      text: { body: text },
      kapso: { direction: "inbound", status: "received", origin: "cloud_api", content: text },
    },
    conversation: { id: `conv-${from}`, phone_number: `+${from}`, phone_number_id: phoneNumberId, kapso: { contact_name: name } },
    is_new_conversation: false,
    phone_number_id: phoneNumberId,
  };
}

/** A Kapso v2 reply-button (or list) tap. */
export function choiceMessage({ id = `wamid.e2e.${randomUUID()}`, from = SENDER, choiceId, title = "", phoneNumberId = PHONE_NUMBER_ID, list = false } = {}) {
  const reply = { id: choiceId, title };
  return {
    message: {
      id,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: "interactive",
      interactive: list ? { type: "list_reply", list_reply: reply } : { type: "button_reply", button_reply: reply },
      kapso: { direction: "inbound" },
    },
    conversation: { phone_number: `+${from}`, phone_number_id: phoneNumberId },
    phone_number_id: phoneNumberId,
  };
}

/**
 * Removes the comments of a JSONC text (strings are copied unchanged, so a
 * `//` inside a URL stays), leaving JSON.
 */
export function stripJsonComments(text) {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i += 1;
      out += "\n";
    } else if (char === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2) + 1;
    } else {
      out += char;
    }
  }
  return out;
}

/**
 * Writes a variant of wrangler.jsonc into `dir`: `change(config)` edits the
 * parsed configuration (for example deletes a binding of
 * `config.env.development`). Paths are made absolute, because the file
 * lives outside the repository.
 */
function writeVariantConfig(dir, change) {
  const config = JSON.parse(stripJsonComments(readFileSync(path.join(ROOT, "wrangler.jsonc"), "utf8")));
  delete config.$schema;
  config.main = path.join(ROOT, config.main);
  config.build = { ...config.build, command: `bash ${path.join(ROOT, "scripts", "build")}`, cwd: ROOT, watch_dir: path.join(ROOT, "src") };
  for (const scope of [config, ...Object.values(config.env ?? {})]) {
    for (const database of scope.d1_databases ?? []) database.migrations_dir = path.join(ROOT, database.migrations_dir);
  }
  change(config);
  const file = path.join(dir, "wrangler.variant.json");
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * Starts mocks and the worker. `vars` override wrangler vars (strings; an
 * empty string unsets a var for the worker). `variant(config)`, when given,
 * edits a copy of wrangler.jsonc that the worker runs with instead.
 * Returns a handle; call stop() at the end.
 */
export async function startWorker({ vars = {}, variant } = {}) {
  const mocks = await startMockApis();
  const dir = mkdtempSync(path.join(os.tmpdir(), "misgastos-e2e-"));
  const state = path.join(dir, "state");
  mkdirSync(state);
  const configFile = variant ? writeVariantConfig(dir, variant) : "wrangler.jsonc";

  const standinConfig = path.join(dir, "ai-standin.jsonc");
  const standinVars = { AI_STANDIN_URL: `${mocks.url}/ai/run` };
  writeFileSync(
    standinConfig,
    JSON.stringify({
      name: "misgastos-ai-standin",
      main: path.join(ROOT, "tools", "ai-standin", "index.js"),
      compatibility_date: "2026-11-01",
      vars: standinVars,
      env: { development: { name: "misgastos-ai-standin", vars: standinVars } },
    }),
  );

  wrangler(["d1", "migrations", "apply", "DB", "--local", "--env", "development", "--persist-to", state]);

  const port = await freePort();
  const inspectorPort = await freePort();
  const allVars = {
    KAPSO_API_BASE_URL: `${mocks.url}/kapso`,
    TELEGRAM_API_BASE_URL: `${mocks.url}/telegram`,
    SENTRY_DSN: `http://e2epublic@127.0.0.1:${mocks.port}/42`,
    KAPSO_WEBHOOK_SECRET: WEBHOOK_SECRET,
    KAPSO_API_KEY: KAPSO_API_KEY,
    TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
    TELEGRAM_CHAT_ID: "-100200300",
    EMAIL_WORKER_SECRET: EMAIL_SECRET,
    SENDER_HASH_KEY: SENDER_HASH_KEY,
    LINK_SIGNING_KEY: LINK_SIGNING_KEY,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    FX_API_BASE_URL: `${mocks.url}/fx/currency-api`,
    ...vars,
  };
  const args = [
    "dev",
    "-c", configFile,
    "-c", standinConfig,
    "--env", "development",
    "--persist-to", state,
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--show-interactive-dev-session=false",
    "--log-level", "info",
  ];
  for (const [key, value] of Object.entries(allVars)) args.push("--var", `${key}:${value}`);

  const child = spawn(path.join(BIN, "wrangler"), args, { cwd: ROOT, env: toolEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const onData = (chunk) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) output.push(line);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exited = null;
  child.on("exit", (code) => {
    exited = code;
  });

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exited !== null) throw new Error(`wrangler dev exited with ${exited}:\n${output.join("\n")}`);
        const response = await workerFetch(`${url}/health`);
        return response.status === 200 || response.status === 503;
      },
      { timeoutMs: 90_000, what: "wrangler dev to serve /health" },
    );
  } catch (error) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    await mocks.close();
    throw new Error(`${error.message}\n--- wrangler output ---\n${output.join("\n")}`);
  }

  const d1File = () => {
    const folder = path.join(state, "v3", "d1", "miniflare-D1DatabaseObject");
    const file = readdirSync(folder).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
    return path.join(folder, file);
  };

  const worker = {
    url,
    mocks,
    dir,
    state,
    output,
    /** Worker log lines that are JSON objects with an `event` field. */
    events() {
      const events = [];
      for (const rawLine of output) {
        // wrangler colours console.warn and console.error lines.
        const line = rawLine.replace(/\x1b\[[0-9;]*m/g, "");
        const start = line.indexOf("{");
        if (start < 0) continue;
        try {
          const value = JSON.parse(line.slice(start));
          if (value && typeof value.event === "string") events.push(value);
        } catch {}
      }
      return events;
    },
    eventNames() {
      return worker.events().map((e) => e.event);
    },
    async waitForEvent(name, { timeoutMs = 10_000, where = () => true } = {}) {
      return waitFor(() => worker.events().find((e) => e.event === name && where(e)), { timeoutMs, what: `log event ${name}` });
    },
    /** Runs a read-only query on the local D1 file. */
    query(sql, ...params) {
      const db = new DatabaseSync(d1File(), { readOnly: true });
      try {
        return db.prepare(sql).all(...params);
      } finally {
        db.close();
      }
    },
    /** Runs SQL through wrangler (for writes while the worker runs). */
    execute(sql) {
      return wrangler(["d1", "execute", "DB", "--local", "--env", "development", "--persist-to", state, "--command", sql]);
    },
    /** Lists KV keys of a namespace binding through wrangler. */
    kvKeys(binding = "CONVERSATION_STATE_KV") {
      const out = wrangler(["kv", "key", "list", "--binding", binding, "--local", "--env", "development", "--persist-to", state]);
      return JSON.parse(out.slice(out.indexOf("[")));
    },
    kvGet(key, binding = "CONVERSATION_STATE_KV") {
      const result = spawnSync(path.join(BIN, "wrangler"), ["kv", "key", "get", key, "--binding", binding, "--local", "--env", "development", "--persist-to", state, "--text"], {
        cwd: ROOT,
        env: toolEnv(),
        encoding: "utf8",
      });
      return result.status === 0 ? result.stdout : null;
    },
    // The methods below run wrangler without blocking the event loop. A
    // synchronous call stalls the mocks, so the worker's replies time out,
    // and a kept-alive connection to the worker may be closed meanwhile.
    /** `execute`, asynchronously. */
    executeAsync(sql) {
      return runAsync(path.join(BIN, "wrangler"), ["d1", "execute", "DB", "--local", "--env", "development", "--persist-to", state, "--command", sql]);
    },
    /** `kvKeys`, asynchronously. */
    async kvKeysAsync(binding = "CONVERSATION_STATE_KV") {
      const out = await runAsync(path.join(BIN, "wrangler"), ["kv", "key", "list", "--binding", binding, "--local", "--env", "development", "--persist-to", state]);
      return JSON.parse(out.slice(out.indexOf("[")));
    },
    /** `kvGet`, asynchronously: the value as text, or null when the key is missing. */
    async kvGetAsync(key, binding = "CONVERSATION_STATE_KV") {
      try {
        return await runAsync(path.join(BIN, "wrangler"), ["kv", "key", "get", key, "--binding", binding, "--local", "--env", "development", "--persist-to", state, "--text"]);
      } catch {
        return null;
      }
    },
    /** Writes a KV value through wrangler, as an operator would. */
    kvPutAsync(key, value, binding = "CONVERSATION_STATE_KV") {
      return runAsync(path.join(BIN, "wrangler"), ["kv", "key", "put", key, value, "--binding", binding, "--local", "--env", "development", "--persist-to", state]);
    },
    /**
     * Runs an operator command of tools/ops.mjs on this worker's local D1 and
     * KV, as the RUNBOOK shows it with --local. Resolves with stdout; rejects
     * with the output when the command fails.
     */
    ops(...args) {
      return runAsync(process.execPath, [path.join(ROOT, "tools", "ops.mjs"), ...args, "--local", "--env", "development", "--persist-to", state]);
    },
    /** Writes a KV value through wrangler (no TTL), for example to age a conversation state. */
    kvPut(key, value, binding = "CONVERSATION_STATE_KV") {
      return wrangler(["kv", "key", "put", key, value, "--binding", binding, "--local", "--env", "development", "--persist-to", state]);
    },
    /** Deletes a KV key through wrangler, as its TTL would. */
    kvDelete(key, binding = "CONVERSATION_STATE_KV") {
      return wrangler(["kv", "key", "delete", key, "--binding", binding, "--local", "--env", "development", "--persist-to", state]);
    },
    /** POSTs a body to /webhooks/whatsapp, signed unless `signature` is given (null: no header). */
    async sendWebhook(body, { signature, header = "x-kapso-signature", secret = WEBHOOK_SECRET, headers = {} } = {}) {
      const raw = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const allHeaders = { "content-type": "application/json", ...headers };
      const value = signature === undefined ? sign(raw, secret) : signature;
      if (value !== null) allHeaders[header] = value;
      const response = await workerFetch(`${url}/webhooks/whatsapp`, { method: "POST", headers: allHeaders, body: raw });
      const text = await response.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: response.status, text, json };
    },
    /** Kapso messages the worker sent (read receipts excluded), optionally to one number. */
    kapsoMessages(to) {
      return mocks.requests.filter((r) => r.service === "kapso" && r.body?.status !== "read" && (to === undefined || r.body?.to === to));
    },
    /** Waits for the `count`-th message sent to `to` and returns all of them. */
    async repliesTo(to, count = 1, { timeoutMs = 10_000 } = {}) {
      return waitFor(() => worker.kapsoMessages(to).length >= count && worker.kapsoMessages(to), { timeoutMs, what: `${count} replies to ${to}` });
    },
    /**
     * Waits for `count` messages that answer the inbound message `messageId`
     * (the worker sends its id as `biz_opaque_callback_data`) and returns them.
     */
    async repliesFor(messageId, count = 1, { timeoutMs = 10_000 } = {}) {
      const answering = () => mocks.requests.filter((r) => r.service === "kapso" && r.body?.biz_opaque_callback_data === messageId);
      return waitFor(() => answering().length >= count && answering(), { timeoutMs, what: `${count} replies to message ${messageId}` });
    },
    telegramMessages() {
      return mocks.requests.filter((r) => r.service === "telegram");
    },
    /**
     * POSTs a mail to /webhooks/email: a string or Buffer is sent as
     * message/rfc822, an object as JSON. `bearer` null sends no
     * Authorization header; `query` adds URL parameters such as `to`.
     */
    async sendEmail(body, { bearer = EMAIL_SECRET, query = {}, headers = {} } = {}) {
      const raw = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const contentType = typeof body === "string" || Buffer.isBuffer(body) ? "message/rfc822" : "application/json";
      const allHeaders = { "content-type": contentType, ...headers };
      if (bearer !== null) allHeaders.authorization = `Bearer ${bearer}`;
      const target = new URL(`${url}/webhooks/email`);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      const response = await workerFetch(target, { method: "POST", headers: allHeaders, body: raw });
      const text = await response.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: response.status, text, json };
    },
    /**
     * Delivers a raw message to the worker's `#[event(email)]` handler
     * through wrangler dev's local trigger. wrangler refuses a message
     * without a Message-ID header.
     */
    async emailEvent(raw, { from, to }) {
      const target = new URL(`${url}/cdn-cgi/handler/email`);
      target.searchParams.set("from", from);
      target.searchParams.set("to", to);
      const response = await workerFetch(target, { method: "POST", body: raw });
      return { status: response.status, text: await response.text() };
    },
    /**
     * Runs the scheduled handler through wrangler's local trigger
     * (`/cdn-cgi/local/scheduled`) as the cron `cron` firing at `time`
     * (a Date or ms; now by default). Resolves once the handler has finished.
     */
    async scheduled({ cron = "0 * * * *", time = Date.now() } = {}) {
      const ms = time instanceof Date ? time.getTime() : time;
      const query = new URLSearchParams({ cron, time: String(ms), format: "json" });
      const response = await workerFetch(`${url}/cdn-cgi/local/scheduled?${query}`);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`scheduled run returned ${response.status}: ${text}`);
      return JSON.parse(text);
    },
    async stop() {
      // MISGASTOS_E2E_LOG=<dir> keeps each worker's output for debugging.
      if (process.env.MISGASTOS_E2E_LOG) {
        mkdirSync(process.env.MISGASTOS_E2E_LOG, { recursive: true });
        writeFileSync(path.join(process.env.MISGASTOS_E2E_LOG, `wrangler-${port}.log`), output.join("\n"));
      }
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await new Promise((resolve) => {
        if (exited !== null) return resolve();
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {}
          resolve();
        }, 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await mocks.close();
    },
  };
  return worker;
}

/** Text of a Kapso message body: a text body or an interactive body. */
export function messageText(request) {
  return request.body?.text?.body ?? request.body?.interactive?.body?.text ?? "";
}

/** Reply-button ids and titles of a Kapso interactive message. */
export function buttonsOf(request) {
  return (request.body?.interactive?.action?.buttons ?? []).map((b) => ({ id: b.reply.id, title: b.reply.title }));
}

export { existsSync };
