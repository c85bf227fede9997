//! MQTT 5 reason codes (MQTT 5 §2.4).
//!
//! One byte; below 0x80 success, from 0x80 failure. Which code a packet may
//! carry is the table of §2.4, which [`ReasonCode::valid_for`] encodes.

use core::fmt;

use crate::types::PacketType;

/// A reason code as found on the wire. Any byte can be held; the decoder
/// accepts only those [`ReasonCode::valid_for`] the packet.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct ReasonCode(pub u8);

// One bit per packet type, for the table of §2.4.
const CONNACK: u16 = 1 << PacketType::ConnAck as u16;
const PUBACK: u16 = 1 << PacketType::PubAck as u16;
const PUBREC: u16 = 1 << PacketType::PubRec as u16;
const PUBREL: u16 = 1 << PacketType::PubRel as u16;
const PUBCOMP: u16 = 1 << PacketType::PubComp as u16;
const SUBACK: u16 = 1 << PacketType::SubAck as u16;
const UNSUBACK: u16 = 1 << PacketType::UnsubAck as u16;
const DISCONNECT: u16 = 1 << PacketType::Disconnect as u16;
const AUTH: u16 = 1 << PacketType::Auth as u16;
/// Unspecified error, Implementation specific error, Not authorized.
const GENERAL_ERROR: u16 = CONNACK | PUBACK | PUBREC | SUBACK | UNSUBACK | DISCONNECT;

/// [`ReasonCode::packets`] of the codes from 0x80 on (0xA2 is the last).
// Evaluated at compile time: an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const ERROR_PACKETS: [u16; 0x23] = {
    let mut table = [0; 0x23];
    let mut index = 0;
    while index < table.len() {
        table[index] = ReasonCode(0x80 + index as u8).packets();
        index += 1;
    }
    table
};

/// The names of §2.4 (0x00 as "Success": see [`ReasonCode::name_for`]).
const NAME_LIST: &[(u8, &str)] = &[
    (0x00, "Success"),
    (0x01, "Granted QoS 1"),
    (0x02, "Granted QoS 2"),
    (0x04, "Disconnect with Will Message"),
    (0x10, "No matching subscribers"),
    (0x11, "No subscription existed"),
    (0x18, "Continue authentication"),
    (0x19, "Re-authenticate"),
    (0x80, "Unspecified error"),
    (0x81, "Malformed Packet"),
    (0x82, "Protocol Error"),
    (0x83, "Implementation specific error"),
    (0x84, "Unsupported Protocol Version"),
    (0x85, "Client Identifier not valid"),
    (0x86, "Bad User Name or Password"),
    (0x87, "Not authorized"),
    (0x88, "Server unavailable"),
    (0x89, "Server busy"),
    (0x8A, "Banned"),
    (0x8B, "Server shutting down"),
    (0x8C, "Bad authentication method"),
    (0x8D, "Keep Alive timeout"),
    (0x8E, "Session taken over"),
    (0x8F, "Topic Filter invalid"),
    (0x90, "Topic Name invalid"),
    (0x91, "Packet Identifier in use"),
    (0x92, "Packet Identifier not found"),
    (0x93, "Receive Maximum exceeded"),
    (0x94, "Topic Alias invalid"),
    (0x95, "Packet too large"),
    (0x96, "Message rate too high"),
    (0x97, "Quota exceeded"),
    (0x98, "Administrative action"),
    (0x99, "Payload format invalid"),
    (0x9A, "Retain not supported"),
    (0x9B, "QoS not supported"),
    (0x9C, "Use another server"),
    (0x9D, "Server moved"),
    (0x9E, "Shared Subscriptions not supported"),
    (0x9F, "Connection rate exceeded"),
    (0xA0, "Maximum connect time"),
    (0xA1, "Subscription Identifiers not supported"),
    (0xA2, "Wildcard Subscriptions not supported"),
];

/// NAME_LIST packed as [code, length, name bytes] per entry.
static NAMES: [u8; names_len(NAME_LIST, u16::MAX)] = names_packed(NAME_LIST, u16::MAX);

/// Bytes the entries of `list` whose code some packet of `packets` may
/// carry take packed.
const fn names_len(list: &[(u8, &str)], packets: u16) -> usize {
    let mut n = 0;
    let mut rest = list;
    while let [(code, name), tail @ ..] = rest {
        if ReasonCode(*code).packets() & packets != 0 {
            n += 2 + name.len();
        }
        rest = tail;
    }
    n
}

