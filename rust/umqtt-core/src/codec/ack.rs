//! The two-byte acknowledgements: PUBACK (MQTT 3.1.1 §3.4), PUBREC (§3.5),
//! PUBREL (§3.6), PUBCOMP (§3.7) and UNSUBACK (§3.11).
//!
//! Each body is exactly a non-zero packet id. They are separate types so a
//! later MQTT 5 reason code can be added to each without touching the others.

use super::{DecodeError, EncodeError, Reader, Writer};
use crate::types::{PacketType, Pid};

/// Every acknowledgement here is 4 bytes: type, length 2, packet id.
pub const ENCODED_LEN: usize = 4;

fn encode_ack(packet_type: PacketType, pid: Pid, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut writer = Writer::new(buf);
    writer.packet_header(packet_type, 2)?;
    writer.write_u16(pid.get());
    writer.done()
}

/// Reads a body that must be exactly one non-zero packet id.
pub(crate) fn decode_pid(body: &[u8]) -> Result<Pid, DecodeError> {
    let mut reader = Reader::new(body);
    let pid = reader.pid()?;
    reader.finish()?;
    Ok(pid)
}

/// QoS 1 delivery acknowledged (§3.4).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PubAck {
    /// The PUBLISH being acknowledged.
    pub pid: Pid,
}

/// QoS 2 step 2: the receiver has the message (§3.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PubRec {
    /// The PUBLISH being acknowledged.
    pub pid: Pid,
}

/// QoS 2 step 3: the sender releases the packet id (§3.6). Flags 0b0010.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PubRel {
    /// The PUBLISH being released.
    pub pid: Pid,
}

/// QoS 2 step 4: delivery complete (§3.7).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PubComp {
    /// The PUBLISH being completed.
    pub pid: Pid,
}

/// UNSUBSCRIBE acknowledged (§3.11).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UnsubAck {
    /// The UNSUBSCRIBE being acknowledged.
    pub pid: Pid,
}

impl PubAck {
    /// Encodes the 4 bytes into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::PubAck, self.pid, buf)
    }
}

impl PubRec {
    /// Encodes the 4 bytes into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::PubRec, self.pid, buf)
    }
}

impl PubRel {
    /// Encodes the 4 bytes into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::PubRel, self.pid, buf)
    }
}

impl PubComp {
    /// Encodes the 4 bytes into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::PubComp, self.pid, buf)
    }
}

#[cfg(any(test, feature = "server"))]
impl UnsubAck {
    /// Encodes the 4 bytes into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::UnsubAck, self.pid, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_golden, assert_length_boundaries};
    use crate::codec::{decode, Packet};
    use crate::types::ProtocolVersion;

    fn all_acks(pid: Pid) -> [Packet<'static>; 5] {
        [
            Packet::PubAck(PubAck { pid }),
            Packet::PubRec(PubRec { pid }),
            Packet::PubRel(PubRel { pid }),
            Packet::PubComp(PubComp { pid }),
            Packet::UnsubAck(UnsubAck { pid }),
        ]
    }

    #[test]
    fn golden_acks() {
        let pid = Pid::new(0x000c).unwrap();
        let first_bytes = [0x40, 0x50, 0x62, 0x70, 0xb0];
        for (packet, first_byte) in all_acks(pid).iter().zip(first_bytes) {
            assert_golden(packet, &[first_byte, 0x02, 0x00, 0x0c]);
        }
    }

    #[test]
    fn ack_boundaries() {
        for packet in all_acks(Pid::new(0x1234).unwrap()) {
            assert_length_boundaries(&packet);
        }
    }

    #[test]
    fn reject_zero_pid_and_wrong_flags() {
        for first_byte in [0x40, 0x50, 0x62, 0x70, 0xb0] {
            let v311 = ProtocolVersion::V311;
            assert_eq!(decode(first_byte, &[0, 0], v311), Err(DecodeError::ZeroPid));
            assert_eq!(
                decode(first_byte ^ 0x02, &[0, 1], v311),
                Err(DecodeError::InvalidFlags)
            );
        }
    }
}
