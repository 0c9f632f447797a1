//! The scheduled run (a Cron Trigger): records the due occurrences of
//! recurring rules and checks their budgets, and sends the notices before
//! recurring payments and the daily nudges.
//!
//! The run's clock is the trigger's scheduled time, so a run that starts
//! late still decides as of its tick, and local runs can pass a time. Every
//! failure is logged and the run goes on with the next rule or member: the
//! handler returns `()` and must never panic. Recording is idempotent
//! (`recurring:<rule id>:<period>` is unique in `expenses`) and every
//! proactive message is claimed in `reminders_sent` before it is sent, so
//! overlapping or repeated runs record and send nothing twice.

mod budgets;
mod occurrences;
mod send;
pub(crate) mod store;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use worker::{Env, ScheduledEvent};

use crate::ai_binding::AiContext;
use crate::config::{Config, DB};
use crate::error::AppError;
use crate::events;
use crate::model::{Category, Customer, Language};
use crate::store::Store;

/// Rows one D1 page of rules or reminders reads.
const PAGE_SIZE: u32 = 200;

/// Counts of one run's work, for `scheduled.run_finished`.
#[derive(Debug, Default)]
struct Tally {
    recorded: u32,
    reminders: u32,
    failures: u32,
}

/// Runs one scheduled event.
pub async fn run(event: ScheduledEvent, env: Env) {
    let now =
        DateTime::<Utc>::from_timestamp_millis(event.schedule() as i64).unwrap_or_else(Utc::now);
    let cron = event.cron();
    tracing::info!(event = events::SCHEDULED_RUN_STARTED, cron = %cron, scheduled_time = %now.to_rfc3339(), "scheduled run started");

    let config = Config::from_env(&env);
    let store = match env.d1(DB) {
        Ok(db) => Store::new(db),
        Err(error) => {
            tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "binding", error = %error, "DB binding missing; nothing recorded or sent");
            return;
        }
    };
    let mut context = Run {
        env: &env,
        config: &config,
        store: &store,
        now,
        customers: HashMap::new(),
        ai: None,
        tally: Tally::default(),
    };
    occurrences::run(&mut context).await;
    send::daily_reminders(&mut context).await;

    let tally = &context.tally;
    tracing::info!(
        event = events::SCHEDULED_RUN_FINISHED,
        cron = %cron,
        recorded = tally.recorded,
        reminders = tally.reminders,
        failures = tally.failures,
        "scheduled run finished"
    );
}

/// The state the steps of one run share.
struct Run<'a> {
    env: &'a Env,
    config: &'a Config,
    store: &'a Store,
    now: DateTime<Utc>,
    /// Customers and their categories, loaded once per run.
    customers: HashMap<String, Option<(Customer, Vec<Category>)>>,
    /// Workers AI, prepared the first time an occurrence is classified.
    ai: Option<AiContext>,
    tally: Tally,
}

impl Run<'_> {
    /// Loads the customer and its categories; `None` (logged) when the customer is
    /// gone or D1 fails, so that its rules are skipped this run.
    async fn customer(&mut self, customer_id: &str) -> Option<(Customer, Vec<Category>)> {
        if let Some(cached) = self.customers.get(customer_id) {
            return cached.clone();
        }
        let loaded = match self.load_customer(customer_id).await {
            Ok(loaded) => loaded,
            Err(error) => {
                self.tally.failures += 1;
                tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "customer", customer_id, error = %error, "customer not loaded; its rules wait for the next run");
                None
            }
        };
        self.customers
            .insert(customer_id.to_owned(), loaded.clone());
        loaded
    }

    async fn load_customer(
        &self,
        customer_id: &str,
    ) -> Result<Option<(Customer, Vec<Category>)>, AppError> {
        let Some(customer) = self.store.customer(customer_id).await? else {
            return Ok(None);
        };
        let mut categories = self.store.categories(customer_id).await?;
        if categories.is_empty() {
            categories = self
                .store
                .seed_categories(customer_id, Language::of_locale(&customer.locale))
                .await?;
        }
        Ok(Some((customer, categories)))
    }

    /// Returns the customer's wall-clock time now; UTC (logged) for a zone
    /// that is not an IANA name.
    fn local_time(&self, customer_id: &str, time_zone: &str) -> chrono::NaiveDateTime {
        crate::recurring::local_time(self.now, time_zone).unwrap_or_else(|| {
            tracing::warn!(
                event = events::CUSTOMER_TIME_ZONE_INVALID,
                customer_id,
                "unknown time zone; using UTC"
            );
            self.now.naive_utc()
        })
    }
}
