//! Arbitrary bytes as an uploaded CSV file: format and encoding detection, the CSV reader,
//! column mapping and typing of every value. Never a panic.
#![no_main]

mod ingest;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ingest::check(data, "csv"));
