//! The pure core of Data Action Timeouts: everything that is neither drawing nor serving HTTP.
//!
//! The core does no I/O of its own. It builds requests and reads responses, and talks to the
//! network only through the [`transport::Transport`] trait, which the web app implements with
//! `fetch` and the native crate implements with reqwest. That keeps all of it testable natively
//! and lets it run unchanged in the browser.
//!
//! Code map, in dependency order:
//! - [`region`] and [`config`]: where Genesys lives and how a deployment is configured;
//! - [`auth`]: PKCE, `state`, sign-in and sign-out URLs, callback parsing;
//! - [`transport`] and [`api`]: the HTTP seam and the typed Genesys client on top of it;
//! - [`model`], [`permission`], [`classify`], [`timeout`]: what the API returns and what it means;
//! - [`retry`]: pacing under the rate limit and retrying, shared by every bulk read and write;
//! - [`load`] and [`table`]: reading the whole organisation with progress, and the table over it;
//! - [`latency`] and [`suggest`]: measured latency and the timeout it suggests;
//! - [`plan`], [`engine`], [`undo`]: deciding, applying and taking back changes;
//! - [`files`]: snapshots and spreadsheets in and out.
//!
//! Invariant: nothing this crate exports or stores holds an action's full config, because
//! request headers in a config can carry secrets. Configs live in memory only, inside
//! [`load::LoadedOrg`], and are sent back to Genesys unchanged apart from the timeout.

pub mod api;
pub mod auth;
pub mod classify;
pub mod client_app;
pub mod config;
pub mod engine;
pub mod files;
pub mod latency;
pub mod load;
pub mod model;
pub mod permission;
pub mod plan;
pub mod region;
pub mod resilient;
pub mod retry;
pub mod suggest;
pub mod table;
pub mod timeout;
pub mod transport;
pub mod undo;

#[cfg(test)]
mod testing;
