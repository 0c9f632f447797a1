//! Chat commands for the customer's categories and merchant rules.

use super::{Effect, FlowEvent, Machine, MerchantRule, RulesQuery};
use crate::classify;
use crate::kapso::client::MAX_ROW_TITLE;
use crate::reply;

/// Most categories a customer can have; more would not fit a WhatsApp list
/// or a short prompt.
pub const MAX_CATEGORIES: usize = 20;

impl Machine<'_, '_> {
    pub(super) fn on_settings(&mut self, command: Settings) {
        match command {
            Settings::Rules => self.effects.push(Effect::LoadRules(RulesQuery::List)),
            Settings::DeleteRule(merchant) => self
                .effects
                .push(Effect::LoadRules(RulesQuery::Delete(merchant))),
            Settings::AddCategory(name) => self.add_category(&name),
            Settings::RenameCategory(rest) => self.rename_category(&rest),
        }
    }

    pub(super) fn on_rules(&mut self, query: &RulesQuery, rules: &[MerchantRule]) {
        let language = self.language();
        match query {
            RulesQuery::List => {
                let lines: Vec<(&str, &str)> = rules
                    .iter()
                    .filter_map(|rule| {
                        let category = self.category(&rule.category_id)?;
                        Some((rule.merchant.as_str(), category.name.as_str()))
                    })
                    .collect();
                let text = reply::rule_list(language, &lines);
                self.reply_text(text);
            }
            RulesQuery::Delete(typed) => {
                let wanted = classify::words_of(typed);
                let found = rules
                    .iter()
                    .find(|rule| classify::words_of(&rule.merchant) == wanted);
                match found {
                    Some(rule) => {
                        self.effects.push(Effect::DeleteRule {
                            merchant: rule.merchant.clone(),
                        });
                        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
                            change: "rule_deleted",
                        }));
                        self.reply_text(reply::rule_deleted(language, &rule.merchant));
                    }
                    None => self.reply_text(reply::rule_not_found(language, typed.trim())),
                }
            }
        }
    }

    pub(super) fn add_category(&mut self, typed: &str) {
        let language = self.language();
        let Some(name) = category_name(typed) else {
            return self.reply_text(reply::category_name_invalid(language));
        };
        if let Some(existing) = classify::category_by_name(&name, self.turn.categories) {
            let text = reply::category_exists(language, &existing.name);
            return self.reply_text(text);
        }
        if self.turn.categories.len() >= MAX_CATEGORIES {
            return self.reply_text(reply::too_many_categories(language, MAX_CATEGORIES));
        }
        self.effects.push(Effect::AddCategory {
            keywords: classify::words_of(&name),
            name: name.clone(),
        });
        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
            change: "category_added",
        }));
        self.reply_text(reply::category_added(language, &name));
    }

    /// Renames from `rest`, `<old> a <new>` or `<old> to <new>`: the split is
    /// the first one whose left side names an existing category, so names
    /// that contain ` a ` still work.
    pub(super) fn rename_category(&mut self, rest: &str) {
        let language = self.language();
        let split = [" a ", " to ", " -> ", " → "].iter().find_map(|separator| {
            rest.match_indices(separator).find_map(|(at, _)| {
                let old = classify::category_by_name(&rest[..at], self.turn.categories)?;
                Some((old.clone(), rest[at + separator.len()..].to_owned()))
            })
        });
        let Some((old, typed)) = split else {
            return self.reply_text(reply::rename_usage(language));
        };
        let Some(name) = category_name(&typed) else {
            return self.reply_text(reply::category_name_invalid(language));
        };
        if let Some(existing) = classify::category_by_name(&name, self.turn.categories) {
            if existing.id != old.id {
                let text = reply::category_exists(language, &existing.name);
                return self.reply_text(text);
            }
        }
        self.effects.push(Effect::RenameCategory {
            category_id: old.id.clone(),
            name: name.clone(),
        });
        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
            change: "category_renamed",
        }));
        self.reply_text(reply::category_renamed(language, &old.name, &name));
    }
}

/// A command that changes or lists the customer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Settings {
    Rules,
    DeleteRule(String),
    AddCategory(String),
    /// The text after the command: `<old> a <new>`.
    RenameCategory(String),
}

const RULES_WORDS: &[&str] = &[
    "reglas",
    "mis reglas",
    "ver reglas",
    "rules",
    "my rules",
    "list rules",
];

const DELETE_RULE_PREFIXES: &[&str] = &[
    "borrar regla",
    "borra regla",
    "eliminar regla",
    "quitar regla",
    "delete rule",
    "remove rule",
    "forget rule",
];

const ADD_CATEGORY_PREFIXES: &[&str] = &[
    "agregar categoria",
    "agrega categoria",
    "añadir categoria",
    "anadir categoria",
    "nueva categoria",
    "crear categoria",
    "add category",
    "new category",
    "create category",
];

const RENAME_CATEGORY_PREFIXES: &[&str] = &[
    "renombrar categoria",
    "renombra categoria",
    "renombrar la categoria",
    "rename category",
    "rename the category",
];

pub(super) fn settings_command(text: &str) -> Option<Settings> {
    if RULES_WORDS.contains(&classify::words_of(text).as_str()) {
        return Some(Settings::Rules);
    }
    if let Some(rest) = after_prefix(text, DELETE_RULE_PREFIXES) {
        return Some(Settings::DeleteRule(rest));
    }
    if let Some(rest) = after_prefix(text, ADD_CATEGORY_PREFIXES) {
        return Some(Settings::AddCategory(rest));
    }
    after_prefix(text, RENAME_CATEGORY_PREFIXES).map(Settings::RenameCategory)
}

/// The words of `text` after the first of `prefixes` it starts with (folded,
/// so `Categoría` matches `categoria`), as typed; `None` when no prefix
/// matches or nothing follows it.
fn after_prefix(text: &str, prefixes: &[&str]) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    prefixes.iter().find_map(|prefix| {
        let count = prefix.split(' ').count();
        if words.len() <= count || classify::words_of(&words[..count].join(" ")) != *prefix {
            return None;
        }
        Some(words[count..].join(" "))
    })
}

/// Cleans a category name the user typed: single spaces, no surrounding
/// quotes or final period, first letter upper case. `None` unless it has a
/// letter and fits a WhatsApp list row.
fn category_name(typed: &str) -> Option<String> {
    let trimmed = typed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '*' | '«' | '»' | '“' | '”' | '.'))
        .trim()
        .to_owned();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_ROW_TITLE || !trimmed.chars().any(char::is_alphabetic) {
        return None;
    }
    if trimmed.contains('|') {
        return None;
    }
    let mut chars = trimmed.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}
