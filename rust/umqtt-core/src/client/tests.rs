//! The engine against byte sequences a broker sends, with a virtual clock.

use std::vec::Vec;

use super::*;
use crate::codec::{ConnAck, Connect, Packet, PubAck, Publish, SubAck};
use crate::framing::Frame;
use crate::session::Transmit;
use crate::topic::TopicName;

type C = Client<Inline<4>>;

const T0: Instant = Instant::from_millis(1000);

fn pid(n: u16) -> Pid {
    Pid::new(n).unwrap()
}

/// One packet as the driver would read it: its frame and body.
fn framed(bytes: &[u8]) -> (Frame, Vec<u8>) {
    let mut reader = FrameReader::new(4096);
    let mut body = std::vec![0u8; 4096];
    let mut rest = bytes;
    loop {
        let buf = reader.read_buf(&mut body);
        let n = buf.len().min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        if let Some(frame) = reader.handle_read(n).unwrap() {
            body.truncate(frame.body_len);
            return (frame, body);
        }
    }
}

fn encoded(packet: Packet<'_>) -> Vec<u8> {
    let mut buf = std::vec![0u8; packet.encoded_len()];
    packet.encode(&mut buf).unwrap();
    buf
}

fn connect_packet(clean: bool) -> Connect<'static> {
    Connect {
        version: ProtocolVersion::V311,
        client_id: "t",
        clean_session: clean,
        keep_alive: 60,
        will: None,
        username: None,
        password: None,
    }
}

fn connected() -> C {
    let mut c = C::new(4096);
    c.prepare_connect(T0, connect_packet(true), &[], &[], 0)
        .unwrap();
    assert_eq!(c.link(), Link::AwaitingConnack);
    let ack = ConnAck {
        session_present: false,
        return_code: 0,
    };
    let (frame, body) = framed(&encoded(Packet::ConnAck(ack)));
    let connack = c.handle_connack(T0, frame, &body).unwrap();
    assert!(connack.is_accepted());
    assert_eq!(c.link(), Link::Connected);
    c
}

/// A client that sent an MQTT 5 CONNECT (no CONNACK yet).
#[cfg(feature = "mqtt5")]
fn connecting_v5() -> C {
    let mut c = C::new(4096);
    let connect = Connect {
        version: ProtocolVersion::V5,
        ..connect_packet(true)
    };
    c.prepare_connect(T0, connect, &[], &[], 0).unwrap();
    c
}

fn publish_bytes(qos_pid: QosPid, payload: &[u8]) -> Vec<u8> {
    encoded(Packet::Publish(Publish {
        dup: false,
        qos_pid,
        retain: false,
        topic: TopicName::new(b"a/b").unwrap(),
        payload,
    }))
}

/// Feeds one packet; returns what the engine made of it (owned parts).
fn feed(c: &mut C, bytes: &[u8]) -> Result<(u8, Option<QosPid>), ClientError> {
    let (frame, body) = framed(bytes);
    let mut store = [0u8; 0];
    let incoming = c.handle_frame(T0, frame, &body, &mut store)?;
    Ok(match incoming.received {
        Received::Message(p) => (incoming.packet_type, Some(p.qos_pid)),
        _ => (incoming.packet_type, None),
    })
}

fn acks(c: &mut C) -> Vec<Transmit> {
    core::iter::from_fn(|| c.poll_transmit()).collect()
}

#[test]
fn refused_connack_is_reported_and_breaks_the_link() {
    let mut c = C::new(64);
    c.prepare_connect(T0, connect_packet(true), &[], &[], 0)
        .unwrap();
    let ack = ConnAck {
        session_present: false,
        return_code: 5,
    };
    let (frame, body) = framed(&encoded(Packet::ConnAck(ack)));
    let connack = c.handle_connack(T0, frame, &body).unwrap();
    assert_eq!(connack.return_code, 5);
    assert_eq!(c.link(), Link::Broken);
    assert_eq!(c.usable(), Err(ClientError::Broken));
}

#[test]
fn not_a_connack_is_invalid() {
    let mut c = C::new(64);
    c.prepare_connect(T0, connect_packet(true), &[], &[], 0)
        .unwrap();
    let (frame, body) = framed(&publish_bytes(QosPid::AtMostOnce, b"x"));
    assert_eq!(
        c.handle_connack(T0, frame, &body).unwrap_err(),
        ClientError::ConnackInvalid
    );
}

