//! Small value types shared by the codec and the session.

use core::num::NonZeroU16;

/// A packet identifier. The spec forbids 0 (MQTT 3.1.1 §2.3.1), so the type
/// cannot hold it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Pid(NonZeroU16);

impl Pid {
    /// The first identifier a fresh generator hands out.
    pub const FIRST: Pid = Pid(NonZeroU16::MIN);

    /// `None` for 0, the one value the spec forbids.
    pub const fn new(value: u16) -> Option<Pid> {
        match NonZeroU16::new(value) {
            Some(value) => Some(Pid(value)),
            None => None,
        }
    }

    /// The identifier as sent on the wire.
    pub const fn get(self) -> u16 {
        self.0.get()
    }

    /// The following identifier, wrapping 65535 → 1 (0 is skipped).
    pub const fn next(self) -> Pid {
        match NonZeroU16::new(self.0.get().wrapping_add(1)) {
            Some(value) => Pid(value),
            None => Pid::FIRST,
        }
    }
}

/// Quality of service (MQTT 3.1.1 §4.3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
pub enum QoS {
    /// Fire and forget.
    AtMostOnce = 0,
    /// Acknowledged by PUBACK; may arrive more than once.
    AtLeastOnce = 1,
    /// Four-way PUBLISH/PUBREC/PUBREL/PUBCOMP handshake; arrives once.
    ExactlyOnce = 2,
}

impl QoS {
    /// `None` for 3 and above: QoS 3 is reserved and malformed (§3.3.1.2).
    pub const fn from_u8(value: u8) -> Option<QoS> {
        match value {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    /// The two-bit wire value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

/// A QoS together with its packet id: a PUBLISH carries a pid exactly when
/// its QoS is above 0 (§2.3.1), so the invalid combinations are unrepresentable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum QosPid {
    /// QoS 0: no packet id on the wire.
    AtMostOnce,
    /// QoS 1 with its packet id.
    AtLeastOnce(Pid),
    /// QoS 2 with its packet id.
    ExactlyOnce(Pid),
}

impl QosPid {
    /// Pairs a QoS with a pid; `None` when QoS 0 gets a pid or QoS 1/2 lacks one.
    pub const fn new(qos: QoS, pid: Option<Pid>) -> Option<QosPid> {
        match (qos, pid) {
            (QoS::AtMostOnce, None) => Some(QosPid::AtMostOnce),
            (QoS::AtLeastOnce, Some(pid)) => Some(QosPid::AtLeastOnce(pid)),
            (QoS::ExactlyOnce, Some(pid)) => Some(QosPid::ExactlyOnce(pid)),
            _ => None,
        }
    }

    /// The QoS level.
    pub const fn qos(self) -> QoS {
        match self {
            QosPid::AtMostOnce => QoS::AtMostOnce,
            QosPid::AtLeastOnce(_) => QoS::AtLeastOnce,
            QosPid::ExactlyOnce(_) => QoS::ExactlyOnce,
        }
    }

    /// The packet id, `None` for QoS 0.
    pub const fn pid(self) -> Option<Pid> {
        match self {
            QosPid::AtMostOnce => None,
            QosPid::AtLeastOnce(pid) | QosPid::ExactlyOnce(pid) => Some(pid),
        }
    }
}

/// The protocol spoken on a connection. Only CONNECT and CONNACK differ
/// between 3.1 and 3.1.1. MQTT 5 adds properties and reason codes to most
/// packets: it has its own codec, [`crate::codec::v5`], which decodes into
/// the same packet structs plus a [`crate::codec::v5::Extra`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name "MQIsdp", level 3 (feature `mqtt31`).
    #[cfg(feature = "mqtt31")]
    V31,
    /// MQTT 3.1.1: protocol name "MQTT", level 4.
    #[default]
    V311,
    /// MQTT 5.0: protocol name "MQTT", level 5. Use [`crate::codec::v5`].
    V5,
}

impl ProtocolVersion {
    /// The protocol name field of CONNECT (§3.1.2.1).
    pub const fn protocol_name(self) -> &'static [u8] {
        match self {
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31 => b"MQIsdp",
            ProtocolVersion::V311 | ProtocolVersion::V5 => b"MQTT",
        }
    }

