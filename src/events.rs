//! The names of every log event, in one place.
//!
//! Each line the worker logs is a JSON object whose top-level `event` field is
//! one of these constants, so operators can filter `wrangler tail` output and
//! the RUNBOOK's table of events stays complete. Every doc line starts with
//! the level the event is logged at. The names are stable: dashboards and the
//! operators' filters depend on them, so rename one only with the RUNBOOK.
//!
//! Fields common to the message events: `message_id` (the WhatsApp wamid, or
//! its `wamid~` pseudonym when it encodes a phone number, as
//! [`crate::logging::RedactWamids`] writes it),
//! `customer_id` once the sender is resolved, and `sender`, a keyed hash of the
//! phone number ([`crate::logging::sender_hash`]). No event carries a secret,
//! a signature, a phone number or a message text.

// The webhook route: rejections and deliveries that carry no work.

/// warn: the signature is missing or matches no configured secret (401).
pub const WEBHOOK_UNAUTHORIZED: &str = "whatsapp.webhook_unauthorized";
/// error: `KAPSO_WEBHOOK_SECRET` is not set, so every delivery gets 503.
pub const WEBHOOK_SECRET_MISSING: &str = "whatsapp.webhook_secret_missing";
/// warn: the body is over 1 MiB (413).
pub const PAYLOAD_TOO_LARGE: &str = "whatsapp.payload_too_large";
/// warn: the request body could not be read (400).
pub const BODY_UNREADABLE: &str = "whatsapp.body_unreadable";
/// warn: a signed body is not a webhook payload (400).
pub const PAYLOAD_MALFORMED: &str = "whatsapp.payload_malformed";
/// info: a status, an outbound echo or an unknown event was acknowledged.
pub const EVENT_IGNORED: &str = "whatsapp.event_ignored";
/// warn: a batch ran past its time budget, so its remaining messages were
/// answered with 503 (`handled`, `deferred`, `elapsed_ms`); Kapso's retry
/// of the batch skips the messages already committed.
pub const BATCH_DEFERRED: &str = "whatsapp.batch_deferred";
/// info: a Kapso test delivery was acknowledged and not answered.
pub const TEST_DELIVERY_IGNORED: &str = "whatsapp.test_delivery_ignored";

// One inbound message.

/// info: the message id was handled before, so it was acknowledged and skipped.
pub const DUPLICATE_SKIPPED: &str = "whatsapp.duplicate_skipped";
/// warn: the business number (`phone_number_id`) belongs to no customer.
pub const UNKNOWN_PHONE_NUMBER: &str = "whatsapp.unknown_phone_number";
/// warn: an unknown sender was recorded as pending and sent the onboarding reply.
pub const SENDER_UNKNOWN: &str = "whatsapp.sender_unknown";
/// info: the message's writes are committed (fields `outcome`, `replies`, `notices`).
pub const MESSAGE_HANDLED: &str = "whatsapp.message_handled";
/// warn: the message failed before its writes were committed. The webhook
/// returned 503 so that Kapso retries it.
pub const MESSAGE_FAILED: &str = "whatsapp.message_failed";
/// info: development only, `DEFAULT_CUSTOMER_ID` was bound to a new number.
pub const CUSTOMER_BOOTSTRAPPED: &str = "customer.bootstrapped";
/// warn: the customer's time zone is not an IANA name, so UTC is used.
pub const CUSTOMER_TIME_ZONE_INVALID: &str = "customer.time_zone_invalid";

// The expense flow.

