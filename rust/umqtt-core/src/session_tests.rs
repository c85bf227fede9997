//! Tests of the session: unit cases and properties (proptest).
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::codec::{
    decode, Connect, Disconnect, PingReq, PingResp, PubComp, PubRec, PubRel, SubAck, Subscribe,
    SubscribeFilters, UnsubAck, Unsubscribe, UnsubscribeFilters,
};
use crate::time::Duration;
use crate::topic::{TopicFilter, TopicName};
use crate::types::ProtocolVersion;

const ACCEPTED: ConnAck = ConnAck {
    session_present: false,
    return_code: 0,
};

fn pid(value: u16) -> Pid {
    Pid::new(value).unwrap()
}

fn at(ms: u32) -> Instant {
    Instant::from_millis(ms)
}

/// Starting a QoS 2 publish on an id in flight: refused for the id, or for
/// QoS 2 itself without the QoS 2 flows.
#[cfg(feature = "qos2")]
const QOS2_ON_A_PID_IN_USE: SessionError = SessionError::PidInUse;
#[cfg(not(feature = "qos2"))]
const QOS2_ON_A_PID_IN_USE: SessionError = SessionError::Unsupported;

/// Decodes a whole packet (one-byte remaining length) as it came off the wire.
fn wire(bytes: &[u8]) -> Packet<'_> {
    assert_eq!(usize::from(bytes[1]), bytes.len() - 2, "bad test packet");
    decode(bytes[0], &bytes[2..], ProtocolVersion::V311).unwrap()
}

/// A session that sent a clean CONNECT at `now` and got its CONNACK.
fn connected_at<const N: usize>(now: Instant) -> Session<Inline<N>> {
    let mut session = Session::new();
    session.handle_connect(true);
    assert_eq!(
        session.handle_packet(now, wire(&[0x20, 0x02, 0x00, 0x00])),
        Ok(Event::Connected(ACCEPTED))
    );
    session
}

fn connected<const N: usize>() -> Session<Inline<N>> {
    connected_at(at(0))
}

fn drain<const N: usize>(session: &mut Session<Inline<N>>) -> Vec<Transmit> {
    core::iter::from_fn(|| session.poll_transmit()).collect()
}

fn pids<const N: usize>(session: &Session<Inline<N>>) -> Vec<u16> {
    session.in_flight_iter().map(|(p, _, _)| p.get()).collect()
}

fn publish(qos_pid: QosPid) -> Publish<'static> {
    Publish {
        dup: false,
        qos_pid,
        retain: false,
        topic: TopicName::new(b"a/b").unwrap(),
        payload: b"hi",
    }
}

fn receive<'a, const N: usize>(
    session: &mut Session<Inline<N>>,
    packet: Packet<'a>,
) -> Result<Event<'a>, ProtocolError> {
    session.handle_packet(at(0), packet)
}

// --- packet ids -------------------------------------------------------

#[test]
fn next_pid_starts_at_one_and_counts_up() {
    let mut session = Session::<Inline<4>>::new();
    assert_eq!(session.next_pid(), Some(pid(1)));
    assert_eq!(session.next_pid(), Some(pid(2)));
    assert_eq!(session.next_pid(), Some(pid(3)));
    // Handing an id out does not put it in flight.
    assert_eq!(session.in_flight_len(), 0);
}

#[test]
fn next_pid_wraps_from_65535_to_1() {
    let mut session = Session::<Inline<4>>::new();
    let mut last = None;
    for _ in 0..u16::MAX {
        last = session.next_pid();
    }
    assert_eq!(last, Some(pid(65535)));
    assert_eq!(session.next_pid(), Some(pid(1)));
    assert_eq!(session.next_pid(), Some(pid(2)));
}

#[test]
fn next_pid_skips_ids_in_flight() {
    let mut session = Session::<Inline<4>>::new();
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    session.start_subscribe(pid(3), 1, None).unwrap();
    assert_eq!(session.next_pid(), Some(pid(1)));
    assert_eq!(session.next_pid(), Some(pid(4)));

    // Skipping also works across the wrap.
    let mut session = Session::<Inline<4>>::new();
    for _ in 0..65534 {
        session.next_pid();
    }
    session
        .start_publish(pid(65535), QoS::AtLeastOnce, None)
        .unwrap();
    session.start_unsubscribe(pid(1), None).unwrap();
    session.track(pid(2), None).unwrap();
    assert_eq!(session.next_pid(), Some(pid(3)));
}

#[test]
fn next_pid_is_none_when_n_are_in_flight() {
    let mut session = Session::<Inline<3>>::new();
    for _ in 0..3 {
        let p = session.next_pid().unwrap();
        session.start_publish(p, QoS::AtLeastOnce, None).unwrap();
    }
    assert_eq!(session.next_pid(), None);
    assert_eq!(session.forget(pid(2)), Some((Awaiting::PubAck, None)));
    assert_eq!(session.next_pid(), Some(pid(4)));
    session
        .start_publish(pid(4), QoS::AtLeastOnce, None)
        .unwrap();
    assert_eq!(session.next_pid(), None);
}

// --- starting exchanges -----------------------------------------------

#[test]
fn qos0_publish_is_not_tracked() {
    let mut session = Session::<Inline<1>>::new();
    assert_eq!(
        session.start_publish(pid(1), QoS::AtMostOnce, Some(at(5))),
        Ok(())
    );
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.in_flight(pid(1)), None);
    session
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    // Neither PidInUse nor Full: QoS 0 never touches the table.
    assert_eq!(session.start_publish(pid(1), QoS::AtMostOnce, None), Ok(()));
    assert_eq!(session.in_flight_len(), 1);
}

#[test]
#[cfg(feature = "qos2")]
fn qos1_and_qos2_publishes_are_tracked() {
    let mut session = Session::<Inline<4>>::new();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, Some(at(100)))
        .unwrap();
    session
        .start_publish(pid(2), QoS::ExactlyOnce, None)
        .unwrap();
    assert_eq!(
        session.in_flight(pid(1)),
        Some((Awaiting::PubAck, Some(at(100))))
    );
    assert_eq!(session.in_flight(pid(2)), Some((Awaiting::PubRec, None)));
    assert_eq!(session.in_flight(pid(3)), None);
    assert_eq!(session.in_flight_len(), 2);
}

#[test]
fn start_refuses_ids_in_use_and_a_full_table() {
    let mut session = Session::<Inline<2>>::new();
    session
        .start_publish(pid(7), QoS::AtLeastOnce, None)
        .unwrap();
    assert_eq!(
        session.start_publish(pid(7), QoS::ExactlyOnce, None),
        Err(QOS2_ON_A_PID_IN_USE)
    );
    assert_eq!(
        session.start_subscribe(pid(7), 1, None),
        Err(SessionError::PidInUse)
    );
    assert_eq!(
        session.start_unsubscribe(pid(7), None),
        Err(SessionError::PidInUse)
    );
    session.start_subscribe(pid(8), 2, None).unwrap();
    assert_eq!(
        session.start_publish(pid(9), QoS::AtLeastOnce, None),
        Err(SessionError::Full)
    );
    assert_eq!(
        session.start_unsubscribe(pid(9), None),
        Err(SessionError::Full)
    );
    assert_eq!(session.track(pid(9), None), Err(SessionError::Full));
    // A failed start leaves the table as it was.
    assert_eq!(pids(&session), [7, 8]);
    assert_eq!(session.in_flight(pid(7)), Some((Awaiting::PubAck, None)));
}

// --- outgoing flows ---------------------------------------------------

