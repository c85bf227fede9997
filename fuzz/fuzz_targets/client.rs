//! The client engine (`umqtt_core::client::Client`) driven by arbitrary
//! sequences of operations and broker bytes, including the nested
//! deliveries of callbacks that receive again: messages are reported, more
//! arrive before the first is accepted, callbacks "raise" (forget), the
//! connection is replaced under open deliveries. Checked after every step:
//! nothing panics; at most `DELIVERY_DEPTH` deliveries are open and none
//! survives a connection change; each delivery's ack is queued at most
//! once, and only on the connection that delivered it; a read is refused
//! (not lost) when the depth is reached.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use umqtt_core::client::{Client, ClientError, Link, Message, Received, DELIVERY_DEPTH};
use umqtt_core::codec::{ConnAck, Connect, Packet};
use umqtt_core::{FrameReader, Inline, Instant, Pid, ProtocolVersion, QoS, QosPid, Transmit};

const N: usize = 4;

#[derive(Arbitrary, Debug)]
enum Op {
    Connect {
        v5: bool,
        clean: bool,
    },
    Connack(u8),
    /// Broker bytes, cut into frames by the engine's own reader.
    Bytes(Vec<u8>),
    /// A well-formed PUBLISH from the broker (qos, pid).
    Incoming(u8, u8),
    Accept(u8),
    Forget(u8),
    Publish(u8, u8, bool),
    Subscribe(u8, u8),
    Unsubscribe(u8),
    PollTransmit,
    Advance(u16),
    Detach,
}

#[derive(Arbitrary, Debug)]
struct Input {
    ops: Vec<Op>,
}

struct Model {
    /// Deliveries reported and not closed, on the current connection.
    open: Vec<QosPid>,
    /// Acks queued by accept and not yet polled, per (kind, pid).
    owed: Vec<Transmit>,
    now: Instant,
    connection: u32,
}

fn pid(p: u8) -> Option<Pid> {
    Pid::new(u16::from(p % 6))
}

fn qos(q: u8) -> QoS {
    QoS::from_u8(q % 3).unwrap_or(QoS::AtMostOnce)
}

fn feed(c: &mut Client<Inline<N>>, m: &mut Model, bytes: &[u8]) {
    let mut rx = [0u8; 512];
    let mut rest = bytes;
    while !rest.is_empty() {
        if c.can_read().is_err() {
            return;
        }
        let reader: &mut FrameReader = c.reader();
        let buf = reader.read_buf(&mut rx);
        let n = buf.len().min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        let frame = match c.reader().handle_read(n) {
            Ok(Some(frame)) => frame,
            Ok(None) => continue,
            Err(_) => {
                c.fail(());
                return;
            }
        };
        let body = &rx[..frame.body_len];
        let mut aliases = [0u8; 0];
        let before = c.open_deliveries();
        match c.handle_frame(m.now, frame, body, &mut aliases) {
            Ok(incoming) => {
                if let Received::Message(p) = incoming.received {
                    if p.qos_pid.pid().is_some() {
                        m.open.push(p.qos_pid);
                        assert_eq!(c.open_deliveries(), before + 1);
                    }
                }
                if let Received::Disconnected = incoming.received {
                    assert_eq!(c.link(), Link::Broken);
                }
            }
            Err(ClientError::NestedTooDeep) => unreachable!("can_read was checked"),
            Err(_) => {
                assert_eq!(c.link(), Link::Broken);
                return;
            }
        }
    }
}

fn publish_bytes(q: QoS, p: Option<Pid>) -> Vec<u8> {
    let Some(qos_pid) = QosPid::new(q, if q == QoS::AtMostOnce { None } else { p }) else {
        return Vec::new();
    };
    let packet = Packet::Publish(umqtt_core::codec::Publish {
        dup: false,
        qos_pid,
        retain: false,
        topic: umqtt_core::TopicName::new(b"t").unwrap(),
        payload: b"x",
    });
    let mut buf = vec![0u8; packet.encoded_len()];
    packet.encode(&mut buf).unwrap();
    buf
}