/// info: an expense was stored with its category.
pub const FLOW_COMPLETED: &str = "expense.flow_completed";
/// info: an expense was stored without a category and the user was asked.
pub const PENDING_CATEGORY_CREATED: &str = "expense.pending_category_created";
/// info: the flow asked a question (`question`: category, amount, …).
pub const QUESTION_ASKED: &str = "flow.question_asked";
/// info: an answer did not fit the open question.
pub const ANSWER_NOT_UNDERSTOOD: &str = "flow.answer_not_understood";
/// info: open questions expired and their expenses were resolved.
pub const QUESTIONS_EXPIRED: &str = "flow.questions_expired";
/// info: the user cancelled the open questions.
pub const FLOW_CANCELLED: &str = "flow.cancelled";
/// info: the message held no expense and no command.
pub const NOT_AN_EXPENSE: &str = "flow.not_an_expense";
/// info: the user changed a setting (`change`: category added or renamed,
/// merchant rule deleted).
pub const SETTINGS_CHANGED: &str = "flow.settings_changed";
/// info: the user changed a recorded expense or a budget (`change`: edited,
/// deleted, undone, budget_set, …).
pub const EXPENSE_CHANGED: &str = "expense.changed";
/// info: a reply told the user that a category crossed `threshold` percent of
/// its monthly budget.
pub const BUDGET_ALERT_SENT: &str = "budget.alert_sent";
/// info: an expense recorded outside a chat turn (email, recurring) was not
/// checked against its budget because its user cannot be messaged now
/// (`reason`: no_recipient, opted_out, window_closed, or unreachable for an
/// emailed receipt, logged with its cause); the next chat turn
/// that adds to the category announces the threshold.
pub const BUDGET_CHECK_DEFERRED: &str = "budget.check_deferred";

// Commands about recorded expenses, and the month report page.

/// warn: an expense or expense change holds a currency or status this
/// version does not know, so a command skipped it.
pub const LEDGER_ROW_UNREADABLE: &str = "ledger.row_unreadable";
/// warn: `LINK_SIGNING_KEY` or `PUBLIC_BASE_URL` is not set, so a month
/// summary was sent without its report link.
pub const REPORT_LINK_UNAVAILABLE: &str = "report.link_unavailable";
/// info: a report page or its CSV was served (`format`, `period`, `scope`,
/// `expenses`).
pub const REPORT_SERVED: &str = "report.served";
/// warn: a report link was wrong, expired, of another kind, or named a
/// customer that is gone, so it was answered with 404.
pub const REPORT_LINK_REJECTED: &str = "report.link_rejected";

// Classification and receipt photos (Workers AI).

/// debug: the AI model chose the category (`confidence`, `model`).
pub const CLASSIFIER_AI_DECIDED: &str = "classifier.ai_decided";
/// warn: the AI model gave no usable category (`reason`: timeout, malformed,
/// unknown_category, …), so the keyword classifier decided.
pub const CLASSIFIER_FALLBACK_USED: &str = "classifier.fallback_used";
/// warn: the prompt stored in `PROMPTS_KV` is empty or too large, so the
/// built-in prompt is used.
pub const AI_PROMPT_IGNORED: &str = "ai.prompt_ignored";
/// warn: `PROMPTS_KV` could not be read, so the built-in prompt is used.
pub const AI_PROMPT_UNAVAILABLE: &str = "ai.prompt_unavailable";
/// info: the vision model read a receipt photo (which fields it found).
pub const RECEIPT_READ: &str = "receipt.read";
/// warn: the receipt photo could not be downloaded, so the user is asked for
/// the amount.
pub const RECEIPT_DOWNLOAD_FAILED: &str = "receipt.download_failed";
/// warn: the vision model could not read the photo, so the user is asked for
/// the amount.
pub const RECEIPT_READ_FAILED: &str = "receipt.read_failed";

// Conversation state in KV.

/// warn: the state could not be read from KV, so the flow started fresh.
pub const STATE_LOAD_FAILED: &str = "conversation.state_load_failed";
/// warn: the stored state was not valid JSON for this version and was reset.
pub const STATE_UNREADABLE: &str = "conversation.state_unreadable";
/// warn: the new state was not saved, so open questions may be asked again.
pub const STATE_SAVE_FAILED: &str = "conversation.state_save_failed";

// Replies through Kapso.