#[test]
fn qos1_publish_is_delivered_by_puback() {
    let mut session = connected::<4>();
    let p = session.next_pid().unwrap();
    session
        .start_publish(p, QoS::AtLeastOnce, Some(at(5000)))
        .unwrap();
    assert_eq!(
        receive(&mut session, wire(&[0x40, 0x02, 0x00, 0x01])),
        Ok(Event::Delivered {
            pid: p,
            qos: QoS::AtLeastOnce
        })
    );
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.poll_transmit(), None);
    // A second PUBACK for it is stale.
    assert_eq!(
        receive(&mut session, wire(&[0x40, 0x02, 0x00, 0x01])),
        Ok(Event::UnknownAck {
            packet_type: PacketType::PubAck,
            pid: p
        })
    );
}

#[test]
#[cfg(feature = "qos2")]
fn repeated_pubrec_is_answered_with_pubrel_again() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(7), QoS::ExactlyOnce, None)
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            receive(&mut session, wire(&[0x50, 0x02, 0x00, 0x07])),
            Ok(Event::Received(pid(7)))
        );
        assert_eq!(session.poll_transmit(), Some(Transmit::PubRel(pid(7))));
        assert_eq!(session.poll_transmit(), None);
    }
    assert_eq!(session.in_flight(pid(7)), Some((Awaiting::PubComp, None)));
}

#[test]
#[cfg(feature = "qos2")]
fn qos2_publish_four_way_handshake() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(0x1234), QoS::ExactlyOnce, Some(at(10)))
        .unwrap();
    assert_eq!(
        receive(&mut session, wire(&[0x50, 0x02, 0x12, 0x34])),
        Ok(Event::Received(pid(0x1234)))
    );
    // The deadline is kept for the second half.
    assert_eq!(
        session.in_flight(pid(0x1234)),
        Some((Awaiting::PubComp, Some(at(10))))
    );
    let transmit = session.poll_transmit().unwrap();
    assert_eq!(transmit, Transmit::PubRel(pid(0x1234)));
    let mut buf = [0u8; 4];
    assert_eq!(transmit.encode(&mut buf), Ok(4));
    assert_eq!(buf, [0x62, 0x02, 0x12, 0x34]);
    assert_eq!(session.poll_transmit(), None);

    assert_eq!(
        receive(&mut session, wire(&[0x70, 0x02, 0x12, 0x34])),
        Ok(Event::Delivered {
            pid: pid(0x1234),
            qos: QoS::ExactlyOnce
        })
    );
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.poll_transmit(), None);
}

#[test]
fn subscribe_and_unsubscribe_complete() {
    let mut session = connected::<4>();
    session.start_subscribe(pid(10), 3, None).unwrap();
    session.start_unsubscribe(pid(11), None).unwrap();
    // The §3.9.3 example: granted QoS 0, failure, granted QoS 2.
    let suback = [0x90, 0x05, 0x00, 0x0a, 0x00, 0x80, 0x02];
    assert_eq!(
        receive(&mut session, wire(&suback)),
        Ok(Event::Subscribed {
            pid: pid(10),
            return_codes: &[0x00, 0x80, 0x02]
        })
    );
    assert_eq!(
        receive(&mut session, wire(&[0xb0, 0x02, 0x00, 0x0b])),
        Ok(Event::Unsubscribed(pid(11)))
    );
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.poll_transmit(), None);
}

#[test]
fn suback_with_the_wrong_count_is_an_error() {
    let mut session = connected::<4>();
    session.start_subscribe(pid(1), 2, None).unwrap();
    assert_eq!(
        receive(&mut session, wire(&[0x90, 0x03, 0x00, 0x01, 0x01])),
        Err(ProtocolError::SubAckCount)
    );
    session.start_subscribe(pid(2), 1, None).unwrap();
    assert_eq!(
        receive(
            &mut session,
            wire(&[0x90, 0x05, 0x00, 0x02, 0x01, 0x01, 0x01])
        ),
        Err(ProtocolError::SubAckCount)
    );
}

#[test]
#[cfg(feature = "qos2")]
fn acks_of_the_wrong_type_are_errors() {
    let mut session = connected::<8>();
    session
        .start_publish(pid(1), QoS::ExactlyOnce, None)
        .unwrap();
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    session.start_subscribe(pid(3), 1, None).unwrap();
    session.start_unsubscribe(pid(4), None).unwrap();
    session.track(pid(5), None).unwrap();
    let wrong = |packet_type, p: u16| {
        Err(ProtocolError::WrongAck {
            packet_type,
            pid: pid(p),
        })
    };
    let cases = [
        // PUBACK for a QoS 2 publish.
        (
            Packet::PubAck(PubAck { pid: pid(1) }),
            wrong(PacketType::PubAck, 1),
        ),
        // PUBCOMP before PUBREC.
        (
            Packet::PubComp(PubComp { pid: pid(1) }),
            wrong(PacketType::PubComp, 1),
        ),
        // UNSUBACK for a publish.
        (
            Packet::UnsubAck(UnsubAck { pid: pid(1) }),
            wrong(PacketType::UnsubAck, 1),
        ),
        (
            Packet::UnsubAck(UnsubAck { pid: pid(2) }),
            wrong(PacketType::UnsubAck, 2),
        ),
        // PUBREC for a QoS 1 publish.
        (
            Packet::PubRec(PubRec { pid: pid(2) }),
            wrong(PacketType::PubRec, 2),
        ),
        (
            Packet::SubAck(SubAck {
                pid: pid(2),
                return_codes: &[0],
            }),
            wrong(PacketType::SubAck, 2),
        ),
        (
            Packet::PubAck(PubAck { pid: pid(3) }),
            wrong(PacketType::PubAck, 3),
        ),
        (
            Packet::UnsubAck(UnsubAck { pid: pid(3) }),
            wrong(PacketType::UnsubAck, 3),
        ),
        (
            Packet::PubAck(PubAck { pid: pid(4) }),
            wrong(PacketType::PubAck, 4),
        ),
        (
            Packet::SubAck(SubAck {
                pid: pid(4),
                return_codes: &[0],
            }),
            wrong(PacketType::SubAck, 4),
        ),
        (
            Packet::PubRec(PubRec { pid: pid(4) }),
            wrong(PacketType::PubRec, 4),
        ),
        // A tracked id is completed only by PUBACK or SUBACK.
        (
            Packet::PubRec(PubRec { pid: pid(5) }),
            wrong(PacketType::PubRec, 5),
        ),
        (
            Packet::PubComp(PubComp { pid: pid(5) }),
            wrong(PacketType::PubComp, 5),
        ),
        (
            Packet::UnsubAck(UnsubAck { pid: pid(5) }),
            wrong(PacketType::UnsubAck, 5),
        ),
    ];
    for (packet, expected) in cases {
        assert_eq!(receive(&mut session, packet), expected, "{packet:?}");
    }
    // Nothing was completed or changed by a wrong ack, and nothing queued.
    assert_eq!(pids(&session), [1, 2, 3, 4, 5]);
    assert_eq!(session.in_flight(pid(1)), Some((Awaiting::PubRec, None)));
    assert_eq!(session.poll_transmit(), None);

    // After PUBREC, neither PUBACK nor another PUBREC fits.
    assert_eq!(
        receive(&mut session, Packet::PubRec(PubRec { pid: pid(1) })),
        Ok(Event::Received(pid(1)))
    );
    assert_eq!(
        receive(&mut session, Packet::PubAck(PubAck { pid: pid(1) })),
        wrong(PacketType::PubAck, 1)
    );
    assert_eq!(session.in_flight(pid(1)), Some((Awaiting::PubComp, None)));
}

