//! `tables.rs`: the session's rows start empty and grow while exchanges
//! are open, up to the limit.

use umqtt_core::session::DEFAULT_CAPACITY;
use umqtt_core::Tables;

use super::*;
use crate::tables::{umqtt_client_move_tables, umqtt_client_rows_wanted, umqtt_row_size};

fn rows_of(h: &mut Harness) -> usize {
    let c = h.c();
    unsafe { client_ref(c) }
        .unwrap()
        .session()
        .tables()
        .rows()
        .len()
}

#[test]
fn rows_start_empty_and_grow_as_exchanges_open() {
    let mut h = Harness::new(64, 64);
    assert_eq!(rows_of(&mut h), 0, "a new client holds no rows");
    h.broker(&packet(Packet::ConnAck(ConnAck {
        session_present: false,
        return_code: 0,
    })));
    assert_eq!(h.connect(true), umqtt_status::Ok);
    assert_eq!(h.publish(b"t", b"qos 0", 0, 0), umqtt_status::Ok);
    assert_eq!(rows_of(&mut h), 1, "one row: room for an ack owed");
    for pid in 1..=4 {
        assert_eq!(h.publish(b"t", b"qos 1", 1, pid), umqtt_status::Ok);
    }
    assert_eq!(rows_of(&mut h), 4, "1, 2, 4: doubled as exchanges opened");
    assert_eq!(h.publish(b"t", b"qos 1", 1, 5), umqtt_status::Ok);
    assert_eq!(rows_of(&mut h), 8, "doubled, the four in flight kept");
    let c = h.c();
    let pending: Vec<u16> = unsafe { client_ref(c) }
        .unwrap()
        .session()
        .in_flight_iter()
        .map(|(pid, _, _)| pid.get())
        .collect();
    assert_eq!(pending, [1, 2, 3, 4, 5]);
}

#[test]
fn rows_stop_at_the_limit_and_refuse_a_block_too_small() {
    let mut h = Harness::connected(64, 64);
    for pid in 1..=DEFAULT_CAPACITY as u16 {
        assert_eq!(h.publish(b"t", b"m", 1, pid), umqtt_status::Ok);
    }
    assert_eq!(rows_of(&mut h), DEFAULT_CAPACITY);
    let c = h.c();
    assert_eq!(
        unsafe { umqtt_client_rows_wanted(c) },
        0,
        "never past the limit"
    );
    assert_eq!(h.publish(b"t", b"m", 1, 999), umqtt_status::InFlightFull);
    let mut small = vec![0u64; umqtt_row_size()];
    let moved = unsafe { umqtt_client_move_tables(c, small.as_mut_ptr().cast(), 2) };
    assert_eq!(
        moved,
        umqtt_status::InvalidArgument,
        "32 entries do not fit 2 rows"
    );
    assert_eq!(rows_of(&mut h), DEFAULT_CAPACITY, "nothing moved");
}

/// A row holds an exchange, a QoS 2 message awaiting PUBREL (feature
/// `qos2`) and an ack to send (a queue only with QoS 2 or the non-blocking
/// calls; without both each PUBACK goes out at once).
#[test]
fn a_row_is_as_large_as_its_columns() {
    let expected = if cfg!(feature = "qos2") {
        24
    } else if cfg!(feature = "nonblocking") {
        20
    } else {
        16
    };
    assert_eq!(umqtt_row_size(), expected);
}