#[test]
#[cfg(feature = "qos2")]
fn nested_deliveries_each_ack_once_in_any_order() {
    let mut c = connected();
    let outer = QosPid::AtLeastOnce(pid(7));
    let inner = QosPid::ExactlyOnce(pid(8));
    assert_eq!(
        feed(&mut c, &publish_bytes(outer, b"o")).unwrap().1,
        Some(outer)
    );
    // The outer callback receives again.
    c.can_read().unwrap();
    assert_eq!(
        feed(&mut c, &publish_bytes(inner, b"i")).unwrap().1,
        Some(inner)
    );
    assert_eq!(c.open_deliveries(), 2);
    assert!(c.accept(inner).unwrap());
    assert_eq!(acks(&mut c), [Transmit::PubRec(pid(8))]);
    assert!(c.accept(outer).unwrap());
    assert_eq!(acks(&mut c), [Transmit::PubAck(pid(7))]);
    assert!(!c.accept(outer).unwrap(), "an ack is sent once");
    assert!(acks(&mut c).is_empty());
}

#[test]
fn a_raising_callback_sends_no_ack() {
    let mut c = connected();
    let m = QosPid::AtLeastOnce(pid(3));
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    c.forget(m);
    assert!(!c.accept(m).unwrap());
    assert!(acks(&mut c).is_empty());
    assert_eq!(c.open_deliveries(), 0);
}

#[test]
fn no_ack_on_another_connection() {
    let mut c = connected();
    let m = QosPid::AtLeastOnce(pid(3));
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    // The callback reconnected.
    c.prepare_connect(T0, connect_packet(false), &[], &[], 0)
        .unwrap();
    assert!(!c.accept(m).unwrap());
    assert!(acks(&mut c).is_empty());
}

#[test]
fn reading_stops_at_the_delivery_depth() {
    let mut c = Client::<Inline<64>>::new(4096);
    c.prepare_connect(T0, connect_packet(true), &[], &[], 0)
        .unwrap();
    let ack = ConnAck {
        session_present: false,
        return_code: 0,
    };
    let (frame, body) = framed(&encoded(Packet::ConnAck(ack)));
    c.handle_connack(T0, frame, &body).unwrap();
    for n in 1..=DELIVERY_DEPTH as u16 {
        c.can_read().unwrap();
        let (frame, body) = framed(&publish_bytes(QosPid::AtLeastOnce(pid(n)), b"x"));
        c.handle_frame(T0, frame, &body, &mut []).unwrap();
    }
    assert_eq!(c.can_read(), Err(ClientError::NestedTooDeep));
    // QoS 0 needs no record: the count is of deliveries owing an ack.
    assert_eq!(c.open_deliveries(), DELIVERY_DEPTH);
}

#[test]
#[cfg(feature = "qos2")]
fn qos2_duplicate_before_release_is_not_delivered_again() {
    use crate::codec::PubRel;
    let mut c = connected();
    let m = QosPid::ExactlyOnce(pid(9));
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    assert!(c.accept(m).unwrap());
    assert_eq!(acks(&mut c), [Transmit::PubRec(pid(9))]);
    let (frame, body) = framed(&publish_bytes(m, b"x"));
    let incoming = c.handle_frame(T0, frame, &body, &mut []).unwrap();
    assert!(matches!(incoming.received, Received::Duplicate(_)));
    assert_eq!(c.open_deliveries(), 0);
    let rel = encoded(Packet::PubRel(PubRel { pid: pid(9) }));
    feed(&mut c, &rel).unwrap();
    assert_eq!(
        acks(&mut c),
        [Transmit::PubRec(pid(9)), Transmit::PubComp(pid(9))]
    );
}

#[test]
fn malformed_bytes_break_the_link() {
    let mut c = connected();
    // PINGRESP with a body.
    let (frame, body) = framed(&[0xd0, 0x01, 0x00]);
    assert_eq!(
        c.handle_frame(T0, frame, &body, &mut []).unwrap_err(),
        ClientError::Malformed
    );
    assert_eq!(c.link(), Link::Broken);
    assert_eq!(c.can_read(), Err(ClientError::Broken));
    c.detach();
    assert_eq!(c.link(), Link::Detached);
}

