// umqtt-rs: MQTT 5 properties, a dict {id: value} <-> the engine's blocks.
//
// Values: int for integer properties, str for strings, bytes for binary
// data; a user property (0x26) is a list of (name, value) pairs, or a dict
// {name: value} (how mqtt_as writes it). The engine checks every rule
// (id allowed in the packet, type, range, repetition) as each is added.

#include "py/objint.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT && defined(UMQTT_MQTT5)

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} umqtt_props_t;

static void umqtt_props_add(umqtt_props_t *p, umqtt_props_context ctx, mp_int_t id, mp_obj_t value, mp_obj_t value2) {
    umqtt_property prop = {.id = (uint8_t)id, .kind = UMQTT_PROPERTY_KIND_UNKNOWN, .number = 0};
    prop.kind = (id >= 0 && id <= 255) ? umqtt_property_kind_of((uint8_t)id) : UMQTT_PROPERTY_KIND_UNKNOWN;
    mp_uint_t number;
    switch (prop.kind) {
        case UMQTT_PROPERTY_KIND_BYTE:
        case UMQTT_PROPERTY_KIND_TWO_BYTE_INT:
        case UMQTT_PROPERTY_KIND_FOUR_BYTE_INT:
        case UMQTT_PROPERTY_KIND_VAR_INT:
            // The engine checks the range of the property; here only that
            // it is a non-negative int of 32 bits.
            if (!mp_obj_is_int(value) || mp_obj_int_sign(value) < 0) {
                goto invalid;
            }
            number = mp_obj_int_get_uint_checked(value);
            if (number > 0xffffffff) {
                goto invalid;
            }
            prop.number = (uint32_t)number;
            break;
        case UMQTT_PROPERTY_KIND_UTF8_STRING:
        case UMQTT_PROPERTY_KIND_BINARY_DATA:
            prop.a = umqtt_bytes_of(value);
            break;
        case UMQTT_PROPERTY_KIND_UTF8_PAIR:
            prop.a = umqtt_bytes_of(value);
            prop.b = umqtt_bytes_of(value2);
            break;
        default:
            goto invalid;
    }
    for (;;) {
        umqtt_status st = umqtt_props_put(p->buf, p->cap, &p->len, ctx, &prop);
        if (st == UMQTT_STATUS_OK) {
            return;
        }
        if (st != UMQTT_STATUS_BUFFER_TOO_SMALL || p->cap >= 65536) {
            break;
        }
        p->buf = m_renew(uint8_t, p->buf, p->cap, p->cap * 2);
        p->cap *= 2;
    }
invalid:
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid MQTT 5 property 0x%02x for this packet"), (int)id);
}

// The block for `props` (None: empty). `default_id`, if not 0 and not in
// `props`, is added with `default_value` (connect()'s Maximum Packet Size).
umqtt_bytes umqtt_props_build(mp_obj_t props, umqtt_props_context ctx, mp_int_t default_id, mp_uint_t default_value) {
    umqtt_props_t p = {.buf = NULL, .cap = 0, .len = 0};
    umqtt_bytes out = {.ptr = NULL, .len = 0};
    if (props == mp_const_none && default_id == 0) {
        return out;
    }
    if (props != mp_const_none && !mp_obj_is_type(props, &mp_type_dict)) {
        mp_raise_TypeError(MP_ERROR_TEXT("properties must be a dict"));
    }
    p.cap = 64;
    p.buf = m_new(uint8_t, p.cap);
    bool has_default = false;
    if (props != mp_const_none) {
        mp_map_t *map = mp_obj_dict_get_map(props);
        for (size_t i = 0; i < map->alloc; i++) {
            if (!mp_map_slot_is_filled(map, i)) {
                continue;
            }
            mp_int_t id = mp_obj_get_int(map->table[i].key);
            mp_obj_t value = map->table[i].value;
            has_default |= id == default_id;
            if (id != 0x26) {
                umqtt_props_add(&p, ctx, id, value, mp_const_none);
            } else if (mp_obj_is_type(value, &mp_type_dict)) {
                mp_map_t *pairs = mp_obj_dict_get_map(value);
                for (size_t j = 0; j < pairs->alloc; j++) {
                    if (mp_map_slot_is_filled(pairs, j)) {
                        umqtt_props_add(&p, ctx, id, pairs->table[j].key, pairs->table[j].value);
                    }
                }
            } else {
                mp_obj_t iter = mp_getiter(value, NULL);
                mp_obj_t pair;
                while ((pair = mp_iternext(iter)) != MP_OBJ_STOP_ITERATION) {
                    mp_obj_t *items;
                    mp_obj_get_array_fixed_n(pair, 2, &items);
                    umqtt_props_add(&p, ctx, id, items[0], items[1]);
                }
            }
        }
    }
    if (default_id != 0 && !has_default) {
        umqtt_props_add(&p, ctx, default_id, mp_obj_new_int_from_uint(default_value), mp_const_none);
    }
    out.ptr = p.buf;
    out.len = p.len;
    return out;
}

// A received block as a dict; user properties as [(name, value)] in
// order (or {name: value} with props_dict), subscription identifiers (a
// PUBLISH may carry several) as a list of ints (the last one with props_dict).
mp_obj_t umqtt_props_to_dict(umqtt_client_obj_t *self, umqtt_bytes block) {
    mp_obj_t dict = mp_obj_new_dict(0);
    size_t offset = 0;
    umqtt_property p;
    while (umqtt_props_next(block, &offset, &p)) {
        mp_obj_t key = MP_OBJ_NEW_SMALL_INT(p.id);
        mp_obj_t value;
        switch (p.kind) {
            case UMQTT_PROPERTY_KIND_UTF8_STRING:
                value = mp_obj_new_str((const char *)p.a.ptr, p.a.len);
                break;
            case UMQTT_PROPERTY_KIND_BINARY_DATA:
                value = mp_obj_new_bytes(p.a.ptr, p.a.len);
                break;
            case UMQTT_PROPERTY_KIND_UTF8_PAIR:
            case UMQTT_PROPERTY_KIND_VAR_INT: {
                mp_obj_t item;
                if (p.kind == UMQTT_PROPERTY_KIND_VAR_INT) {
                    item = mp_obj_new_int_from_uint(p.number);
                    if (UMQTT_MPLIB_CONV(self, props_dict)) {
                        value = item;
                        break;
                    }
                } else {
                    mp_obj_t name = mp_obj_new_str((const char *)p.a.ptr, p.a.len);
                    item = mp_obj_new_str((const char *)p.b.ptr, p.b.len);
                    if (UMQTT_MPLIB_CONV(self, props_dict)) {
                        mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(dict), key, MP_MAP_LOOKUP);
                        mp_obj_t pairs = e != NULL ? e->value : mp_obj_new_dict(0);
                        mp_obj_dict_store(pairs, name, item);
                        value = pairs;
                        break;
                    }
                    mp_obj_t tuple[2] = {name, item};
                    item = mp_obj_new_tuple(2, tuple);
                }
                mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(dict), key, MP_MAP_LOOKUP);
                value = e != NULL ? e->value : mp_obj_new_list(0, NULL);
                mp_obj_list_append(value, item);
                break;
            }
            default:
                value = mp_obj_new_int_from_uint(p.number);
                break;
        }
        mp_obj_dict_store(dict, key, value);
    }
    return dict;
}

#endif // MICROPY_PY_UMQTT && UMQTT_MQTT5