#[test]
fn acks_for_ids_not_in_flight_are_unknown() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    let stale = pid(9);
    let acks = [
        Packet::PubAck(PubAck { pid: stale }),
        Packet::PubRec(PubRec { pid: stale }),
        Packet::PubComp(PubComp { pid: stale }),
        Packet::SubAck(SubAck {
            pid: stale,
            return_codes: &[1],
        }),
        Packet::UnsubAck(UnsubAck { pid: stale }),
    ];
    for packet in acks {
        let packet_type = packet.packet_type();
        let expected = match packet_type {
            // Without QoS 2 flows, acks of them are never expected.
            PacketType::PubRec | PacketType::PubComp if !QOS2 => {
                Err(ProtocolError::UnexpectedPacket(packet_type))
            }
            _ => Ok(Event::UnknownAck {
                packet_type,
                pid: stale,
            }),
        };
        assert_eq!(receive(&mut session, packet), expected);
    }
    assert_eq!(pids(&session), [1]);
    // An unknown PUBREC must not trigger a PUBREL.
    assert_eq!(session.poll_transmit(), None);
}

#[test]
fn tracked_entries_complete_on_puback_or_suback() {
    let mut session = connected::<4>();
    session.track(pid(1), Some(at(50))).unwrap();
    session.track(pid(2), None).unwrap();
    assert_eq!(
        session.in_flight(pid(1)),
        Some((Awaiting::Tracked, Some(at(50))))
    );
    assert_eq!(
        receive(&mut session, wire(&[0x40, 0x02, 0x00, 0x01])),
        Ok(Event::Delivered {
            pid: pid(1),
            qos: QoS::AtLeastOnce
        })
    );
    // A tracked entry has no filter count to check.
    assert_eq!(
        receive(&mut session, wire(&[0x90, 0x04, 0x00, 0x02, 0x00, 0x01])),
        Ok(Event::Subscribed {
            pid: pid(2),
            return_codes: &[0x00, 0x01]
        })
    );
    assert_eq!(session.in_flight_len(), 0);
}

#[test]
#[cfg(feature = "qos2")]
fn track_updates_an_existing_deadline() {
    let mut session = Session::<Inline<2>>::new();
    session
        .start_publish(pid(1), QoS::ExactlyOnce, Some(at(100)))
        .unwrap();
    session.start_subscribe(pid(2), 1, None).unwrap();
    // Full, but updating an entry needs no room.
    assert_eq!(session.track(pid(1), Some(at(200))), Ok(()));
    assert_eq!(
        session.in_flight(pid(1)),
        Some((Awaiting::PubRec, Some(at(200))))
    );
    assert_eq!(session.track(pid(2), Some(at(300))), Ok(()));
    assert_eq!(
        session.in_flight(pid(2)),
        Some((Awaiting::SubAck { filters: 1 }, Some(at(300))))
    );
    assert_eq!(session.track(pid(1), None), Ok(()));
    assert_eq!(session.in_flight(pid(1)), Some((Awaiting::PubRec, None)));
    assert_eq!(pids(&session), [1, 2]);
    assert_eq!(session.track(pid(3), None), Err(SessionError::Full));
}

#[test]
fn forget_removes_one_entry() {
    let mut session = Session::<Inline<4>>::new();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, Some(at(1)))
        .unwrap();
    session.start_subscribe(pid(2), 4, Some(at(2))).unwrap();
    session.start_unsubscribe(pid(3), None).unwrap();
    assert_eq!(
        session.forget(pid(2)),
        Some((Awaiting::SubAck { filters: 4 }, Some(at(2))))
    );
    assert_eq!(session.forget(pid(2)), None);
    assert_eq!(session.forget(pid(9)), None);
    assert_eq!(pids(&session), [1, 3]);
    // The id can be reused at once.
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    assert_eq!(pids(&session), [1, 3, 2]);
}

/// `in_flight_at(i)` is the `i`-th entry `in_flight_iter` yields, also
/// after a removal from the middle and past the end.
#[test]
fn in_flight_at_is_the_nth_of_in_flight_iter() {
    let mut session = connected::<8>();
    session
        .start_publish(pid(5), QoS::AtLeastOnce, Some(at(50)))
        .unwrap();
    session.start_subscribe(pid(3), 2, None).unwrap();
    session.track(pid(1), Some(at(10))).unwrap();
    session.start_unsubscribe(pid(7), None).unwrap();
    let agree = |session: &Session<Inline<8>>| {
        for i in 0..10 {
            assert_eq!(
                session.in_flight_at(i),
                session.in_flight_iter().nth(i),
                "{i}"
            );
        }
    };
    agree(&session);
    assert_eq!(
        session.in_flight_at(1),
        Some((pid(3), Awaiting::SubAck { filters: 2 }, None))
    );
    session.forget(pid(3));
    agree(&session);
    assert_eq!(
        session.in_flight_at(1),
        Some((pid(1), Awaiting::Tracked, Some(at(10))))
    );
    assert_eq!(session.in_flight_at(3), None);
    session.clear_in_flight();
    agree(&session);
}

#[test]
#[cfg(feature = "qos2")]
fn in_flight_iter_is_oldest_first() {
    let mut session = connected::<8>();
    session
        .start_publish(pid(5), QoS::AtLeastOnce, Some(at(50)))
        .unwrap();
    session.start_subscribe(pid(3), 2, None).unwrap();
    session
        .start_publish(pid(9), QoS::ExactlyOnce, Some(at(90)))
        .unwrap();
    session.track(pid(1), Some(at(10))).unwrap();
    session.start_unsubscribe(pid(7), None).unwrap();
    let all: Vec<_> = session.in_flight_iter().collect();
    assert_eq!(
        all,
        [
            (pid(5), Awaiting::PubAck, Some(at(50))),
            (pid(3), Awaiting::SubAck { filters: 2 }, None),
            (pid(9), Awaiting::PubRec, Some(at(90))),
            (pid(1), Awaiting::Tracked, Some(at(10))),
            (pid(7), Awaiting::UnsubAck, None),
        ]
    );
    // Completing one keeps the order of the rest.
    receive(
        &mut session,
        Packet::SubAck(SubAck {
            pid: pid(3),
            return_codes: &[0, 1],
        }),
    )
    .unwrap();
    assert_eq!(pids(&session), [5, 9, 1, 7]);
    session.clear_in_flight();
    assert_eq!(session.in_flight_iter().count(), 0);
    assert_eq!(session.in_flight_len(), 0);
}

// --- deadlines --------------------------------------------------------

#[test]
#[cfg(feature = "qos2")]
fn poll_expired_returns_due_entries_oldest_first() {
    let mut session = Session::<Inline<8>>::new();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, Some(at(300)))
        .unwrap();
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    session.start_subscribe(pid(3), 1, Some(at(200))).unwrap();
    session
        .start_publish(pid(4), QoS::ExactlyOnce, Some(at(100)))
        .unwrap();
    session.start_unsubscribe(pid(5), Some(at(201))).unwrap();

    assert_eq!(session.poll_expired(at(99)), None);
    assert_eq!(session.poll_expired(at(0)), None);
    // Deadline == now has passed.
    assert_eq!(
        session.poll_expired(at(200)),
        Some((pid(3), Awaiting::SubAck { filters: 1 }))
    );
    assert_eq!(
        session.poll_expired(at(200)),
        Some((pid(4), Awaiting::PubRec))
    );
    assert_eq!(session.poll_expired(at(200)), None);
    assert_eq!(pids(&session), [1, 2, 5]);

    assert_eq!(
        session.poll_expired(at(10_000)),
        Some((pid(1), Awaiting::PubAck))
    );
    assert_eq!(
        session.poll_expired(at(10_000)),
        Some((pid(5), Awaiting::UnsubAck))
    );
    // No deadline never expires.
    assert_eq!(session.poll_expired(at(10_000)), None);
    assert_eq!(session.poll_expired(at(u32::MAX)), None);
    assert_eq!(pids(&session), [2]);
}