// Evaluated only at compile time (NAMES): an index out of range fails the
// build, it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const fn names_packed<const N: usize>(list: &[(u8, &str)], packets: u16) -> [u8; N] {
    let mut out = [0u8; N];
    let mut o = 0;
    let mut rest = list;
    while let [(code, name), tail @ ..] = rest {
        rest = tail;
        if ReasonCode(*code).packets() & packets == 0 {
            continue;
        }
        let name = name.as_bytes();
        assert!(name.len() < 256);
        out[o] = *code;
        out[o + 1] = name.len() as u8;
        let mut j = 0;
        while j < name.len() {
            out[o + 2 + j] = name[j];
            j += 1;
        }
        o += 2 + name.len();
    }
    out
}

/// The name of `code` in a table `names_packed` built. `const`: the C
/// ABI packs the names its messages need at compile time (umqtt-ffi's
/// `texts.rs`), and the table is then not in a firmware.
const fn name_in(names: &'static [u8], code: u8) -> &'static str {
    // A scan of packed text rather than a match, which compiled to a jump
    // table and a (pointer, length) load per code.
    let mut rest = names;
    while let [entry, len, tail @ ..] = rest {
        let Some((name, next)) = tail.split_at_checked(*len as usize) else {
            break;
        };
        if *entry == code {
            // SAFETY: `name` is one of the `&str` the table was built from,
            // whole (names_packed writes each at its own length).
            return unsafe { core::str::from_utf8_unchecked(name) };
        }
        rest = next;
    }
    "Unknown reason code"
}

impl ReasonCode {
    /// 0x00 in CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH.
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    /// 0x00 in DISCONNECT: close normally, do not send the will.
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode(0x00);
    /// 0x00 in SUBACK.
    pub const GRANTED_QOS_0: ReasonCode = ReasonCode(0x00);
    /// 0x01 in SUBACK.
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    /// 0x02 in SUBACK.
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    /// 0x04 in DISCONNECT: close, and the server publishes the will.
    pub const DISCONNECT_WITH_WILL_MESSAGE: ReasonCode = ReasonCode(0x04);
    /// 0x10 in PUBACK, PUBREC: accepted, but nobody subscribes.
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    /// 0x11 in UNSUBACK.
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    /// 0x18 in AUTH.
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    /// 0x19 in AUTH.
    pub const RE_AUTHENTICATE: ReasonCode = ReasonCode(0x19);
    /// 0x80.
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    /// 0x81.
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    /// 0x82.
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    /// 0x83.
    pub const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = ReasonCode(0x83);
    /// 0x84.
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    /// 0x85.
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    /// 0x86.
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    /// 0x87.
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    /// 0x88.
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    /// 0x89.
    pub const SERVER_BUSY: ReasonCode = ReasonCode(0x89);
    /// 0x8A.
    pub const BANNED: ReasonCode = ReasonCode(0x8A);
    /// 0x8B.
    pub const SERVER_SHUTTING_DOWN: ReasonCode = ReasonCode(0x8B);
    /// 0x8C.
    pub const BAD_AUTHENTICATION_METHOD: ReasonCode = ReasonCode(0x8C);
    /// 0x8D.
    pub const KEEP_ALIVE_TIMEOUT: ReasonCode = ReasonCode(0x8D);
    /// 0x8E.
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    /// 0x8F.
    pub const TOPIC_FILTER_INVALID: ReasonCode = ReasonCode(0x8F);
    /// 0x90.
    pub const TOPIC_NAME_INVALID: ReasonCode = ReasonCode(0x90);
    /// 0x91.
    pub const PACKET_IDENTIFIER_IN_USE: ReasonCode = ReasonCode(0x91);
    /// 0x92.
    pub const PACKET_IDENTIFIER_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    /// 0x93.
    pub const RECEIVE_MAXIMUM_EXCEEDED: ReasonCode = ReasonCode(0x93);
    /// 0x94.
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    /// 0x95.
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    /// 0x96.
    pub const MESSAGE_RATE_TOO_HIGH: ReasonCode = ReasonCode(0x96);
    /// 0x97.
    pub const QUOTA_EXCEEDED: ReasonCode = ReasonCode(0x97);
    /// 0x98.
    pub const ADMINISTRATIVE_ACTION: ReasonCode = ReasonCode(0x98);
    /// 0x99.
    pub const PAYLOAD_FORMAT_INVALID: ReasonCode = ReasonCode(0x99);
    /// 0x9A.
    pub const RETAIN_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9A);
    /// 0x9B.
    pub const QOS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9B);
    /// 0x9C.
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    /// 0x9D.
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);
    /// 0x9E.
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9E);
    /// 0x9F.
    pub const CONNECTION_RATE_EXCEEDED: ReasonCode = ReasonCode(0x9F);
    /// 0xA0.
    pub const MAXIMUM_CONNECT_TIME: ReasonCode = ReasonCode(0xA0);
    /// 0xA1.
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA1);
    /// 0xA2.
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA2);

    /// A failure: 0x80 and above (§2.4).
    pub const fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// The packet types that may carry this code (bits by type number).
    /// [`ReasonCode::valid_for`] reads the error codes' from [`ERROR_PACKETS`].
    const fn packets(self) -> u16 {
        match self.0 {
            0x00 => {
                CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK | DISCONNECT | AUTH
            }
            0x01 | 0x02 => SUBACK,
            0x04 => DISCONNECT,
            0x10 => PUBACK | PUBREC,
            0x11 => UNSUBACK,
            0x18 | 0x19 => AUTH,
            0x80 | 0x83 | 0x87 => GENERAL_ERROR,
            0x81 | 0x82 | 0x89 | 0x8C | 0x95 | 0x9A..=0x9D | 0x9F => CONNACK | DISCONNECT,
            0x84..=0x86 | 0x88 | 0x8A => CONNACK,
            0x8B | 0x8D | 0x8E | 0x93 | 0x94 | 0x96 | 0x98 | 0xA0 => DISCONNECT,
            0x8F => SUBACK | UNSUBACK | DISCONNECT,
            0x90 | 0x99 => CONNACK | PUBACK | PUBREC | DISCONNECT,
            0x91 => PUBACK | PUBREC | SUBACK | UNSUBACK,
            0x92 => PUBREL | PUBCOMP,
            0x97 => CONNACK | PUBACK | PUBREC | SUBACK | DISCONNECT,
            0x9E | 0xA1 | 0xA2 => SUBACK | DISCONNECT,
            _ => 0,
        }
    }

    /// Whether a packet of type `packet_type` may carry this code (the
    /// table of §2.4). Always false for CONNECT, PUBLISH, SUBSCRIBE,
    /// UNSUBSCRIBE, PINGREQ and PINGRESP, which carry none.
    pub fn valid_for(self, packet_type: PacketType) -> bool {
        // The error codes (0x80..=0xA2, every one defined) from a table
        // `packets` fills at compile time: 70 B instead of a jump table of
        // 140 B and code per case.
        let packets = match self.0.checked_sub(0x80) {
            Some(index) => ERROR_PACKETS
                .get(usize::from(index))
                .copied()
                .unwrap_or_default(),
            None => self.packets(),
        };
        packets & (1 << packet_type as u16) != 0
    }

    /// The code's name as §2.4 writes it; 0x00 is "Success" (see
    /// [`ReasonCode::name_for`]); "Unknown reason code" for a code MQTT 5
    /// does not define.
    pub const fn name(self) -> &'static str {
        name_in(&NAMES, self.0)
    }

    /// The name in a packet of type `packet_type`: 0x00 is "Normal
    /// disconnection" in DISCONNECT and "Granted QoS 0" in SUBACK.
    pub fn name_for(self, packet_type: PacketType) -> &'static str {
        match (self.0, packet_type) {
            (0x00, PacketType::Disconnect) => "Normal disconnection",
            (0x00, PacketType::SubAck) => "Granted QoS 0",
            _ => self.name(),
        }
    }
}

