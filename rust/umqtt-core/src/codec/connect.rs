//! CONNECT (MQTT 3.1.1 §3.1) and CONNACK (§3.2).

use super::properties::Properties;
#[cfg(any(test, feature = "server"))]
use super::topic_error;
use super::{packet_len, DecodeError, EncodeError, Reader, Writer};
use crate::topic::TopicName;
use crate::types::{PacketType, ProtocolVersion, QoS};

/// CONNACK return code for an accepted connection (§3.2.2.3). Codes 1..=5
/// are the defined refusals; anything above is kept and reported too.
pub const CONNACK_ACCEPTED: u8 = 0;

/// The message the broker publishes for the client if it disappears (§3.1.2.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LastWill<'a> {
    /// Where the will is published.
    pub topic: TopicName<'a>,
    /// The will payload (any bytes).
    pub message: &'a [u8],
    /// QoS the broker publishes the will with.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
}

/// The first packet a client sends (§3.1).
// repr(C), the flags and keep-alive before the strings: rustc's own layout
// cost `Client::prepare_connect` and the decoders (a Packet can hold a
// Connect) moves on rv32imc.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct Connect<'a> {
    /// Selects the protocol name and level written (§3.1.2.1, §3.1.2.2).
    pub version: ProtocolVersion,
    /// Start a new session instead of resuming the stored one (§3.1.2.4).
    pub clean_session: bool,
    /// Keep-alive interval in seconds, 0 disables it (§3.1.2.10).
    pub keep_alive: u16,
    /// Client identifier (§3.1.3.1). 3.1 brokers may reject more than 23 bytes.
    pub client_id: &'a str,
    /// Optional last will (§3.1.2.5).
    pub will: Option<LastWill<'a>>,
    /// Optional user name (§3.1.3.4).
    pub username: Option<&'a str>,
    /// Optional password, binary; requires a user name (§3.1.2.9).
    pub password: Option<&'a [u8]>,
}

pub(crate) const FLAG_USERNAME: u8 = 0x80;
pub(crate) const FLAG_PASSWORD: u8 = 0x40;
const FLAG_WILL_RETAIN: u8 = 0x20;
const WILL_QOS_SHIFT: u8 = 3;
const FLAG_WILL: u8 = 0x04;
/// Clean Session in 3.1 / 3.1.1, Clean Start in MQTT 5.
pub(crate) const FLAG_CLEAN_SESSION: u8 = 0x02;
#[cfg(any(test, feature = "server"))]
const FLAG_RESERVED: u8 = 0x01;

/// The MQTT 5 property blocks of a CONNECT: its own and the will's.
pub(crate) type ConnectProperties<'p> = (Properties<'p>, Properties<'p>);

impl<'a> Connect<'a> {
    /// The body length when written as `version`, with `properties` for
    /// MQTT 5 (`None` before it).
    pub(crate) fn remaining_len_as(
        &self,
        version: ProtocolVersion,
        properties: Option<ConnectProperties<'_>>,
    ) -> usize {
        let (properties_len, will_properties_len) = properties.map_or((0, 0), |(own, will)| {
            (own.encoded_len(), will.encoded_len())
        });
        // Wrapping, not saturating (48 B less on rv32imc): the sum can only
        // wrap when a field is over 65,535 bytes (five fields of at most
        // 65,537 bytes stay far below usize::MAX on 32-bit targets), and
        // such a field makes the encoder fail (`Writer::done`) whatever
        // the header says.
        let field = |len: usize, bytes: &[u8]| len.wrapping_add(bytes.len()).wrapping_add(2);
        let mut len = (version.connect_prefix().len() + 1 + 2) // flags, keep-alive
            .wrapping_add(properties_len);
        len = field(len, self.client_id.as_bytes());
        if let Some(will) = &self.will {
            len = field(len.wrapping_add(will_properties_len), will.topic.as_bytes());
            len = field(len, will.message);
        }
        if let Some(username) = self.username {
            len = field(len, username.as_bytes());
        }
        if let Some(password) = self.password {
            len = field(len, password);
        }
        len
    }

