//! The C ABI without the QoS 2 flows (feature `qos2` off): QoS 2 is
//! refused on the way out, a protocol violation on the way in; a will keeps
//! its QoS 2.

use umqtt_core::codec::{Packet, PubComp, PubRec, PubRel};
use umqtt_core::QosPid;

use super::*;

#[test]
fn publish_and_subscribe_at_qos2_are_refused() {
    let mut h = Harness::connected(256, 64);
    assert_eq!(h.publish(b"a", b"m", 2, 5), umqtt_status::InvalidArgument);
    // A resend (DUP) as well.
    let mut m = message(b"a", b"m", 2, 5);
    m.dup = true;
    let io = h.io();
    let mut detail = 0;
    let st = unsafe { umqtt_client_publish(h.c(), &io, &m, -1, 1000, &mut detail) };
    assert_eq!(st, umqtt_status::InvalidArgument);
    let io = h.io();
    let st = unsafe {
        umqtt_client_subscribe(
            h.c(),
            &io,
            umqtt_bytes::of(b"a/#"),
            2,
            umqtt_bytes::EMPTY,
            6,
            1000,
            1000,
            &mut detail,
        )
    };
    assert_eq!(st, umqtt_status::InvalidArgument);
    assert_eq!(h.sent(), b"", "nothing sent");
    assert_eq!(
        unsafe { umqtt_client_pending_len(h.c()) },
        0,
        "nothing in flight"
    );
    // The connection is fine: QoS 1 goes out.
    assert_eq!(h.publish(b"a", b"m", 1, 5), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x32\x06\x00\x01a\x00\x05m");
}

#[test]
fn qos2_packets_from_the_broker_are_protocol_violations() {
    let p = pid(6);
    for bytes in [
        incoming(QosPid::ExactlyOnce(p), b"once"),
        packet(Packet::PubRec(PubRec { pid: p })),
        packet(Packet::PubRel(PubRel { pid: p })),
        packet(Packet::PubComp(PubComp { pid: p })),
    ] {
        let mut h = Harness::connected(256, 64);
        h.broker(&bytes);
        let (st, ev) = h.receive();
        assert_eq!(st, umqtt_status::ProtocolViolation, "{bytes:?}");
        assert_eq!(ev.kind, umqtt_event_kind::None);
        assert_eq!(h.receive().0, umqtt_status::Closed);
        assert_eq!(h.sent(), b"", "no PUBREC, PUBREL or PUBCOMP");
    }
}

#[test]
fn accepting_a_qos2_message_is_refused() {
    let mut h = Harness::connected(256, 64);
    let io = h.io();
    let st = accept(h.c(), &io, 2, 6);
    assert_eq!(st, umqtt_status::InvalidArgument);
    unsafe { umqtt_client_forget(h.c(), 2, 6) }; // nothing to forget
    assert_eq!(h.sent(), b"");
}

#[test]
fn a_will_keeps_qos2() {
    let mut h = Harness::new(256, 64);
    h.broker(&packet(Packet::ConnAck(umqtt_core::codec::ConnAck {
        session_present: false,
        return_code: 0,
    })));
    let mut options = options(b"t", true);
    options.has_will = true;
    options.will_topic = umqtt_bytes::of(b"w");
    options.will_message = umqtt_bytes::of(b"bye");
    options.will_qos = 2;
    assert_eq!(h.connect_with(&options).0, umqtt_status::Ok);
    let sent = h.sent();
    // Fixed header (2), "MQTT" (6), level (1), then the connect flags:
    // will QoS 2, will, clean session.
    assert_eq!(sent[9], 0b0001_0110, "{sent:?}");
    assert!(sent.ends_with(b"\x00\x01w\x00\x03bye"), "{sent:?}");
}