#[test]
fn poll_expired_across_the_clock_wrap() {
    let base = at(u32::MAX - 50);
    let before_wrap = base.wrapping_add(Duration::from_millis(20)); // u32::MAX - 30
    let last_tick = at(u32::MAX);
    let after_wrap = base.wrapping_add(Duration::from_millis(100)); // 49
    assert_eq!(after_wrap.as_millis(), 49);

    let mut session = Session::<Inline<4>>::new();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, Some(after_wrap))
        .unwrap();
    session
        .start_publish(pid(2), QoS::AtLeastOnce, Some(last_tick))
        .unwrap();
    session
        .start_publish(pid(3), QoS::AtLeastOnce, Some(before_wrap))
        .unwrap();

    // A raw comparison would call 49 "before" u32::MAX - 40.
    assert_eq!(session.poll_expired(at(u32::MAX - 40)), None);
    assert_eq!(
        session.poll_expired(at(u32::MAX - 30)),
        Some((pid(3), Awaiting::PubAck))
    );
    assert_eq!(session.poll_expired(at(u32::MAX - 1)), None);
    assert_eq!(
        session.poll_expired(at(0)),
        Some((pid(2), Awaiting::PubAck))
    );
    assert_eq!(session.poll_expired(at(48)), None);
    assert_eq!(
        session.poll_expired(at(49)),
        Some((pid(1), Awaiting::PubAck))
    );
    assert_eq!(session.in_flight_len(), 0);
}

#[test]
fn inbound_qos0_and_qos1() {
    let mut session = connected::<4>();
    let qos0 = [0x30, 0x05, 0x00, 0x01, b't', b'h', b'i'];
    let Ok(Event::Message(message)) = receive(&mut session, wire(&qos0)) else {
        panic!("not a message");
    };
    assert_eq!(message.payload, b"hi");
    session.accept_message(message.qos_pid).unwrap();
    assert_eq!(session.poll_transmit(), None);

    let qos1 = [0x32, 0x07, 0x00, 0x01, b't', 0x00, 0x2a, b'h', b'i'];
    let event = receive(&mut session, wire(&qos1)).unwrap();
    let Event::Message(message) = event else {
        panic!("not a message: {event:?}");
    };
    assert_eq!(message.qos_pid, QosPid::AtLeastOnce(pid(42)));
    // No ack until the application has it.
    assert_eq!(session.poll_transmit(), None);
    session.accept_message(message.qos_pid).unwrap();
    let transmit = session.poll_transmit().unwrap();
    assert_eq!(transmit, Transmit::PubAck(pid(42)));
    let mut buf = [0u8; 8];
    assert_eq!(transmit.encode(&mut buf), Ok(4));
    assert_eq!(buf[..4], [0x40, 0x02, 0x00, 0x2a]);
    assert_eq!(session.poll_transmit(), None);
    // Inbound messages never occupy the outgoing table.
    assert_eq!(session.in_flight_len(), 0);
}

#[test]
#[cfg(feature = "qos2")]
fn inbound_qos2_exactly_once() {
    let mut session = connected::<4>();
    let qos2 = [0x34, 0x07, 0x00, 0x01, b't', 0x00, 0x07, b'h', b'i'];
    let message = match receive(&mut session, wire(&qos2)) {
        Ok(Event::Message(message)) => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(message.qos_pid, QosPid::ExactlyOnce(pid(7)));
    session.accept_message(message.qos_pid).unwrap();
    assert_eq!(drain(&mut session), [Transmit::PubRec(pid(7))]);

    // The broker resends (with DUP) before our PUBREC reached it.
    let resent = [0x3c, 0x07, 0x00, 0x01, b't', 0x00, 0x07, b'h', b'i'];
    match receive(&mut session, wire(&resent)) {
        Ok(Event::Duplicate(duplicate)) => assert!(duplicate.dup),
        other => panic!("{other:?}"),
    }
    assert_eq!(drain(&mut session), [Transmit::PubRec(pid(7))]);
    // Even without DUP it is the same message.
    assert!(matches!(
        receive(&mut session, wire(&qos2)),
        Ok(Event::Duplicate(_))
    ));
    assert_eq!(drain(&mut session), [Transmit::PubRec(pid(7))]);

    assert_eq!(
        receive(&mut session, wire(&[0x62, 0x02, 0x00, 0x07])),
        Ok(Event::Released(pid(7)))
    );
    let transmit = session.poll_transmit().unwrap();
    assert_eq!(transmit, Transmit::PubComp(pid(7)));
    let mut buf = [0u8; 4];
    transmit.encode(&mut buf).unwrap();
    assert_eq!(buf, [0x70, 0x02, 0x00, 0x07]);
    assert_eq!(session.poll_transmit(), None);

    // Released: the same id now starts a new message.
    assert!(matches!(
        receive(&mut session, wire(&qos2)),
        Ok(Event::Message(_))
    ));
    assert_eq!(session.poll_transmit(), None);
}

#[test]
#[cfg(feature = "qos2")]
fn inbound_qos2_not_accepted_is_delivered_again() {
    let mut session = connected::<4>();
    let message = publish(QosPid::ExactlyOnce(pid(3)));
    assert_eq!(
        receive(&mut session, Packet::Publish(message)),
        Ok(Event::Message(message))
    );
    // The application did not take it: a resend is a new message.
    assert_eq!(
        receive(&mut session, Packet::Publish(message)),
        Ok(Event::Message(message))
    );
    // Accepting twice queues two PUBRECs but remembers the id once.
    session.accept_message(message.qos_pid).unwrap();
    session.accept_message(message.qos_pid).unwrap();
    assert_eq!(
        drain(&mut session),
        [Transmit::PubRec(pid(3)), Transmit::PubRec(pid(3))]
    );
    receive(&mut session, Packet::PubRel(PubRel { pid: pid(3) })).unwrap();
    assert_eq!(
        receive(&mut session, Packet::Publish(message)),
        Ok(Event::Message(message))
    );
}

#[test]
#[cfg(feature = "qos2")]
fn pubrel_for_an_unknown_id_is_still_completed() {
    let mut session = connected::<4>();
    assert_eq!(
        receive(&mut session, wire(&[0x62, 0x02, 0xff, 0xff])),
        Ok(Event::Released(pid(0xffff)))
    );
    assert_eq!(drain(&mut session), [Transmit::PubComp(pid(0xffff))]);
    // It does not touch our own QoS 2 publishes with the same id.
    session
        .start_publish(pid(5), QoS::ExactlyOnce, None)
        .unwrap();
    receive(&mut session, Packet::PubRel(PubRel { pid: pid(5) })).unwrap();
    assert_eq!(session.in_flight(pid(5)), Some((Awaiting::PubRec, None)));
}

#[test]
#[cfg(feature = "qos2")]
fn too_many_unreleased_inbound_qos2() {
    let mut session = connected::<2>();
    for p in [1, 2] {
        let message = publish(QosPid::ExactlyOnce(pid(p)));
        assert_eq!(
            receive(&mut session, Packet::Publish(message)),
            Ok(Event::Message(message))
        );
        session.accept_message(message.qos_pid).unwrap();
    }
    drain(&mut session);
    let third = publish(QosPid::ExactlyOnce(pid(3)));
    assert_eq!(
        receive(&mut session, Packet::Publish(third)),
        Err(ProtocolError::TooManyInFlight)
    );
    assert_eq!(
        session.accept_message(third.qos_pid),
        Err(ProtocolError::TooManyInFlight)
    );
    // Resends of held ones, QoS 0 and QoS 1 are still fine.
    assert!(matches!(
        receive(
            &mut session,
            Packet::Publish(publish(QosPid::ExactlyOnce(pid(2))))
        ),
        Ok(Event::Duplicate(_))
    ));
    assert!(matches!(
        receive(
            &mut session,
            Packet::Publish(publish(QosPid::AtLeastOnce(pid(3))))
        ),
        Ok(Event::Message(_))
    ));
    assert!(matches!(
        receive(&mut session, Packet::Publish(publish(QosPid::AtMostOnce))),
        Ok(Event::Message(_))
    ));
    drain(&mut session);
    // A release makes room.
    receive(&mut session, Packet::PubRel(PubRel { pid: pid(1) })).unwrap();
    assert_eq!(
        receive(&mut session, Packet::Publish(third)),
        Ok(Event::Message(third))
    );
    session.accept_message(third.qos_pid).unwrap();
}

#[test]
fn too_many_queued_acks() {
    let mut session = connected::<2>();
    session.accept_message(QosPid::AtLeastOnce(pid(1))).unwrap();
    session.accept_message(QosPid::AtLeastOnce(pid(2))).unwrap();
    assert_eq!(
        session.accept_message(QosPid::AtLeastOnce(pid(3))),
        Err(ProtocolError::TooManyInFlight)
    );
    assert_eq!(
        receive(&mut session, Packet::PubRel(PubRel { pid: pid(9) })),
        Err(if QOS2 {
            ProtocolError::TooManyInFlight
        } else {
            ProtocolError::UnexpectedPacket(PacketType::PubRel)
        })
    );
    assert_eq!(
        drain(&mut session),
        [Transmit::PubAck(pid(1)), Transmit::PubAck(pid(2))]
    );
    session.accept_message(QosPid::AtLeastOnce(pid(3))).unwrap();
}

// --- connection lifecycle ---------------------------------------------

#[test]
#[cfg(feature = "qos2")]
fn clean_connect_forgets_everything() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(1), QoS::ExactlyOnce, None)
        .unwrap();
    session.start_subscribe(pid(2), 1, Some(at(5))).unwrap();
    receive(&mut session, Packet::PubRec(PubRec { pid: pid(1) })).unwrap();
    let inbound = publish(QosPid::ExactlyOnce(pid(9)));
    receive(&mut session, Packet::Publish(inbound)).unwrap();
    session.accept_message(inbound.qos_pid).unwrap();
    session.accept_message(QosPid::AtLeastOnce(pid(8))).unwrap();

    session.handle_connect(true);
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.poll_transmit(), None);
    assert_eq!(
        receive(&mut session, Packet::ConnAck(ACCEPTED)),
        Ok(Event::Connected(ACCEPTED))
    );
    // The inbound QoS 2 id was forgotten too.
    assert_eq!(
        receive(&mut session, Packet::Publish(inbound)),
        Ok(Event::Message(inbound))
    );
    // Its ids are free again.
    session
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    session.start_subscribe(pid(2), 1, None).unwrap();
}

