//! One module per page; each page's private components live beside it.

pub mod setup;
pub mod sign_in;
pub mod workspace;