#[test]
fn publish_prepare_track_ack() {
    let mut c = connected();
    let m = Message {
        topic: b"a/b",
        payload: b"hi",
        qos_pid: QosPid::AtLeastOnce(pid(1)),
        retain: false,
        dup: false,
        properties: &[],
    };
    let publish = c.prepare_publish(&m).unwrap().publish;
    let tracking = c.track_publish(&publish, None).unwrap().unwrap();
    assert_eq!(tracking, Tracking::New(pid(1)));
    assert_eq!(c.session().in_flight_len(), 1);
    let puback = encoded(Packet::PubAck(PubAck { pid: pid(1) }));
    feed(&mut c, &puback).unwrap();
    assert_eq!(c.session().in_flight_len(), 0);
    // A failed send is undone.
    let tracking = c.track_publish(&publish, None).unwrap().unwrap();
    tracking.undo(&mut c);
    assert_eq!(c.session().in_flight_len(), 0);
}

#[test]
fn publish_arguments_are_checked() {
    let c = connected();
    let base = Message {
        topic: b"a/b",
        payload: b"",
        qos_pid: QosPid::AtMostOnce,
        retain: false,
        dup: false,
        properties: &[],
    };
    let bad_topic = Message {
        topic: b"a/+",
        ..base
    };
    assert_eq!(
        c.prepare_publish(&bad_topic).unwrap_err(),
        ClientError::InvalidTopic
    );
    let dup0 = Message { dup: true, ..base };
    assert_eq!(
        c.prepare_publish(&dup0).unwrap_err(),
        ClientError::InvalidArgument
    );
    let props_on_v3 = Message {
        properties: &[0x01, 0x01],
        ..base
    };
    assert_eq!(
        c.prepare_publish(&props_on_v3).unwrap_err(),
        ClientError::InvalidProperty
    );
}

#[test]
fn publish_qos0_shortcut_is_prepare_publish() {
    let c = connected();
    for retain in [false, true] {
        let m = Message {
            topic: b"a/b",
            payload: b"hi",
            qos_pid: QosPid::AtMostOnce,
            retain,
            dup: false,
            properties: &[],
        };
        let full = c.prepare_publish(&m).unwrap();
        let topic = TopicName::new(b"a/b").unwrap();
        let short = c.prepare_publish_qos0(topic, b"hi", retain).unwrap();
        assert_eq!(short.publish, full.publish);
        assert_eq!(short.properties, None);
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        assert_eq!(short.encode(&mut a), full.encode(&mut b));
        assert_eq!(a, b);
    }
    #[cfg(feature = "mqtt5")]
    {
        // MQTT 5: the broker's limits apply, so no shortcut.
        let c = connecting_v5();
        let topic = TopicName::new(b"a").unwrap();
        assert!(c.prepare_publish_qos0(topic, b"", false).is_none());
    }
}

#[test]
fn subscribe_and_suback() {
    let mut c = connected();
    let packet = c.prepare_subscribe(pid(2), b"a/#", 1, &[]).unwrap();
    c.track_request(&packet, None).unwrap();
    let suback = encoded(Packet::SubAck(SubAck {
        pid: pid(2),
        return_codes: &[0x80],
    }));
    let (frame, body) = framed(&suback);
    let incoming = c.handle_frame(T0, frame, &body, &mut []).unwrap();
    assert!(matches!(
        incoming.received,
        Received::SubscribeFailed { codes: [0x80], .. }
    ));
    assert_eq!(
        c.prepare_subscribe(pid(3), b"a/#/b", 0, &[]).unwrap_err(),
        ClientError::InvalidTopic
    );
    assert_eq!(
        c.prepare_subscribe(pid(3), b"a", 4, &[]).unwrap_err(),
        ClientError::InvalidArgument,
        "options bits need MQTT 5"
    );
}

#[test]
fn disconnect_reason_needs_mqtt5() {
    let c = connected();
    assert!(c.prepare_disconnect(0, &[]).is_ok());
    assert_eq!(
        c.prepare_disconnect(4, &[]).unwrap_err(),
        ClientError::InvalidArgument
    );
}

