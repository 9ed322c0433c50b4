#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| explainer_fuzz::citations(data));
