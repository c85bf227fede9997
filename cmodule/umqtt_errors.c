// umqtt-rs: statuses and MQTT codes -> exceptions.
//
// The one place that raises for what the engine reports: Rust returns a
// status (rust/umqtt-ffi), the trampolines of umqtt_port.c store the
// exception they caught, and the glue calls umqtt_raise_status() (through
// umqtt_check) once Rust has returned. See docs/errors.md for every code.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// type(arg0, arg1). (One body: three raises.)
static MP_NORETURN void umqtt_raise_args(const mp_obj_type_t *type, mp_obj_t arg0, mp_obj_t arg1) {
    mp_obj_t args[2] = {arg0, arg1};
    nlr_raise(mp_obj_new_exception_args(type, 2, args));
}

MP_NORETURN void umqtt_raise_code(mp_int_t code) {
    nlr_raise(mp_obj_new_exception_arg1(&mp_type_MQTTException, MP_OBJ_NEW_SMALL_INT(code)));
}

// (One body: four call sites.)
MP_NORETURN void umqtt_raise_assert(mp_rom_error_text_t msg) {
    mp_raise_msg(&mp_type_AssertionError, msg);
}

// Raises simple2's code, or the OSError micropython-lib raises for it
// (errors_as_oserror).
MP_NORETURN void umqtt_raise_api(umqtt_client_obj_t *self, mp_int_t code) {
    if (UMQTT_MPLIB_CONV(self, errors_as_oserror)) {
        switch (code) {
            case UMQTT_ECONCLOSE:
                mp_raise_OSError(-1);
            case UMQTT_ECONTIMEOUT:
                mp_raise_OSError(MP_ETIMEDOUT);
            case UMQTT_ECONNOT:
                mp_raise_OSError(MP_ENOTCONN);
            default:
                break;
        }
    }
    umqtt_raise_code(code);
}

// A refused SUBACK, `code` its first refusal: simple2 ESUBACKFAIL;
// micropython-lib (broker_codes) 0x80, on MQTT 5 the reason code (e.g. 0x87).
MP_NORETURN void umqtt_raise_suback_failed(umqtt_client_obj_t *self, mp_int_t code) {
    if (!UMQTT_MPLIB_CONV(self, broker_codes)) {
        umqtt_raise_code(UMQTT_ESUBACKFAIL);
    }
    umqtt_raise_code(UMQTT_IS_V5(self) ? code : 0x80);
}

// The statuses raised as simple2's MQTTException(code), or the OSError
// micropython-lib raises for it (umqtt_raise_api); 0: not one of them. (A
// table: smaller than a case and a call each.)
static const int8_t umqtt_status_codes[] = {
    [UMQTT_STATUS_CLOSED] = UMQTT_ECONCLOSE,
    [UMQTT_STATUS_TIMEOUT] = UMQTT_ECONTIMEOUT,
    [UMQTT_STATUS_CONNACK_INVALID] = UMQTT_ECONLENGTH,
    [UMQTT_STATUS_SUBACK_INVALID] = UMQTT_ESUBACKUNKNOWN,
    [UMQTT_STATUS_INVALID_QOS] = UMQTT_EUNKNOWN,
    [UMQTT_STATUS_MALFORMED] = UMQTT_EMALFORMED,
    [UMQTT_STATUS_PACKET_TOO_LARGE] = UMQTT_EPACKETSIZE,
    [UMQTT_STATUS_PROTOCOL_VIOLATION] = UMQTT_EPROTOCOL,
    [UMQTT_STATUS_IN_FLIGHT_FULL] = UMQTT_EINFLIGHT,
    [UMQTT_STATUS_SKIPPED] = UMQTT_EMSGSKIPPED,
};

// The statuses raised as ValueError (the caller's argument): GCC makes
// the switch a table, smaller than a test and a call each.
static mp_rom_error_text_t umqtt_value_error_text(umqtt_status status) {
    switch (status) {
        case UMQTT_STATUS_PID_IN_USE:
            return MP_ERROR_TEXT("packet id already in flight");
        case UMQTT_STATUS_INVALID_TOPIC:
            return MP_ERROR_TEXT("invalid MQTT topic");
        case UMQTT_STATUS_INVALID_ARGUMENT:
            return MP_ERROR_TEXT("invalid MQTT argument");
        case UMQTT_STATUS_BUFFER_TOO_SMALL:
            return MP_ERROR_TEXT("packet too large for the transmit buffer");
        #if defined(UMQTT_MQTT5) // (without it the glue never passes the engine a property block)
        case UMQTT_STATUS_INVALID_PROPERTY:
            return MP_ERROR_TEXT("invalid MQTT 5 properties for this packet");
        #endif
        default:
            return NULL;
    }
}

