//! Lampboard: a SIP softphone and attendant console.
//!
//! Layers (see `ARCHITECTURE.md`): the sans-IO core in [`sip`] and [`ua`], the tokio
//! [`engine`] that drives it, the [`api`] between engine and clients (GUI, CLI).

pub mod accounts;
pub mod api;
pub mod cli;
pub mod config;
pub mod demo;
pub mod desktop;
pub mod engine;
pub mod feature_status;
pub mod forwarding;
pub mod history;
pub mod launch;
pub mod media;
pub mod pbx;
pub mod presence;
pub mod sdp;
pub mod secrets;
pub mod sip;
pub mod status_sync;
pub mod ua;
pub mod ui;
pub mod wall_io;
