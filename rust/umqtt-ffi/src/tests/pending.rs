//! The in-flight table of `pending.rs` (simple2's `rcv_pids`).

use super::*;

#[test]
fn insert_get_remove_like_a_dict() {
    let mut h = Harness::connected(256, 64);
    let c = h.c();
    unsafe {
        assert_eq!(umqtt_client_pending_insert(c, 7, 123), umqtt_status::Ok);
        let mut deadline = 0;
        assert!(umqtt_client_pending_get(c, 7, false, &mut deadline));
        assert_eq!(deadline, 123);
        assert!(!umqtt_client_pending_get(c, 8, false, &mut deadline));
        assert_eq!(umqtt_client_pending_len(c), 1);
        assert!(umqtt_client_pending_get(c, 7, true, &mut deadline));
        assert!(!umqtt_client_pending_get(c, 7, true, &mut deadline));
        assert_eq!(
            umqtt_client_pending_insert(c, 0, 1),
            umqtt_status::InvalidArgument
        );
    }
}

#[test]
fn the_table_holds_capacity_entries() {
    let mut h = Harness::connected(256, 64);
    let c = h.c();
    let cap = UMQTT_PENDING_CAPACITY;
    for n in 1..=cap as u16 {
        h.room();
        assert_eq!(
            unsafe { umqtt_client_pending_insert(c, n, 0) },
            umqtt_status::Ok
        );
    }
    assert_eq!(
        unsafe { umqtt_client_pending_insert(c, 1000, 0) },
        umqtt_status::InFlightFull
    );
    unsafe { umqtt_client_pending_clear(c) };
    assert_eq!(unsafe { umqtt_client_pending_len(c) }, 0);
}

#[test]
fn an_ack_that_does_not_come_expires() {
    let mut h = Harness::connected(256, 64);
    let m = message(b"a", b"m", 1, 5);
    let io = h.io();
    let mut detail = 0;
    // An ack deadline of 10 ms; a read that waits 50 ms lets it pass.
    assert_eq!(
        unsafe { umqtt_client_publish(h.c(), &io, &m, 10, 1000, &mut detail) },
        umqtt_status::Ok
    );
    crate::port::scripted::advance(50);
    let mut expired = 0;
    assert!(unsafe { umqtt_client_poll_expired(h.c(), &mut expired) });
    assert_eq!(expired, 5);
    assert_eq!(unsafe { umqtt_client_pending_len(h.c()) }, 0);
}

#[test]
fn next_pid_counts_up_and_skips_ids_in_flight() {
    let mut h = Harness::connected(256, 64);
    let c = h.c();
    let next = |c| {
        let mut pid = 0;
        assert_eq!(
            unsafe { umqtt_client_next_pid(c, 0, &mut pid) },
            umqtt_status::Ok
        );
        pid
    };
    assert_eq!(next(c), 1);
    h.room();
    unsafe { umqtt_client_pending_insert(c, 2, 0) };
    assert_eq!(next(c), 3, "2 is in flight");
    let mut pid = 0;
    assert_eq!(
        unsafe { umqtt_client_next_pid(c, 65535, &mut pid) },
        umqtt_status::Ok
    );
    assert_eq!(pid, 1, "after 65535 comes 1");
    for n in 4..=UMQTT_PENDING_CAPACITY as u16 + 2 {
        h.room();
        unsafe { umqtt_client_pending_insert(c, n, 0) };
    }
    let mut pid = 0;
    assert_eq!(
        unsafe { umqtt_client_next_pid(c, 0, &mut pid) },
        umqtt_status::InFlightFull
    );
}

#[test]
fn keepalive_pings_then_gives_the_broker_up() {
    use crate::keepalive::*;
    let mut h = Harness::connected(256, 64);
    let c = h.c();
    let poll = |c| {
        let mut ms = 0;
        let action = unsafe { umqtt_client_poll_keepalive(c, true, &mut ms) };
        (action, ms)
    };
    assert_eq!(poll(c), (umqtt_keepalive::Wait, -1), "off by default");
    unsafe { umqtt_client_set_keepalive(c, 1_000, 3_000) };
    assert_eq!(poll(c).0, umqtt_keepalive::Wait);
    crate::port::scripted::advance(1_000);
    assert_eq!(poll(c).0, umqtt_keepalive::Ping);
    let io = h.io();
    assert_eq!(
        unsafe { umqtt_client_control(h.c(), &io, false, 0, umqtt_bytes::EMPTY, 1000) },
        umqtt_status::Ok
    );
    assert_eq!(h.sent(), b"\xc0\x00");
    assert_eq!(poll(h.c()).0, umqtt_keepalive::Wait, "the ping counts");
    crate::port::scripted::advance(3_000);
    assert_eq!(poll(h.c()).0, umqtt_keepalive::Dead);
}
