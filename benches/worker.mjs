// Latency and load of the worker under `wrangler dev`, with the loopback
// mocks of tests/e2e/harness.mjs responding at once.
//
//   node benches/worker.mjs          (scripts/bench runs it after a build)
//
// 1. Latency: SAMPLES rounds of one GET /health and one webhook whose text
//    completes an expense (`almuerzo <n>`), one request at a time, so both
//    are measured in the same run on the same machine. Prints p50, p99 and
//    mean of each and the webhook/health ratios.
// 2. Load: MESSAGES completed-expense webhooks, CONCURRENCY in flight (one
//    sender per slot), printing throughput and p50/p99.
// 3. Checks, in D1 and in what the mock Kapso received: every message of
//    both phases answered 200, stored exactly one expense and one ledger
//    row, and got exactly one reply. A failed check exits with status 1;
//    nothing is asserted about speed.
//
// Environment: BENCH_SAMPLES (default 200), BENCH_MESSAGES (1000),
// BENCH_CONCURRENCY (50). Nothing leaves 127.0.0.1.
import os from "node:os";
import { performance } from "node:perf_hooks";

import { newSender, startWorker, textMessage, waitFor } from "../tests/e2e/harness.mjs";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

/** Returns the value at quantile `q` (0 to 1) of `sorted`, by nearest rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean, max: sorted.at(-1) };
}

function line(name, { count, p50, p99, mean, max }) {
  const ms = (value) => `${value.toFixed(1)} ms`.padStart(10);
  return `${name.padEnd(34)} n=${String(count).padEnd(5)} p50 ${ms(p50)}  p99 ${ms(p99)}  mean ${ms(mean)}  max ${ms(max)}`;
}

function machine() {
  const cpus = os.cpus();
  const load = os.loadavg().map((value) => value.toFixed(2)).join(" ");
  return `${cpus.length} CPUs (${cpus[0]?.model ?? "unknown"}), load average ${load}, Node ${process.version}`;
}

/** Times one request; returns [milliseconds, status]. */
async function timed(request) {
  const started = performance.now();
  const response = await request();
  const elapsed = performance.now() - started;
  return [elapsed, response.status];
}

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
}

console.log(`machine: ${machine()}`);
console.log("starting wrangler dev with loopback mocks…");
const worker = await startWorker();
const sent = [];
try {
  // Warm-up: the first requests compile the wasm and link each sender
  // (development bootstrap), which is not what is measured.
  const senders = Array.from({ length: CONCURRENCY }, () => newSender());
  await Promise.all(
    senders.map(async (from) => {
      const body = textMessage({ from, text: "hola" });
      await worker.sendWebhook(body);
      await worker.repliesFor(body.message.id, 1, { timeoutMs: 60_000 });
    }),
  );
  for (let i = 0; i < 20; i += 1) await fetch(`${worker.url}/health`);

  // 1. Latency, one request at a time.
  const health = [];
  const webhook = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const [healthMs, healthStatus] = await timed(() => fetch(`${worker.url}/health`).then(async (r) => (await r.arrayBuffer(), r)));
    health.push(healthMs);
    check(healthStatus === 200, `GET /health answered ${healthStatus}`);
    const body = textMessage({ from: senders[i % senders.length], text: `almuerzo ${10_000 + i}` });
    sent.push(body.message.id);
    const [webhookMs, status] = await timed(() => worker.sendWebhook(body));
    webhook.push(webhookMs);
    check(status === 200, `webhook ${body.message.id} answered ${status}`);
  }
  const healthSummary = summary(health);
  const webhookSummary = summary(webhook);
  console.log("\nlatency, one request at a time:");
  console.log(line("GET /health", healthSummary));
  console.log(line("POST /webhooks/whatsapp (expense)", webhookSummary));
  console.log(
    `webhook/health ratio: p50 ${(webhookSummary.p50 / healthSummary.p50).toFixed(1)}x, p99 ${(webhookSummary.p99 / healthSummary.p99).toFixed(1)}x`,
  );

  // 2. Load: each slot sends its sender's messages one after another.
  const loadLatencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    senders.map(async (from) => {
      while (next < MESSAGES) {
        const n = next;
        next += 1;
        const body = textMessage({ from, text: `almuerzo ${20_000 + n}` });
        sent.push(body.message.id);
        const [ms, status] = await timed(() => worker.sendWebhook(body));
        loadLatencies.push(ms);
        check(status === 200, `webhook ${body.message.id} answered ${status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nload: ${MESSAGES} webhooks, ${CONCURRENCY} in flight, ${seconds.toFixed(1)} s`);
  console.log(`throughput: ${(MESSAGES / seconds).toFixed(1)} webhooks/s`);
  console.log(line("POST /webhooks/whatsapp under load", summary(loadLatencies)));

  // 3. Every expense stored once, every message answered once.
  const counts = new Map(sent.map((id) => [id, 0]));
  for (const row of worker.query("SELECT source_message_id FROM expenses WHERE source_message_id LIKE 'wamid.e2e.%#1'")) {
    const id = row.source_message_id.slice(0, -2);
    if (counts.has(id)) counts.set(id, counts.get(id) + 1);
  }
  const notOnce = [...counts].filter(([, count]) => count !== 1);
  check(notOnce.length === 0, `${notOnce.length} messages not stored exactly once, e.g. ${JSON.stringify(notOnce.slice(0, 3))}`);
  const ledger = new Set(worker.query("SELECT message_id FROM inbound_messages").map((row) => row.message_id));
  check(sent.every((id) => ledger.has(id)), "a message is missing from inbound_messages");

  const replies = () => {
    const byMessage = new Map();
    for (const request of worker.mocks.requests) {
      const id = request.service === "kapso" ? request.body?.biz_opaque_callback_data : undefined;
      if (id) byMessage.set(id, (byMessage.get(id) ?? 0) + 1);
    }
    return byMessage;
  };
  try {
    await waitFor(() => sent.every((id) => replies().has(id)), { timeoutMs: 120_000, what: "a reply to every message" });
  } catch (error) {
    check(false, error.message.split("; last")[0]);
  }
  // Replies are sent after the response; give late duplicates time to show.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const answered = replies();
  const twice = sent.filter((id) => (answered.get(id) ?? 0) > 1);
  check(twice.length === 0, `${twice.length} messages answered more than once`);
  const failed = worker.events().filter((event) => event.event === "whatsapp.message_failed");
  check(failed.length === 0, `${failed.length} whatsapp.message_failed events`);

  console.log(
    `\nchecks: ${sent.length} messages, ${sent.length - notOnce.length} stored exactly once, ` +
      `${sent.filter((id) => answered.get(id) === 1).length} answered exactly once`,
  );
  console.log(`machine after the run: ${machine()}`);
} finally {
  await worker.stop();
}

if (failures.length > 0) {
  console.error(`\n${failures.length} checks failed:`);
  for (const failure of failures.slice(0, 20)) console.error(`- ${failure}`);
  process.exit(1);
}
console.log("all checks passed");
