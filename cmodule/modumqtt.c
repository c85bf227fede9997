// umqtt-rs: the built-in module `_umqtt`, the native engine behind the
// frozen Python façades in python/umqtt/ (umqtt.simple2, ...) and mqtt_as.
//
// Protocol work and socket I/O are done by the Rust engine (rust/umqtt-ffi),
// which reaches MicroPython only through the non-raising trampolines of
// umqtt_port.c. The C glue around it is laid out in umqtt_glue.h.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

MP_DEFINE_EXCEPTION(MQTTException, Exception)

// ---------------------------------------------------------------------------
// What API_SIMPLE2 and API_MPLIB stand for (the fields: umqtt_glue.h). Only
// with UMQTT_MPLIB: without, the one convention is simple2's, and
// umqtt_dispatch has it built in.

#if defined(UMQTT_MPLIB)
// How check_msg()/wait_msg() report: fizista's umqtt.simple2 ...
static const umqtt_receive_conv_t umqtt_receive_simple2 = UMQTT_RECEIVE_SIMPLE2;

// ... and micropython-lib's umqtt.simple.
static const umqtt_receive_conv_t umqtt_receive_mplib = {
    .cb_fixed_args = 2, .message_result = UMQTT_RESULT_FIRST_BYTE, .quiet_result = UMQTT_RESULT_NONE,
    .acks_as_status = false, .queue_acks = false,
};

// How _nb_receive() reports, whatever the façade (mqtt_as calls it):
// cb(topic, msg, retained), acks and refusals to cbstat, every packet's
// type returned, acks queued for _nb_flush().
#if defined(UMQTT_NONBLOCKING)
const umqtt_receive_conv_t umqtt_receive_nb = {
    .cb_fixed_args = 3, .message_result = UMQTT_RESULT_TYPE, .quiet_result = UMQTT_RESULT_TYPE,
    .acks_as_status = true, .queue_acks = true,
};
#endif

// By [api][props_dict] (a table: smaller than a switch; umqtt_conv_of).
const umqtt_conventions_t umqtt_conventions[2][2] = {
    [UMQTT_API_SIMPLE2] = {
        // API_SIMPLE2: umqtt.simple2 and umqtt.robust2.
        { .receive = &umqtt_receive_simple2, .errors_as_oserror = false, .broker_codes = false, .props_dict = false },
        // With props_dict=True: no façade uses it, but the keywords combine.
        { .receive = &umqtt_receive_simple2, .errors_as_oserror = false, .broker_codes = false, .props_dict = true },
    },
    [UMQTT_API_MPLIB] = {
        // API_MPLIB: umqtt.simple, umqtt.robust and umqtt.MQTTClient (built on them).
        { .receive = &umqtt_receive_mplib, .errors_as_oserror = true, .broker_codes = true, .props_dict = false },
        // With props_dict=True: mqtt_as.
        { .receive = &umqtt_receive_mplib, .errors_as_oserror = true, .broker_codes = true, .props_dict = true },
    },
};

// topic_matches(filter, topic) -> bool: MQTT wildcard matching (+, #, $
// topics) by the core's matcher. ValueError if either is not a valid filter /
// topic name (empty, or a wildcard misplaced).
static mp_obj_t umqtt_topic_matches_fn(mp_obj_t filter_in, mp_obj_t topic_in) {
    bool matched = false;
    umqtt_status st = umqtt_topic_matches(umqtt_bytes_of(filter_in), umqtt_bytes_of(topic_in), &matched);
    if (st != UMQTT_STATUS_OK) {
        // (its one error; raised as for a client, a ValueError that needs none)
        umqtt_raise_status(NULL, UMQTT_STATUS_INVALID_TOPIC, 0);
    }
    return mp_obj_new_bool(matched);
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_topic_matches_obj, umqtt_topic_matches_fn);

