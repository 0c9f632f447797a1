//! The page's two inline SVG charts: a bar per category and a column per
//! day of the month, both of one currency's totals.

use std::fmt::Write;

use super::{escape_html, CurrencyTotal, Page, Texts};
use crate::commands::Period;
use crate::money::Money;

pub(super) fn category_chart(
    html: &mut String,
    total: &CurrencyTotal,
    page: &Page<'_>,
    texts: &Texts,
) {
    const ROW: usize = 40;
    const WIDTH: i64 = 360;
    let rows = &total.by_category;
    let height = ROW * rows.len() + 8;
    let max = rows.iter().map(|(_, m)| m.minor).max().unwrap_or(0).max(1);
    open_svg(
        html,
        "chart-category",
        WIDTH,
        height as i64,
        texts.by_category,
        total,
    );
    for (index, (category_id, amount)) in rows.iter().enumerate() {
        let name = page
            .lines
            .iter()
            .find(|line| line.category_id == *category_id)
            .and_then(|line| line.category.clone())
            .unwrap_or_else(|| texts.no_category.to_owned());
        let y = index * ROW;
        let width = (amount.minor.max(0) * (WIDTH - 4) / max).max(2);
        let _ = write!(
            html,
            "<text class=\"label\" x=\"0\" y=\"{}\">{} · {}</text>\
             <rect class=\"bar\" x=\"0\" y=\"{}\" width=\"{width}\" height=\"14\" rx=\"3\"/>",
            y + 14,
            escape_html(&name),
            escape_html(&amount.display(page.locale)),
            y + 20,
        );
    }
    html.push_str("</svg>");
}

pub(super) fn day_chart(
    html: &mut String,
    total: &CurrencyTotal,
    period: Period,
    locale: &str,
    texts: &Texts,
) {
    const WIDTH: u32 = 360;
    const HEIGHT: i64 = 140;
    const TOP: i64 = 8;
    const BOTTOM: i64 = 20;
    let days = period.days();
    let slot = WIDTH / days;
    let values = &total.by_day[..(days as usize).min(total.by_day.len())];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    open_svg(html, "chart-day", WIDTH, HEIGHT, texts.by_day, total);
    let plot = HEIGHT - TOP - BOTTOM;
    for (index, minor) in values.iter().enumerate() {
        let day = index as u32 + 1;
        let x = index as u32 * slot;
        if *minor > 0 {
            let bar = (minor * plot / max).max(1);
            let amount = Money::new(*minor, total.currency).display(locale);
            let _ = write!(
                html,
                "<rect class=\"day\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bar}\">\
                 <title>{day}: {}</title></rect>",
                x + 1,
                TOP + plot - bar,
                slot.saturating_sub(2).max(1),
                escape_html(&amount),
            );
        }
        if matches!(day, 1 | 8 | 15 | 22) || day == days {
            let _ = write!(
                html,
                "<text class=\"axis\" x=\"{x}\" y=\"{}\">{day}</text>",
                HEIGHT - 5
            );
        }
    }
    html.push_str("</svg>");
}

/// Writes the opening `<svg>` tag of a chart, labelled and titled with its
/// name and the currency of its totals.
fn open_svg(
    html: &mut String,
    class: &str,
    width: impl std::fmt::Display,
    height: impl std::fmt::Display,
    name: &str,
    total: &CurrencyTotal,
) {
    let label = format!("{name} {}", total.currency.code());
    let _ = write!(
        html,
        "<svg class=\"chart {class}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{label}\"><title>{label}</title>"
    );
}
