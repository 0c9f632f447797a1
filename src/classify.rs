//! Choosing a category for an expense, and the policy that decides whether
//! that choice is good enough to complete the expense without asking.
//!
//! This module holds the keyword classifier, which needs nothing but the
//! customer's categories; learned merchant rules and the Workers AI model are
//! consulted by the glue before it falls back to this one.

use serde::{Deserialize, Serialize};

use crate::model::Category;

/// Which classifier chose the category; stored on the expense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// A merchant rule learned from the user's earlier choice.
    Rule,
    Keyword,
    Ai,
    /// The user picked it.
    User,
}

impl Classifier {
    /// The value of `expenses.classified_by`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classifier::Rule => "rule",
            Classifier::Keyword => "keyword",
            Classifier::Ai => "ai",
            Classifier::User => "user",
        }
    }
}

/// A proposed category with the classifier's confidence in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// `None` when nothing matched at all.
    pub category_id: Option<String>,
    /// In [0, 1].
    pub confidence: f64,
    pub classifier: Classifier,
    /// Other plausible categories, best first, to offer the user.
    pub alternatives: Vec<String>,
}

impl Classification {
    /// Whether the expense can be completed without asking. A classification
    /// without a category never completes, whatever the threshold.
    pub fn completes(&self, threshold: f64) -> bool {
        self.category_id.is_some() && self.confidence >= threshold
    }
}

/// Confidence of a single keyword match.
const SINGLE_MATCH_CONFIDENCE: f64 = 0.9;
/// Confidence when keywords of several categories match.
const SPLIT_MATCH_CONFIDENCE: f64 = 0.5;

/// Classifies by the categories' keywords and names, matched as whole words
/// (or word sequences) against the description and merchant, ignoring case
/// and accents.
pub fn classify_by_keywords(
    description: &str,
    merchant: Option<&str>,
    categories: &[Category],
) -> Classification {
    let text = format!(
        " {} {} ",
        words_of(description),
        merchant.map(words_of).unwrap_or_default()
    );

    let mut scores: Vec<(usize, usize)> = Vec::new();
    for (index, category) in categories.iter().enumerate() {
        let name = fold(&category.name);
        let hits = category
            .keywords
            .iter()
            .map(|keyword| fold(keyword))
            .chain(std::iter::once(name))
            .filter(|keyword| !keyword.is_empty() && text.contains(&format!(" {keyword} ")))
            .count();
        if hits > 0 {
            scores.push((index, hits));
        }
    }
    // Most hits first; ties keep the customer's category order.
    scores.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let ids: Vec<String> = scores
        .iter()
        .map(|(index, _)| categories[*index].id.clone())
        .collect();
    let confidence = match scores.as_slice() {
        [] => 0.0,
        [_] => SINGLE_MATCH_CONFIDENCE,
        [first, second, ..] if first.1 > second.1 => SINGLE_MATCH_CONFIDENCE - 0.2,
        _ => SPLIT_MATCH_CONFIDENCE,
    };
    let mut ids = ids.into_iter();
    Classification {
        category_id: ids.next(),
        confidence,
        classifier: Classifier::Keyword,
        alternatives: ids.collect(),
    }
}

/// Finds the category a user typed, by name, ignoring case and accents.
pub fn category_by_name<'a>(typed: &str, categories: &'a [Category]) -> Option<&'a Category> {
    let typed = words_of(typed);
    if typed.is_empty() {
        return None;
    }
    categories
        .iter()
        .find(|category| fold(&category.name) == typed)
}

/// Lowercases, removes accents and keeps letters and digits as
/// space-separated words.
pub fn words_of(text: &str) -> String {
    fold(text)
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lowercases and removes the accents Spanish uses.
pub fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> Vec<Category> {
        let make = |id: &str, name: &str, keywords: &str| Category {
            id: id.into(),
            name: name.into(),
            keywords: crate::model::split_keywords(keywords),
        };
        vec![
            make("food", "Comida", "almuerzo,café,cena,rappi"),
            make("transport", "Transporte", "uber,taxi,bencina"),
            make("home", "Hogar", "gastos comunes,arriendo"),
            make("other", "Otros", ""),
        ]
    }

    #[test]
    fn single_keyword_match_is_confident() {
        let cases = [
            ("almuerzo", None, "food"),
            ("Café con leche", None, "food"),
            ("cafe", None, "food"),
            ("viaje", Some("uber"), "transport"),
            ("pago gastos comunes", None, "home"),
            ("transporte al aeropuerto", None, "transport"),
        ];
        for (description, merchant, expected) in cases {
            let result = classify_by_keywords(description, merchant, &categories());
            assert_eq!(
                result.category_id.as_deref(),
                Some(expected),
                "{description}"
            );
            assert_eq!(result.confidence, SINGLE_MATCH_CONFIDENCE, "{description}");
            assert_eq!(result.classifier, Classifier::Keyword);
        }
    }

    #[test]
    fn no_match_never_completes() {
        let result = classify_by_keywords("xyzzy plugh", None, &categories());
        assert_eq!(result.category_id, None);
        assert_eq!(result.confidence, 0.0);
        assert!(!result.completes(0.0));
    }

    #[test]
    fn keywords_match_whole_words_only() {
        let result = classify_by_keywords("taxidermia", None, &categories());
        assert_eq!(result.category_id, None);
    }

    #[test]
    fn split_match_is_unsure_and_offers_both() {
        let result = classify_by_keywords("almuerzo y taxi", None, &categories());
        assert_eq!(result.confidence, SPLIT_MATCH_CONFIDENCE);
        assert_eq!(result.category_id.as_deref(), Some("food"));
        assert_eq!(result.alternatives, vec!["transport".to_owned()]);
        assert!(!result.completes(0.75));
    }

    #[test]
    fn typed_name_finds_category() {
        let all = categories();
        assert_eq!(
            category_by_name("transporte", &all).map(|c| c.id.as_str()),
            Some("transport")
        );
        assert_eq!(
            category_by_name(" COMIDA! ", &all).map(|c| c.id.as_str()),
            Some("food")
        );
        assert_eq!(category_by_name("nada", &all), None);
        assert_eq!(category_by_name("", &all), None);
    }
}