#[test]
#[cfg(feature = "qos2")]
fn resumed_connect_resends_pubrel() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    session
        .start_publish(pid(2), QoS::ExactlyOnce, Some(at(50)))
        .unwrap();
    session
        .start_publish(pid(3), QoS::ExactlyOnce, None)
        .unwrap();
    session
        .start_publish(pid(4), QoS::ExactlyOnce, None)
        .unwrap();
    receive(&mut session, Packet::PubRec(PubRec { pid: pid(4) })).unwrap();
    receive(&mut session, Packet::PubRec(PubRec { pid: pid(2) })).unwrap();
    let inbound = publish(QosPid::ExactlyOnce(pid(9)));
    receive(&mut session, Packet::Publish(inbound)).unwrap();
    session.accept_message(inbound.qos_pid).unwrap();
    // The connection drops before anything queued was sent.
    session.handle_disconnect();
    assert_eq!(session.poll_transmit(), None);
    assert_eq!(session.in_flight_len(), 4);

    session.handle_connect(false);
    // Table order, not PUBREC order; acks queued before are gone.
    assert_eq!(
        drain(&mut session),
        [Transmit::PubRel(pid(2)), Transmit::PubRel(pid(4))]
    );
    assert_eq!(pids(&session), [1, 2, 3, 4]);
    assert_eq!(
        session.in_flight(pid(2)),
        Some((Awaiting::PubComp, Some(at(50))))
    );
    receive(
        &mut session,
        Packet::ConnAck(ConnAck {
            session_present: true,
            return_code: 0,
        }),
    )
    .unwrap();
    // The inbound QoS 2 message is still held: its resend is a duplicate.
    assert_eq!(
        receive(&mut session, Packet::Publish(inbound)),
        Ok(Event::Duplicate(inbound))
    );
    assert_eq!(drain(&mut session), [Transmit::PubRec(pid(9))]);
    assert_eq!(
        receive(&mut session, Packet::PubComp(PubComp { pid: pid(4) })),
        Ok(Event::Delivered {
            pid: pid(4),
            qos: QoS::ExactlyOnce
        })
    );
}

#[test]
#[cfg(feature = "qos2")]
fn resumed_connect_with_a_full_table_of_pubrels() {
    let mut session = connected::<3>();
    for p in 1..=3 {
        session
            .start_publish(pid(p), QoS::ExactlyOnce, None)
            .unwrap();
        receive(&mut session, Packet::PubRec(PubRec { pid: pid(p) })).unwrap();
    }
    // Three PUBRELs already queued, then the connection is resumed.
    session.handle_connect(false);
    assert_eq!(
        drain(&mut session),
        [
            Transmit::PubRel(pid(1)),
            Transmit::PubRel(pid(2)),
            Transmit::PubRel(pid(3))
        ]
    );
}

#[test]
fn nothing_but_connack_before_connack() {
    let mut session = Session::<Inline<4>>::new();
    session
        .start_publish(pid(1), QoS::AtLeastOnce, None)
        .unwrap();
    session.handle_connect(false);
    let filters = [(TopicFilter::new(b"a/#").unwrap(), QoS::AtLeastOnce)];
    let unsubscribe = [TopicFilter::new(b"a/#").unwrap()];
    let packets = [
        Packet::Publish(publish(QosPid::AtMostOnce)),
        Packet::PubAck(PubAck { pid: pid(1) }),
        Packet::PubRec(PubRec { pid: pid(1) }),
        Packet::PubRel(PubRel { pid: pid(1) }),
        Packet::PubComp(PubComp { pid: pid(1) }),
        Packet::SubAck(SubAck {
            pid: pid(1),
            return_codes: &[0],
        }),
        Packet::UnsubAck(UnsubAck { pid: pid(1) }),
        Packet::PingResp(PingResp),
        Packet::PingReq(PingReq),
        Packet::Disconnect(Disconnect),
        Packet::Subscribe(Subscribe {
            pid: pid(1),
            filters: SubscribeFilters::new(&filters),
        }),
        Packet::Unsubscribe(Unsubscribe {
            pid: pid(1),
            filters: UnsubscribeFilters::new(&unsubscribe),
        }),
    ];
    for packet in packets {
        assert_eq!(
            receive(&mut session, packet),
            Err(ProtocolError::UnexpectedPacket(packet.packet_type()))
        );
    }
    // None of it had any effect.
    assert_eq!(session.in_flight(pid(1)), Some((Awaiting::PubAck, None)));
    assert_eq!(session.poll_transmit(), None);

    // A refused CONNACK is still the answer (MQTT 3.1 layout here, when
    // the build has it).
    #[cfg(feature = "mqtt31")]
    let version = ProtocolVersion::V31;
    #[cfg(not(feature = "mqtt31"))]
    let version = ProtocolVersion::V311;
    let refused = decode(0x20, &[0x00, 0x05], version).unwrap();
    assert_eq!(
        receive(&mut session, refused),
        Ok(Event::Connected(ConnAck {
            session_present: false,
            return_code: 5
        }))
    );
    assert_eq!(
        receive(&mut session, Packet::ConnAck(ACCEPTED)),
        Err(ProtocolError::UnexpectedPacket(PacketType::ConnAck))
    );
    assert_eq!(
        receive(&mut session, Packet::PubAck(PubAck { pid: pid(1) })),
        Ok(Event::Delivered {
            pid: pid(1),
            qos: QoS::AtLeastOnce
        })
    );
}

