//! Shared helpers for the CLI integration tests.