    /// The exact number of bytes [`Connect::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        #[cfg(feature = "mqtt5")]
        if self.version == ProtocolVersion::V5 {
            return super::v5::connect_len(self, Properties::EMPTY, Properties::EMPTY);
        }
        packet_len(self.remaining_len_as(self.version, None))
    }

    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.username.is_some() {
            flags |= FLAG_USERNAME;
        }
        if self.password.is_some() {
            flags |= FLAG_PASSWORD;
        }
        if let Some(will) = &self.will {
            flags |= FLAG_WILL | (will.qos.as_u8() << WILL_QOS_SHIFT);
            if will.retain {
                flags |= FLAG_WILL_RETAIN;
            }
        }
        if self.clean_session {
            flags |= FLAG_CLEAN_SESSION;
        }
        flags
    }

    /// Encodes the CONNECT into `buf`; returns the number of bytes written.
    /// For [`ProtocolVersion::V5`] this is `v5::encode_connect` without
    /// properties; without feature `mqtt5` it is [`EncodeError::Unsupported`].
    // Out of line without MQTT 5: `Outgoing::encode` then dispatches
    // without spilling registers of its own (48 B less); with MQTT 5 it
    // made the firmware 40 B larger.
    #[cfg_attr(not(feature = "mqtt5"), inline(never))]
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.version == ProtocolVersion::V5 {
            #[cfg(feature = "mqtt5")]
            return super::v5::encode_connect(self, Properties::EMPTY, Properties::EMPTY, buf);
            #[cfg(not(feature = "mqtt5"))]
            return Err(EncodeError::Unsupported);
        }
        if self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::PasswordWithoutUsername);
        }
        self.encode_as(self.version, None, buf)
    }

    /// Writes the CONNECT as `version`, with `properties` for MQTT 5
    /// (`None` before it); the caller has checked what the version requires.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn encode_as(
        &self,
        version: ProtocolVersion,
        properties: Option<ConnectProperties<'_>>,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let remaining_len = self.remaining_len_as(version, properties);
        let mut writer = Writer::new(buf);
        writer.packet_header(PacketType::Connect, remaining_len)?;
        writer.write(version.connect_prefix());
        writer.write_u8(self.flags());
        writer.write_u16(self.keep_alive);
        if let Some((own, _)) = properties {
            writer.write_properties(own);
        }
        writer.write_field(self.client_id.as_bytes());
        if let Some(will) = &self.will {
            if let Some((_, will_properties)) = properties {
                writer.write_properties(will_properties);
            }
            writer.write_field(will.topic.as_bytes());
            writer.write_field(will.message);
        }
        if let Some(username) = self.username {
            writer.write_field(username.as_bytes());
        }
        if let Some(password) = self.password {
            writer.write_field(password);
        }
        writer.done()
    }

    /// Decodes a CONNECT body (what a broker would do; used by tests).
    #[cfg(any(test, feature = "server"))]
    pub(crate) fn decode(body: &'a [u8]) -> Result<Connect<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let name = reader.field()?;
        let level = reader.u8()?;
        let version = ProtocolVersion::from_name_and_level(name, level)
            .filter(|version| *version != ProtocolVersion::V5)
            .ok_or(DecodeError::InvalidProtocol)?;
        let flags = reader.u8()?;
        let will_flags = read_will_flags(flags)?;
        let has_username = flags & FLAG_USERNAME != 0;
        let has_password = flags & FLAG_PASSWORD != 0;
        if has_password && !has_username {
            return Err(DecodeError::InvalidConnectFlags);
        }
        let keep_alive = reader.u16()?;
        let client_id = reader.str()?;
        let will = match will_flags {
            Some(will_flags) => Some(read_will(&mut reader, will_flags)?),
            None => None,
        };
        let username = if has_username {
            Some(reader.str()?)
        } else {
            None
        };
        let password = if has_password {
            Some(reader.field()?)
        } else {
            None
        };
        reader.finish()?;
        Ok(Connect {
            version,
            client_id,
            clean_session: flags & FLAG_CLEAN_SESSION != 0,
            keep_alive,
            will,
            username,
            password,
        })
    }
}