#[test]
fn connack_without_connect_is_unexpected() {
    let mut session = Session::<Inline<4>>::new();
    assert_eq!(
        receive(&mut session, Packet::ConnAck(ACCEPTED)),
        Err(ProtocolError::UnexpectedPacket(PacketType::ConnAck))
    );
    let mut session = connected::<4>();
    session.handle_disconnect();
    assert_eq!(
        receive(&mut session, Packet::ConnAck(ACCEPTED)),
        Err(ProtocolError::UnexpectedPacket(PacketType::ConnAck))
    );
}

#[test]
fn packets_a_server_never_sends() {
    let mut session = connected::<4>();
    let filters = [(TopicFilter::new(b"+/x").unwrap(), QoS::ExactlyOnce)];
    let unsubscribe = [TopicFilter::new(b"+/x").unwrap()];
    let connect = Connect {
        version: ProtocolVersion::V311,
        client_id: "c",
        clean_session: true,
        keep_alive: 0,
        will: None,
        username: None,
        password: None,
    };
    let packets = [
        Packet::Connect(connect),
        Packet::ConnAck(ACCEPTED),
        Packet::Subscribe(Subscribe {
            pid: pid(1),
            filters: SubscribeFilters::new(&filters),
        }),
        Packet::Unsubscribe(Unsubscribe {
            pid: pid(1),
            filters: UnsubscribeFilters::new(&unsubscribe),
        }),
        Packet::PingReq(PingReq),
        Packet::Disconnect(Disconnect),
    ];
    for packet in packets {
        assert_eq!(
            receive(&mut session, packet),
            Err(ProtocolError::UnexpectedPacket(packet.packet_type()))
        );
    }
    // The same from real bytes.
    for bytes in [&[0xc0, 0x00][..], &[0xe0, 0x00], &[0x20, 0x02, 0x00, 0x00]] {
        let packet = wire(bytes);
        assert_eq!(
            receive(&mut session, packet),
            Err(ProtocolError::UnexpectedPacket(packet.packet_type()))
        );
    }
}

// --- without the QoS 2 flows (feature `qos2` off) ---------------------

#[test]
#[cfg(not(feature = "qos2"))]
fn without_qos2_the_session_refuses_its_flows() {
    let mut session = connected::<4>();
    let unexpected = |packet_type| Err(ProtocolError::UnexpectedPacket(packet_type));
    // From the broker: a QoS 2 PUBLISH (new or DUP), PUBREC, PUBREL, PUBCOMP.
    let inbound = publish(QosPid::ExactlyOnce(pid(9)));
    let duplicate = Publish {
        dup: true,
        ..inbound
    };
    for packet in [
        Packet::Publish(inbound),
        Packet::Publish(duplicate),
        Packet::PubRec(PubRec { pid: pid(9) }),
        Packet::PubRel(PubRel { pid: pid(9) }),
        Packet::PubComp(PubComp { pid: pid(9) }),
    ] {
        assert_eq!(
            receive(&mut session, packet),
            unexpected(packet.packet_type())
        );
    }
    // Also from real bytes (the decoder has them: `server` or tests).
    for bytes in [&[0x62, 0x02, 0x00, 0x09][..], &[0x50, 0x02, 0x00, 0x09]] {
        let packet = wire(bytes);
        assert_eq!(
            receive(&mut session, packet),
            unexpected(packet.packet_type())
        );
    }
    assert_eq!(
        session.poll_transmit(),
        None,
        "no PUBREC, PUBREL or PUBCOMP"
    );
    // A QoS 2 message is never reported, so never accepted.
    assert_eq!(
        session.accept_message(QosPid::ExactlyOnce(pid(9))),
        Err(ProtocolError::UnexpectedPacket(PacketType::Publish))
    );
    assert_eq!(session.poll_transmit(), None);
    // To the broker: no QoS 2 publish starts, nor resends.
    assert_eq!(
        session.start_publish(pid(1), QoS::ExactlyOnce, None),
        Err(SessionError::Unsupported)
    );
    assert_eq!(
        session.resend_publish(pid(1), QoS::ExactlyOnce, None),
        Err(SessionError::Unsupported)
    );
    assert_eq!(session.in_flight_len(), 0);
    // A resumed session has no PUBREL to send again.
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    session.handle_connect(false);
    assert_eq!(session.poll_transmit(), None);
    assert_eq!(session.in_flight(pid(2)), Some((Awaiting::PubAck, None)));
    assert_eq!(session.publishes_in_flight(), 1);
}

#[test]
fn a_row_is_24_bytes_or_20_without_qos2() {
    assert_eq!(size_of::<Row>(), if QOS2 { 24 } else { 20 });
}

// --- keep-alive -------------------------------------------------------

#[test]
fn transmits_encode_to_their_packets() {
    let p = pid(0xabcd);
    let cases = [
        (Transmit::PubAck(p), 0x40),
        #[cfg(feature = "qos2")]
        (Transmit::PubRec(p), 0x50),
        #[cfg(feature = "qos2")]
        (Transmit::PubRel(p), 0x62),
        #[cfg(feature = "qos2")]
        (Transmit::PubComp(p), 0x70),
    ];
    for (transmit, first_byte) in cases {
        let mut buf = [0u8; 4];
        assert_eq!(transmit.encode(&mut buf), Ok(4));
        assert_eq!(buf, [first_byte, 0x02, 0xab, 0xcd]);
        assert_eq!(wire(&buf), transmit.packet());
        assert_eq!(
            transmit.encode(&mut [0u8; 3]),
            Err(EncodeError::BufferTooSmall { needed: 4 })
        );
    }
}

#[test]
fn errors_display() {
    use std::string::ToString;
    let protocol = [
        ProtocolError::UnexpectedPacket(PacketType::Connect),
        ProtocolError::WrongAck {
            packet_type: PacketType::PubAck,
            pid: pid(1),
        },
        ProtocolError::SubAckCount,
        ProtocolError::TooManyInFlight,
    ];
    for error in protocol {
        assert!(!error.to_string().is_empty());
    }
    assert!(!SessionError::PidInUse.to_string().is_empty());
    assert!(!SessionError::Full.to_string().is_empty());
}

#[test]
fn default_is_new() {
    let mut session = Session::<Inline<2>>::default();
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(session.next_pid(), Some(pid(1)));
    assert_eq!(session.poll_transmit(), None);
    assert_eq!(session.poll_expired(at(0)), None);
}

// --- property test ----------------------------------------------------

/// What the property test does to a `Session<Inline<4>>`. Times are offsets from
/// a clock that starts near the `u32` wrap and moves forward.
#[derive(Clone, Debug)]
enum Op {
    Advance(u32),
    Connect {
        clean: bool,
    },
    Disconnect,
    PublishNext(QoS, Option<u32>),
    Publish(u16, QoS, Option<u32>),
    Subscribe(u16, u16, Option<u32>),
    Unsubscribe(u16, Option<u32>),
    Track(u16, Option<u32>),
    Forget(u16),
    Accept(QoS, u16),
    ClearInFlight,
    PollTransmit,
    PollExpired,
    /// A packet built from (kind, pid, count).
    Packet(u8, u16, u8),
    /// Raw bytes through the decoder.
    Bytes(u8, Vec<u8>),
}

