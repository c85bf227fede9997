//! Incoming packets: a frame the driver read is decoded (3.1.1 or MQTT 5,
//! topic aliases resolved), fed to the session, and reported as one
//! [`Incoming`]. Bytes the engine cannot accept break the link.

use crate::codec::properties::{Extra, Properties};
use crate::codec::reason::ReasonCode;
#[cfg(feature = "mqtt5")]
use crate::codec::v5;
#[cfg(not(feature = "mqtt5"))]
use crate::codec::{decode, ConnAck};
use crate::codec::{DecodeError, Packet, PubAck, Publish, UnsubAck};
#[cfg(feature = "qos2")]
use crate::codec::{PubComp, PubRec};
use crate::framing::Frame;
use crate::session::{Event, ProtocolError};
use crate::tables::Tables;
use crate::time::Instant;
#[cfg(not(feature = "mqtt5"))]
use crate::types::PacketType;
use crate::types::{Pid, QoS};

use super::{Client, ClientError, Link};

/// What one incoming packet meant.
// repr(C), the properties and the event before the bytes: rustc's own
// layout cost the receive path 16 B of rv32imc code without MQTT 5.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct Incoming<'a> {
    /// MQTT 5: the packet's properties (empty on MQTT 3).
    pub properties: Properties<'a>,
    /// What happened.
    pub received: Received<'a>,
    /// The packet's type (first byte >> 4).
    pub packet_type: u8,
    /// MQTT 5: the reason code of a PUBACK, PUBREC, PUBREL, PUBCOMP or
    /// DISCONNECT (0 otherwise).
    pub reason: ReasonCode,
}

/// The event of an [`Incoming`] packet.
// repr(C, u8), a tag byte before a union: rustc's own layout cost the
// MQTT 5 receive path 36 B of rv32imc code; the size is the same.
#[derive(Clone, Copy, Debug)]
#[repr(C, u8)]
pub enum Received<'a> {
    /// An application message. Its delivery is recorded: once the
    /// application has it, [`Client::accept`] queues its ack (QoS 1/2).
    Message(Publish<'a>),
    /// A QoS 2 message already delivered and not yet released, resent by
    /// the broker: not for the application (its PUBREC is queued again).
    #[cfg(feature = "qos2")]
    Duplicate(Publish<'a>),
    /// Our QoS 1/2 publish (or an id the application tracks) is done.
    Delivered {
        /// Its id.
        pid: Pid,
        /// Its QoS.
        qos: QoS,
    },
    /// SUBACK: every filter granted (`codes`: the granted QoS).
    Subscribed {
        /// The SUBSCRIBE's id.
        pid: Pid,
        /// One code per filter.
        codes: &'a [u8],
    },
    /// SUBACK with a refusal (a code of 0x80 or above among `codes`).
    SubscribeFailed {
        /// The SUBSCRIBE's id.
        pid: Pid,
        /// One code per filter.
        codes: &'a [u8],
    },
    /// UNSUBACK (MQTT 5: `codes` holds one reason code per filter).
    Unsubscribed {
        /// The UNSUBSCRIBE's id.
        pid: Pid,
        /// MQTT 5 reason codes; empty on MQTT 3.
        codes: &'a [u8],
    },
    /// MQTT 5 UNSUBACK with a refusal among `codes`.
    UnsubscribeFailed {
        /// The UNSUBSCRIBE's id.
        pid: Pid,
        /// One reason code per filter.
        codes: &'a [u8],
    },
    /// MQTT 5: the broker refused our QoS 1/2 publish (PUBACK or PUBREC
    /// with an error reason); the id is free, nothing is resent.
    Refused {
        /// The publish's id.
        pid: Pid,
    },
    /// MQTT 5: the broker sent DISCONNECT; the link is broken.
    Disconnected,
    /// PINGRESP.
    Pong,
    /// An ack for an id not in flight (stale).
    UnknownAck {
        /// The ack's id.
        pid: Pid,
    },
    /// Bookkeeping the engine handled (PUBREC, PUBREL; a CONNACK read
    /// while one was awaited).
    Other {
        /// The packet's id, if it has one.
        pid: Option<Pid>,
    },
}

/// The broker's answer to CONNECT.
#[derive(Clone, Copy, Debug)]
pub struct Connack<'a> {
    /// The broker resumed a stored session.
    pub session_present: bool,
    /// 0: accepted; else the refusal (MQTT 3 return code, MQTT 5 reason).
    pub return_code: u8,
    /// MQTT 5: the CONNACK's properties.
    pub properties: Properties<'a>,
}

impl Connack<'_> {
    /// Whether the broker accepted the connection.
    pub fn is_accepted(&self) -> bool {
        self.return_code == 0
    }
}