/// debug: a reply was accepted by Kapso.
pub const REPLY_SENT: &str = "kapso.reply_sent";
/// info: a reply got 429, 409, 5xx or no response and is sent again after `wait_ms`.
pub const REPLY_RETRYING: &str = "kapso.reply_retrying";
/// error: a reply was not sent. `reason` is `rejected`, `attempts_exhausted`
/// or `budget_exhausted`, with the last `status` or `error`.
pub const REPLY_FAILED: &str = "kapso.reply_failed";
/// warn: Kapso returned error 131047 because the user's 24-hour window is
/// closed. Not retried.
pub const WINDOW_CLOSED: &str = "kapso.window_closed";
/// warn: `KAPSO_API_KEY` is missing, so replies are not sent.
pub const KAPSO_NOT_CONFIGURED: &str = "kapso.not_configured";
/// debug: Kapso rejected the read receipt of an inbound message.
pub const MARK_READ_FAILED: &str = "kapso.mark_read_failed";

// Operator notifications on Telegram.

/// debug: a notice was sent to the operators' chat.
pub const TELEGRAM_SENT: &str = "notify.telegram_sent";
/// info: a notice got 429, 5xx or no response and is sent again after `wait_ms`.
pub const TELEGRAM_RETRYING: &str = "notify.telegram_retrying";
/// warn: Telegram rejected a notice or could not be reached, so it is dropped.
pub const TELEGRAM_FAILED: &str = "notify.telegram_failed";
/// warn: Telegram's flood control asked for a wait (`retry_after`, seconds)
/// longer than the time left (`remaining_ms`), so the notice is dropped.
pub const TELEGRAM_THROTTLED: &str = "notify.telegram_throttled";
/// warn: `TELEGRAM_NOTIFY` names an unknown kind, which is ignored.
pub const TELEGRAM_NOTIFY_UNKNOWN: &str = "notify.telegram_notify_unknown";

// Error reporting to Sentry.

/// debug: Sentry accepted an error event.
pub const SENTRY_SENT: &str = "sentry.event_sent";
/// warn: Sentry rejected an error event or could not be reached.
pub const SENTRY_FAILED: &str = "sentry.send_failed";
/// warn: `SENTRY_DSN` is not a valid DSN, so errors are not reported.
pub const SENTRY_DSN_INVALID: &str = "sentry.dsn_invalid";

// Routes and health.

/// error: a request was answered with a 5xx; `status`, `path`, `error`.
pub const REQUEST_FAILED: &str = "http.request_failed";
/// info: no route matches the path (404).
pub const ROUTE_NOT_FOUND: &str = "http.route_not_found";
/// warn: the route exists but not for this method (405).
pub const METHOD_NOT_ALLOWED: &str = "http.method_not_allowed";
/// error: `/health` found a failing check and answered 503.
pub const HEALTH_DEGRADED: &str = "health.degraded";

// The subscription policy.

/// warn in strict mode: a message was refused; `reason` is a
/// [`Denial::reason`](crate::policy::Denial::reason), and `plan` and `status`
/// name the subscription when there is one.
pub const POLICY_DENIED: &str = "policy.denied";
/// warn: `STRICT_POLICY_MODE` is off, so a message that strict mode would
/// refuse went through; `reason` as for `policy.denied`.
pub const POLICY_ALLOWED_IN_PERMISSIVE_MODE: &str = "policy.allowed_in_permissive_mode";
/// info: a message took the month's expense count near or to the limit;
/// `limit`, `remaining`.
pub const POLICY_LIMIT_NEAR: &str = "policy.limit_near";
/// debug: where the entitlements came from; `cache` is `hit`, `miss` or
/// `unbound`.
pub const POLICY_ENTITLEMENTS_LOADED: &str = "policy.entitlements_loaded";
/// debug, once per isolate: `ENTITLEMENTS_KV` is not bound, so D1 is read
/// on every message.
pub const POLICY_ENTITLEMENTS_CACHE_UNAVAILABLE: &str = "policy.entitlements_cache_unavailable";
/// warn: reading or writing `ENTITLEMENTS_KV` failed; D1 was read instead.
pub const POLICY_ENTITLEMENTS_CACHE_FAILED: &str = "policy.entitlements_cache_failed";
/// warn: the current subscription row could not be read; the customer is
/// treated as having no subscription.
pub const POLICY_SUBSCRIPTION_UNREADABLE: &str = "policy.subscription_unreadable";

