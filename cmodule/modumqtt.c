// umqtt-rs: the built-in module `_umqtt`, the native engine behind the
// frozen Python façades in python/umqtt/ (umqtt.simple2, ...) and mqtt_as.
//
// Protocol work and socket I/O are done by the Rust engine (rust/umqtt-ffi),
// which reaches MicroPython only through the non-raising trampolines of
// umqtt_port.c. The C glue around it is laid out in umqtt_glue.h.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

MP_DEFINE_EXCEPTION(MQTTException, Exception)

// topic_matches(filter, topic) -> bool: MQTT wildcard matching (+, #, $
// topics) by the core's matcher. ValueError if either is not a valid filter /
// topic name (empty, or a wildcard misplaced).
static mp_obj_t umqtt_topic_matches_fn(mp_obj_t filter_in, mp_obj_t topic_in) {
    bool matched = false;
    umqtt_status st = umqtt_topic_matches(umqtt_bytes_of(filter_in), umqtt_bytes_of(topic_in), &matched);
    if (st != UMQTT_STATUS_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid MQTT topic"));
    }
    return mp_obj_new_bool(matched);
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_topic_matches_obj, umqtt_topic_matches_fn);

static const mp_rom_map_elem_t umqtt_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__umqtt) },
    { MP_ROM_QSTR(MP_QSTR_Client), MP_ROM_PTR(&umqtt_client_type) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
    { MP_ROM_QSTR(MP_QSTR_topic_matches), MP_ROM_PTR(&umqtt_topic_matches_obj) },
    { MP_ROM_QSTR(MP_QSTR_API_SIMPLE2), MP_ROM_INT(UMQTT_API_SIMPLE2) },
    { MP_ROM_QSTR(MP_QSTR_API_MPLIB), MP_ROM_INT(UMQTT_API_MPLIB) },
};
static MP_DEFINE_CONST_DICT(umqtt_module_globals, umqtt_module_globals_table);

const mp_obj_module_t umqtt_native_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__umqtt, umqtt_native_module);

#endif // MICROPY_PY_UMQTT

