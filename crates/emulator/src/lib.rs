//! An emulator of the Genesys Cloud API subset used by Data Action Timeouts.
