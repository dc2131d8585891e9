//! Fuzz target `query_cost`: see `query_cost` in tests/common/fuzz_cases.rs for what it checks.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/common/fuzz_cases.rs"]
mod cases;

libfuzzer_sys::fuzz_target!(|data: &[u8]| cases::query_cost(data));