fuzz_target!(|input: Input| {
    let mut c = Client::<Inline<N>>::new(512);
    let mut m = Model {
        open: Vec::new(),
        owed: Vec::new(),
        now: Instant::from_millis(0),
        connection: 0,
    };
    for op in input.ops.iter().take(200) {
        match op {
            Op::Connect { v5, clean } => {
                let connect = Connect {
                    version: if *v5 {
                        ProtocolVersion::V5
                    } else {
                        ProtocolVersion::V311
                    },
                    client_id: "f",
                    clean_session: *clean,
                    keep_alive: 10,
                    will: None,
                    username: None,
                    password: None,
                };
                if c.prepare_connect(m.now, connect, &[], &[], 0).is_ok() {
                    m.open.clear();
                    m.owed.clear();
                    m.connection += 1;
                    while c.poll_transmit().is_some() {}
                }
            }
            Op::Connack(code) => {
                let ack = Packet::ConnAck(ConnAck {
                    session_present: false,
                    return_code: code % 3,
                });
                let mut buf = [0u8; 4];
                ack.encode(&mut buf).unwrap();
                let frame = umqtt_core::Frame {
                    first_byte: buf[0],
                    body_len: 2,
                };
                let _ = c.handle_connack(m.now, frame, &buf[2..]);
            }
            Op::Bytes(bytes) => feed(&mut c, &mut m, bytes),
            Op::Incoming(q, p) => feed(&mut c, &mut m, &publish_bytes(qos(*q), pid(*p))),
            Op::Accept(i) if !m.open.is_empty() => {
                let d = m.open.remove(usize::from(*i) % m.open.len());
                match c.accept(d) {
                    Ok(true) => m.owed.push(match d {
                        QosPid::AtLeastOnce(p) => Transmit::PubAck(p),
                        QosPid::ExactlyOnce(p) => Transmit::PubRec(p),
                        QosPid::AtMostOnce => unreachable!("QoS 0 is not recorded"),
                    }),
                    Ok(false) => panic!("an open delivery was not accepted"),
                    Err(_) => assert_eq!(c.link(), Link::Broken),
                }
                if !m.open.contains(&d) {
                    assert!(!c.accept(d).unwrap_or(false), "an ack queued twice");
                }
            }
            Op::Accept(_) => {}
            Op::Forget(i) if !m.open.is_empty() => {
                let d = m.open.remove(usize::from(*i) % m.open.len());
                c.forget(d);
            }
            Op::Forget(_) => {}
            Op::Publish(q, p, dup) => {
                let pid = match qos(*q) {
                    QoS::AtMostOnce => None,
                    _ => pid(*p),
                };
                // QoS 1/2 without a pid cannot be a Message.
                let Some(qos_pid) = QosPid::new(qos(*q), pid) else {
                    continue;
                };
                let msg = Message {
                    topic: b"t",
                    payload: b"p",
                    qos_pid,
                    retain: false,
                    dup: *dup,
                    properties: &[],
                };
                if let Ok(packet) = c.prepare_publish(&msg) {
                    let publish = packet.publish;
                    if let Ok(Some(tracking)) = c.track_publish(&publish, None) {
                        if p % 2 == 0 {
                            tracking.undo(&mut c);
                        }
                    }
                }
            }
            Op::Subscribe(p, o) => {
                if let Some(p) = pid(*p) {
                    if let Ok(packet) = c.prepare_subscribe(p, b"a/+", *o, &[]) {
                        let _ = c.track_request(&packet, None);
                    }
                }
            }
            Op::Unsubscribe(p) => {
                if let Some(p) = pid(*p) {
                    if let Ok(packet) = c.prepare_unsubscribe(p, b"a/#", &[]) {
                        let _ = c.track_request(&packet, None);
                    }
                }
            }
            Op::PollTransmit => {
                if let Some(t) = c.poll_transmit() {
                    if let Some(i) = m.owed.iter().position(|&o| o == t) {
                        m.owed.remove(i);
                    }
                }
            }
            Op::Advance(ms) => {
                m.now = m
                    .now
                    .wrapping_add(umqtt_core::Duration::from_millis(u32::from(*ms)))
            }
            Op::Detach => {
                c.detach();
                m.open.clear();
                m.owed.clear();
                assert_eq!(c.open_deliveries(), 0);
                assert!(
                    c.poll_transmit().is_none(),
                    "no ack survives the connection"
                );
            }
        }
        assert!(c.open_deliveries() <= DELIVERY_DEPTH);
        assert_eq!(
            c.open_deliveries(),
            m.open.len(),
            "engine and model agree on open deliveries"
        );
        if c.open_deliveries() == DELIVERY_DEPTH {
            assert!(c.can_read().is_err(), "a read past the delivery depth");
        }
    }
});
