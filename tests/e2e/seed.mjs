// Customers for end-to-end tests, made with the operator commands of
// tools/ops.mjs.
import { buildCommand } from "../../tools/ops.mjs";

/** A period end that no test outlives. */
export const FAR_FUTURE = "2099-01-01T00:00:00Z";

/**
 * Creates a customer with one number and its users, each linked to its
 * sender `phone` when it has one, its inbound email addresses
 * (`emailRoutes`: `{ address, user }`), and a subscription unless
 * `subscription` is null. With `viaOps`
 * every step is its own `node tools/ops.mjs` run, as an operator types it.
 * Otherwise the same commands' SQL runs in one faster wrangler call.
 */
export async function createCustomer(worker, { id, number, locale = "es-CL", currency = "CLP", timeZone = "America/Santiago", users, emailRoutes = [], subscription = {}, viaOps = false }) {
  const commands = [
    ["customer:create", { id, name: `Cliente ${id}`, currency, locale, "time-zone": timeZone }],
    ["number:link", { customer: id, "phone-number-id": number, name: `Número de ${id}` }],
  ];
  for (const [index, user] of users.entries()) {
    commands.push(["user:create", { id: user.id, customer: id, name: user.id, role: index === 0 ? "owner" : "member" }]);
    if (user.phone) commands.push(["identity:link", { "phone-number-id": number, user: user.id, phone: `+${user.phone}` }]);
  }
  for (const route of emailRoutes) {
    const options = { address: route.address, customer: id };
    if (route.user) options.user = route.user;
    commands.push(["email-route:set", options]);
  }
  if (subscription) {
    const options = { customer: id, plan: subscription.plan ?? "hogar", status: subscription.status ?? "active", start: subscription.start ?? "now", end: subscription.end ?? FAR_FUTURE };
    if (subscription.limit !== undefined) options.limit = String(subscription.limit);
    commands.push(["subscription:set", options]);
  }
  if (viaOps) {
    for (const [name, options] of commands) {
      await worker.ops(name, ...Object.entries(options).flatMap(([key, value]) => [`--${key}`, value]));
    }
    return;
  }
  const statements = commands.flatMap(([name, options]) => buildCommand(name, options).statements.filter((sql) => !sql.startsWith("SELECT changes()")));
  await worker.executeAsync(statements.join(";\n"));
}

