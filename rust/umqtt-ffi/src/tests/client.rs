//! The blocking operations of `client.rs`.

use std::vec::Vec;

use umqtt_core::codec::{ConnAck, Packet, Publish};
use umqtt_core::{QosPid, TopicName};

use super::*;

#[test]
fn connect_writes_connect_and_reads_connack() {
    let mut h = Harness::new(256, 64);
    h.broker(&packet(Packet::ConnAck(ConnAck {
        session_present: true,
        return_code: 0,
    })));
    assert_eq!(h.connect(false), umqtt_status::Ok);
    let sent = h.sent();
    assert_eq!(sent[0], 0x10, "CONNECT");
    assert!(sent.ends_with(b"\x00\x01t"), "client id last: {sent:?}");
}

#[test]
fn refused_connack_reports_its_code() {
    let mut h = Harness::new(256, 64);
    h.broker(&packet(Packet::ConnAck(ConnAck {
        session_present: false,
        return_code: 5,
    })));
    let (st, _, code) = h.connect_with(&options(b"t", true));
    assert_eq!((st, code), (umqtt_status::ConnackRefused, 5));
    // The link is broken until the next connect.
    assert_eq!(h.publish(b"a", b"m", 0, 0), umqtt_status::Closed);
}

/// Version 3 is MQTT 3.1 with the feature `mqtt31` (the minimal firmware
/// builds without it): refused then before anything is sent.
#[test]
fn mqtt31_connect_needs_feature_mqtt31() {
    let mut h = Harness::new(256, 64);
    // 3.1 gives CONNACK's first byte no meaning: not a session present.
    h.broker(&[0x20, 0x02, 0x03, 0x00]);
    let result = h.connect_with(&umqtt_connect_options {
        version: 3,
        ..options(b"t", true)
    });
    let sent = h.sent();
    if cfg!(feature = "mqtt31") {
        assert_eq!(result, (umqtt_status::Ok, 0, 0));
        assert_eq!(&sent[2..11], b"\x00\x06MQIsdp\x03", "{sent:x?}");
    } else {
        assert_eq!(result.0, umqtt_status::InvalidArgument);
        assert!(sent.is_empty(), "{sent:x?}");
    }
}

#[test]
fn no_connack_times_out_in_virtual_time() {
    let mut h = Harness::new(256, 64);
    assert_eq!(h.connect(true), umqtt_status::Timeout);
}

