//! # sansws
//!
//! A sans-IO WebSocket protocol core.
#![no_std]
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod utf8;

mod role;
mod status;

pub use close::{CloseCode, CloseFrame};
pub use error::{InsufficientSize, ProtocolError};
pub use role::Role;
pub use status::Status;
