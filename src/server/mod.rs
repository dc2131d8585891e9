//! Front doors other than the CLI: the HTTP server (and, later, the stdio protocol). They
//! share the engine's request and response types.

mod conn;
pub mod http;
pub mod stdio;
