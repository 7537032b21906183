//! A native transport for the core, used by tests, benchmarks and scripts.
