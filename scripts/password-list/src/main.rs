//! Turns a password list ordered from most to least common (one per line) into the `fst` set
//! that `portcullis_core::password_policy` searches.
//!
//! Usage: `build-password-list INPUT OUTPUT MAX_ENTRIES`
//!
//! Each line is lower-cased (`str::to_lowercase`, as the lookup does); lines with surrounding
//! whitespace are trimmed; passwords of fewer than 8 characters (refused by length anyway) or
//! more than 1024 bytes are dropped; duplicates keep their first (most common) rank. The first
//! MAX_ENTRIES that remain are written, sorted, as an `fst::Set`.

use std::collections::HashSet;
use std::io::BufWriter;
use std::{env, fs, process};

fn main() {
    let args: Vec<String> = env::args().collect();
    let [_, input, output, max] = args.as_slice() else {
        eprintln!("usage: build-password-list INPUT OUTPUT MAX_ENTRIES");
        process::exit(2);
    };
    let max: usize = max
        .parse()
        .unwrap_or_else(|e| fail(&format!("MAX_ENTRIES: {e}")));
    let text = fs::read(input).unwrap_or_else(|e| fail(&format!("{input}: {e}")));
    let text = String::from_utf8_lossy(&text);

    let mut seen = HashSet::new();
    let mut kept = Vec::new();
    for line in text.lines() {
        if kept.len() == max {
            break;
        }
        let password = line.trim().to_lowercase();
        if password.chars().count() < 8 || password.len() > 1024 || password.contains('\u{FFFD}') {
            continue;
        }
        if seen.insert(password.clone()) {
            kept.push(password);
        }
    }
    kept.sort();

    let file = fs::File::create(output).unwrap_or_else(|e| fail(&format!("{output}: {e}")));
    let mut builder =
        fst::SetBuilder::new(BufWriter::new(file)).unwrap_or_else(|e| fail(&e.to_string()));
    builder
        .extend_iter(kept.iter())
        .unwrap_or_else(|e| fail(&e.to_string()));
    builder.finish().unwrap_or_else(|e| fail(&e.to_string()));
    eprintln!("{output}: {} passwords", kept.len());
}

fn fail(message: &str) -> ! {
    eprintln!("build-password-list: {message}");
    process::exit(1);
}
