//! Drives the [`sansws`] WebSocket core from mio.
//!
//! The adapter owns sockets, readiness, the clock and entropy; every WebSocket decision stays in
//! the core. This crate is a placeholder until the adapter issue lands.
#![forbid(unsafe_code)]

pub use sansws;
