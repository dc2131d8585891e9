//! Fuzz target `stdio_batch`: see `stdio_batch` in tests/common/fuzz_cases.rs for what it checks.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/common/fuzz_cases.rs"]
mod cases;

libfuzzer_sys::fuzz_target!(|data: &[u8]| cases::stdio_batch(data));
