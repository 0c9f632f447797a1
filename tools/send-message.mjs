// Sends a signed Kapso `whatsapp.message.received` webhook with a text to a
// local worker, as Kapso would: `node tools/send-message.mjs "almuerzo 12500"`.
// Options (environment): MISGASTOS_URL (default http://127.0.0.1:8787),
// KAPSO_WEBHOOK_SECRET (default the development secret), FROM (sender digits),
// PHONE_NUMBER_ID. A button tap: `--choice <id>`.
import { createHmac, randomUUID } from "node:crypto";

const args = process.argv.slice(2);
const choiceIndex = args.indexOf("--choice");
const choice = choiceIndex >= 0 ? args.splice(choiceIndex, 2)[1] : null;
const text = args.join(" ");
if (!text && !choice) {
  console.error('usage: node tools/send-message.mjs "almuerzo 12500" | --choice <button id>');
  process.exit(2);
}

const url = process.env.MISGASTOS_URL ?? "http://127.0.0.1:8787";
const secret = process.env.KAPSO_WEBHOOK_SECRET ?? "dev-webhook-secret";
const from = process.env.FROM ?? "56912345678";
const phoneNumberId = process.env.PHONE_NUMBER_ID ?? "100200300400500";

const message = choice
  ? { type: "interactive", interactive: { type: "button_reply", button_reply: { id: choice, title: "" } } }
  : { type: "text", text: { body: text } };
const body = JSON.stringify({
  message: {
    id: `wamid.local.${randomUUID()}`,
    timestamp: String(Math.floor(Date.now() / 1000)),
    ...message,
    kapso: { direction: "inbound" },
  },
  conversation: { phone_number: `+${from}`, phone_number_id: phoneNumberId },
  phone_number_id: phoneNumberId,
});
const signature = createHmac("sha256", secret).update(body).digest("hex");

const response = await fetch(`${url}/webhooks/whatsapp`, {
  method: "POST",
  headers: { "content-type": "application/json", "x-kapso-signature": signature },
  body,
});
console.log(response.status, await response.text());
