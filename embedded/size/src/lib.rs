//! The hardware the size programs talk to, reduced to volatile accesses so that the optimizer
//! can neither predict the input nor drop the output: a receive FIFO (stands in for a UART or
//! a socket), a transmit register, a hardware RNG register and a millisecond tick counter.
//! Every binary links this, the empty one included, so it cancels out of the difference.
#![no_std]

use core::panic::PanicInfo;
use core::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

static mut RX_FIFO: [u8; 64] = [0; 64];
static mut RX_LEVEL: usize = 0;
static mut TX_DATA: u8 = 0;
static mut RNG_DATA: u32 = 0;
static mut TICKS_MS: u32 = 0;

/// Reads what the receive FIFO holds, at most `buf.len()` bytes; returns how many.
#[inline(never)]
pub fn read(buf: &mut [u8]) -> usize {
    // SAFETY: plain volatile reads of statics nothing else references.
    let level = unsafe { read_volatile(addr_of!(RX_LEVEL)) };
    let n = level.min(buf.len()).min(64);
    for (i, byte) in buf[..n].iter_mut().enumerate() {
        // SAFETY: `i < 64`, within the FIFO.
        *byte = unsafe { read_volatile(addr_of!(RX_FIFO).cast::<u8>().add(i)) };
    }
    n
}

/// Writes `bytes` to the transmit register, one at a time.
#[inline(never)]
pub fn write(bytes: &[u8]) {
    for &byte in bytes {
        // SAFETY: a volatile write to a static nothing else references.
        unsafe { write_volatile(addr_of_mut!(TX_DATA), byte) };
    }
}

/// Fills `dest` from the hardware RNG register: a `sansws::Entropy`.
#[inline(never)]
pub fn rng_fill(dest: &mut [u8]) {
    for chunk in dest.chunks_mut(4) {
        // SAFETY: a volatile read of a static nothing else references.
        let word = unsafe { read_volatile(addr_of!(RNG_DATA)) }.to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// The millisecond tick counter.
#[inline(never)]
pub fn millis() -> u64 {
    // SAFETY: a volatile read of a static nothing else references.
    u64::from(unsafe { read_volatile(addr_of!(TICKS_MS)) })
}

/// Stops: the peer failed the handshake or the connection is over.
#[inline(never)]
pub fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    halt()
}