fn small_pid() -> impl Strategy<Value = u16> {
    prop_oneof![8 => 1u16..=6, 1 => Just(u16::MAX), 1 => any::<u16>()]
}

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let deadline = proptest::option::of(0u32..5_000);
    prop_oneof![
        2 => prop_oneof![0u32..3_000, Just(i32::MAX as u32)].prop_map(Op::Advance),
        1 => any::<bool>().prop_map(|clean| Op::Connect { clean }),
        1 => Just(Op::Disconnect),
        3 => (qos(), deadline.clone()).prop_map(|(q, d)| Op::PublishNext(q, d)),
        2 => (small_pid(), qos(), deadline.clone()).prop_map(|(p, q, d)| Op::Publish(p, q, d)),
        2 => (small_pid(), 0u16..4, deadline.clone())
            .prop_map(|(p, n, d)| Op::Subscribe(p, n, d)),
        1 => (small_pid(), deadline.clone()).prop_map(|(p, d)| Op::Unsubscribe(p, d)),
        1 => (small_pid(), deadline).prop_map(|(p, d)| Op::Track(p, d)),
        1 => small_pid().prop_map(Op::Forget),
        2 => (qos(), small_pid()).prop_map(|(q, p)| Op::Accept(q, p)),
        1 => Just(Op::ClearInFlight),
        3 => Just(Op::PollTransmit),
        2 => Just(Op::PollExpired),
        8 => (0u8..16, small_pid(), 0u8..4).prop_map(|(k, p, n)| Op::Packet(k, p, n)),
        // CONNACK often enough that most of a run is connected.
        2 => Just(Op::Packet(0, 1, 0)),
        2 => (
            prop_oneof![any::<u8>(), Just(0x40u8), Just(0x50), Just(0x62), Just(0x70), Just(0x90), Just(0x34)],
            proptest::collection::vec(prop_oneof![0u8..8, any::<u8>()], 0..10)
        )
            .prop_map(|(first_byte, body)| Op::Bytes(first_byte, body)),
    ]
}

fn check_invariants<const N: usize>(session: &Session<Inline<N>>) {
    assert!(session.in_flight_len() <= N);
    let all: Vec<Pid> = session.in_flight_iter().map(|(p, _, _)| p).collect();
    assert_eq!(all.len(), session.in_flight_len());
    for (i, p) in all.iter().enumerate() {
        assert!(!all[i + 1..].contains(p), "pid {p:?} twice in flight");
        assert!(session.in_flight(*p).is_some());
    }
    #[cfg(feature = "qos2")]
    assert!(session.lens.inbound_len() <= N);
    assert!(session.lens.tx_len() <= N);
}

fn apply<const N: usize>(session: &mut Session<Inline<N>>, now: &mut Instant, op: &Op) {
    let deadline = |d: &Option<u32>| d.map(|d| now.wrapping_add(Duration::from_millis(d)));
    let subscribe_list = [(TopicFilter::new(b"a/+").unwrap(), QoS::AtLeastOnce)];
    let unsubscribe_list = [TopicFilter::new(b"a/+").unwrap()];
    let codes = [0u8, 1, 0x80];
    match op {
        Op::Advance(ms) => *now = now.wrapping_add(Duration::from_millis(*ms)),
        Op::Connect { clean } => {
            session.handle_connect(*clean);
            if *clean {
                assert_eq!(session.in_flight_len(), 0);
            }
        }
        Op::Disconnect => {
            let before = session.in_flight_len();
            session.handle_disconnect();
            assert_eq!(session.in_flight_len(), before);
            assert_eq!(session.poll_transmit(), None);
        }
        Op::PublishNext(q, d) => {
            let full = session.in_flight_len() == N;
            match session.next_pid() {
                Some(p) => {
                    assert!(session.in_flight(p).is_none());
                    let started = session.start_publish(p, *q, deadline(d));
                    #[cfg(not(feature = "qos2"))]
                    if *q == QoS::ExactlyOnce {
                        assert_eq!(started, Err(SessionError::Unsupported));
                        assert!(session.in_flight(p).is_none());
                        return;
                    }
                    started.unwrap();
                }
                None => assert!(full),
            }
        }
        Op::Publish(p, q, d) => {
            if let Some(p) = Pid::new(*p) {
                let _ = session.start_publish(p, *q, deadline(d));
            }
        }
        Op::Subscribe(p, n, d) => {
            if let Some(p) = Pid::new(*p) {
                let _ = session.start_subscribe(p, *n, deadline(d));
            }
        }
        Op::Unsubscribe(p, d) => {
            if let Some(p) = Pid::new(*p) {
                let _ = session.start_unsubscribe(p, deadline(d));
            }
        }
        Op::Track(p, d) => {
            if let Some(p) = Pid::new(*p) {
                if session.track(p, deadline(d)).is_ok() {
                    assert_eq!(session.in_flight(p).map(|e| e.1), Some(deadline(d)));
                }
            }
        }
        Op::Forget(p) => {
            if let Some(p) = Pid::new(*p) {
                let before = session.in_flight(p);
                assert_eq!(session.forget(p), before);
                assert_eq!(session.in_flight(p), None);
            }
        }
        Op::Accept(q, p) => {
            if let Some(qos_pid) = QosPid::new(*q, Pid::new(*p)).or_else(|| QosPid::new(*q, None)) {
                let _ = session.accept_message(qos_pid);
            }
        }
        Op::ClearInFlight => session.clear_in_flight(),
        Op::PollTransmit => {
            if let Some(transmit) = session.poll_transmit() {
                let mut buf = [0u8; 4];
                assert_eq!(transmit.encode(&mut buf), Ok(4));
                assert_eq!(wire(&buf), transmit.packet());
            }
        }
        Op::PollExpired => {
            let before: Vec<_> = session.in_flight_iter().collect();
            if let Some((p, awaiting)) = session.poll_expired(*now) {
                let entry = before.iter().find(|e| e.0 == p).unwrap();
                assert_eq!(entry.1, awaiting);
                assert!(now.has_reached(entry.2.unwrap()));
                // Nothing older was due.
                for older in before.iter().take_while(|e| e.0 != p) {
                    assert!(!matches!(older.2, Some(d) if now.has_reached(d)));
                }
                assert_eq!(session.in_flight(p), None);
            } else {
                for entry in &before {
                    assert!(!matches!(entry.2, Some(d) if now.has_reached(d)));
                }
            }
        }
        Op::Packet(kind, p, n) => {
            let Some(p) = Pid::new(*p) else { return };
            let q = match n % 3 {
                0 => QosPid::AtMostOnce,
                1 => QosPid::AtLeastOnce(p),
                _ => QosPid::ExactlyOnce(p),
            };
            let count = usize::from(*n % 3) + 1;
            let packet = match kind {
                0 => Packet::ConnAck(ACCEPTED),
                1 => Packet::Publish(publish(q)),
                2 => Packet::PubAck(PubAck { pid: p }),
                3 => Packet::PubRec(PubRec { pid: p }),
                4 => Packet::PubRel(PubRel { pid: p }),
                5 => Packet::PubComp(PubComp { pid: p }),
                6 => Packet::SubAck(SubAck {
                    pid: p,
                    return_codes: &codes[..count],
                }),
                7 => Packet::UnsubAck(UnsubAck { pid: p }),
                8 => Packet::PingResp(PingResp),
                9 => Packet::PingReq(PingReq),
                10 => Packet::Disconnect(Disconnect),
                11 => Packet::Subscribe(Subscribe {
                    pid: p,
                    filters: SubscribeFilters::new(&subscribe_list),
                }),
                12 => Packet::Unsubscribe(Unsubscribe {
                    pid: p,
                    filters: UnsubscribeFilters::new(&unsubscribe_list),
                }),
                _ => Packet::Publish(publish(QosPid::ExactlyOnce(p))),
            };
            feed(session, *now, packet);
        }
        Op::Bytes(first_byte, body) => {
            for version in [
                ProtocolVersion::V311,
                #[cfg(feature = "mqtt31")]
                ProtocolVersion::V31,
            ] {
                if let Ok(packet) = decode(*first_byte, body, version) {
                    feed(session, *now, packet);
                }
            }
        }
    }
}

