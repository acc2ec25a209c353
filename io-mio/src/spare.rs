//! Large buffers the loop keeps once a message is delivered out of one, for the next large
//! message of any connection and for its own reads: reusing one saves zeroing it again (safe
//! code must zero memory before reading into it) and faulting its pages in again. Bounded in
//! bytes for the whole loop; a connection holds none while idle.

/// Buffers smaller than this are not worth keeping: no frame this small is read straight in.
const MIN_KEPT: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Spare {
    buffers: Vec<Vec<u8>>,
    /// The capacity of `buffers`, summed.
    held: usize,
    limit: usize,
}

impl Spare {
    pub(crate) fn new(limit: usize) -> Self {
        Spare {
            buffers: Vec::new(),
            held: 0,
            limit,
        }
    }

    /// A buffer with capacity for at least `len` bytes: the smallest kept one that is large
    /// enough (its length says how much of it is already initialized), or a new one.
    pub(crate) fn take(&mut self, len: usize) -> Vec<u8> {
        let best = (self.buffers.iter().enumerate())
            .filter(|(_, buf)| buf.capacity() >= len)
            .min_by_key(|(_, buf)| buf.capacity())
            .map(|(index, _)| index);
        match best {
            Some(index) => self.remove(index),
            None => Vec::with_capacity(len),
        }
    }

    /// Keeps `buf` for reuse, making room by dropping smaller kept buffers; drops it when it
    /// is too small to matter or does not fit under the limit.
    pub(crate) fn give(&mut self, buf: Vec<u8>) {
        let size = buf.capacity();
        if size < MIN_KEPT || size > self.limit {
            return;
        }
        while self.held + size > self.limit {
            let smallest = (self.buffers.iter().enumerate())
                .min_by_key(|(_, buf)| buf.capacity())
                .map(|(index, buf)| (index, buf.capacity()));
            match smallest {
                Some((index, smaller)) if smaller < size => drop(self.remove(index)),
                _ => return,
            }
        }
        self.held += size;
        self.buffers.push(buf);
    }

    fn remove(&mut self, index: usize) -> Vec<u8> {
        let buf = self.buffers.swap_remove(index);
        self.held -= buf.capacity();
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(len: usize) -> Vec<u8> {
        let mut buf = Vec::with_capacity(len);
        buf.resize(len, 1);
        buf
    }

    const K: usize = MIN_KEPT;

    #[test]
    fn the_smallest_fitting_buffer_comes_back_initialized() {
        let mut spare = Spare::new(10 * K);
        spare.give(buffer(4 * K));
        spare.give(buffer(2 * K));
        spare.give(buffer(3 * K));
        let buf = spare.take(2 * K + 1);
        assert!(buf.capacity() >= 3 * K && buf.capacity() < 4 * K);
        assert_eq!(buf.len(), 3 * K, "what was initialized stays so");
        assert!(spare.take(5 * K).is_empty(), "none fits: a new one");
        assert_eq!(spare.held, spare.buffers.iter().map(Vec::capacity).sum());
    }

    #[test]
    fn the_limit_holds_and_larger_buffers_win() {
        let mut spare = Spare::new(5 * K);
        spare.give(buffer(6 * K));
        assert_eq!(spare.held, 0, "larger than the limit: dropped");
        spare.give(buffer(K - 1));
        assert_eq!(spare.held, 0, "too small to matter: dropped");
        spare.give(buffer(2 * K));
        spare.give(buffer(2 * K));
        spare.give(buffer(3 * K));
        assert!(spare.held <= 5 * K);
        assert!(spare.buffers.iter().any(|buf| buf.capacity() == 3 * K));
        spare.give(buffer(K));
        assert!(spare.held <= 5 * K);
    }
}
