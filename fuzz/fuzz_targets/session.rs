//! `Session` driven by arbitrary sequences of operations, decoded packets
//! (structured, or arbitrary bytes through `decode`) and arbitrary time
//! steps, including jumps across the 32-bit millisecond wrap. Invariants are
//! checked after every step through the public API only.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use umqtt_core::codec::{
    ConnAck, Disconnect, PingReq, PingResp, PubAck, PubComp, PubRec, PubRel, Publish, SubAck,
    Subscribe, SubscribeFilters, UnsubAck, Unsubscribe, UnsubscribeFilters,
};
use umqtt_core::{
    decode, Awaiting, Duration, Event, Instant, Packet, Pid, ProtocolError, ProtocolVersion, QoS,
    Inline, QosPid, Session, TopicFilter, TopicName,
};

const N: usize = 4;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Q {
    Zero,
    One,
    Two,
}

impl Q {
    fn qos(self) -> QoS {
        match self {
            Q::Zero => QoS::AtMostOnce,
            Q::One => QoS::AtLeastOnce,
            Q::Two => QoS::ExactlyOnce,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Advance(u16),
    Jump(u32),
    Connect {
        clean: bool,
    },
    Disconnect,
    PublishNext(Q, Option<u16>),
    Publish(u8, Q, Option<u16>),
    Subscribe(u8, u8, Option<u16>),
    Unsubscribe(u8, Option<u16>),
    Track(u8, Option<u16>),
    Forget(u8),
    Accept(Q, u8),
    ClearInFlight,
    Clear,
    PollTransmit,
    PollExpired,
    /// A structured packet: kind, pid, count/qos selector.
    Packet(u8, u8, u8),
    /// Arbitrary bytes through the decoder.
    Bytes(u8, Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    start: u32,
    ops: Vec<Op>,
}

/// Small pids collide often; 0 is not a pid; 255 stands for 65535.
fn pid(p: u8) -> Option<Pid> {
    match p {
        255 => Pid::new(u16::MAX),
        p => Pid::new(u16::from(p % 8)),
    }
}

fn check(session: &Session<Inline<N>>) {
    assert!(session.in_flight_len() <= N);
    let all: Vec<_> = session.in_flight_iter().collect();
    assert_eq!(all.len(), session.in_flight_len());
    for (i, (p, awaiting, deadline)) in all.iter().enumerate() {
        assert!(
            all[i + 1..].iter().all(|e| e.0 != *p),
            "pid {p:?} twice in flight"
        );
        assert_eq!(session.in_flight(*p), Some((*awaiting, *deadline)));
    }
}

fn feed(session: &mut Session<Inline<N>>, now: Instant, packet: Packet<'_>, accept: bool) {
    let before: Vec<_> = session.in_flight_iter().collect();
    match session.handle_packet(now, packet) {
        Ok(Event::Message(message)) => {
            if accept {
                let _ = session.accept_message(message.qos_pid);
            }
            assert_eq!(session.in_flight_len(), before.len());
        }
        Ok(Event::Delivered { pid, qos }) => {
            let entry = before
                .iter()
                .find(|e| e.0 == pid)
                .expect("delivered was in flight");
            assert!(matches!(
                (qos, entry.1),
                (QoS::AtLeastOnce, Awaiting::PubAck | Awaiting::Tracked)
                    | (QoS::ExactlyOnce, Awaiting::PubComp)
            ));
            assert_eq!(session.in_flight(pid), None);
            assert_eq!(session.in_flight_len(), before.len() - 1);
        }
        Ok(Event::Subscribed { pid, return_codes }) => {
            let entry = before
                .iter()
                .find(|e| e.0 == pid)
                .expect("subscribed was in flight");
            if let Awaiting::SubAck { filters } = entry.1 {
                assert_eq!(usize::from(filters), return_codes.len());
            } else {
                assert_eq!(entry.1, Awaiting::Tracked);
            }
            assert!(return_codes.iter().all(|c| matches!(c, 0 | 1 | 2 | 0x80)));
            assert_eq!(session.in_flight(pid), None);
            assert_eq!(session.in_flight_len(), before.len() - 1);
        }
        Ok(Event::Unsubscribed(pid)) => {
            let entry = before
                .iter()
                .find(|e| e.0 == pid)
                .expect("unsubscribed was in flight");
            assert_eq!(entry.1, Awaiting::UnsubAck);
            assert_eq!(session.in_flight(pid), None);
        }
        Ok(Event::Received(pid)) => {
            let entry = before
                .iter()
                .find(|e| e.0 == pid)
                .expect("received was in flight");
            // PUBREC, or a repeated one (answered with PUBREL again).
            assert!(matches!(entry.1, Awaiting::PubRec | Awaiting::PubComp));
            assert_eq!(session.in_flight(pid).map(|e| e.0), Some(Awaiting::PubComp));
        }
        Ok(Event::UnknownAck { pid, .. }) => {
            assert!(before.iter().all(|e| e.0 != pid));
            assert_eq!(session.in_flight(pid), None);
        }
        Ok(_) => assert_eq!(session.in_flight_len(), before.len()),
        Err(ProtocolError::WrongAck { pid, .. }) => {
            assert_eq!(session.in_flight_len(), before.len());
            assert!(session.in_flight(pid).is_some());
        }
        Err(_) => {}
    }
}

fuzz_target!(|input: Input| {
    let mut session = Session::<Inline<N>>::new();
    let mut now = Instant::from_millis(input.start);
    let topic = TopicName::new(b"a/b").unwrap();
    let subscribe_list = [(TopicFilter::new(b"a/+").unwrap(), QoS::AtLeastOnce)];
    let unsubscribe_list = [TopicFilter::new(b"a/+").unwrap()];
    let codes = [0u8, 1, 0x80];
    for op in &input.ops {
        let deadline =
            |d: &Option<u16>| d.map(|d| now.wrapping_add(Duration::from_millis(u32::from(d))));
        match op {
            Op::Advance(ms) => now = now.wrapping_add(Duration::from_millis(u32::from(*ms))),
            Op::Jump(ms) => now = now.wrapping_add(Duration::from_millis(*ms)),
            Op::Connect { clean } => {
                session.handle_connect(*clean);
                if *clean {
                    assert_eq!(session.in_flight_len(), 0);
                    assert_eq!(session.poll_transmit(), None);
                }
            }
            Op::Disconnect => {
                let before: Vec<_> = session.in_flight_iter().collect();
                session.handle_disconnect();
                assert_eq!(session.in_flight_iter().collect::<Vec<_>>(), before);
                assert_eq!(session.poll_transmit(), None);
            }
            Op::PublishNext(q, d) => {
                let full = session.in_flight_len() == N;
                match session.next_pid() {
                    Some(p) => {
                        assert!(session.in_flight(p).is_none());
                        session.start_publish(p, q.qos(), deadline(d)).unwrap();
                    }
                    None => assert!(full),
                }
            }
            Op::Publish(p, q, d) => {
                if let Some(p) = pid(*p) {
                    let before = session.in_flight_len();
                    if session.start_publish(p, q.qos(), deadline(d)).is_ok()
                        && q.qos() != QoS::AtMostOnce
                    {
                        assert_eq!(session.in_flight_len(), before + 1);
                    }
                }
            }
            Op::Subscribe(p, n, d) => {
                if let Some(p) = pid(*p) {
                    let _ = session.start_subscribe(p, u16::from(*n % 4), deadline(d));
                }
            }
            Op::Unsubscribe(p, d) => {
                if let Some(p) = pid(*p) {
                    let _ = session.start_unsubscribe(p, deadline(d));
                }
            }
            Op::Track(p, d) => {
                if let Some(p) = pid(*p) {
                    if session.track(p, deadline(d)).is_ok() {
                        assert_eq!(session.in_flight(p).map(|e| e.1), Some(deadline(d)));
                    }
                }
            }
            Op::Forget(p) => {
                if let Some(p) = pid(*p) {
                    let before = session.in_flight(p);
                    assert_eq!(session.forget(p), before);
                    assert_eq!(session.in_flight(p), None);
                }
            }
            Op::Accept(q, p) => {
                if let Some(qos_pid) =
                    QosPid::new(q.qos(), pid(*p)).or_else(|| QosPid::new(q.qos(), None))
                {
                    let _ = session.accept_message(qos_pid);
                }
            }
            Op::ClearInFlight => {
                session.clear_in_flight();
                assert_eq!(session.in_flight_len(), 0);
            }
            Op::Clear => {
                session.clear();
                assert_eq!(session.in_flight_len(), 0);
                assert_eq!(session.poll_transmit(), None);
            }
            Op::PollTransmit => {
                let mut count = 0;
                while let Some(transmit) = session.poll_transmit() {
                    count += 1;
                    assert!(count <= N, "more acks queued than capacity");
                    let mut buf = [0u8; 4];
                    assert_eq!(transmit.encode(&mut buf), Ok(4));
                    let packet = decode(buf[0], &buf[2..], ProtocolVersion::V311).unwrap();
                    assert_eq!(packet, transmit.packet());
                }
            }
            Op::PollExpired => {
                let before: Vec<_> = session.in_flight_iter().collect();
                let mut expired = 0;
                while let Some((p, awaiting)) = session.poll_expired(now) {
                    expired += 1;
                    assert!(expired <= N);
                    let entry = before
                        .iter()
                        .find(|e| e.0 == p)
                        .expect("expired was in flight");
                    assert_eq!(entry.1, awaiting);
                    assert!(now.has_reached(entry.2.expect("expired had a deadline")));
                    assert_eq!(session.in_flight(p), None);
                }
                for (_, _, d) in session.in_flight_iter() {
                    assert!(!matches!(d, Some(d) if now.has_reached(d)));
                }
            }
            Op::Packet(kind, p, n) => {
                let Some(p) = pid(*p) else { continue };
                let q = match n % 3 {
                    0 => QosPid::AtMostOnce,
                    1 => QosPid::AtLeastOnce(p),
                    _ => QosPid::ExactlyOnce(p),
                };
                let count = usize::from(*n % 3) + 1;
                let publish = Publish {
                    dup: false,
                    qos_pid: q,
                    retain: false,
                    topic,
                    payload: b"x",
                };
                let packet = match kind % 14 {
                    0 => Packet::ConnAck(ConnAck {
                        session_present: false,
                        return_code: 0,
                    }),
                    1 => Packet::Publish(publish),
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
                    _ => Packet::Publish(Publish {
                        qos_pid: QosPid::ExactlyOnce(p),
                        ..publish
                    }),
                };
                if matches!(packet, Packet::ConnAck(_)) {
                    let _ = session.handle_packet(now, packet);
                    continue;
                }
                feed(&mut session, now, packet, n & 4 == 0);
            }
            Op::Bytes(first_byte, body) => {
                for version in [ProtocolVersion::V311, ProtocolVersion::V31] {
                    if let Ok(packet) = decode(*first_byte, body, version) {
                        if let Packet::ConnAck(_) = packet {
                            let _ = session.handle_packet(now, packet);
                            continue;
                        }
                        feed(&mut session, now, packet, true);
                    }
                }
            }
        }
        check(&session);
    }
});