/// The id of a PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK, with a
/// SUBACK's return codes (empty for the others). Without feature `qos2`
/// PUBREC and PUBCOMP are not acks the engine takes.
fn ack_of<'a>(packet: &Packet<'a>) -> Option<(Pid, &'a [u8])> {
    match *packet {
        #[cfg(feature = "qos2")]
        Packet::PubRec(PubRec { pid }) | Packet::PubComp(PubComp { pid }) => Some((pid, &[])),
        Packet::PubAck(PubAck { pid }) | Packet::UnsubAck(UnsubAck { pid }) => Some((pid, &[])),
        Packet::SubAck(ack) => Some((ack.pid, ack.return_codes)),
        _ => None,
    }
}

impl<T: Tables> Client<T> {
    /// Handles the answer to CONNECT, read into `body`: it must be a
    /// CONNACK. Accepted: the link is up (MQTT 5: the broker's limits and
    /// Server Keep Alive take effect). Refused: the link is broken and the
    /// refusal is returned all the same, for the caller to report.
    pub fn handle_connack<'a>(
        &mut self,
        now: Instant,
        frame: Frame,
        body: &'a [u8],
    ) -> Result<Connack<'a>, ClientError> {
        // With MQTT 5 the decoder of every version; a CONNACK names no
        // topic alias (whatever else does is not a CONNACK either way).
        #[cfg(feature = "mqtt5")]
        let decoded = match v5::decode_as(frame.first_byte, body, self.version()) {
            Ok((Packet::ConnAck(ack), extra)) => Some((ack, extra.properties)),
            _ => None,
        };
        #[cfg(not(feature = "mqtt5"))]
        let decoded = if frame.first_byte == PacketType::ConnAck.fixed_first_byte() {
            // Straight to the CONNACK decoder, not through `decode`'s
            // dispatch: any other first byte is refused all the same.
            ConnAck::decode(body, self.version())
                .ok()
                .map(|ack| (ack, Properties::EMPTY))
        } else {
            None
        };
        self.keepalive.handle_received(now);
        let Some((ack, properties)) = decoded else {
            return Err(self.fail(ClientError::ConnackInvalid));
        };
        if !self.session.take_connack() {
            return Err(self.fail(ClientError::ConnackInvalid));
        }
        let connack = Connack {
            session_present: ack.session_present,
            return_code: ack.return_code,
            properties,
        };
        if !ack.is_accepted() {
            return Ok(self.fail(connack));
        }
        // Server Keep Alive is the façade's to apply (umqtt_client_set_keepalive).
        #[cfg(feature = "mqtt5")]
        if self.is_v5() {
            self.limits.set_from_connack(&properties);
        }
        self.link = Link::Connected;
        Ok(connack)
    }

    /// Handles one packet read into `body`. MQTT 5 topic aliases resolve
    /// against `alias_store`, the driver's storage for the aliases
    /// announced in CONNECT. A message is recorded as an open delivery (see
    /// the module's re-entrancy rules). Bytes the engine cannot accept
    /// break the link.
    pub fn handle_frame<'a>(
        &mut self,
        now: Instant,
        frame: Frame,
        body: &'a [u8],
        alias_store: &'a mut [u8],
    ) -> Result<Incoming<'a>, ClientError> {
        self.keepalive.handle_received(now);
        let (packet, extra) = match self.decode_frame(frame, body, alias_store) {
            Ok(decoded) => decoded,
            Err(DecodeError::InvalidQos) if frame.first_byte >> 4 == 3 => {
                return Err(self.fail(ClientError::InvalidQos))
            }
            // Only `decode_v5` reports it.
            #[cfg(feature = "mqtt5")]
            Err(DecodeError::TopicAliasInvalid) => {
                return Err(self.fail(ClientError::ProtocolViolation))
            }
            // 3.1.1: a packet only a client sends (CONNECT, SUBSCRIBE...),
            // not decoded in the firmware: the session would refuse it.
            Err(DecodeError::UnexpectedPacket) if !self.is_v5() => {
                return Err(self.fail(ClientError::ProtocolViolation))
            }
            Err(_) => return Err(self.fail(ClientError::Malformed)),
        };
        let incoming = |received| Incoming {
            packet_type: frame.first_byte >> 4,
            reason: extra.reason,
            properties: extra.properties,
            received,
        };
        // The session's handlers, straight from the packet (no detour
        // through `Session::handle_packet` and its events).
        let packet_type = packet.packet_type();
        // MQTT 5: a refused publish ends its exchange (no PUBREL follows),
        // even before the CONNACK.
        let refused =
            extra.reason.is_error() && matches!(packet, Packet::PubAck(_) | Packet::PubRec(_));
        let handled = match packet {
            Packet::Disconnect(_) if self.is_v5() => {
                // The broker closes the connection and says why.
                return Ok(incoming(self.fail(Received::Disconnected)));
            }
            Packet::ConnAck(_) if self.session.take_connack() => {
                return Ok(incoming(Received::Other { pid: None }));
            }
            _ if self.session.awaiting_connack() && !refused => {
                Err(ProtocolError::UnexpectedPacket(packet_type))
            }
            Packet::Publish(publish) => match self.session.handle_publish(&publish) {
                #[cfg(feature = "qos2")]
                Ok(true) => return Ok(incoming(Received::Duplicate(publish))),
                Ok(_) => {
                    // Every open delivery keeps its record until its ack.
                    self.deliveries
                        .open(publish.qos_pid)
                        .map_err(|_| ClientError::NestedTooDeep)?;
                    return Ok(incoming(Received::Message(publish)));
                }
                Err(err) => Err(err),
            },
            #[cfg(feature = "qos2")]
            Packet::PubRel(ack) => match self.session.handle_pubrel(ack.pid) {
                Ok(()) => return Ok(incoming(Received::Other { pid: Some(ack.pid) })),
                Err(err) => Err(err),
            },
            Packet::PingResp(_) => return Ok(incoming(Received::Pong)),
            // Every ack through one call of `handle_ack` (it is inlined);
            // without feature `qos2`, PUBREC, PUBREL and PUBCOMP are none.
            _ => match ack_of(&packet) {
                Some((pid, return_codes)) => {
                    self.session
                        .handle_ack(packet_type, pid, return_codes, refused)
                }
                None => Err(ProtocolError::UnexpectedPacket(packet_type)),
            },
        };
        let event = match handled {
            Ok(event) => event,
            Err(ProtocolError::SubAckCount) => return Err(self.fail(ClientError::SubackInvalid)),
            Err(_) => return Err(self.fail(ClientError::ProtocolViolation)),
        };
        let refused = |codes: &[u8]| codes.iter().any(|&code| code >= 0x80);
        Ok(incoming(match event {
            Event::Delivered { pid, qos } => Received::Delivered { pid, qos },
            Event::Subscribed { pid, return_codes } if refused(return_codes) => {
                Received::SubscribeFailed {
                    pid,
                    codes: return_codes,
                }
            }
            Event::Subscribed { pid, return_codes } => Received::Subscribed {
                pid,
                codes: return_codes,
            },
            Event::Unsubscribed(pid) if refused(extra.reason_codes) => {
                Received::UnsubscribeFailed {
                    pid,
                    codes: extra.reason_codes,
                }
            }
            Event::Unsubscribed(pid) => Received::Unsubscribed {
                pid,
                codes: extra.reason_codes,
            },
            Event::Refused { pid, .. } => Received::Refused { pid },
            Event::UnknownAck { pid, .. } => Received::UnknownAck { pid },
            #[cfg(feature = "qos2")]
            Event::Received(pid) | Event::Released(pid) => Received::Other { pid: Some(pid) },
            // Not made by the handlers above.
            #[cfg(feature = "qos2")]
            Event::Duplicate(_) => Received::Other { pid: None },
            Event::Message(_) | Event::Connected(_) | Event::Pong => Received::Other { pid: None },
        }))
    }

    /// Decodes a frame of the connection's version and resolves an MQTT 5
    /// PUBLISH's topic alias: one decoder for every version
    /// (`v5::decode_as`).
    // Inlined: the decoder writes its result where the receive reads it (a
    // call between them copied its 72 B: about 2 % more instructions per
    // received message on rv32imc, and 72 B more code).
    #[cfg(feature = "mqtt5")]
    #[inline(always)]
    fn decode_frame<'a>(
        &self,
        frame: Frame,
        body: &'a [u8],
        alias_store: &'a mut [u8],
    ) -> Result<(Packet<'a>, Extra<'a>), DecodeError> {
        let mut decoded = v5::decode_as(frame.first_byte, body, self.version());
        // Resolved in place: the result is not taken apart and rebuilt
        // (copies of the packet, 120 B of rv32imc code).
        if let Ok((Packet::Publish(publish), extra)) = &mut decoded {
            if extra.topic_alias.is_some() {
                match self
                    .aliases
                    .resolve(alias_store, publish.topic, extra.topic_alias)
                {
                    Ok(topic) => publish.topic = topic,
                    Err(_) => return Err(DecodeError::TopicAliasInvalid),
                }
            }
        }
        decoded
    }

    /// Without MQTT 5: the 3.1 / 3.1.1 decoder, with no extras.
    #[cfg(not(feature = "mqtt5"))]
    fn decode_frame<'a>(
        &self,
        frame: Frame,
        body: &'a [u8],
        _: &'a mut [u8],
    ) -> Result<(Packet<'a>, Extra<'a>), DecodeError> {
        decode(frame.first_byte, body, self.version()).map(|packet| (packet, Extra::default()))
    }
}
