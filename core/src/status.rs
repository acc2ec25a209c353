//! The result shape of every incremental parser in the crate.

/// The outcome of parsing input that may have arrived only in part.
///
/// A partial input is never an error: the parser says how many more bytes it needs at least,
/// and the caller tries again once it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// The input held a whole item.
    Complete(T),
    /// The input ended early; at least `needed` more bytes are required.
    Incomplete {
        /// A lower bound on the number of further bytes needed (at least 1).
        needed: usize,
    },
}

impl<T> Status<T> {
    /// The complete item, if there was one.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(item) => Some(item),
            Status::Incomplete { .. } => None,
        }
    }

    /// Whether the input held a whole item.
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete(_))
    }
}
