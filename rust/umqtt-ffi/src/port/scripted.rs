//! The host's `umqtt_port_t`: a scripted stream and a virtual clock, so
//! that `cargo test` runs the drivers and the whole C ABI without a
//! MicroPython build.
//!
//! Bytes queued with [`umqtt_port_t::push`] are what the broker sent; reads
//! take at most `read_chunk` bytes at a time and writes `write_chunk`
//! (partial I/O). With nothing to read, a wait moves the clock to its
//! timeout and reports nothing ready, so deadlines pass in virtual time.

#[cfg(not(test))]
use core::sync::atomic::{AtomicU32, Ordering};

use heapless::{Deque, Vec};
use umqtt_core::Instant;

use super::{Port, PortError, Ready, FOREVER};

/// Bytes a scripted stream holds each way.
pub(crate) const SCRIPT_BYTES: usize = 8192;

// Tests run in parallel threads: each has its own clock.
#[cfg(test)]
std::thread_local! {
    static CLOCK: core::cell::Cell<u32> = const { core::cell::Cell::new(1_000) };
}
#[cfg(not(test))]
static CLOCK: AtomicU32 = AtomicU32::new(1_000);

/// The virtual clock.
pub(crate) fn now() -> Instant {
    #[cfg(test)]
    return Instant::from_millis(CLOCK.with(|c| c.get()));
    #[cfg(not(test))]
    return Instant::from_millis(CLOCK.load(Ordering::Relaxed));
}

/// Moves the virtual clock on by `ms`.
pub fn advance(ms: u32) {
    #[cfg(test)]
    CLOCK.with(|c| c.set(c.get().wrapping_add(ms)));
    #[cfg(not(test))]
    CLOCK.fetch_add(ms, Ordering::Relaxed);
}

/// A scripted stream (see the module doc).
#[derive(Debug)]
pub struct umqtt_port_t {
    /// What the peer sent, not read yet.
    pub input: Deque<u8, SCRIPT_BYTES>,
    /// What was written.
    pub output: Vec<u8, SCRIPT_BYTES>,
    /// The peer closed: reads return 0 once `input` is empty.
    pub eof: bool,
    /// Most bytes one read returns.
    pub read_chunk: usize,
    /// Most bytes one write takes (0: writes would block).
    pub write_chunk: usize,
    /// Fail every call as if MicroPython had raised.
    pub raise: bool,
}

impl Default for umqtt_port_t {
    fn default() -> Self {
        umqtt_port_t {
            input: Deque::new(),
            output: Vec::new(),
            eof: false,
            read_chunk: usize::MAX,
            write_chunk: usize::MAX,
            raise: false,
        }
    }
}

impl umqtt_port_t {
    /// Queues bytes from the peer; `false` if they do not fit.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| self.input.push_back(b).is_ok())
    }

    /// Takes what was written so far.
    pub fn take_output(&mut self) -> Vec<u8, SCRIPT_BYTES> {
        core::mem::take(&mut self.output)
    }
}

impl Port for umqtt_port_t {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, PortError> {
        if self.raise {
            return Err(PortError::Raised);
        }
        if self.input.is_empty() {
            return if self.eof {
                Ok(0)
            } else {
                Err(PortError::WouldBlock)
            };
        }
        let mut n = 0;
        for slot in buf.iter_mut().take(self.read_chunk) {
            let Some(byte) = self.input.pop_front() else {
                break;
            };
            *slot = byte;
            n += 1;
        }
        Ok(n)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, PortError> {
        if self.raise {
            return Err(PortError::Raised);
        }
        if self.write_chunk == 0 {
            return Err(PortError::WouldBlock);
        }
        let n = buf.len().min(self.write_chunk);
        let taken = buf.get(..n).unwrap_or_default();
        self.output
            .extend_from_slice(taken)
            .map_err(|_| PortError::Os)?;
        Ok(n)
    }

    fn wait(&mut self, writable: bool, timeout_ms: i32) -> Result<Ready, PortError> {
        if self.raise {
            return Err(PortError::Raised);
        }
        let ready = if writable {
            self.write_chunk > 0
        } else {
            !self.input.is_empty() || self.eof
        };
        if ready {
            return Ok(Ready::Yes);
        }
        if timeout_ms == FOREVER {
            // Nothing will ever come: a test that waits forever is a bug.
            return Ok(Ready::Hangup);
        }
        advance(u32::try_from(timeout_ms).unwrap_or(0));
        Ok(Ready::No)
    }
}