#[test]
fn publish_qos0_is_one_write_of_the_exact_bytes() {
    let mut h = Harness::connected(256, 64);
    assert_eq!(h.publish(b"a/b", b"hi", 0, 0), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x30\x07\x00\x03a/bhi");
}

#[test]
fn qos0_shortcut_keeps_the_checks_of_publish() {
    let mut h = Harness::connected(256, 64);
    let send = |h: &mut Harness, m: &umqtt_message| {
        let io = h.io();
        let mut detail = 0;
        unsafe { umqtt_client_publish(h.c(), &io, m, 0, 1000, &mut detail) }
    };
    // A topic checked before goes out as it is, retain flag and all.
    let m = umqtt_message {
        retain: true,
        topic_checked: true,
        ..message(b"a/b", b"hi", 0, 0)
    };
    assert_eq!(send(&mut h, &m), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x31\x07\x00\x03a/bhi");
    // Unchecked, a wildcard or an empty topic is refused and nothing is sent.
    for topic in [&b"a/+"[..], b""] {
        assert_eq!(h.publish(topic, b"x", 0, 0), umqtt_status::InvalidTopic);
    }
    // An empty topic is never taken as checked.
    let empty = umqtt_message {
        topic_checked: true,
        ..message(b"", b"x", 0, 0)
    };
    assert_eq!(send(&mut h, &empty), umqtt_status::InvalidTopic);
    // DUP needs a pid; properties need MQTT 5: the full path refuses both.
    let dup = umqtt_message {
        dup: true,
        ..message(b"a", b"x", 0, 0)
    };
    assert_eq!(send(&mut h, &dup), umqtt_status::InvalidArgument);
    let props = [0x01u8, 0x01];
    let v5_props = umqtt_message {
        properties: umqtt_bytes::of(&props),
        ..message(b"a", b"x", 0, 0)
    };
    assert_eq!(send(&mut h, &v5_props), umqtt_status::InvalidProperty);
    assert!(h.sent().is_empty());
    // The link still works.
    assert_eq!(h.publish(b"a", b"m", 0, 0), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x30\x04\x00\x01am");
}

#[test]
fn large_publish_sends_its_payload_from_where_it_lies() {
    let mut h = Harness::connected(256, 32);
    let payload: Vec<u8> = (0..200u8).collect();
    assert_eq!(h.publish(b"a/b", &payload, 1, 7), umqtt_status::Ok);
    let whole = packet(Packet::Publish(Publish {
        dup: false,
        qos_pid: QosPid::AtLeastOnce(pid(7)),
        retain: false,
        topic: TopicName::new(b"a/b").unwrap(),
        payload: &payload,
    }));
    assert_eq!(h.sent(), whole);
}

#[test]
fn partial_writes_are_continued() {
    let mut h = Harness::connected(256, 64);
    h.port.write_chunk = 3;
    assert_eq!(h.publish(b"a/b", b"hello", 0, 0), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x30\x0a\x00\x03a/bhello");
}

#[test]
fn a_stream_that_never_takes_bytes_times_out() {
    let mut h = Harness::connected(256, 64);
    h.port.write_chunk = 0;
    assert_eq!(h.publish(b"a/b", b"x", 0, 0), umqtt_status::Timeout);
}

#[test]
fn puback_completes_a_publish() {
    let mut h = Harness::connected(256, 64);
    assert_eq!(h.publish(b"a", b"m", 1, 3), umqtt_status::Ok);
    assert_eq!(umqtt_client_pending_len_of(&mut h), 1);
    h.broker(&puback(3));
    let (st, ev) = h.receive();
    assert_eq!(
        (st, ev.kind, ev.pid),
        (umqtt_status::Ok, umqtt_event_kind::Delivered, 3)
    );
    assert_eq!(umqtt_client_pending_len_of(&mut h), 0);
}

fn umqtt_client_pending_len_of(h: &mut Harness) -> usize {
    unsafe { umqtt_client_pending_len(h.c()) }
}

#[test]
fn a_message_is_acked_once_after_accept() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(5)), b"cmd"));
    let (st, ev) = h.receive();
    assert_eq!((st, ev.kind), (umqtt_status::Ok, umqtt_event_kind::Message));
    let payload = unsafe { ev.payload.as_slice() };
    assert_eq!(payload, b"cmd");
    assert!(h.sent().is_empty(), "no ack before the callback returned");
    assert_eq!(h.accept(&ev), umqtt_status::Ok);
    assert_eq!(h.sent(), puback(5));
    assert_eq!(h.accept(&ev), umqtt_status::Ok);
    assert!(h.sent().is_empty(), "a second accept sends nothing");
}

/// Every build: nested QoS 1 messages, each acked once when its callback
/// returns, whether acks wait in the queue or go at once.
#[test]
fn nested_qos1_receives_ack_each_once() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(1)), b"outer"));
    let (_, outer) = h.receive();
    h.broker(&incoming(QosPid::AtLeastOnce(pid(2)), b"inner"));
    let (_, inner) = h.receive();
    assert_eq!(inner.kind, umqtt_event_kind::Message);
    assert_eq!(h.accept(&inner), umqtt_status::Ok);
    assert_eq!(h.sent(), puback(2));
    // A receive in between sends nothing of its own.
    assert_eq!(h.receive().1.kind, umqtt_event_kind::None);
    assert!(h.sent().is_empty());
    assert_eq!(h.accept(&outer), umqtt_status::Ok);
    assert_eq!(h.sent(), puback(1));
    assert_eq!(h.accept(&outer), umqtt_status::Ok);
    assert!(h.sent().is_empty(), "a second accept sends nothing");
}

/// An accept without a stream loses no ack and sends none twice: where
/// acks wait in the queue the next receive sends it; where they go at once
/// the delivery stays open and the next accept sends it.
#[test]
fn an_accept_without_a_stream_sends_its_ack_once_later() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(5)), b"cmd"));
    let (_, ev) = h.receive();
    let st = accept(h.c(), core::ptr::null(), ev.qos, ev.pid);
    assert_eq!(st, umqtt_status::InvalidArgument);
    assert_eq!(h.receive().1.kind, umqtt_event_kind::None);
    assert_eq!(h.accept(&ev), umqtt_status::Ok);
    assert_eq!(h.sent(), puback(5));
}

