//! Arbitrary bytes as an uploaded Parquet file: footer, metadata, pages and typing of every
//! value, as the boundary child reads them. Never a panic.
#![no_main]

mod ingest;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ingest::check(data, "parquet"));