/// Checks CONNECT `flags` the way every version does (reserved bit 0
/// clear, no will QoS or retain without a will) and returns the will's QoS
/// and retain flag if there is a will.
#[cfg(any(test, feature = "server"))]
pub(crate) fn read_will_flags(flags: u8) -> Result<Option<(QoS, bool)>, DecodeError> {
    if flags & FLAG_RESERVED != 0 {
        return Err(DecodeError::ReservedBitsSet);
    }
    let will_qos = QoS::from_u8((flags >> WILL_QOS_SHIFT) & 0b11).ok_or(DecodeError::InvalidQos)?;
    let will_retain = flags & FLAG_WILL_RETAIN != 0;
    if flags & FLAG_WILL != 0 {
        Ok(Some((will_qos, will_retain)))
    } else if will_qos != QoS::AtMostOnce || will_retain {
        Err(DecodeError::InvalidConnectFlags)
    } else {
        Ok(None)
    }
}

/// The will topic and payload, with the QoS and retain flag from
/// [`read_will_flags`].
#[cfg(any(test, feature = "server"))]
pub(crate) fn read_will<'a>(
    reader: &mut Reader<'a>,
    (qos, retain): (QoS, bool),
) -> Result<LastWill<'a>, DecodeError> {
    let topic = TopicName::new(reader.field()?).map_err(topic_error)?;
    let message = reader.field()?;
    Ok(LastWill {
        topic,
        message,
        qos,
        retain,
    })
}

/// The broker's answer to CONNECT (§3.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ConnAck {
    /// The broker resumed a stored session (§3.2.2.2). Always false on 3.1,
    /// where this byte is unused.
    pub session_present: bool,
    /// 0 accepted, 1..=5 the refusals of §3.2.2.3; other values are kept so
    /// the client can report them.
    pub return_code: u8,
}

impl ConnAck {
    /// CONNACK is always 4 bytes.
    pub const ENCODED_LEN: usize = 4;

    /// Whether the broker accepted the connection.
    pub const fn is_accepted(&self) -> bool {
        self.return_code == CONNACK_ACCEPTED
    }