#[test]
fn keepalive_counts_packets_and_pings() {
    let mut c = connected();
    c.set_keepalive(T0, 5_000, 15_000);
    let at = |ms: u32| Instant::from_millis(1000 + ms);
    assert_eq!(c.poll_keepalive(at(5_000), true), KeepAliveAction::Ping);
    c.handle_ping_sent(at(5_000));
    assert_eq!(c.poll_keepalive(at(14_999), true), KeepAliveAction::Ping);
    // A packet at 14 s keeps the broker alive.
    let (frame, body) = framed(&[0xd0, 0x00]);
    c.handle_frame(at(14_000), frame, &body, &mut []).unwrap();
    assert_eq!(c.keepalive().last_received(), at(14_000));
    c.handle_ping_sent(at(14_999));
    assert_eq!(c.poll_keepalive(at(29_000), true), KeepAliveAction::Dead);
    // A new connection starts the counts over.
    c.prepare_connect(at(30_000), connect_packet(true), &[], &[], 0)
        .unwrap();
    assert_eq!(
        c.poll_keepalive(at(30_000), true),
        KeepAliveAction::Wait(Some(5_000))
    );
}

#[test]
fn v5_connect_needs_feature_mqtt5() {
    let mut c = C::new(4096);
    let connect = Connect {
        version: ProtocolVersion::V5,
        ..connect_packet(true)
    };
    let prepared = c.prepare_connect(T0, connect, &[], &[], 0);
    if cfg!(feature = "mqtt5") {
        assert!(prepared.is_ok());
        assert!(c.is_v5());
    } else {
        // Refused before anything changes: the client stays detached, on 3.1.1.
        assert_eq!(prepared.err(), Some(ClientError::InvalidArgument));
        assert_eq!(c.link(), Link::Detached);
        assert!(!c.is_v5());
        assert_eq!(c.version(), ProtocolVersion::V311);
    }
}

#[test]
fn properties_on_mqtt3_are_refused() {
    // (PUBLISH: publish_arguments_are_checked.)
    let c = connected();
    assert_eq!(
        c.prepare_subscribe(pid(1), b"a", 0, &[0x0b, 0x01]).err(),
        Some(ClientError::InvalidProperty)
    );
    assert_eq!(
        c.prepare_unsubscribe(pid(1), b"a", &[0x26, 0, 1, b'k', 0, 1, b'v'])
            .err(),
        Some(ClientError::InvalidProperty)
    );
    assert_eq!(
        c.prepare_disconnect(0, &[0x11, 0, 0, 0, 1]).err(),
        Some(ClientError::InvalidProperty)
    );
}

#[test]
#[cfg(not(feature = "mqtt5"))]
fn property_blocks_are_not_encoded_without_mqtt5() {
    use crate::codec::properties::Properties;
    use crate::codec::{EncodeError, SubscriptionOptions};
    use crate::topic::TopicFilter;
    let packet = PublishPacket {
        publish: Publish {
            dup: false,
            qos_pid: QosPid::AtMostOnce,
            retain: false,
            topic: TopicName::new(b"a").unwrap(),
            payload: b"",
        },
        properties: Some(Properties::EMPTY),
    };
    let mut buf = [0u8; 64];
    assert_eq!(packet.encode(&mut buf), Err(EncodeError::Unsupported));
    let filter = TopicFilter::new(b"a").unwrap();
    let options = SubscriptionOptions::new(QoS::AtMostOnce);
    let subscribe = Outgoing::Subscribe(pid(1), filter, options.to_byte(), Some(Properties::EMPTY));
    assert_eq!(subscribe.encode(&mut buf), Err(EncodeError::Unsupported));
}