#[test]
#[cfg(feature = "qos2")]
fn nested_receives_keep_every_ack() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(1)), b"outer"));
    let (_, outer) = h.receive();
    // The outer callback publishes at QoS 1 and waits for the PUBACK,
    // meanwhile another message arrives.
    assert_eq!(h.publish(b"r", b"reply", 1, 9), umqtt_status::Ok);
    h.sent();
    h.broker(&incoming(QosPid::ExactlyOnce(pid(2)), b"inner"));
    h.broker(&puback(9));
    let (_, inner) = h.receive();
    assert_eq!(inner.kind, umqtt_event_kind::Message);
    assert_eq!(h.accept(&inner), umqtt_status::Ok);
    let (_, ack) = h.receive();
    assert_eq!(ack.kind, umqtt_event_kind::Delivered);
    assert_eq!(h.accept(&outer), umqtt_status::Ok);
    let mut expected = packet(Packet::PubRec(umqtt_core::codec::PubRec { pid: pid(2) }));
    expected.extend(puback(1));
    assert_eq!(h.sent(), expected);
}

#[test]
fn a_raising_callback_leaves_the_message_unacked() {
    let mut h = Harness::connected(256, 64);
    h.broker(&incoming(QosPid::AtLeastOnce(pid(4)), b"x"));
    let (_, ev) = h.receive();
    unsafe { umqtt_client_forget(h.c(), ev.qos, ev.pid) };
    assert_eq!(h.accept(&ev), umqtt_status::Ok);
    assert!(h.sent().is_empty());
}

#[test]
fn reading_stops_at_the_delivery_depth_without_consuming() {
    let mut h = Harness::connected(256, 64);
    for n in 1..=8u16 {
        h.broker(&incoming(QosPid::AtLeastOnce(pid(n)), b"x"));
        assert_eq!(h.receive().1.kind, umqtt_event_kind::Message);
    }
    let next = incoming(QosPid::AtLeastOnce(pid(9)), b"x");
    h.broker(&next);
    assert_eq!(h.receive().0, umqtt_status::NestedTooDeep);
    assert_eq!(h.port.input.len(), next.len(), "nothing read");
}

#[test]
#[cfg(feature = "qos2")]
fn qos2_is_delivered_once_and_released() {
    let mut h = Harness::connected(256, 64);
    let m = incoming(QosPid::ExactlyOnce(pid(6)), b"once");
    h.broker(&m);
    let (_, ev) = h.receive();
    assert_eq!(h.accept(&ev), umqtt_status::Ok);
    h.sent();
    h.broker(&m); // resent before PUBREL
    assert_eq!(h.receive().1.kind, umqtt_event_kind::Duplicate);
    h.broker(&packet(Packet::PubRel(umqtt_core::codec::PubRel {
        pid: pid(6),
    })));
    assert_eq!(h.receive().1.kind, umqtt_event_kind::Other);
    let mut expected = packet(Packet::PubRec(umqtt_core::codec::PubRec { pid: pid(6) }));
    expected.extend(packet(Packet::PubComp(umqtt_core::codec::PubComp {
        pid: pid(6),
    })));
    assert_eq!(h.sent(), expected);
}

#[test]
fn a_packet_cut_by_a_timeout_is_continued() {
    let mut h = Harness::connected(256, 64);
    let m = incoming(QosPid::AtMostOnce, b"split in two");
    h.broker(&m[..5]);
    assert_eq!(h.receive().0, umqtt_status::Timeout);
    h.broker(&m[5..]);
    let (st, ev) = h.receive();
    assert_eq!((st, ev.kind), (umqtt_status::Ok, umqtt_event_kind::Message));
    assert_eq!(unsafe { ev.payload.as_slice() }, b"split in two");
}

#[test]
fn malformed_bytes_break_the_connection() {
    let mut h = Harness::connected(256, 64);
    h.broker(b"\xd0\x01\x00"); // PINGRESP with a body
    assert_eq!(h.receive().0, umqtt_status::Malformed);
    assert_eq!(h.receive().0, umqtt_status::Closed);
    assert_eq!(h.publish(b"a", b"m", 0, 0), umqtt_status::Closed);
}

#[test]
fn oversized_packets_are_refused_from_their_header() {
    let mut h = Harness::connected(16, 64);
    h.broker(&incoming(QosPid::AtMostOnce, &[0u8; 40]));
    assert_eq!(h.receive().0, umqtt_status::PacketTooLarge);
}

