//! The baseline: the same harness and the same run-loop chores (draw entropy, read into a
//! buffer, write out, move unconsumed bytes to the front) with no WebSocket code.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use harness::{millis, read, rng_fill, write};

static mut RX: [u8; 512] = [0; 512];

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only reference ever made to RX.
    let rx = unsafe { &mut *addr_of_mut!(RX) };
    let mut nonce = [0u8; 16];
    rng_fill(&mut nonce);
    write(&nonce);
    let mut filled = 0;
    loop {
        filled += read(&mut rx[filled..]);
        let consumed = (millis() as usize).min(filled);
        write(&rx[..consumed]);
        rx.copy_within(consumed..filled, 0);
        filled -= consumed;
    }
}
