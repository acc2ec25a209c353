//! When a socket may be taken as exhausted without the call that would say `WouldBlock`.
//!
//! mio's readiness is edge-triggered: a handler must read (or write) until the socket is
//! exhausted, or no event comes again. On Unix mio uses epoll or kqueue, which signal again
//! for every arrival of data (end of file included) and for every release of send space after
//! a send ran short. So a read that filled less than it was offered emptied the receive queue,
//! and a write that took less than it was given filled the send buffer: the extra call that
//! would only return `WouldBlock` is skipped, one syscall per message saved (tokio does the
//! same). mio's Windows readiness is emulated and re-armed only by `WouldBlock`, so there
//! every socket is still driven to `WouldBlock`.

/// Whether a short read or write shows the socket exhausted (see the module docs).
pub(crate) const SHORT_IO_EXHAUSTS: bool = cfg!(unix);