    /// Encodes the CONNACK (3.1.1 layout; a broker's job, used by tests).
    #[cfg(any(test, feature = "server"))]
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut writer = Writer::new(buf);
        writer.packet_header(PacketType::ConnAck, 2)?;
        writer.write_u8(u8::from(self.session_present));
        writer.write_u8(self.return_code);
        writer.done()
    }

    pub(crate) fn decode(body: &[u8], version: ProtocolVersion) -> Result<ConnAck, DecodeError> {
        let mut reader = Reader::new(body);
        let acknowledge_flags = reader.u8()?;
        let return_code = reader.u8()?;
        reader.finish()?;
        let session_present = match version {
            // MQTT 3.1 reserves the whole byte and gives it no meaning.
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31 => false,
            // `decode` hands MQTT 5 to `v5::decode`; read it like 3.1.1.
            ProtocolVersion::V311 | ProtocolVersion::V5 => {
                if acknowledge_flags & 0xfe != 0 {
                    return Err(DecodeError::ReservedBitsSet);
                }
                acknowledge_flags & 0x01 != 0
            }
        };
        Ok(ConnAck {
            session_present,
            return_code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{
        assert_golden, assert_length_boundaries, connect_full, connect_minimal,
    };
    use crate::codec::{decode, Packet};

    const V311: ProtocolVersion = ProtocolVersion::V311;

    fn minimal() -> Connect<'static> {
        connect_minimal(V311)
    }

    fn full() -> Connect<'static> {
        connect_full(V311)
    }

    #[test]
    fn golden_connect_minimal_v311() {
        #[rustfmt::skip]
        let expected = [
            0x10, 15,
            0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name (§3.1.2.1 example)
            0x04,                               // level 4
            0x02,                               // clean session
            0x00, 0x3c,                         // keep-alive 60 s
            0x00, 0x03, b'c', b'i', b'd',
        ];
        assert_golden(&Packet::Connect(minimal()), &expected);
    }

    #[test]
    #[cfg(feature = "mqtt31")]
    fn golden_connect_minimal_v31() {
        let connect = Connect {
            version: ProtocolVersion::V31,
            ..minimal()
        };
        #[rustfmt::skip]
        let expected = [
            0x10, 17,
            0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p',
            0x03,
            0x02,
            0x00, 0x3c,
            0x00, 0x03, b'c', b'i', b'd',
        ];
        assert_golden(&Packet::Connect(connect), &expected);
    }

    #[test]
    fn golden_connect_with_will_user_and_password() {
        #[rustfmt::skip]
        let expected = [
            0x10, 28,
            0x00, 0x04, b'M', b'Q', b'T', b'T',
            0x04,
            0xec,       // user, password, will retain, will QoS 1, will; no clean session
            0x00, 0x0a, // keep-alive 10 s (§3.1.2.10 example)
            0x00, 0x01, b'c',
            0x00, 0x01, b'w',
            0x00, 0x03, b'b', b'y', b'e',
            0x00, 0x01, b'u',
            0x00, 0x02, b'p', b'w',
        ];
        assert_golden(&Packet::Connect(full()), &expected);
    }

    #[test]
    fn user_without_password_is_allowed_but_not_the_reverse() {
        let user_only = Connect {
            username: Some("u"),
            ..minimal()
        };
        let mut buf = [0u8; 64];
        let len = user_only.encode(&mut buf).unwrap();
        assert_eq!(buf[9], 0x82);
        assert_eq!(
            decode(buf[0], &buf[2..len], V311),
            Ok(Packet::Connect(user_only))
        );

        let password_only = Connect {
            password: Some(b"p"),
            ..minimal()
        };
        assert_eq!(
            password_only.encode(&mut buf),
            Err(EncodeError::PasswordWithoutUsername)
        );
    }

    #[test]
    fn reject_connect_with_bad_flags() {
        let mut buf = [0u8; 64];
        let len = minimal().encode(&mut buf).unwrap();
        let flags_at = 9;
        let check = |flags: u8, expected: DecodeError| {
            let mut bytes = buf;
            bytes[flags_at] = flags;
            assert_eq!(
                decode(bytes[0], &bytes[2..len], V311),
                Err(expected),
                "{flags:#x}"
            );
        };
        check(0x03, DecodeError::ReservedBitsSet);
        check(0x1e, DecodeError::InvalidQos); // will QoS 3
        check(0x0a, DecodeError::InvalidConnectFlags); // will QoS without will
        check(0x22, DecodeError::InvalidConnectFlags); // will retain without will
        check(0x42, DecodeError::InvalidConnectFlags); // password without user
    }

    #[test]
    fn reject_unknown_protocol() {
        let body = [0x00, 0x04, b'M', b'Q', b'T', b'T', 0x03, 0x02, 0, 0, 0, 0];
        assert_eq!(decode(0x10, &body, V311), Err(DecodeError::InvalidProtocol));
        // An MQTT 5 CONNECT is for the v5 codec (its layout differs).
        let body = [
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0, 0, 0, 0, 0,
        ];
        assert_eq!(decode(0x10, &body, V311), Err(DecodeError::InvalidProtocol));
    }

    #[test]
    #[cfg(feature = "mqtt5")]
    fn v5_connect_encodes_with_the_v5_layout() {
        let connect = Connect {
            version: ProtocolVersion::V5,
            ..minimal()
        };
        let mut buf = [0u8; 64];
        let len = connect.encode(&mut buf).unwrap();
        assert_eq!(len, connect.encoded_len());
        // Level 5, then the property length 0 after the keep-alive.
        assert_eq!(
            &buf[..13],
            &[0x10, 16, 0, 4, b'M', b'Q', b'T', b'T', 5, 2, 0, 60, 0]
        );
    }

    #[test]
    #[cfg(not(feature = "mqtt5"))]
    fn v5_connect_is_unsupported_without_mqtt5() {
        let connect = Connect {
            version: ProtocolVersion::V5,
            ..minimal()
        };
        assert_eq!(
            connect.encode(&mut [0u8; 64]),
            Err(EncodeError::Unsupported)
        );
    }

    #[test]
    fn connect_boundaries() {
        assert_length_boundaries(&Packet::Connect(minimal()));
        assert_length_boundaries(&Packet::Connect(full()));
    }

    #[test]
    fn golden_connack() {
        let accepted = ConnAck {
            session_present: true,
            return_code: 0,
        };
        assert_golden(&Packet::ConnAck(accepted), &[0x20, 0x02, 0x01, 0x00]);
        assert!(accepted.is_accepted());
        let refused = ConnAck {
            session_present: false,
            return_code: 5,
        };
        assert_golden(&Packet::ConnAck(refused), &[0x20, 0x02, 0x00, 0x05]);
        assert_length_boundaries(&Packet::ConnAck(refused));
    }

    #[test]
    fn connack_return_codes_above_five_are_surfaced() {
        assert_eq!(
            decode(0x20, &[0x00, 0x86], V311),
            Ok(Packet::ConnAck(ConnAck {
                session_present: false,
                return_code: 0x86
            }))
        );
    }

    #[test]
    fn connack_reserved_bits() {
        assert_eq!(
            decode(0x20, &[0x02, 0x00], V311),
            Err(DecodeError::ReservedBitsSet)
        );
        // MQTT 3.1 gives the byte no meaning at all.
        #[cfg(feature = "mqtt31")]
        assert_eq!(
            decode(0x20, &[0x03, 0x00], ProtocolVersion::V31),
            Ok(Packet::ConnAck(ConnAck {
                session_present: false,
                return_code: 0
            }))
        );
    }

    #[test]
    fn connect_round_trips_for_both_versions() {
        for version in [
            #[cfg(feature = "mqtt31")]
            ProtocolVersion::V31,
            V311,
        ] {
            for connect in [minimal(), full()] {
                let connect = Connect { version, ..connect };
                let mut buf = [0u8; 64];
                let len = connect.encode(&mut buf).unwrap();
                assert_eq!(len, connect.encoded_len());
                assert_eq!(
                    decode(buf[0], &buf[2..len], version),
                    Ok(Packet::Connect(connect))
                );
            }
        }
    }

    /// Strings and binary fields carry a 16-bit length (§1.5.3): 65535
    /// bytes is the most, one more is refused rather than truncated.
    #[test]
    fn oversized_fields_are_refused() {
        let longest = "a".repeat(65535);
        let too_long = "a".repeat(65536);
        let mut buf = std::vec![0u8; 70_000];

        let connect = Connect {
            client_id: &longest,
            ..minimal()
        };
        let len = connect.encode(&mut buf).unwrap();
        assert_eq!(len, connect.encoded_len());
        assert_eq!(&buf[..4], &[0x10, 0x8b, 0x80, 0x04]); // 65547 as a varint
        assert_eq!(
            decode(buf[0], &buf[4..len], V311),
            Ok(Packet::Connect(connect))
        );

        let cases = [
            Connect {
                client_id: &too_long,
                ..minimal()
            },
            Connect {
                username: Some(&too_long),
                ..minimal()
            },
            Connect {
                username: Some("u"),
                password: Some(too_long.as_bytes()),
                ..minimal()
            },
            Connect {
                will: Some(LastWill {
                    topic: TopicName::new(b"w").unwrap(),
                    message: too_long.as_bytes(),
                    qos: QoS::AtMostOnce,
                    retain: false,
                }),
                ..minimal()
            },
        ];
        for connect in cases {
            assert_eq!(connect.encode(&mut buf), Err(EncodeError::FieldTooLong));
        }
    }
}