impl From<u8> for ReasonCode {
    fn from(code: u8) -> ReasonCode {
        ReasonCode(code)
    }
}

impl From<ReasonCode> for u8 {
    fn from(code: ReasonCode) -> u8 {
        code.0
    }
}

impl fmt::Display for ReasonCode {
    /// The name and the code, e.g. `Not authorized (0x87)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#04x})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const ACK_TYPES: [PacketType; 9] = [
        PacketType::ConnAck,
        PacketType::PubAck,
        PacketType::PubRec,
        PacketType::PubRel,
        PacketType::PubComp,
        PacketType::SubAck,
        PacketType::UnsubAck,
        PacketType::Disconnect,
        PacketType::Auth,
    ];

    /// The table of §2.4, one row per code: the packets that carry it, in
    /// the order CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK,
    /// DISCONNECT, AUTH.
    #[rustfmt::skip]
    const TABLE: &[(u8, [u8; 9])] = &[
        //        CA PA PR PL PC SA UA DI AU
        (0x00, [1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (0x01, [0, 0, 0, 0, 0, 1, 0, 0, 0]),
        (0x02, [0, 0, 0, 0, 0, 1, 0, 0, 0]),
        (0x04, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x10, [0, 1, 1, 0, 0, 0, 0, 0, 0]),
        (0x11, [0, 0, 0, 0, 0, 0, 1, 0, 0]),
        (0x18, [0, 0, 0, 0, 0, 0, 0, 0, 1]),
        (0x19, [0, 0, 0, 0, 0, 0, 0, 0, 1]),
        (0x80, [1, 1, 1, 0, 0, 1, 1, 1, 0]),
        (0x81, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x82, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x83, [1, 1, 1, 0, 0, 1, 1, 1, 0]),
        (0x84, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
        (0x85, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
        (0x86, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
        (0x87, [1, 1, 1, 0, 0, 1, 1, 1, 0]),
        (0x88, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
        (0x89, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x8A, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
        (0x8B, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x8C, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x8D, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x8E, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x8F, [0, 0, 0, 0, 0, 1, 1, 1, 0]),
        (0x90, [1, 1, 1, 0, 0, 0, 0, 1, 0]),
        (0x91, [0, 1, 1, 0, 0, 1, 1, 0, 0]),
        (0x92, [0, 0, 0, 1, 1, 0, 0, 0, 0]),
        (0x93, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x94, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x95, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x96, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x97, [1, 1, 1, 0, 0, 1, 0, 1, 0]),
        (0x98, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x99, [1, 1, 1, 0, 0, 0, 0, 1, 0]),
        (0x9A, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x9B, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x9C, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x9D, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0x9E, [0, 0, 0, 0, 0, 1, 0, 1, 0]),
        (0x9F, [1, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0xA0, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (0xA1, [0, 0, 0, 0, 0, 1, 0, 1, 0]),
        (0xA2, [0, 0, 0, 0, 0, 1, 0, 1, 0]),
    ];

    #[test]
    fn valid_for_matches_the_spec_table() {
        for code in 0..=255u8 {
            let row = TABLE.iter().find(|(value, _)| *value == code);
            for (index, packet_type) in ACK_TYPES.iter().enumerate() {
                let expected = row.is_some_and(|(_, flags)| flags[index] == 1);
                assert_eq!(
                    ReasonCode(code).valid_for(*packet_type),
                    expected,
                    "{code:#04x} in {packet_type:?}"
                );
            }
            for packet_type in [
                PacketType::Connect,
                PacketType::Publish,
                PacketType::Subscribe,
                PacketType::Unsubscribe,
                PacketType::PingReq,
                PacketType::PingResp,
            ] {
                assert!(!ReasonCode(code).valid_for(packet_type));
            }
            // Every defined code has a name, every other one the fallback.
            assert_eq!(
                ReasonCode(code).name() == "Unknown reason code",
                row.is_none(),
                "{code:#04x}"
            );
        }
    }

    #[test]
    fn names_and_errors() {
        assert_eq!(ReasonCode::SUCCESS.name(), "Success");
        assert_eq!(ReasonCode::NOT_AUTHORIZED.name(), "Not authorized");
        assert_eq!(
            ReasonCode::NORMAL_DISCONNECTION.name_for(PacketType::Disconnect),
            "Normal disconnection"
        );
        assert_eq!(
            ReasonCode::GRANTED_QOS_0.name_for(PacketType::SubAck),
            "Granted QoS 0"
        );
        assert_eq!(
            ReasonCode::QUOTA_EXCEEDED.name_for(PacketType::PubAck),
            "Quota exceeded"
        );
        assert_eq!(ReasonCode(0x03).name(), "Unknown reason code");
        // The packed table reads back every name, the last one included.
        for &(code, name) in NAME_LIST {
            assert_eq!(ReasonCode(code).name(), name, "{code:#04x}");
        }
        assert_eq!(
            ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED.name(),
            "Wildcard Subscriptions not supported"
        );
        assert_eq!(ReasonCode(0xA3).name(), "Unknown reason code");
        assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.is_error());
        assert!(!ReasonCode(0x7f).is_error());
        assert!(ReasonCode::UNSPECIFIED_ERROR.is_error());
        assert!(ReasonCode(0xff).is_error());
        assert_eq!(ReasonCode::BANNED.to_string(), "Banned (0x8a)");
        assert_eq!(ReasonCode::default(), ReasonCode::SUCCESS);
        assert_eq!(u8::from(ReasonCode::from(0x97)), 0x97);
        assert_eq!(ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED.0, 0xA2);
        assert_eq!(ReasonCode::SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED.0, 0xA1);
    }
}