UMQTT_NO_JUMP_TABLE  // (GCC would turn the ifs below back into one)
MP_NORETURN void umqtt_raise_status(umqtt_client_obj_t *self, umqtt_status status, mp_int_t detail) {
    if ((size_t)status < MP_ARRAY_SIZE(umqtt_status_codes) && umqtt_status_codes[status] != 0) {
        umqtt_raise_api(self, umqtt_status_codes[status]);
    }
    mp_rom_error_text_t value_error = umqtt_value_error_text(status);
    if (value_error != NULL) {
        mp_raise_ValueError(value_error);
    }
    if (status == UMQTT_STATUS_RAISED) {
        mp_obj_t exc = self->port.exc;
        self->port.exc = MP_OBJ_NULL;
        if (exc != MP_OBJ_NULL) {
            nlr_raise(exc);
        }
        // none was caught: an internal error
    } else if (status == UMQTT_STATUS_OS_ERROR) {
        mp_raise_OSError(self->port.os_error);
    } else if (status == UMQTT_STATUS_CONNACK_REFUSED) {
        if (UMQTT_MPLIB_CONV(self, broker_codes)) {
            umqtt_raise_code(detail);  // micropython-lib: MQTTException(rc)
        }
        if (detail >= 1 && detail <= 5) {
            umqtt_raise_code(UMQTT_ECONUNKNOWN + detail);
        }
        umqtt_raise_args(&mp_type_MQTTException, MP_OBJ_NEW_SMALL_INT(UMQTT_ECONUNKNOWN), MP_OBJ_NEW_SMALL_INT(detail));
    #if defined(UMQTT_MQTT5)
    } else if (status == UMQTT_STATUS_BROKER_LIMIT) {
        // NUL-terminated: mp_vprintf's %s (even %.*s) runs strlen over it.
        uint8_t text[UMQTT_TEXT_MAX + 1];
        text[umqtt_text((uint8_t)(UMQTT_TEXT_LIMIT + detail), text)] = 0;
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), (const char *)text);
    #endif
    } else if (status == UMQTT_STATUS_NESTED_TOO_DEEP) {
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: receive nested in too many message callbacks"));
    }
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: internal error"));
}

void umqtt_check(umqtt_client_obj_t *self, umqtt_status status, mp_int_t detail) {
    if (status != UMQTT_STATUS_OK) {
        umqtt_raise_status(self, status, detail);
    }
}

// version=3 or 5 (mqtt_as: mqttv5=True) in a firmware built without MQTT
// 3.1 or 5: one message for both, and for the façades' own check at
// construction (_umqtt._no_version).
#if !defined(UMQTT_MQTT31) || !defined(UMQTT_MQTT5)
mp_obj_t umqtt_no_version_error(mp_int_t version) {
    return mp_obj_new_exception_msg_varg(&mp_type_ValueError,
        MP_ERROR_TEXT("MQTT version %d is not in this firmware (built without UMQTT_MQTT%d)"),
        (int)version, version == 3 ? 31 : 5);
}

MP_NORETURN void umqtt_raise_no_version(mp_int_t version) {
    nlr_raise(umqtt_no_version_error(version));
}
#endif

// MQTT 5: the broker sent DISCONNECT and the connection is closed. Its
// reason code and properties become the owner's disconnect_reason
// (reason, properties); the exception is the one for a closed connection
// (micropython-lib: OSError(-1, text), so umqtt.robust reconnects;
// simple2: MQTTException(1, reason)).
#if defined(UMQTT_MQTT5) // (only an MQTT 5 broker sends DISCONNECT)
MP_NORETURN void umqtt_raise_disconnected(umqtt_client_obj_t *self, const umqtt_event *ev) {
    mp_obj_t info[2] = {MP_OBJ_NEW_SMALL_INT(ev->reason), umqtt_props_to_dict(self, ev->properties)};
    mp_store_attr(self->owner, MP_QSTR_disconnect_reason, mp_obj_new_tuple(2, info));
    if (UMQTT_MPLIB_CONV(self, errors_as_oserror)) {
        uint8_t name[UMQTT_TEXT_MAX];
        size_t len = umqtt_text(ev->reason, name);
        umqtt_raise_args(&mp_type_OSError, MP_OBJ_NEW_SMALL_INT(-1), mp_obj_new_str((const char *)name, len));
    }
    umqtt_raise_args(&mp_type_MQTTException, MP_OBJ_NEW_SMALL_INT(UMQTT_ECONCLOSE), MP_OBJ_NEW_SMALL_INT(ev->reason));
}
#endif

#endif // MICROPY_PY_UMQTT