/// Each 3.1.1 [`Outgoing`] writes the bytes of the [`Packet`] it stands
/// for (its own encoder, not `Packet::encode`), with its exact length, and
/// refuses a buffer one byte short.
#[test]
#[cfg(feature = "qos2")]
fn outgoing_encodes_the_bytes_of_its_packet() {
    use crate::codec::tests::{assert_encodes, connect_full, filter};
    use crate::codec::{
        Disconnect, PingReq, PubComp, PubRec, PubRel, Subscribe, SubscribeFilters,
        SubscriptionOptions, Unsubscribe, UnsubscribeFilters,
    };
    let publish = Publish {
        dup: true,
        qos_pid: QosPid::ExactlyOnce(pid(7)),
        retain: true,
        topic: TopicName::new(b"a/b").unwrap(),
        payload: b"xyz",
    };
    // Over 127 bytes: the remaining length takes two bytes.
    let long = filter(concat!(
        "a/+/that/is/longer/than/one/hundred/and/twenty/eight/bytes/",
        "so/that/the/remaining/length/takes/two/bytes/on/the/wire/x"
    ));
    let subscribed = [(long, QoS::ExactlyOnce)];
    let unsubscribed = [filter("b/#")];
    let cases = [
        (
            Outgoing::Connect(connect_full(ProtocolVersion::V311)),
            Packet::Connect(connect_full(ProtocolVersion::V311)),
        ),
        (
            Outgoing::Publish(PublishPacket {
                publish,
                properties: None,
            }),
            Packet::Publish(publish),
        ),
        (
            Outgoing::Subscribe(
                pid(2),
                long,
                SubscriptionOptions::new(QoS::ExactlyOnce).to_byte(),
                None,
            ),
            Packet::Subscribe(Subscribe {
                pid: pid(2),
                filters: SubscribeFilters::new(&subscribed),
            }),
        ),
        (
            Outgoing::Unsubscribe(pid(3), unsubscribed[0], None),
            Packet::Unsubscribe(Unsubscribe {
                pid: pid(3),
                filters: UnsubscribeFilters::new(&unsubscribed),
            }),
        ),
        (
            Outgoing::Ack(Transmit::PubAck(pid(4))),
            Packet::PubAck(PubAck { pid: pid(4) }),
        ),
        (
            Outgoing::Ack(Transmit::PubRec(pid(5))),
            Packet::PubRec(PubRec { pid: pid(5) }),
        ),
        (
            Outgoing::Ack(Transmit::PubRel(pid(0x1234))),
            Packet::PubRel(PubRel { pid: pid(0x1234) }),
        ),
        (
            Outgoing::Ack(Transmit::PubComp(pid(0xffff))),
            Packet::PubComp(PubComp { pid: pid(0xffff) }),
        ),
        (Outgoing::PingReq, Packet::PingReq(PingReq)),
        (Outgoing::Disconnect, Packet::Disconnect(Disconnect)),
    ];
    for (outgoing, packet) in cases {
        let expected = encoded(packet);
        assert_encodes(&expected, outgoing.encoded_len(), |buf| {
            outgoing.encode(buf)
        });
    }
}

