//! The `genesys-emulator` binary: parses flags, starts the servers, prints their URLs.

fn main() {}
