//! The frame codec (RFC 6455 §5): header parse and encode for every length form, the protocol
//! rules a single header can break, and payload masking.
//!
//! Everything here works on borrowed buffers with no allocator.

mod header;
mod mask;
mod opcode;

pub use header::{FrameHeader, FrameRules, MAX_HEADER_LEN, RSV1, RSV2, RSV3};
pub use mask::apply_mask;
pub(crate) use mask::apply_mask_short;
pub use opcode::OpCode;
