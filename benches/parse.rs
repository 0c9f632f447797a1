//! Measures how many messages per second `parse_message` reads, over the
//! labelled corpus in `tests/corpus/parse/`. Run it with
//! `cargo bench --bench parse`; it prints one line and checks nothing.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use misgastos::money::Currency;
use misgastos::parse::{parse_amount, parse_message, ParseContext};

/// A corpus message with the customer it was written for.
struct Sample {
    locale: String,
    home_currency: Currency,
    today: NaiveDate,
    message: String,
    is_answer: bool,
}

/// Reads the messages of every `*.tsv` file in `directory`, skipping
/// comments and the `..` rows that only label further items.
fn load_samples(directory: &Path) -> Result<Vec<Sample>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "tsv"))
        .collect();
    paths.sort();

    let mut samples = Vec::new();
    for path in paths {
        let content = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        for line in content.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            if line.starts_with('#') || fields.len() != 10 || fields[3] == ".." {
                continue;
            }
            let (Some(home_currency), Ok(today)) = (
                Currency::from_code(fields[1]),
                NaiveDate::parse_from_str(fields[2], "%Y-%m-%d"),
            ) else {
                return Err(format!("invalid row in {}: `{line}`", path.display()));
            };
            samples.push(Sample {
                locale: fields[0].to_owned(),
                home_currency,
                today,
                message: fields[3].replace("\\n", "\n"),
                is_answer: fields[4].starts_with("answer"),
            });
        }
    }
    Ok(samples)
}

fn parse_all(samples: &[Sample]) {
    for sample in samples {
        let context = ParseContext {
            locale: &sample.locale,
            home_currency: sample.home_currency,
            today: sample.today,
        };
        if sample.is_answer {
            black_box(parse_amount(black_box(&sample.message), &context));
        } else {
            black_box(parse_message(black_box(&sample.message), &context));
        }
    }
}

fn main() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/parse");
    let samples = match load_samples(&directory) {
        Ok(samples) if !samples.is_empty() => samples,
        Ok(_) => {
            eprintln!("no messages found in {}", directory.display());
            std::process::exit(1);
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };

    // Warm up caches and the allocator before timing.
    for _ in 0..10 {
        parse_all(&samples);
    }

    let budget = Duration::from_secs(2);
    let started = Instant::now();
    let mut rounds: u64 = 0;
    while started.elapsed() < budget {
        parse_all(&samples);
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let messages = rounds * samples.len() as u64;
    println!(
        "parsed {messages} messages ({} distinct, {rounds} rounds) in {elapsed:.2} s: {:.0} messages/s",
        samples.len(),
        messages as f64 / elapsed
    );
}
