//! The stream under the drivers, as a small trait ([`Port`]) and the clock
//! ([`now`]).
//!
//! In the firmware (feature `micropython`) `umqtt_port_t` is the C struct of
//! `cmodule/umqtt_port.h` and each method is one of its non-raising
//! trampolines. On the host (`cargo test`, no MicroPython build needed)
//! `umqtt_port_t` is [`scripted::umqtt_port_t`]: bytes a test queues, a
//! record of what was written, and a virtual clock that waits advance.

use umqtt_core::Instant;

/// Wait forever (`UMQTT_PORT_FOREVER` in `umqtt_port.h`).
pub(crate) const FOREVER: i32 = -1;

/// Why a port call failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PortError {
    /// Not ready: wait, then try again.
    WouldBlock,
    /// A MicroPython call raised; the exception waits in the port.
    Raised,
    /// The stream failed with an errno (kept in the port).
    Os,
}

/// What a wait found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ready {
    /// The stream is ready for what was asked.
    Yes,
    /// Nothing within the timeout.
    No,
    /// The stream reports an error or a hang-up.
    Hangup,
}

/// A byte stream that never raises and never blocks past a timeout.
pub(crate) trait Port {
    /// Reads up to `buf.len()` bytes; `Ok(0)` at the end of the stream.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, PortError>;
    /// Writes up to `buf.len()` bytes; how many it took.
    fn write(&mut self, buf: &[u8]) -> Result<usize, PortError>;
    /// Waits up to `timeout_ms` ([`FOREVER`]: no limit) until the stream is
    /// readable (`writable` false) or writable.
    fn wait(&mut self, writable: bool, timeout_ms: i32) -> Result<Ready, PortError>;
}

#[cfg(feature = "micropython")]
mod micropython {
    use micropython_sys::{
        umqtt_port_read, umqtt_port_t, umqtt_port_ticks_ms, umqtt_port_wait, umqtt_port_write,
        MP_EAGAIN, MP_EINPROGRESS, MP_ETIMEDOUT, MP_EWOULDBLOCK, MP_STREAM_POLL_ERR,
        MP_STREAM_POLL_HUP, MP_STREAM_POLL_NVAL, MP_STREAM_POLL_RD, MP_STREAM_POLL_WR,
        UMQTT_PORT_OK, UMQTT_PORT_RAISED,
    };
    use umqtt_core::Instant;

    use super::{Port, PortError, Ready};

    // bindgen types `(0)` as u32 and `(-1)` as i32; the trampolines return int.
    const PORT_OK: i32 = UMQTT_PORT_OK as i32;
    const PORT_RAISED: i32 = UMQTT_PORT_RAISED;

    /// MicroPython's tick counter.
    pub(crate) fn now() -> Instant {
        // SAFETY: reads the tick counter; cannot raise.
        Instant::from_millis(unsafe { umqtt_port_ticks_ms() })
    }

    /// A trampoline's result code as a port result.
    #[inline]
    fn result(code: i32, n: usize) -> Result<usize, PortError> {
        match code {
            PORT_OK => Ok(n),
            PORT_RAISED => Err(PortError::Raised),
            _ if would_block(code) => Err(PortError::WouldBlock),
            _ => Err(PortError::Os),
        }
    }

    /// EAGAIN and friends: the stream is not ready, wait on the poller.
    // Out of line: off the fast path, and in each of the three callers.
    #[inline(never)]
    fn would_block(code: i32) -> bool {
        // Compares, not a scan of a table (EAGAIN and EWOULDBLOCK fold).
        u32::try_from(code).is_ok_and(|code| {
            code == MP_EAGAIN
                || code == MP_EWOULDBLOCK
                || code == MP_EINPROGRESS
                || code == MP_ETIMEDOUT
        })
    }

    impl Port for umqtt_port_t {
        #[inline]
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, PortError> {
            let mut n = 0;
            // SAFETY: buf is valid for buf.len() bytes; the trampoline cannot raise.
            let code = unsafe { umqtt_port_read(self, buf.as_mut_ptr(), buf.len(), &mut n) };
            result(code, n.min(buf.len()))
        }

        #[inline]
        fn write(&mut self, buf: &[u8]) -> Result<usize, PortError> {
            let mut n = 0;
            // SAFETY: buf is valid for buf.len() bytes; the trampoline cannot raise.
            let code = unsafe { umqtt_port_write(self, buf.as_ptr(), buf.len(), &mut n) };
            result(code, n.min(buf.len()))
        }

        fn wait(&mut self, writable: bool, timeout_ms: i32) -> Result<Ready, PortError> {
            let events = if writable {
                MP_STREAM_POLL_WR
            } else {
                MP_STREAM_POLL_RD
            };
            let mut ready = 0;
            // SAFETY: the trampoline cannot raise; `ready` is a local.
            match unsafe { umqtt_port_wait(self, events, timeout_ms, &mut ready) } {
                PORT_OK => {}
                PORT_RAISED => return Err(PortError::Raised),
                _ => return Err(PortError::Os),
            }
            Ok(if ready & events != 0 {
                Ready::Yes
            } else if ready & (MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP | MP_STREAM_POLL_NVAL) != 0 {
                Ready::Hangup
            } else {
                Ready::No
            })
        }
    }
}

#[cfg(feature = "micropython")]
pub use micropython_sys::umqtt_port_t;

#[cfg(not(feature = "micropython"))]
pub mod scripted;
#[cfg(not(feature = "micropython"))]
pub use scripted::umqtt_port_t;

/// The millisecond clock deadlines are measured on.
pub(crate) fn now() -> Instant {
    #[cfg(feature = "micropython")]
    return micropython::now();
    #[cfg(not(feature = "micropython"))]
    return scripted::now();
}