#[test]
fn end_of_stream_and_raised_exceptions() {
    let mut h = Harness::connected(256, 64);
    h.port.eof = true;
    assert_eq!(h.receive().0, umqtt_status::Closed);
    let mut h = Harness::connected(256, 64);
    h.port.raise = true;
    assert_eq!(h.publish(b"a", b"m", 0, 0), umqtt_status::Raised);
}

#[test]
fn arguments_mqtt_forbids() {
    let mut h = Harness::connected(256, 64);
    assert_eq!(h.publish(b"a/#", b"m", 0, 0), umqtt_status::InvalidTopic);
    assert_eq!(h.publish(b"a", b"m", 1, 0), umqtt_status::InvalidArgument);
    assert_eq!(h.publish(b"a", b"m", 3, 1), umqtt_status::InvalidQos);
    assert!(h.sent().is_empty());
}

/// A SUBSCRIBE larger than the transmit buffer is refused before its pid
/// goes in flight: nothing is sent, the link stays up and the pid is free.
#[test]
fn subscribe_too_large_for_tx_leaves_the_session_as_it_was() {
    let mut h = Harness::connected(256, 16);
    let subscribe = |h: &mut Harness, topic: &[u8]| {
        let io = h.io();
        let topic = umqtt_bytes::of(topic);
        let mut detail = 0;
        unsafe {
            umqtt_client_subscribe(
                h.c(),
                &io,
                topic,
                1,
                umqtt_bytes::EMPTY,
                7,
                1000,
                1000,
                &mut detail,
            )
        }
    };
    let long = b"a/filter/longer/than/the/transmit/buffer";
    assert_eq!(subscribe(&mut h, long), umqtt_status::BufferTooSmall);
    assert_eq!(h.sent(), b"");
    assert_eq!(subscribe(&mut h, b"a/#"), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x82\x08\x00\x07\x00\x03a/#\x01");
}

/// The inbound topic alias store is MQTT 5's: a connect clears it where
/// MQTT 5 is built in, and leaves it alone (nothing reads it) elsewhere.
#[test]
fn a_connect_clears_the_alias_store_with_mqtt5_only() {
    let mut h = Harness::new(256, 64);
    h.aliases = vec![0xa5; 8];
    h.broker(&packet(Packet::ConnAck(ConnAck {
        session_present: false,
        return_code: 0,
    })));
    assert_eq!(h.connect(true), umqtt_status::Ok);
    let expected = if cfg!(feature = "mqtt5") { 0 } else { 0xa5 };
    assert_eq!(h.aliases, [expected; 8]);
}

/// A QoS 1 resend (DUP), in every build: an id in flight is sent again and
/// stays in flight once; an id not in flight goes in flight; an id in
/// flight for something else is refused.
#[test]
fn qos1_resend_renews_its_entry() {
    let mut h = Harness::connected(256, 64);
    let dup = |h: &mut Harness, n: u16| {
        let mut m = message(b"a", b"m", 1, n);
        m.dup = true;
        let io = h.io();
        let mut detail = 0;
        unsafe { umqtt_client_publish(h.c(), &io, &m, 5000, 1000, &mut detail) }
    };
    assert_eq!(h.publish(b"a", b"m", 1, 5), umqtt_status::Ok);
    h.sent();
    assert_eq!(dup(&mut h, 5), umqtt_status::Ok);
    assert_eq!(h.sent(), b"\x3a\x06\x00\x01a\x00\x05m", "DUP set");
    assert_eq!(unsafe { umqtt_client_pending_len(h.c()) }, 1);
    assert_eq!(dup(&mut h, 6), umqtt_status::Ok, "not in flight: tracked");
    assert_eq!(unsafe { umqtt_client_pending_len(h.c()) }, 2);
    h.sent();
    let io = h.io();
    let st = unsafe {
        umqtt_client_subscribe(
            h.c(),
            &io,
            umqtt_bytes::of(b"t"),
            UMQTT_UNSUBSCRIBE,
            umqtt_bytes::EMPTY,
            7,
            1000,
            1000,
            ptr::null_mut(),
        )
    };
    assert_eq!(st, umqtt_status::Ok);
    h.sent();
    assert_eq!(dup(&mut h, 7), umqtt_status::PidInUse);
    assert!(h.sent().is_empty());
    h.broker(&puback(5));
    assert_eq!(h.receive().1.kind, umqtt_event_kind::Delivered);
    assert_eq!(unsafe { umqtt_client_pending_len(h.c()) }, 2);
}