    /// What a CONNECT's variable header starts with: the protocol name
    /// field (§3.1.2.1) and the level byte (§3.1.2.2), one write.
    pub(crate) const fn connect_prefix(self) -> &'static [u8] {
        match self {
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31 => b"\0\x06MQIsdp\x03",
            ProtocolVersion::V311 => b"\0\x04MQTT\x04",
            ProtocolVersion::V5 => b"\0\x04MQTT\x05",
        }
    }

    /// The protocol level byte of CONNECT (§3.1.2.2).
    pub const fn level(self) -> u8 {
        match self {
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31 => 3,
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The version a CONNECT's name and level announce, if they agree.
    pub fn from_name_and_level(name: &[u8], level: u8) -> Option<ProtocolVersion> {
        [
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31,
            ProtocolVersion::V311,
            ProtocolVersion::V5,
        ]
        .into_iter()
        .find(|version| version.protocol_name() == name && version.level() == level)
    }
}

/// The control packet type: the high nibble of the first byte (§2.2.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum PacketType {
    /// Client request to connect (§3.1).
    Connect = 1,
    /// Connect acknowledgment (§3.2).
    ConnAck = 2,
    /// Publish message (§3.3).
    Publish = 3,
    /// QoS 1 publish acknowledgment (§3.4).
    PubAck = 4,
    /// QoS 2 publish received, part 1 (§3.5).
    PubRec = 5,
    /// QoS 2 publish release, part 2 (§3.6).
    PubRel = 6,
    /// QoS 2 publish complete, part 3 (§3.7).
    PubComp = 7,
    /// Subscribe request (§3.8).
    Subscribe = 8,
    /// Subscribe acknowledgment (§3.9).
    SubAck = 9,
    /// Unsubscribe request (§3.10).
    Unsubscribe = 10,
    /// Unsubscribe acknowledgment (§3.11).
    UnsubAck = 11,
    /// Ping request (§3.12).
    PingReq = 12,
    /// Ping response (§3.13).
    PingResp = 13,
    /// Client is disconnecting (§3.14); in MQTT 5 either side may send it.
    Disconnect = 14,
    /// MQTT 5 only: authentication exchange (MQTT 5 §3.15). Reserved in
    /// 3.1.1, whose [`crate::decode`] rejects it.
    Auth = 15,
}

impl PacketType {
    /// The type in the high nibble of `first_byte`; `None` for the reserved
    /// value 0. 15 is [`PacketType::Auth`], which only MQTT 5 defines.
    pub const fn from_first_byte(first_byte: u8) -> Option<PacketType> {
        Some(match first_byte >> 4 {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    /// The fixed-header flags every type except PUBLISH must carry (§2.2.2).
    /// PUBLISH returns `None`: its flags are dup/qos/retain.
    pub const fn required_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// The first byte for every type whose flags are fixed.
    pub const fn fixed_first_byte(self) -> u8 {
        let flags = match self.required_flags() {
            Some(flags) => flags,
            None => 0,
        };
        ((self as u8) << 4) | flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_zero_is_rejected_and_next_wraps_to_one() {
        assert_eq!(Pid::new(0), None);
        assert_eq!(Pid::new(65535).map(Pid::next), Pid::new(1));
        assert_eq!(Pid::FIRST.next().get(), 2);
    }

    #[test]
    fn qos_pid_rejects_mismatched_pairs() {
        let pid = Pid::new(7);
        assert_eq!(QosPid::new(QoS::AtMostOnce, pid), None);
        assert_eq!(QosPid::new(QoS::AtLeastOnce, None), None);
        assert_eq!(
            QosPid::new(QoS::ExactlyOnce, pid).and_then(QosPid::pid),
            pid
        );
    }

    #[test]
    fn packet_type_covers_every_nibble() {
        for first_byte in 0..=255u8 {
            let packet_type = PacketType::from_first_byte(first_byte);
            assert_eq!(packet_type.is_none(), first_byte >> 4 == 0);
            if let Some(packet_type) = packet_type {
                assert_eq!(packet_type as u8, first_byte >> 4);
            }
        }
    }

    #[test]
    fn protocol_version_names() {
        assert_eq!(
            ProtocolVersion::from_name_and_level(b"MQTT", 4),
            Some(ProtocolVersion::V311)
        );
        #[cfg(feature = "mqtt31")]
        assert_eq!(
            ProtocolVersion::from_name_and_level(b"MQIsdp", 3),
            Some(ProtocolVersion::V31)
        );
        #[cfg(not(feature = "mqtt31"))]
        assert_eq!(ProtocolVersion::from_name_and_level(b"MQIsdp", 3), None);
        assert_eq!(
            ProtocolVersion::from_name_and_level(b"MQTT", 5),
            Some(ProtocolVersion::V5)
        );
        assert_eq!(ProtocolVersion::from_name_and_level(b"MQTT", 3), None);
        assert_eq!(ProtocolVersion::from_name_and_level(b"MQIsdp", 5), None);
    }

    #[test]
    fn auth_is_type_15_with_zero_flags() {
        assert_eq!(PacketType::from_first_byte(0xf0), Some(PacketType::Auth));
        assert_eq!(PacketType::Auth.required_flags(), Some(0));
        assert_eq!(PacketType::Auth.fixed_first_byte(), 0xf0);
    }
}
