//! Large message buffers the loop keeps once their message is delivered, for the next large
//! message of any connection. Reusing one saves zeroing it again (safe code must zero memory
//! before reading into it) and faulting its pages in again. Bounded in bytes for the whole
//! loop; a connection holds none while idle.

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
            Some(index) => {
                let buf = self.buffers.swap_remove(index);
                self.held -= buf.capacity();
                buf
            }
            None => Vec::with_capacity(len),
        }
    }

    /// Keeps `buf` for reuse, making room by dropping smaller kept buffers; drops it when it
    /// does not fit under the limit.
    pub(crate) fn give(&mut self, buf: Vec<u8>) {
        let size = buf.capacity();
        if size > self.limit {
            return;
        }
        while self.held + size > self.limit {
            let smallest = (self.buffers.iter().enumerate())
                .min_by_key(|(_, buf)| buf.capacity())
                .map(|(index, buf)| (index, buf.capacity()));
            match smallest {
                Some((index, smaller)) if smaller < size => {
                    self.buffers.swap_remove(index);
                    self.held -= smaller;
                }
                _ => return,
            }
        }
        self.held += size;
        self.buffers.push(buf);
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

    #[test]
    fn the_smallest_fitting_buffer_comes_back_initialized() {
        let mut spare = Spare::new(10_000);
        spare.give(buffer(4000));
        spare.give(buffer(2000));
        spare.give(buffer(3000));
        let buf = spare.take(2500);
        assert!(buf.capacity() >= 3000 && buf.capacity() < 4000);
        assert_eq!(buf.len(), 3000, "what was initialized stays so");
        assert!(spare.take(5000).is_empty(), "none fits: a new one");
        assert_eq!(spare.held, spare.buffers.iter().map(Vec::capacity).sum());
    }

    #[test]
    fn the_limit_holds_and_larger_buffers_win() {
        let mut spare = Spare::new(5000);
        spare.give(buffer(6000));
        assert_eq!(spare.held, 0, "larger than the limit: dropped");
        spare.give(buffer(2000));
        spare.give(buffer(2000));
        spare.give(buffer(3000));
        assert!(spare.held <= 5000);
        assert!(spare.buffers.iter().any(|buf| buf.capacity() >= 3000));
        spare.give(buffer(1000));
        assert!(spare.held <= 5000);
    }
}