/// Hands `packet` over and accepts any message, as a driver would.
fn feed<const N: usize>(session: &mut Session<Inline<N>>, now: Instant, packet: Packet<'_>) {
    let before = session.in_flight_len();
    match session.handle_packet(now, packet) {
        Ok(Event::Message(message)) => {
            let _ = session.accept_message(message.qos_pid);
        }
        Ok(Event::Delivered { pid, .. })
        | Ok(Event::Subscribed { pid, .. })
        | Ok(Event::Unsubscribed(pid)) => {
            assert_eq!(session.in_flight(pid), None);
            assert_eq!(session.in_flight_len(), before - 1);
        }
        #[cfg(feature = "qos2")]
        Ok(Event::Received(pid)) => {
            assert_eq!(session.in_flight(pid).map(|e| e.0), Some(Awaiting::PubComp));
        }
        Ok(Event::UnknownAck { pid, .. }) => assert_eq!(session.in_flight(pid), None),
        Ok(_) => {}
        Err(ProtocolError::WrongAck { pid, .. }) => {
            assert_eq!(session.in_flight_len(), before);
            assert!(session.in_flight(pid).is_some());
        }
        Err(_) => {}
    }
}

proptest! {
    #[test]
    fn arbitrary_operations_never_panic(
        start in prop_oneof![Just(u32::MAX - 10_000), any::<u32>()],
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        let mut session = Session::<Inline<4>>::new();
        let mut now = at(start);
        for op in &ops {
            apply(&mut session, &mut now, op);
            check_invariants(&session);
        }
    }
}

proptest! {
    /// A new (not DUP) publish through `start_or_resend`, the client's
    /// `track_publish` path, does what `start_publish` did there before:
    /// the same result and the same exchanges in flight, whatever the
    /// session holds.
    #[test]
    fn start_or_resend_of_a_new_publish_is_start_publish(
        ops in proptest::collection::vec(op(), 0..60),
        pid_value in small_pid(),
        qos in qos(),
        deadline in proptest::option::of(any::<u32>()),
    ) {
        let mut session = Session::<Inline<4>>::new();
        let mut now = at(0);
        for op in &ops {
            apply(&mut session, &mut now, op);
        }
        let Some(pid) = Pid::new(pid_value) else {
            return Ok(());
        };
        let deadline = deadline.map(at);
        let mut old = session.clone();
        let expected = old.start_publish(pid, qos, deadline).map(|()| Some(false));
        prop_assert_eq!(session.start_or_resend(pid, qos, deadline, false), expected);
        let in_flight = |s: &Session<Inline<4>>| s.in_flight_iter().collect::<Vec<_>>();
        prop_assert_eq!(in_flight(&session), in_flight(&old));
    }
}

// --- resending publishes (resumed sessions) ----------------------------

#[test]
fn resend_publish_renews_the_deadline_of_a_publish_in_flight() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(7), QoS::AtLeastOnce, Some(at(100)))
        .unwrap();
    // A second start is refused; a resend is allowed and moves the deadline.
    assert_eq!(
        session.start_publish(pid(7), QoS::AtLeastOnce, None),
        Err(SessionError::PidInUse)
    );
    assert_eq!(
        session.resend_publish(pid(7), QoS::AtLeastOnce, Some(at(500))),
        Ok(true)
    );
    assert_eq!(
        session.in_flight(pid(7)),
        Some((Awaiting::PubAck, Some(at(500))))
    );
    assert_eq!(session.in_flight_len(), 1);
    assert_eq!(session.poll_expired(at(200)), None);
    // The PUBACK still completes it.
    assert_eq!(
        receive(&mut session, wire(&[0x40, 0x02, 0x00, 0x07])),
        Ok(Event::Delivered {
            pid: pid(7),
            qos: QoS::AtLeastOnce
        })
    );
    assert_eq!(session.in_flight_len(), 0);
}

#[test]
#[cfg(feature = "qos2")]
fn resend_publish_of_qos2_before_and_after_pubrec() {
    let mut session = connected::<4>();
    session
        .start_publish(pid(3), QoS::ExactlyOnce, None)
        .unwrap();
    // Before PUBREC: the PUBLISH is resent.
    assert_eq!(
        session.resend_publish(pid(3), QoS::ExactlyOnce, None),
        Ok(true)
    );
    assert_eq!(
        receive(&mut session, wire(&[0x50, 0x02, 0x00, 0x03])),
        Ok(Event::Received(pid(3)))
    );
    assert_eq!(drain(&mut session), vec![Transmit::PubRel(pid(3))]);
    // After PUBREC: only the PUBREL goes again (on reconnect), never the PUBLISH.
    assert_eq!(
        session.resend_publish(pid(3), QoS::ExactlyOnce, None),
        Ok(false)
    );
    assert_eq!(
        session.in_flight(pid(3)).map(|e| e.0),
        Some(Awaiting::PubComp)
    );
    session.handle_connect(false);
    assert_eq!(drain(&mut session), vec![Transmit::PubRel(pid(3))]);
}

#[test]
#[cfg(feature = "qos2")]
fn resend_publish_of_a_forgotten_pid_tracks_it_again() {
    let mut session = connected::<2>();
    session
        .start_publish(pid(9), QoS::ExactlyOnce, Some(at(5)))
        .unwrap();
    assert_eq!(
        session.poll_expired(at(10)),
        Some((pid(9), Awaiting::PubRec))
    );
    assert_eq!(session.in_flight_len(), 0);
    assert_eq!(
        session.resend_publish(pid(9), QoS::ExactlyOnce, Some(at(50))),
        Ok(true)
    );
    assert_eq!(
        session.in_flight(pid(9)),
        Some((Awaiting::PubRec, Some(at(50))))
    );
    // QoS 0 is never tracked.
    assert_eq!(
        session.resend_publish(pid(1), QoS::AtMostOnce, None),
        Ok(true)
    );
    assert_eq!(session.in_flight_len(), 1);
}

#[test]
fn resend_publish_refuses_a_pid_used_otherwise_or_a_full_table() {
    let mut session = connected::<2>();
    session.start_subscribe(pid(1), 1, None).unwrap();
    session
        .start_publish(pid(2), QoS::AtLeastOnce, None)
        .unwrap();
    assert_eq!(
        session.resend_publish(pid(1), QoS::AtLeastOnce, None),
        Err(SessionError::PidInUse)
    );
    // Same pid, other QoS.
    assert_eq!(
        session.resend_publish(pid(2), QoS::ExactlyOnce, None),
        Err(QOS2_ON_A_PID_IN_USE)
    );
    // Not in flight, table full.
    assert_eq!(
        session.resend_publish(pid(3), QoS::AtLeastOnce, None),
        Err(SessionError::Full)
    );
    assert_eq!(pids(&session), vec![1, 2]);
}
