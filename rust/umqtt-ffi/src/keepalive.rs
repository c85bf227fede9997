//! Keep-alive, one mechanism for every façade: each passes its own two
//! numbers (`umqtt_core::client::KeepAlive`), the engine keeps the
//! timestamps (a packet received, a PINGREQ sent) and says what is due.

use umqtt_core::client::KeepAliveAction;

use crate::port::{now, FOREVER};
use crate::{client_mut, client_ref, umqtt_client, write_ptr};

/// What [`umqtt_client_poll_keepalive`] asks for.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum umqtt_keepalive {
    /// Nothing for `*wait_ms` ms (`UMQTT_PORT_FOREVER`: keep-alive is off).
    Wait,
    /// Send a PINGREQ now.
    Ping,
    /// Nothing came from the broker for the dead-after time.
    Dead,
}

/// Pings after `ping_every_ms` without a PINGREQ; the broker is dead after
/// `dead_after_ms` without a packet from it; 0 turns either off. Counts
/// from now, and again from each connect.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_set_keepalive(
    client: *mut umqtt_client,
    ping_every_ms: u32,
    dead_after_ms: u32,
) {
    // SAFETY: forwarded contract.
    if let Ok(c) = unsafe { client_mut(client) } {
        c.set_keepalive(now(), ping_every_ms, dead_after_ms);
    }
}

/// What keep-alive asks for now; with `Wait`, `*wait_ms` says how long.
/// PINGREQs sent by `umqtt_client_control` / `umqtt_client_nb_control` count.
/// `check_dead` false: the caller is not reading, so the broker's silence
/// proves nothing: only pings are due.
///
/// # Safety
/// `client` initialised; `wait_ms` null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_poll_keepalive(
    client: *const umqtt_client,
    check_dead: bool,
    wait_ms: *mut i32,
) -> umqtt_keepalive {
    // SAFETY: forwarded contract.
    let action = unsafe { client_ref(client) }.map(|c| c.poll_keepalive(now(), check_dead));
    match action {
        Some(KeepAliveAction::Ping) => umqtt_keepalive::Ping,
        Some(KeepAliveAction::Dead) => umqtt_keepalive::Dead,
        Some(KeepAliveAction::Wait(ms)) => {
            write_ptr(
                wait_ms,
                ms.map_or(FOREVER, |ms| i32::try_from(ms).unwrap_or(i32::MAX)),
            );
            umqtt_keepalive::Wait
        }
        None => {
            write_ptr(wait_ms, FOREVER);
            umqtt_keepalive::Wait
        }
    }
}
