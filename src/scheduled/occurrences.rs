//! Records the due occurrences of every active rule, with their budget
//! alerts, and sends the notices of the payments coming up.

use crate::ai_binding::AiContext;
use crate::events;
use crate::flow::{Draft, Pending, Turn};
use crate::recurring::{self, Rule};
use crate::reminders::{self, Reminder};
use crate::runner;

use super::store::RuleRow;
use super::{budgets, send};
use super::{Run, PAGE_SIZE};

/// Walks the active rules page by page.
pub(super) async fn run(context: &mut Run<'_>) {
    let mut after = String::new();
    loop {
        let rows = match context.store.active_rules(&after, PAGE_SIZE).await {
            Ok(rows) => rows,
            Err(error) => {
                context.tally.failures += 1;
                tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "rules", error = %error, "active rules not read; occurrences wait for the next run");
                return;
            }
        };
        let full_page = rows.len() >= PAGE_SIZE as usize;
        if let Some(last) = rows.last() {
            after = last.id.clone();
        }
        for row in rows {
            rule(context, row).await;
        }
        if !full_page {
            return;
        }
    }
}

/// Records what one rule owes, then announces its next payment if due.
async fn rule(context: &mut Run<'_>, row: RuleRow) {
    let customer_id = row.customer_id.clone().unwrap_or_default();
    let user_id = row.user_id.clone();
    let Some(rule) = row.into_rule() else {
        return;
    };
    let Some((customer, categories)) = context.customer(&customer_id).await else {
        return;
    };
    let local = context.local_time(&customer_id, &customer.time_zone);
    let today = local.date();

    let due = recurring::due_occurrences(
        rule.frequency,
        rule.active_from,
        rule.last_occurrence_on,
        today,
    );
    for occurrence in due {
        let source_id = recurring::source_id(&rule.id, &occurrence.period);
        let mut pending = Pending {
            source_id: source_id.clone(),
            draft: Draft {
                amount: rule.amount,
                spent_on: occurrence.date,
                description: rule.description.clone(),
                merchant: rule.merchant.clone(),
            },
        };
        let turn = Turn {
            customer: &customer,
            categories: &categories,
            today,
            now: context.now.timestamp(),
            message_id: &source_id,
        };
        if context.ai.is_none() {
            let mut ai = AiContext::new(context.env, context.config);
            ai.prepare().await;
            context.ai = Some(ai);
        }
        let Some(ai) = context.ai.as_ref() else {
            return;
        };
        let classification =
            match runner::classify_draft(context.store, ai, &turn, &mut pending).await {
                Ok(classification) => classification,
                Err(error) => {
                    failed(context, &rule, &occurrence.period, &error.to_string());
                    // Later occurrences wait, so that the last recorded date
                    // never passes one that failed.
                    return;
                }
            };
        let expense = recurring::occurrence_expense(
            pending,
            &classification,
            &categories,
            customer.confidence_threshold,
        );
        let budget = budgets::check(context, &turn, user_id.as_deref(), &expense).await;
        let recorded = context
            .store
            .record_occurrence(&customer_id, user_id.as_deref(), &rule.id, &expense)
            .await;
        match recorded {
            Ok(true) => {
                context.tally.recorded += 1;
                tracing::info!(
                    event = events::OCCURRENCE_RECORDED,
                    customer_id = %customer_id,
                    rule_id = %rule.id,
                    period = %occurrence.period,
                    source_message_id = %source_id,
                    status = expense.status.as_str(),
                    classified_by = expense.classifier.as_str(),
                    "recurring occurrence recorded"
                );
                let reminder = Reminder::Occurrence {
                    description: rule.description.clone(),
                    amount: rule.amount,
                    spent_on: occurrence.date,
                };
                let key = format!("{}:{}", rule.id, occurrence.period);
                send::proactive(
                    context,
                    &customer,
                    user_id.as_deref(),
                    &reminder,
                    &key,
                    today,
                )
                .await;
                if let Some(checked) = budget {
                    budgets::announce(context, &customer_id, checked).await;
                }
            }
            Ok(false) => tracing::debug!(
                event = events::OCCURRENCE_RECORDED,
                customer_id = %customer_id,
                rule_id = %rule.id,
                period = %occurrence.period,
                duplicate = true,
                "occurrence was recorded before or the rule stopped; nothing changed"
            ),
            Err(error) => {
                failed(context, &rule, &occurrence.period, &error.to_string());
                return;
            }
        }
    }

    let notice = reminders::notice_due(&rule, local, context.config.recurring_notice_days);
    if let Some((due_on, period)) = notice {
        let reminder = Reminder::PaymentNotice {
            description: rule.description.clone(),
            amount: rule.amount,
            due_on,
        };
        let key = format!("{}:{period}", rule.id);
        send::proactive(
            context,
            &customer,
            user_id.as_deref(),
            &reminder,
            &key,
            today,
        )
        .await;
    }
}

fn failed(context: &mut Run<'_>, rule: &Rule, period: &str, error: &str) {
    context.tally.failures += 1;
    tracing::error!(event = events::OCCURRENCE_FAILED, rule_id = %rule.id, period, error, "occurrence not recorded; the next run tries again");
}