// Receipts by email (`POST /webhooks/email` and `#[event(email)]`).

/// warn: the bearer token is missing or wrong (401).
pub const EMAIL_WEBHOOK_UNAUTHORIZED: &str = "email.webhook_unauthorized";
/// error: `EMAIL_WORKER_SECRET` is not set, so every delivery gets 503.
pub const EMAIL_WEBHOOK_SECRET_MISSING: &str = "email.webhook_secret_missing";
/// warn: the message is over 5 MiB (413, or rejected).
pub const EMAIL_PAYLOAD_TOO_LARGE: &str = "email.payload_too_large";
/// warn: an unsupported content type, invalid JSON or no recipient (4xx).
pub const EMAIL_PAYLOAD_MALFORMED: &str = "email.payload_malformed";
/// warn: no `email_routes` row for any recipient (404, or rejected);
/// `recipient_domains` names the domains tried, never the addresses.
pub const EMAIL_ROUTE_UNKNOWN: &str = "email.route_unknown";
/// warn: the customer has email identities and the sender is none of them.
pub const EMAIL_SENDER_UNMATCHED: &str = "email.sender_unmatched";
/// info: the mail was handled before.
pub const EMAIL_DUPLICATE_SKIPPED: &str = "email.duplicate_skipped";
/// warn: the mail is not a message, or holds no total (422, or rejected).
pub const EMAIL_RECEIPT_UNREADABLE: &str = "email.receipt_unreadable";
/// info: the receipt's expense is committed.
pub const EMAIL_RECEIPT_STORED: &str = "email.receipt_stored";
/// info: no WhatsApp user to send the result to; the expense waits for
/// their next message.
pub const EMAIL_WHATSAPP_NOT_LINKED: &str = "email.whatsapp_not_linked";
/// info: the linked WhatsApp user has not written in 24 hours, so
/// WhatsApp would reject a free-form message. Nothing is sent, and the
/// expense waits for their next message.
pub const EMAIL_WHATSAPP_WINDOW_CLOSED: &str = "email.whatsapp_window_closed";
/// info: a pending emailed expense was queued in a WhatsApp conversation.
pub const EMAIL_PENDING_OFFERED: &str = "email.pending_offered";
/// info: an `#[event(email)]` message was rejected back to its sender.
pub const EMAIL_REJECTED: &str = "email.rejected";
/// error: an `#[event(email)]` message failed on D1 or KV and was rejected.
pub const EMAIL_EVENT_FAILED: &str = "email.event_failed";

// Recurring expenses, reminders and exchange rates: the scheduled run and
// the chat commands that manage them.

