//! In-process tests of the router (filled below).
