//! The log lines of the flow's events, and the operators' notices.

use crate::events;
use crate::flow::{FlowEvent, Notice};
use crate::model::Customer;
use crate::reply;
use crate::telegram::{escape_markdown_v2, NoticeKind};

pub(crate) fn log_flow_event(event: &FlowEvent, customer_id: &str, message_id: &str, sender: &str) {
    match event {
        FlowEvent::Completed {
            source_id,
            category_id,
            classifier,
            confidence,
        } => tracing::info!(
            event = events::FLOW_COMPLETED, customer_id, message_id, sender, source_message_id = %source_id,
            category_id = %category_id, classified_by = classifier.as_str(), confidence = *confidence,
            "expense completed"
        ),
        FlowEvent::PendingCreated {
            source_id,
            confidence,
        } => tracing::info!(
            event = events::PENDING_CATEGORY_CREATED, customer_id, message_id, sender, source_message_id = %source_id,
            confidence = *confidence, "expense stored without category; user asked"
        ),
        FlowEvent::QuestionAsked { kind } => tracing::info!(
            event = events::QUESTION_ASKED,
            customer_id,
            message_id,
            sender,
            question = *kind,
            "question sent"
        ),
        FlowEvent::AnswerNotUnderstood => tracing::info!(
            event = events::ANSWER_NOT_UNDERSTOOD,
            customer_id,
            message_id,
            sender,
            "answer did not fit the open question"
        ),
        FlowEvent::QuestionsExpired { count } => tracing::info!(
            event = events::QUESTIONS_EXPIRED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "open questions expired"
        ),
        FlowEvent::DraftsExpired { count } => tracing::info!(
            event = events::DRAFTS_EXPIRED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "expired drafts were not recorded; user told"
        ),
        FlowEvent::Cancelled { count } => tracing::info!(
            event = events::FLOW_CANCELLED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "user cancelled open questions"
        ),
        FlowEvent::NotAnExpense => tracing::info!(
            event = events::NOT_AN_EXPENSE,
            customer_id,
            message_id,
            sender,
            "message held no expense"
        ),
        FlowEvent::SettingsChanged { change } => tracing::info!(
            event = events::SETTINGS_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a setting"
        ),
        FlowEvent::LedgerChanged { change } => tracing::info!(
            event = events::EXPENSE_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a recorded expense or budget"
        ),
        FlowEvent::BudgetAlerted { threshold } => tracing::info!(
            event = events::BUDGET_ALERT_SENT,
            customer_id,
            message_id,
            sender,
            threshold = *threshold,
            "budget threshold crossed"
        ),
        FlowEvent::RecurringChanged { change } => tracing::info!(
            event = events::RECURRING_RULE_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a recurring expense or reminder"
        ),
    }
}

pub(crate) fn notice_kind(notice: &Notice) -> NoticeKind {
    match notice {
        Notice::Completed { .. } => NoticeKind::Completed,
        Notice::Pending { .. } => NoticeKind::Pending,
    }
}

pub(crate) fn notice_text(notice: &Notice, customer: &Customer) -> String {
    let customer_id = escape_markdown_v2(&customer.id);
    match notice {
        Notice::Completed {
            amount,
            category,
            classifier,
        } => format!(
            "✅ *Gasto anotado*\nCliente: `{customer_id}`\nMonto: {}\nCategoría: {} \\({}\\)",
            escape_markdown_v2(&reply::amount(*amount, &customer.locale)),
            escape_markdown_v2(category),
            classifier.as_str()
        ),
        Notice::Pending { amount, confidence } => format!(
            "❓ *Gasto sin categoría*\nCliente: `{customer_id}`\nMonto: {}\nConfianza: {}",
            escape_markdown_v2(&reply::amount(*amount, &customer.locale)),
            escape_markdown_v2(&format!("{confidence:.2}"))
        ),
    }
}
