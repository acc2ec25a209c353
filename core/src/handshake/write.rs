//! A writer into a caller's byte buffer that never allocates and, when the buffer is too
//! small, still counts how many bytes the whole write needs.

use crate::InsufficientSize;

/// Appends to `out` while it fits and counts every byte asked for.
#[derive(Debug)]
pub(super) struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub(super) fn new(out: &'a mut [u8]) -> Self {
        Writer { out, len: 0 }
    }

    /// Appends `bytes`, or only counts them once the buffer has overflowed.
    pub(super) fn put(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
        self
    }

    /// Appends `s`.
    pub(super) fn str(&mut self, s: &str) -> &mut Self {
        self.put(s.as_bytes())
    }

    /// Appends `n` in decimal.
    pub(super) fn decimal(&mut self, mut n: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[start..])
    }

    /// Appends `name: value\r\n`.
    pub(super) fn header(&mut self, name: &str, value: &[u8]) -> &mut Self {
        self.str(name).put(b": ").put(value).put(b"\r\n")
    }

    /// The number of bytes written, or how many the buffer needed.
    pub(super) fn finish(self) -> Result<usize, InsufficientSize> {
        if self.len <= self.out.len() {
            Ok(self.len)
        } else {
            Err(InsufficientSize { required: self.len })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_counts() {
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        w.str("n=").decimal(0).put(b",").decimal(1234567);
        assert_eq!(w.finish(), Ok(11));
        assert_eq!(&buf[..11], b"n=0,1234567");

        let mut small = [0u8; 4];
        let mut w = Writer::new(&mut small);
        w.header("Host", b"example.com");
        assert_eq!(w.finish(), Err(InsufficientSize { required: 19 }));
    }
}