// close(sock): sock.close() unless sock is None, an OSError from it
// swallowed: the clean-up of the façades that open their own sockets.
static mp_obj_t umqtt_close_fn(mp_obj_t sock) {
    if (sock != mp_const_none) {
        umqtt_close_quietly(sock);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_close_obj, umqtt_close_fn);

// _no_version(version): the ValueError for a version this firmware was built
// without, for the façades to raise when asked for MQTT 5 at construction
// (their check of MQTT5 comes first): the message is the glue's, once in
// flash. Only where that can happen (a firmware with MQTT 5 has no text).
#if !defined(UMQTT_MQTT5)
static mp_obj_t umqtt_no_version_fn(mp_obj_t version) {
    return umqtt_no_version_error(mp_obj_get_int(version));
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_no_version_obj, umqtt_no_version_fn);
#endif
#endif

static const mp_rom_map_elem_t umqtt_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__umqtt) },
    { MP_ROM_QSTR(MP_QSTR_Simple2), MP_ROM_PTR(&umqtt_simple2_type) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
    #if defined(UMQTT_MPLIB)
    { MP_ROM_QSTR(MP_QSTR_open_conn), MP_ROM_PTR(&umqtt_open_conn_obj) },  // umqtt.simple's
    { MP_ROM_QSTR(MP_QSTR_Client), MP_ROM_PTR(&umqtt_client_type) },
    { MP_ROM_QSTR(MP_QSTR_Simple), MP_ROM_PTR(&umqtt_simple_type) },
    { MP_ROM_QSTR(MP_QSTR_API_SIMPLE2), MP_ROM_INT(UMQTT_API_SIMPLE2) },
    { MP_ROM_QSTR(MP_QSTR_API_MPLIB), MP_ROM_INT(UMQTT_API_MPLIB) },
    { MP_ROM_QSTR(MP_QSTR_topic_matches), MP_ROM_PTR(&umqtt_topic_matches_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&umqtt_close_obj) },
    #if !defined(UMQTT_MQTT5)
    { MP_ROM_QSTR(MP_QSTR__no_version), MP_ROM_PTR(&umqtt_no_version_obj) },
    #endif
    #endif
    // Whether MQTT 5 and MQTT 3.1 are built in (UMQTT_MQTT5, UMQTT_MQTT31):
    // façades and tests check it.
    #if defined(UMQTT_MQTT5)
    { MP_ROM_QSTR(MP_QSTR_MQTT5), MP_ROM_TRUE },
    #else
    { MP_ROM_QSTR(MP_QSTR_MQTT5), MP_ROM_FALSE },
    #endif
    #if defined(UMQTT_MQTT31)
    { MP_ROM_QSTR(MP_QSTR_MQTT31), MP_ROM_TRUE },
    #else
    { MP_ROM_QSTR(MP_QSTR_MQTT31), MP_ROM_FALSE },
    #endif
};
static MP_DEFINE_CONST_DICT(umqtt_module_globals, umqtt_module_globals_table);

const mp_obj_module_t umqtt_native_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__umqtt, umqtt_native_module);

#if defined(__ARM_EABI__)
// The Rust object calls the ARM EABI's memory helpers, but micropython.mk /
// micropython.cmake leave compiler_builtins' copies out (2.4 KB on Cortex-M3)
// so that the C library's memcpy & co. serve it. GCC calls memcpy by name, so
// a port's C library may lack these: forward them. Weak, so that a C library
// object that has them wins. (memset's are (dest, n, c); memclr: c = 0.)
#include <string.h>
#define UMQTT_AEABI_ALIAS(name, of, params) void name params __attribute__((weak, alias(#of)))
__attribute__((weak)) void __aeabi_memcpy(void *dest, const void *src, size_t n) {
    memcpy(dest, src, n);
}
UMQTT_AEABI_ALIAS(__aeabi_memcpy4, __aeabi_memcpy, (void *, const void *, size_t));
UMQTT_AEABI_ALIAS(__aeabi_memcpy8, __aeabi_memcpy, (void *, const void *, size_t));
__attribute__((weak)) void __aeabi_memmove(void *dest, const void *src, size_t n) {
    memmove(dest, src, n);
}
UMQTT_AEABI_ALIAS(__aeabi_memmove4, __aeabi_memmove, (void *, const void *, size_t));
UMQTT_AEABI_ALIAS(__aeabi_memmove8, __aeabi_memmove, (void *, const void *, size_t));
__attribute__((weak)) void __aeabi_memset(void *dest, size_t n, int c) {
    memset(dest, c, n);
}
UMQTT_AEABI_ALIAS(__aeabi_memset4, __aeabi_memset, (void *, size_t, int));
UMQTT_AEABI_ALIAS(__aeabi_memset8, __aeabi_memset, (void *, size_t, int));
__attribute__((weak)) void __aeabi_memclr(void *dest, size_t n) {
    memset(dest, 0, n);
}
UMQTT_AEABI_ALIAS(__aeabi_memclr4, __aeabi_memclr, (void *, size_t));
UMQTT_AEABI_ALIAS(__aeabi_memclr8, __aeabi_memclr, (void *, size_t));
#endif

#endif // MICROPY_PY_UMQTT