/// An MQTT 5 packet the `prepare_*` checked encodes (without parsing its
/// property blocks again) to the bytes of the checked `v5::encode_*`.
#[test]
#[cfg(feature = "mqtt5")]
fn prepared_v5_packets_encode_as_the_checked_encoders() {
    use crate::codec::v5;
    use crate::codec::{EncodeError, LastWill};
    fn same(
        prepared: impl Fn(&mut [u8]) -> Result<usize, EncodeError>,
        checked: impl Fn(&mut [u8]) -> Result<usize, EncodeError>,
    ) {
        let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
        let len = prepared(&mut a).unwrap();
        assert_eq!(checked(&mut b), Ok(len));
        assert_eq!(a[..len], b[..len]);
    }
    let mut c = C::new(4096);
    let connect = Connect {
        version: ProtocolVersion::V5,
        will: Some(LastWill {
            topic: TopicName::new(b"w").unwrap(),
            message: b"bye",
            qos: QoS::AtLeastOnce,
            retain: true,
        }),
        ..connect_packet(true)
    };
    // Session Expiry Interval; Will Delay Interval.
    let (props, will_props) = ([0x11, 0, 0, 0, 10], [0x18, 0, 0, 0, 5]);
    let packet = c
        .prepare_connect(T0, connect, &props, &will_props, 0)
        .unwrap();
    let Outgoing::Connect5(connect, props, will_props) = packet else {
        panic!("{packet:?}");
    };
    same(
        |buf| packet.encode(buf),
        |buf| v5::encode_connect(&connect, props, will_props, buf),
    );
    // Message Expiry Interval.
    let m = Message {
        topic: b"a/b",
        payload: b"xyz",
        qos_pid: QosPid::AtLeastOnce(pid(1)),
        retain: true,
        dup: true,
        properties: &[0x02, 0, 0, 0, 9],
    };
    let p = c.prepare_publish(&m).unwrap();
    let props = p.properties.unwrap();
    same(
        |buf| p.encode(buf),
        |buf| v5::encode_publish(&p.publish, props, buf),
    );
    same(
        |buf| p.encode_header(buf),
        |buf| v5::encode_publish_header(&p.publish, props, buf),
    );
    // QoS 2 (1 without the QoS 2 flows) with No Local; a Subscription
    // Identifier.
    let options = if crate::session::QOS2 { 0b0110 } else { 0b0101 };
    let packet = c
        .prepare_subscribe(pid(2), b"a/+", options, &[0x0b, 5])
        .unwrap();
    let Outgoing::Subscribe(pid2, filter, options, Some(props)) = packet else {
        panic!("{packet:?}");
    };
    let options = crate::codec::SubscriptionOptions::from_byte(options).unwrap();
    same(
        |buf| packet.encode(buf),
        |buf| v5::encode_subscribe(pid2, &[(filter, options)], props, buf),
    );
    // A User Property.
    let user = [0x26, 0, 1, b'k', 0, 1, b'v'];
    let packet = c.prepare_unsubscribe(pid(3), b"a/#", &user).unwrap();
    let Outgoing::Unsubscribe(pid3, filter, Some(props)) = packet else {
        panic!("{packet:?}");
    };
    same(
        |buf| packet.encode(buf),
        |buf| v5::encode_unsubscribe(pid3, &[filter], props, buf),
    );
    // `prepare_unsubscribe` leaves a shared filter's form to the encoder.
    let packet = c.prepare_unsubscribe(pid(4), b"$share/g", &[]).unwrap();
    assert_eq!(
        packet.encode(&mut [0u8; 64]),
        Err(EncodeError::InvalidSubscription)
    );
    // Disconnect with Will Message; Session Expiry Interval.
    let packet = c.prepare_disconnect(0x04, &[0x11, 0, 0, 0, 1]).unwrap();
    let Outgoing::Disconnect5(reason, props) = packet else {
        panic!("{packet:?}");
    };
    same(
        |buf| packet.encode(buf),
        |buf| v5::encode_disconnect(reason, props, buf),
    );
}

/// MQTT 5: a PUBACK or PUBREC with an error reason ends its exchange
/// (`Received::Refused`), even before the CONNACK; a stale one is
/// `UnknownAck`; one that does not fit its exchange breaks the link.
#[test]
#[cfg(all(feature = "mqtt5", feature = "qos2"))]
fn refused_acks_end_their_exchange() {
    use crate::codec::v5;
    use crate::codec::v5::{Properties, ReasonCode};
    use crate::types::PacketType;
    fn ack(packet_type: PacketType, n: u16, reason: u8) -> Vec<u8> {
        let mut buf = [0u8; 8];
        let len = v5::encode_ack(
            packet_type,
            pid(n),
            ReasonCode(reason),
            Properties::EMPTY,
            &mut buf,
        );
        buf[..len.unwrap()].to_vec()
    }
    fn received(c: &mut C, bytes: &[u8]) -> Result<Received<'static>, ClientError> {
        let (frame, body) = framed(bytes);
        let incoming = c.handle_frame(T0, frame, &body, &mut [])?;
        Ok(match incoming.received {
            Received::Refused { pid } => Received::Refused { pid },
            Received::UnknownAck { pid } => Received::UnknownAck { pid },
            Received::Delivered { pid, qos } => Received::Delivered { pid, qos },
            other => panic!("{other:?}"),
        })
    }
    let mut c = connecting_v5();
    c.session_mut()
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    c.session_mut()
        .start_publish(pid(2), QoS::ExactlyOnce, None)
        .unwrap();
    c.session_mut()
        .start_publish(pid(3), QoS::AtLeastOnce, None)
        .unwrap();
    // Before the CONNACK (a broker resending after a reconnect).
    let refused = received(&mut c, &ack(PacketType::PubAck, 1, 0x87));
    assert!(matches!(refused, Ok(Received::Refused { pid: p }) if p == pid(1)));
    assert_eq!(c.session().in_flight(pid(1)), None);
    let mut buf = [0u8; 16];
    let len = v5::encode_connack(false, ReasonCode::SUCCESS, Properties::EMPTY, &mut buf);
    let (frame, body) = framed(&buf[..len.unwrap()]);
    c.handle_connack(T0, frame, &body).unwrap();
    let refused = received(&mut c, &ack(PacketType::PubRec, 2, 0x80));
    assert!(matches!(refused, Ok(Received::Refused { pid: p }) if p == pid(2)));
    let stale = received(&mut c, &ack(PacketType::PubAck, 9, 0x87));
    assert!(matches!(stale, Ok(Received::UnknownAck { pid: p }) if p == pid(9)));
    // A success reason is an ordinary ack.
    let done = received(&mut c, &ack(PacketType::PubAck, 3, 0x10));
    assert!(matches!(done, Ok(Received::Delivered { pid: p, .. }) if p == pid(3)));
    assert_eq!(c.session().in_flight_len(), 0);
    // A refused PUBREC for a QoS 1 publish: the wrong ack.
    c.session_mut()
        .start_publish(pid(4), QoS::AtLeastOnce, None)
        .unwrap();
    let wrong = received(&mut c, &ack(PacketType::PubRec, 4, 0x80));
    assert_eq!(wrong.err(), Some(ClientError::ProtocolViolation));
    assert_eq!(c.link(), Link::Broken);
}