/// info: the user created, paused, resumed or deleted a recurring rule, or
/// turned the daily reminder on or off (`change`).
pub const RECURRING_RULE_CHANGED: &str = "recurring.rule_changed";
/// info: a scheduled run started (`cron`, `scheduled_time`).
pub const SCHEDULED_RUN_STARTED: &str = "scheduled.run_started";
/// info: a scheduled run ended, with what it did (`recorded`, `reminders`,
/// `failures`).
pub const SCHEDULED_RUN_FINISHED: &str = "scheduled.run_finished";
/// error: a scheduled run could not read D1 or a binding; the next run tries
/// again (`stage`, `error`).
pub const SCHEDULED_RUN_FAILED: &str = "scheduled.run_failed";
/// info: an occurrence of a recurring rule was recorded as an expense
/// (`rule_id`, `period`, `status`).
pub const OCCURRENCE_RECORDED: &str = "recurring.occurrence_recorded";
/// error: an occurrence could not be recorded; the next run tries again
/// (`rule_id`, `period`, `error`).
pub const OCCURRENCE_FAILED: &str = "recurring.occurrence_failed";
/// warn: a stored rule has a value this version cannot read and was skipped.
pub const RULE_UNREADABLE: &str = "recurring.rule_unreadable";
/// info: a proactive message was sent (`kind`, `channel`: text or template).
pub const REMINDER_SENT: &str = "reminder.sent";
/// info: a proactive message was not sent (`kind`, `reason`: opted_out,
/// no_recipient, no_template; debug for already_sent).
pub const REMINDER_SKIPPED: &str = "reminder.skipped";
/// warn: Kapso answered 131047 to a proactive text, so the user's 24-hour
/// window is closed. It is recorded and the text is not retried.
pub const REMINDER_WINDOW_CLOSED: &str = "reminder.window_closed";
/// error: Kapso did not take a proactive message (`kind`, `status` or
/// `error`).
pub const REMINDER_FAILED: &str = "reminder.failed";
/// debug: exchange rates of a date were fetched from `FX_API_BASE_URL`.
pub const FX_RATES_FETCHED: &str = "fx.rates_fetched";
/// warn: no exchange rates could be had for a date (`reason`), so amounts of
/// that date are shown unconverted.
pub const FX_RATES_UNAVAILABLE: &str = "fx.rates_unavailable";
/// warn: a var holds a value the worker cannot use, so its default applies
/// (`name`, `value`).
pub const CONFIG_INVALID: &str = "config.invalid";
/// debug: `FX_RATES_KV` is not bound, so every table is fetched.
pub const FX_CACHE_UNBOUND: &str = "fx.cache_unbound";
/// warn: the `FX_RATES_KV` cache could not be read or written; rates are
/// fetched again.
pub const FX_CACHE_FAILED: &str = "fx.cache_failed";

// Personal data: opt-out, exports and deletions.

/// info: a user opted out of or back into messages that are not replies
/// (field `opted_out`).
pub const OPT_OUT_CHANGED: &str = "privacy.opt_out_changed";
/// info: a message that is not a reply was not sent because its user opted
/// out or no longer exists (fields `purpose`, `reason`: `opted_out`,
/// `user_missing`, `check_failed`).
pub const PROACTIVE_SUPPRESSED: &str = "privacy.proactive_suppressed";
/// info: the user was sent a link to an export of their data.
pub const EXPORT_LINK_SENT: &str = "privacy.export_link_sent";
/// warn: an export was asked for but `LINK_SIGNING_KEY` or `PUBLIC_BASE_URL`
/// is not set, so no link was made.
pub const EXPORT_UNAVAILABLE: &str = "privacy.export_unavailable";
/// info: an export link was opened (fields `format`, `rows`).
pub const EXPORT_SERVED: &str = "privacy.export_served";
/// warn: an export link was wrong, expired or names a deleted user (404;
/// field `reason`).
pub const EXPORT_LINK_REJECTED: &str = "privacy.export_link_rejected";
/// info: a step of a deletion asked for in chat (field `step`: `asked`,
/// `completed`, `kept`, `expired`; a completed one has `mode`, `expenses`,
/// `identities`, `ledger_rows`).
pub const DELETION: &str = "privacy.deletion";
/// warn: a deleted user's conversation state could not be removed from KV
/// (field `key`); it expires with its TTL.
pub const DELETION_STATE_FAILED: &str = "privacy.deletion_state_failed";

// Questions that expired.

/// info: drafts whose questions expired (a missing amount, an ambiguous
/// amount, a future date) were never recorded, and a reply listed them for
/// the user (`count`).
pub const DRAFTS_EXPIRED: &str = "flow.drafts_expired";
