//! Keeps the operators' documentation in step with the code: every log event
//! name the worker defines must appear in RUNBOOK.md, whose event table is
//! what operators read next to `wrangler tail`.

use std::fs;
use std::path::Path;

/// Collects the value of every `const NAME: &str = "area.event"` in `dir`.
fn event_names(dir: &Path, names: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            event_names(&path, names);
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            let line = line.trim();
            if !line.contains("const ") || !line.contains(": &str = \"") {
                continue;
            }
            let Some(value) = line.split('"').nth(1) else {
                continue;
            };
            if is_event_name(value) {
                names.push((value.to_owned(), path.display().to_string()));
            }
        }
    }
}

/// `area.event_name`: lowercase words joined by `_`, one dot.
fn is_event_name(value: &str) -> bool {
    let mut parts = value.split('.');
    let (Some(area), Some(event), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let word =
        |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    word(area) && word(event)
}

#[test]
fn every_log_event_is_in_the_runbook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runbook = fs::read_to_string(root.join("RUNBOOK.md")).expect("RUNBOOK.md");
    let mut names = Vec::new();
    event_names(&root.join("src"), &mut names);
    assert!(names.len() > 50, "found only {} event names", names.len());

    let missing: Vec<String> = names
        .iter()
        .filter(|(name, _)| !runbook.contains(&format!("`{name}`")))
        .map(|(name, file)| format!("{name} ({file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "log events missing from RUNBOOK.md's event table: {missing:#?}"
    );
}

#[test]
fn event_name_shape_is_recognised() {
    assert!(is_event_name("expense.flow_completed"));
    assert!(!is_event_name("classifier:v1"));
    assert!(!is_event_name("a.b.c"));
    assert!(!is_event_name("misgastos@0.1.0"));
    assert!(!is_event_name("Expense.Done"));
}