/// `init_in_place` makes the client `with_tables` makes from a zeroed
/// block: the fields it leaves out start as zero bytes.
#[test]
fn init_in_place_is_with_tables() {
    let mut block = core::mem::MaybeUninit::<C>::zeroed();
    // SAFETY: the block is valid for writes, aligned and zeroed.
    unsafe { Client::init_in_place(block.as_mut_ptr(), 1234, Inline::new()) };
    // SAFETY: every field was written.
    let c = unsafe { block.assume_init() };
    let expected: C = Client::with_tables(1234, Inline::new());
    assert_eq!(std::format!("{c:?}"), std::format!("{expected:?}"));
}

// --- without the QoS 2 flows (feature `qos2` off) ---------------------

/// A message to publish on topic "a/b", without properties.
#[cfg(not(feature = "qos2"))]
fn message(qos_pid: QosPid, dup: bool) -> Message<'static> {
    Message {
        topic: b"a/b",
        payload: b"x",
        qos_pid,
        retain: false,
        dup,
        properties: &[],
    }
}

/// A QoS 2 PUBLISH, PUBREC, PUBREL or PUBCOMP from the broker breaks the
/// link as a protocol violation: nothing is delivered, nothing is owed.
#[test]
#[cfg(not(feature = "qos2"))]
fn without_qos2_its_packets_from_the_broker_are_violations() {
    use crate::codec::{PubComp, PubRec, PubRel};
    let p = pid(5);
    let packets = [
        publish_bytes(QosPid::ExactlyOnce(p), b"x"),
        encoded(Packet::PubRec(PubRec { pid: p })),
        encoded(Packet::PubRel(PubRel { pid: p })),
        encoded(Packet::PubComp(PubComp { pid: p })),
    ];
    for bytes in packets {
        let mut c = connected();
        assert_eq!(feed(&mut c, &bytes), Err(ClientError::ProtocolViolation));
        assert_eq!(c.link(), Link::Broken, "{bytes:?}");
        assert_eq!(c.open_deliveries(), 0);
        assert!(acks(&mut c).is_empty());
        assert_eq!(c.session().in_flight_len(), 0);
    }
    // Also for an id in flight at QoS 1: PUBREC is no ack of it.
    let mut c = connected();
    let publish = message(QosPid::AtLeastOnce(p), false);
    let packet = c.prepare_publish(&publish).unwrap();
    c.track_publish(&packet.publish, None).unwrap();
    let pubrec = encoded(Packet::PubRec(PubRec { pid: p }));
    assert_eq!(feed(&mut c, &pubrec), Err(ClientError::ProtocolViolation));
    assert_eq!(c.session().in_flight_len(), 1);
}

