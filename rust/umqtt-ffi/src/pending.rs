//! The in-flight table as simple2's `rcv_pids` shows it: a live mapping
//! pid -> deadline (tick-counter ms) that user code may read and edit, and
//! the expiry of acks that did not come in time.

use umqtt_core::session::{Awaiting, DEFAULT_CAPACITY};
use umqtt_core::{Instant, Pid};

use crate::port::now;
use crate::{client_mut, client_ref, pid_of, result_status, umqtt_client, umqtt_status, write_ptr};

// an entry without deadline reports one `NO_DEADLINE_MS` ahead.

const NO_DEADLINE_MS: u32 = 1 << 30;

/// Writes a found entry's deadline to `out`; whether there was one.
fn report_deadline(entry: Option<(Awaiting, Option<Instant>)>, out: *mut u32) -> bool {
    match entry {
        Some((_, deadline)) => {
            write_ptr(out, deadline_ms(deadline));
            true
        }
        None => false,
    }
}

fn deadline_ms(deadline: Option<Instant>) -> u32 {
    match deadline {
        Some(instant) => instant.as_millis(),
        None => now().as_millis().wrapping_add(NO_DEADLINE_MS),
    }
}

/// Removes one in-flight exchange whose deadline has passed; `false` when
/// there is none.
///
/// # Safety
/// `client` initialised; `pid` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_poll_expired(
    client: *mut umqtt_client,
    pid: *mut u16,
) -> bool {
    // SAFETY: forwarded contract.
    let Ok(c) = (unsafe { client_mut(client) }) else {
        return false;
    };
    match c.poll_expired(now()) {
        Some((expired, _)) => {
            write_ptr(pid, expired.get());
            true
        }
        None => false,
    }
}

/// How many exchanges may be in flight at once: the size of the in-flight
/// table (a QoS 1/2 publish, a subscribe or an unsubscribe each takes one).
/// A constant in the header, not a call: the engine's `DEFAULT_CAPACITY`
/// (kept equal by the assertion after it).
pub const UMQTT_PENDING_CAPACITY: usize = 32;
const _: () = assert!(UMQTT_PENDING_CAPACITY == DEFAULT_CAPACITY);

/// How many exchanges are in flight.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_len(client: *const umqtt_client) -> usize {
    // SAFETY: forwarded contract.
    unsafe { client_ref(client) }.map_or(0, |c| c.session().in_flight_len())
}

/// The deadline of in-flight `pid`; `false` if it is not in flight. With
/// `remove`, `pid` is removed too. (One entry point for both: the C glue
/// picks at run time.)
///
/// # Safety
/// `client` initialised; `deadline` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_get(
    client: *mut umqtt_client,
    pid: u16,
    remove: bool,
    deadline: *mut u32,
) -> bool {
    // SAFETY: forwarded contract.
    let Ok(c) = (unsafe { client_mut(client) }) else {
        return false;
    };
    let entry = Pid::new(pid).and_then(|pid| match remove {
        true => c.session_mut().forget(pid),
        false => c.session().in_flight(pid),
    });
    report_deadline(entry, deadline)
}

/// Sets the deadline of `pid`, adding it to the table if absent: when it
/// passes, `umqtt_client_poll_expired` reports it.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_insert(
    client: *mut umqtt_client,
    pid: u16,
    deadline: u32,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    let c = match unsafe { client_mut(client) } {
        Ok(c) => c,
        Err(status) => return status.into(),
    };
    let pid = match pid_of(pid) {
        Ok(pid) => pid,
        Err(status) => return status.into(),
    };
    let instant = Instant::from_millis(deadline);
    result_status(
        c.session_mut()
            .track(pid, Some(instant))
            .map_err(|e| umqtt_core::client::ClientError::from(e).into()),
    )
}

/// The `index`-th in-flight exchange, oldest first; `false` past the end.
///
/// # Safety
/// `client` initialised; outputs writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_nth(
    client: *const umqtt_client,
    index: usize,
    pid: *mut u16,
    deadline: *mut u32,
) -> bool {
    // SAFETY: forwarded contract.
    let Some(c) = (unsafe { client_ref(client) }) else {
        return false;
    };
    match c.session().in_flight_at(index) {
        Some((p, _, d)) => {
            write_ptr(pid, p.get());
            write_ptr(deadline, deadline_ms(d));
            true
        }
        None => false,
    }
}

/// Forgets every in-flight exchange.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_clear(client: *mut umqtt_client) {
    // SAFETY: forwarded contract.
    if let Ok(c) = unsafe { client_mut(client) } {
        c.session_mut().clear_in_flight();
    }
}

/// The engine's packet-id allocator, the one every façade's default
/// `newpid` draws from: 1..=65535 in turn, wrapping, skipping ids still in
/// flight (simple2's own generator would hand out an id that waits for its
/// ack since 65,535 publishes). `InFlightFull` when every slot is taken.
/// `after` 1..=65535: continue after that id instead (umqtt.simple's
/// settable `pid` counter); 0: after the last one handed out.
///
/// # Safety
/// `client` initialised; `pid` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_next_pid(
    client: *mut umqtt_client,
    after: u16,
    pid: *mut u16,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    let c = match unsafe { client_mut(client) } {
        Ok(c) => c,
        Err(status) => return status.into(),
    };
    if after != 0 {
        c.session_mut().continue_after(after);
    }
    match c.session_mut().next_pid() {
        Some(next) => {
            write_ptr(pid, next.get());
            umqtt_status::Ok
        }
        None => umqtt_status::InFlightFull,
    }
}
