//! A synchronous in-memory byte stream for the in-memory benches: two connected ends, each
//! `Read + Write`; reading an empty direction is `WouldBlock`, writes never block.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

/// One direction of the stream.
type Pipe = Rc<RefCell<VecDeque<u8>>>;

/// One end of the stream.
#[derive(Debug)]
pub struct End {
    rx: Pipe,
    tx: Pipe,
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipe = self.rx.borrow_mut();
        if pipe.is_empty() && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        pipe.read(buf)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.borrow_mut().extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Two connected ends.
pub fn pair() -> (End, End) {
    let (a_to_b, b_to_a) = (Pipe::default(), Pipe::default());
    let a = End {
        rx: Rc::clone(&b_to_a),
        tx: Rc::clone(&a_to_b),
    };
    let b = End {
        rx: a_to_b,
        tx: b_to_a,
    };
    (a, b)
}

/// Reads everything that has arrived into `buf`, returning the length.
pub fn read_all(io: &mut End, buf: &mut [u8]) -> usize {
    let mut len = 0;
    loop {
        match io.read(&mut buf[len..]) {
            Ok(0) => return len,
            Ok(n) => len += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return len,
            Err(err) => panic!("read: {err}"),
        }
    }
}
