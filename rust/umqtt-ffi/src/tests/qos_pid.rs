//! `qos_pid_of` and `message_of` (client.rs) against the composed checks
//! they replace.

use super::*;

/// `qos_pid_of` answers as `qos_of` then the engine's `qos_pid` did.
#[test]
fn qos_pid_of_matches_qos_of_then_qos_pid() {
    for qos in 0..=4u8 {
        for pid in [0u16, 1, 7, 65535] {
            let composed = qos_of(qos)
                .and_then(|q| umqtt_core::client::qos_pid(q, Pid::new(pid)).map_err(Error::from));
            let composed = without_qos2(qos, composed);
            assert_eq!(qos_pid_of(qos, pid), composed, "qos {qos} pid {pid}");
        }
    }
}

/// `message_of` pairs qos and pid as `qos_of`, then `pid_of` for QoS
/// 1/2 only (a QoS 0 message's pid is ignored), then `qos_pid` did.
#[test]
fn message_of_pairs_as_qos_of_then_pid_of() {
    for qos in 0..=4u8 {
        for pid in [0u16, 1, 7, 65535] {
            let composed = qos_of(qos).and_then(|q| {
                let pid = match q.as_u8() {
                    0 => None,
                    _ => Some(pid_of(pid)?),
                };
                umqtt_core::client::qos_pid(q, pid).map_err(Error::from)
            });
            let composed = without_qos2(qos, composed);
            let m = crate::tests::message(b"", b"", qos, pid);
            // SAFETY: empty byte strings.
            let paired = unsafe { message_of(&m, (b"", b"")) }.map(|m| m.qos_pid);
            assert_eq!(paired, composed, "qos {qos} pid {pid}");
        }
    }
}

/// Without the QoS 2 flows, QoS 2 is `InvalidArgument` (once the pair
/// is otherwise valid).
fn without_qos2(qos: u8, paired: Result<QosPid>) -> Result<QosPid> {
    if qos == 2 && !umqtt_core::session::QOS2 {
        return paired.and(Err(Error::InvalidArgument));
    }
    paired
}