/// Publishing or subscribing at QoS 2 is refused before anything is sent
/// or tracked; accepting a QoS 2 delivery sends nothing (none is open).
#[test]
#[cfg(not(feature = "qos2"))]
fn without_qos2_publish_and_subscribe_at_qos2_are_refused() {
    let mut c = connected();
    for dup in [false, true] {
        let publish = message(QosPid::ExactlyOnce(pid(1)), dup);
        assert_eq!(
            c.prepare_publish(&publish).err(),
            Some(ClientError::InvalidArgument)
        );
    }
    // Even a packet built by hand is not tracked.
    let publish = Publish {
        dup: false,
        qos_pid: QosPid::ExactlyOnce(pid(1)),
        retain: false,
        topic: TopicName::new(b"a/b").unwrap(),
        payload: b"x",
    };
    assert_eq!(
        c.track_publish(&publish, None),
        Err(ClientError::InvalidArgument)
    );
    assert_eq!(
        c.track_publish(
            &Publish {
                dup: true,
                ..publish
            },
            None
        ),
        Err(ClientError::InvalidArgument)
    );
    assert_eq!(
        c.prepare_subscribe(pid(2), b"a/#", 2, &[]).err(),
        Some(ClientError::InvalidArgument)
    );
    assert!(c.prepare_subscribe(pid(2), b"a/#", 1, &[]).is_ok());
    assert_eq!(c.session().in_flight_len(), 0);
    assert_eq!(c.accept(QosPid::ExactlyOnce(pid(3))), Ok(false));
    assert!(acks(&mut c).is_empty());
    assert_eq!(c.link(), Link::Connected);
    #[cfg(feature = "mqtt5")]
    {
        // MQTT 5: the QoS bits of the options byte, whatever the others.
        let c = connecting_v5();
        for options in [0x02, 0x06, 0x2a] {
            assert_eq!(
                c.prepare_subscribe(pid(2), b"a/#", options, &[]).err(),
                Some(ClientError::InvalidArgument)
            );
        }
        assert!(c.prepare_subscribe(pid(2), b"a/#", 0x05, &[]).is_ok());
        let publish = message(QosPid::ExactlyOnce(pid(1)), false);
        assert_eq!(
            c.prepare_publish(&publish).err(),
            Some(ClientError::InvalidArgument)
        );
    }
}

/// A will keeps its QoS 2: two bits of CONNECT, no flow of ours.
#[test]
#[cfg(not(feature = "qos2"))]
fn without_qos2_a_will_may_have_qos2() {
    use crate::codec::LastWill;
    let mut c = C::new(4096);
    let connect = Connect {
        will: Some(LastWill {
            topic: TopicName::new(b"w").unwrap(),
            message: b"bye",
            qos: QoS::ExactlyOnce,
            retain: false,
        }),
        ..connect_packet(true)
    };
    let packet = c.prepare_connect(T0, connect, &[], &[], 0).unwrap();
    let mut buf = [0u8; 64];
    let n = packet.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], encoded(Packet::Connect(connect)).as_slice());
    // Connect flags (after the 2-byte header, "MQTT" and the level): will
    // flag and will QoS 2, clean session.
    assert_eq!(buf[9], 0b0001_0110);
}

/// Without the QoS 2 flows `accept_now` closes a delivery as `accept`
/// does and returns its PUBACK instead of queueing it.
#[test]
#[cfg(not(feature = "qos2"))]
fn accept_now_returns_the_puback_it_would_queue() {
    let mut c = connected();
    let m = QosPid::AtLeastOnce(pid(3));
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    assert_eq!(c.open_deliveries(), 1);
    assert_eq!(c.accept_now(m), Ok(Some(Transmit::PubAck(pid(3)))));
    assert_eq!(c.open_deliveries(), 0);
    assert!(acks(&mut c).is_empty(), "nothing queued");
    assert_eq!(c.accept_now(m), Ok(None), "an ack is sent once");
    // QoS 0 and QoS 2 are never open: nothing to send.
    assert_eq!(c.accept_now(QosPid::AtMostOnce), Ok(None));
    assert_eq!(c.accept_now(QosPid::ExactlyOnce(pid(4))), Ok(None));
    // A delivery of an earlier connection sends nothing.
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    c.prepare_connect(T0, connect_packet(false), &[], &[], 0)
        .unwrap();
    assert_eq!(c.accept_now(m), Ok(None));
    // A broken link is refused, as by `accept`.
    let mut c = connected();
    feed(&mut c, &publish_bytes(m, b"x")).unwrap();
    c.fail(ClientError::Malformed);
    assert_eq!(c.accept_now(m), Err(ClientError::Broken));
}
