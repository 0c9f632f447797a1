//! HTML bodies to plain text, one visual line per text line.
//!
//! mail-parser's `html_to_text` decodes entities and drops `<head>`,
//! `<style>`, `<script>` and comments, but breaks lines only at `<br>` and
//! `</p>`. Receipts lay out their lines with tables and `<div>`s, so a
//! `Subtotal`, a `Propina` and a `Total` row would run into one line. A line
//! break is therefore inserted before every block element and a space
//! between table cells before the text is handed to mail-parser.

use mail_parser::decoders::html::html_to_text as decode_html;

/// Elements that start a new line.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
];
/// Elements that are cells of a line.
const CELL_TAGS: &[&str] = &["td", "th"];
/// What goes before a table cell so that cells read as words of one line.
/// A plain space is dropped by mail-parser 0.11 between `</strong></td>`
/// and an entity such as `&pound;`, which glued `Total` to `£12.35`; a
/// numeric entity is always decoded to its own space.
const CELL_SEPARATOR: &str = "&#32;";

/// Converts an HTML body to text lines.
pub fn html_to_text(html: &str) -> String {
    normalise_lines(&decode_html(&mark_blocks(html)))
}

/// Trims every line, collapses runs of spaces (no-break spaces included) and
/// drops empty lines.
pub fn normalise_lines(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}')
            .filter(|word| !word.is_empty())
            .collect();
        if !words.is_empty() {
            lines.push(words.join(" "));
        }
    }
    lines.join("\n")
}

/// Inserts `<br>` before block elements and a space before table cells.
fn mark_blocks(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(position) = rest.find('<') {
        out.push_str(&rest[..position]);
        let tag = &rest[position..];
        let name = tag_name(tag);
        if BLOCK_TAGS
            .iter()
            .any(|block| name.eq_ignore_ascii_case(block))
        {
            out.push_str("<br>");
        } else if CELL_TAGS.iter().any(|cell| name.eq_ignore_ascii_case(cell)) {
            out.push_str(CELL_SEPARATOR);
        }
        out.push('<');
        rest = &tag[1..];
    }
    out.push_str(rest);
    out
}

/// The element name of a tag that starts at `<`, without a leading `/`.
fn tag_name(tag: &str) -> &str {
    let inner = tag[1..].trim_start_matches('/');
    let end = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    &inner[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_become_lines() {
        let html = "<table><tr><td>Subtotal</td><td>$10.000</td></tr>\
                    <tr><td>Propina</td><td>$1.000</td></tr>\
                    <tr><td><b>Total</b></td><td><b>$11.000</b></td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "Subtotal $10.000\nPropina $1.000\nTotal $11.000"
        );
    }

    #[test]
    fn cells_stay_apart_around_bold_text_and_entities() {
        // Without CELL_SEPARATOR, mail-parser glues these into `Total£12.35`.
        let cases = [
            "<tr><td><strong>Total</strong></td><td><strong>&pound;12.35</strong></td></tr>",
            "<tr><td><strong>Total</strong></td><td>&pound;12.35</td></tr>",
            "<tr><td>Total</td><td><strong>&pound;12.35</strong></td></tr>",
        ];
        for html in cases {
            assert_eq!(html_to_text(html), "Total £12.35", "{html}");
        }
    }

    #[test]
    fn style_and_entities_are_handled() {
        let html = "<html><head><style>td { color: red }</style></head><body>\
                    <div>Total&nbsp;pagado:&nbsp;&#36;5.430</div><div>Caf&eacute; &amp; t&eacute;</div>\
                    <!-- <div>$999</div> --></body></html>";
        assert_eq!(html_to_text(html), "Total pagado: $5.430\nCafé & té");
    }

    #[test]
    fn line_breaks_stay() {
        assert_eq!(html_to_text("Uno<br>Dos<br/>Tres"), "Uno\nDos\nTres");
    }

    #[test]
    fn unclosed_tag_does_not_panic() {
        assert_eq!(html_to_text("Total $1.000 <div"), "Total $1.000");
        assert_eq!(html_to_text("<"), "");
    }

    #[test]
    fn normalise_lines_collapses_spaces() {
        assert_eq!(normalise_lines("  a \u{a0} b \n\n\t c  "), "a b\nc");
    }
}
