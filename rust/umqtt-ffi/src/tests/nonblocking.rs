//! The non-blocking operations of `nonblocking.rs`.

use umqtt_core::codec::Packet;
use umqtt_core::QosPid;

use super::*;

fn nb_publish(h: &mut Harness, topic: &[u8], msg: &[u8]) -> umqtt_status {
    let m = message(topic, msg, 0, 0);
    let io = h.io();
    let mut detail = 0;
    unsafe { umqtt_client_publish(h.c(), &io, &m, -1, UMQTT_QUEUE, &mut detail) }
}

fn nb_flush(h: &mut Harness) -> (umqtt_status, usize) {
    let io = h.io();
    let mut left = 0;
    let st = unsafe { umqtt_client_nb_flush(h.c(), &io, &mut left) };
    (st, left)
}

#[test]
fn queue_then_flush_when_writable() {
    let mut h = Harness::connected(256, 64);
    h.port.write_chunk = 0;
    assert_eq!(nb_publish(&mut h, b"a", b"1"), umqtt_status::Ok);
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 6));
    h.port.write_chunk = 4;
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 0));
    assert_eq!(h.sent(), b"\x30\x04\x00\x01a1");
}

#[test]
fn a_full_queue_refuses_without_changing_anything() {
    let mut h = Harness::connected(256, 16);
    h.port.write_chunk = 0;
    assert_eq!(nb_publish(&mut h, b"a", b"0123456789"), umqtt_status::Ok);
    assert_eq!(nb_publish(&mut h, b"a", b"x"), umqtt_status::WouldBlock);
    assert_eq!(
        nb_publish(&mut h, b"a", &[0; 20]),
        umqtt_status::BufferTooSmall
    );
    h.port.write_chunk = usize::MAX;
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 0));
    assert_eq!(h.sent().len(), 15);
}

#[test]
fn a_blocking_call_sends_the_queue_first() {
    let mut h = Harness::connected(256, 64);
    assert_eq!(nb_publish(&mut h, b"q", b"queued"), umqtt_status::Ok);
    assert_eq!(h.publish(b"b", b"blocking", 0, 0), umqtt_status::Ok);
    let mut expected = std::vec::Vec::from(&b"\x30\x09\x00\x01qqueued"[..]);
    expected.extend_from_slice(b"\x30\x0b\x00\x01bblocking");
    assert_eq!(h.sent(), expected);
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 0));
    assert!(h.sent().is_empty(), "nothing sent twice");
}

#[test]
fn nb_receive_accept_queues_the_ack() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(3)), b"m"));
    let io = h.io();
    let mut ev = umqtt_event::NONE;
    assert_eq!(
        unsafe { umqtt_client_receive(h.c(), &io, 0, UMQTT_QUEUE, &mut ev) },
        umqtt_status::Ok
    );
    assert_eq!(ev.kind, umqtt_event_kind::Message);
    assert_eq!(
        unsafe { umqtt_client_nb_accept(h.c(), ev.qos, ev.pid) },
        umqtt_status::Ok
    );
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 0));
    assert_eq!(h.sent(), puback(3));
}

#[test]
fn nb_connect_and_connack() {
    let mut h = Harness::new(256, 64);
    let options = options(b"nb", true);
    let io = h.io();
    assert_eq!(
        unsafe {
            umqtt_client_connect(
                h.c(),
                &io,
                &options,
                UMQTT_QUEUE,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        },
        umqtt_status::Ok
    );
    assert_eq!(nb_flush(&mut h).0, umqtt_status::Ok);
    assert_eq!(h.sent()[0], 0x10);
    let (mut present, mut code) = (0, 0);
    let mut props = umqtt_bytes::EMPTY;
    let io = h.io();
    let connack = |h: &mut Harness, present: &mut u8, code: &mut u8, props: &mut umqtt_bytes| unsafe {
        umqtt_client_connect(h.c(), &io, ptr::null(), UMQTT_QUEUE, present, code, props)
    };
    assert_eq!(
        connack(&mut h, &mut present, &mut code, &mut props),
        umqtt_status::Timeout,
        "not arrived yet"
    );
    h.broker(&packet(Packet::ConnAck(umqtt_core::codec::ConnAck {
        session_present: true,
        return_code: 0,
    })));
    assert_eq!(
        connack(&mut h, &mut present, &mut code, &mut props),
        umqtt_status::Ok
    );
    assert_eq!(present, 1);
}

/// A packet that fits only once the queued bytes move to the front is
/// encoded there whole; one that does not fit now is refused before its
/// pid goes in flight.
#[test]
fn the_queue_compacts_for_a_packet_and_a_refusal_keeps_its_pid_free() {
    let mut h = Harness::connected(256, 16);
    let qos1 = |h: &mut Harness, msg: &[u8], pid: u16| {
        let m = message(b"a", msg, 1, pid);
        let io = h.io();
        let mut detail = 0;
        unsafe { umqtt_client_publish(h.c(), &io, &m, -1, UMQTT_QUEUE, &mut detail) }
    };
    h.port.write_chunk = 0;
    // 12 bytes queued, 8 of them written as by a flush (the scripted port
    // writes all it can, so the test consumes them itself).
    assert_eq!(nb_publish(&mut h, b"a", b"0123456"), umqtt_status::Ok);
    let c = unsafe { crate::client_mut(h.c()) }.unwrap();
    c.queue().consume(8);
    // 10 bytes: not after the 12, but after the 4 left once moved to the front.
    assert_eq!(qos1(&mut h, b"xyz", 5), umqtt_status::Ok);
    assert_eq!(qos1(&mut h, b"xyz", 6), umqtt_status::WouldBlock);
    h.port.write_chunk = usize::MAX;
    assert_eq!(nb_flush(&mut h), (umqtt_status::Ok, 0));
    let mut expected = std::vec::Vec::from(&b"3456"[..]);
    expected.extend_from_slice(b"\x32\x08\x00\x01a\x00\x05xyz");
    assert_eq!(h.sent(), expected);
    assert_eq!(qos1(&mut h, b"xyz", 6), umqtt_status::Ok, "pid 6 is free");
}
