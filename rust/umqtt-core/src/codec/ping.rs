//! The body-less packets: PINGREQ (MQTT 3.1.1 §3.12), PINGRESP (§3.13) and
//! DISCONNECT (§3.14).

use super::{DecodeError, EncodeError, Writer};
use crate::types::PacketType;

/// Each of these packets is 2 bytes: type and a zero remaining length.
pub const ENCODED_LEN: usize = 2;

pub(crate) fn encode_empty(packet_type: PacketType, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut writer = Writer::new(buf);
    writer.packet_header(packet_type, 0)?;
    writer.done()
}

/// Checks that a body is empty, as these packets require.
pub(crate) fn decode_empty(body: &[u8]) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes)
    }
}

/// Keep-alive probe from the client (§3.12).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PingReq;

/// The broker's answer to PINGREQ (§3.13).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PingResp;

/// Clean disconnect by the client; the broker then discards the will (§3.14).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Disconnect;

impl PingReq {
    /// Encodes `C0 00` into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_empty(PacketType::PingReq, buf)
    }
}

#[cfg(any(test, feature = "server"))]
impl PingResp {
    /// Encodes `D0 00` into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_empty(PacketType::PingResp, buf)
    }
}

impl Disconnect {
    /// Encodes `E0 00` into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_empty(PacketType::Disconnect, buf)
    }
}

/// Authentication exchange (§3.15): its reason and properties are in
/// [`super::properties::Extra`]. As a [`super::Packet`] it encodes the short form `F0 00` (Success,
/// no properties); `v5::encode_auth` writes any other.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Auth;

impl Auth {
    /// Encodes `F0 00` into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_empty(PacketType::Auth, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::assert_golden;
    use crate::codec::{decode, Packet};
    use crate::types::ProtocolVersion;

    #[test]
    fn golden_empty_packets() {
        assert_golden(&Packet::PingReq(PingReq), &[0xc0, 0x00]);
        assert_golden(&Packet::PingResp(PingResp), &[0xd0, 0x00]);
        assert_golden(&Packet::Disconnect(Disconnect), &[0xe0, 0x00]);
    }

    #[test]
    fn reject_any_body_or_flags() {
        let v311 = ProtocolVersion::V311;
        for first_byte in [0xc0, 0xd0, 0xe0] {
            assert_eq!(
                decode(first_byte, &[0], v311),
                Err(DecodeError::TrailingBytes)
            );
            assert_eq!(
                decode(first_byte | 1, &[], v311),
                Err(DecodeError::InvalidFlags)
            );
        }
    }
}
