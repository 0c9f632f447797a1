//! The rounds of one message: the flow, and the classifying, rule and
//! ledger reads it asks for between rounds.

use std::collections::VecDeque;

use chrono::{NaiveDate, Utc};

use crate::ai;
use crate::ai_binding::AiContext;
use crate::classify::{self, Classification, Classifier};
use crate::config::Config;
use crate::error::AppError;
use crate::events;
use crate::flow::{self, Classified, Effect, Input, Pending, Transition, Turn};
use crate::ledger_store::Ledger;
use crate::model::Customer;
use crate::store::Store;

use super::MAX_FLOW_ROUNDS;

/// Runs the machine, classifying drafts, loading merchant rules and reading
/// the ledger each time it asks, one kind of work per round.
pub(super) async fn run_flow(
    store: &Store,
    ledger: &Ledger<'_>,
    config: &Config,
    ai: &mut AiContext,
    state: flow::State,
    input: Input,
    turn: &Turn<'_>,
) -> Result<Transition, AppError> {
    let mut transition = flow::advance(state, input, turn);
    let mut effects = Vec::new();
    let mut rules_query = None;
    let mut ledger_queries = VecDeque::new();
    let mut recurring_query = None;
    for _ in 0..MAX_FLOW_ROUNDS {
        let mut pending = Vec::new();
        for effect in std::mem::take(&mut transition.effects) {
            match effect {
                Effect::Classify(drafts) => pending.extend(drafts),
                Effect::LoadRules(query) => rules_query = Some(query),
                Effect::LoadLedger(query) => ledger_queries.push_back(query),
                Effect::LoadRecurring(query) => recurring_query = Some(query),
                other => effects.push(other),
            }
        }
        let input = if !pending.is_empty() {
            ai.prepare().await;
            let ai = &*ai;
            // The drafts of one message are classified together, so that
            // they share the model's time budget instead of queueing.
            let results = futures_util::future::join_all(
                pending
                    .iter_mut()
                    .map(|item| classify_draft(store, ai, turn, item)),
            )
            .await;
            let mut classified = Vec::with_capacity(pending.len());
            for (item, result) in pending.into_iter().zip(results) {
                classified.push(Classified {
                    pending: item,
                    classification: result?,
                });
            }
            Input::Classified(classified)
        } else if let Some(query) = rules_query.take() {
            let rules = store.merchant_rules(&turn.customer.id).await?;
            Input::Rules { query, rules }
        } else if let Some(query) = ledger_queries.pop_front() {
            let answer = ledger.answer(&query, turn, config, &effects).await?;
            Input::Ledger { query, answer }
        } else if let Some(query) = recurring_query.take() {
            let rules = store.recurring_rules(&turn.customer.id).await?;
            Input::Recurring { query, rules }
        } else {
            break;
        };
        transition = flow::advance(transition.state, input, turn);
    }
    effects.append(&mut transition.effects);
    Ok(Transition {
        state: transition.state,
        effects,
    })
}

/// A learned merchant rule first (no model call), then Workers AI, then the
/// keyword classifier whenever the model's answer cannot be used. A merchant
/// the model names fills a draft that has none, so a rule learned for it
/// applies next time. The expense is classified whatever the model does.
pub(crate) async fn classify_draft(
    store: &Store,
    ai: &AiContext,
    turn: &Turn<'_>,
    pending: &mut Pending,
) -> Result<Classification, AppError> {
    if let Some(rule) = rule_classification(store, turn, pending.draft.merchant.as_deref()).await? {
        return Ok(rule);
    }
    let answer = ai
        .classify(&pending.draft, turn.categories, turn.customer)
        .await;
    if let (Ok(answer), None) = (&answer, &pending.draft.merchant) {
        if let Some(merchant) = &answer.merchant {
            pending.draft.merchant = Some(merchant.clone());
            if let Some(rule) = rule_classification(store, turn, Some(merchant)).await? {
                return Ok(rule);
            }
        }
    }
    let keywords = classify::classify_by_keywords(
        &pending.draft.description,
        pending.draft.merchant.as_deref(),
        turn.categories,
    );
    let (classification, fallback) = ai::combine(answer, keywords);
    match fallback {
        Some(fallback) => tracing::warn!(
            event = events::CLASSIFIER_FALLBACK_USED,
            reason = fallback.reason(),
            detail = fallback.detail(),
            model = ai.model(),
            customer_id = %turn.customer.id,
            source_message_id = %pending.source_id,
            confidence = classification.confidence,
            "model answer not used; the keyword classifier decided"
        ),
        None => tracing::debug!(
            event = events::CLASSIFIER_AI_DECIDED,
            model = ai.model(),
            customer_id = %turn.customer.id,
            source_message_id = %pending.source_id,
            confidence = classification.confidence,
            "model classified the expense"
        ),
    }
    Ok(classification)
}

/// The learned rule of a merchant, when it names one of the categories.
async fn rule_classification(
    store: &Store,
    turn: &Turn<'_>,
    merchant: Option<&str>,
) -> Result<Option<Classification>, AppError> {
    let Some(merchant) = merchant else {
        return Ok(None);
    };
    let Some(category_id) = store.merchant_rule(&turn.customer.id, merchant).await? else {
        return Ok(None);
    };
    if !turn.categories.iter().any(|c| c.id == category_id) {
        return Ok(None);
    }
    Ok(Some(Classification {
        category_id: Some(category_id),
        confidence: 1.0,
        classifier: Classifier::Rule,
        alternatives: Vec::new(),
    }))
}

/// Today in the customer's time zone; UTC when the zone is unknown.
pub(crate) fn local_today(customer: &Customer, now: chrono::DateTime<Utc>) -> NaiveDate {
    match customer.time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).date_naive(),
        Err(_) => {
            tracing::warn!(event = events::CUSTOMER_TIME_ZONE_INVALID, customer_id = %customer.id, "unknown time zone; using UTC");
            now.date_naive()
        }
    }
}
