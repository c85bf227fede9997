// umqtt-rs: `_umqtt.open_conn`, opening the broker connection for every
// façade. Native so that importing a façade does not build a Python module
// for it; it calls only the port's Python-level socket API (and, for
// ssl=True, umqtt._net.tls_wrap), so a firmware without `socket` (the QEMU
// boards) raises ImportError here, when connecting, not at import.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

mp_obj_t umqtt_call_method(mp_obj_t obj, qstr name, size_t n_args, const mp_obj_t *args) {
    mp_obj_t dest[2 + 3];
    assert(n_args <= 3);
    mp_load_method(obj, name, dest);
    for (size_t i = 0; i < n_args; i++) {
        dest[2 + i] = args[i];
    }
    return mp_call_method_n_kw(n_args, 0, dest);
}

// sock.name(*args), an OSError from it swallowed, and an AttributeError
// too if `or_missing` (a socket without that method).
static void umqtt_call_quietly(mp_obj_t sock, qstr name, size_t n_args, const mp_obj_t *args, bool or_missing) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_call_method(sock, name, n_args, args);
        nlr_pop();
    } else if (!mp_obj_exception_match(MP_OBJ_FROM_PTR(nlr.ret_val), MP_OBJ_FROM_PTR(&mp_type_OSError))
               && !(or_missing
                    && mp_obj_exception_match(MP_OBJ_FROM_PTR(nlr.ret_val), MP_OBJ_FROM_PTR(&mp_type_AttributeError)))) {
        nlr_jump(nlr.ret_val);
    }
}

// setsockopt(IPPROTO_TCP, TCP_NODELAY, 1), best effort: MQTT packets are
// small and latency-bound, Nagle must not hold a PUBLISH back. The numbers
// are the same everywhere (6, 1: POSIX, lwIP, Windows), so they are not
// looked up; not every socket has the option (OSError, AttributeError:
// ignored).
static void umqtt_nodelay(mp_obj_t raw) {
    static const mp_rom_obj_t opt[3] = {MP_ROM_INT(6), MP_ROM_INT(1), MP_ROM_INT(1)};
    umqtt_call_quietly(raw, MP_QSTR_setsockopt, 3, (const mp_obj_t *)opt, true);
}

void umqtt_close_quietly(mp_obj_t sock) {
    umqtt_call_quietly(sock, MP_QSTR_close, 0, NULL, false);
}

// The TLS stream over raw: `ssl` is an SSLContext-like object (its
// wrap_socket(raw, server_hostname=...)) or True (ssl_params are the old
// ssl.wrap_socket() keywords: umqtt._net.tls_wrap).
static mp_obj_t umqtt_tls(mp_obj_t raw, mp_obj_t ssl, mp_obj_t ssl_params, mp_obj_t hostname) {
    mp_obj_t dest[2 + 3];
    mp_load_method_maybe(ssl, MP_QSTR_wrap_socket, dest);
    if (dest[0] != MP_OBJ_NULL) {
        dest[2] = raw;
        dest[3] = MP_OBJ_NEW_QSTR(MP_QSTR_server_hostname);
        dest[4] = hostname;
        return mp_call_method_n_kw(1, 1, dest);
    }
    if (ssl_params != mp_const_none && !mp_obj_is_dict_or_ordereddict(ssl_params)) {
        mp_raise_TypeError(MP_ERROR_TEXT("ssl_params must be a dict"));
    }
    mp_obj_t umqtt = mp_import_name(MP_QSTR_umqtt, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t tls_wrap = mp_load_attr(mp_import_from(umqtt, MP_QSTR__net), MP_QSTR_tls_wrap);
    if (ssl_params == mp_const_none) {
        return mp_call_function_1(tls_wrap, raw);
    }
    // tls_wrap(raw, **ssl_params): one keyword slot whose key MP_OBJ_NULL
    // marks a dict to unpack, then the bitmap of *args (none).
    mp_obj_t call[5] = {tls_wrap, raw, MP_OBJ_NULL, ssl_params, MP_OBJ_NEW_SMALL_INT(0)};
    return mp_call_method_n_kw_var(false, 1 | (1 << 8), call);
}

// open_conn(server, port, ssl, ssl_params, timeout, hostname=None, socket=None)
// -> (raw socket, stream to speak MQTT on).
// The TCP connect and the TLS handshake run blocking, bounded by timeout
// (s; None: no limit), so a refused or unreachable broker raises OSError
// here; the raw socket is then made non-blocking (the native client waits
// on it with its own timeouts) and closed if anything fails. hostname:
// the TLS server name; None: ssl_params' "server_hostname" if it is a dict.
// socket: the module to use (umqtt.simple passes its own global, which
// tests replace); None: the port's own.
mp_obj_t umqtt_open_conn(size_t n_args, const mp_obj_t *args) {
    mp_obj_t server = args[0], port = args[1], ssl = args[2], ssl_params = args[3], timeout = args[4];
    mp_obj_t hostname = n_args > 5 ? args[5] : mp_const_none;
    mp_obj_t socket_mod = n_args > 6 ? args[6] : mp_const_none;
    if (socket_mod == mp_const_none) {
        socket_mod = mp_import_name(MP_QSTR_socket, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    }
    mp_obj_t where[2] = {server, port};
    mp_obj_t ai = umqtt_call_method(socket_mod, MP_QSTR_getaddrinfo, 2, where);
    ai = mp_obj_subscr(ai, MP_OBJ_NEW_SMALL_INT(0), MP_OBJ_SENTINEL);
    // (family, type, proto, canonname, sockaddr); another length: ValueError
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(ai, 5, &items);
    mp_obj_t sockaddr = items[4];
    mp_obj_t raw = umqtt_call_method(socket_mod, MP_QSTR_socket, 3, items);
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_call_method(raw, MP_QSTR_settimeout, 1, &timeout);
        umqtt_call_method(raw, MP_QSTR_connect, 1, &sockaddr);
        umqtt_nodelay(raw);
        mp_obj_t sock = raw;
        if (mp_obj_is_true(ssl)) {
            if (hostname == mp_const_none && mp_obj_is_dict_or_ordereddict(ssl_params)) {
                mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(ssl_params),
                    MP_OBJ_NEW_QSTR(MP_QSTR_server_hostname), MP_MAP_LOOKUP);
                hostname = e != NULL ? e->value : mp_const_none;
            }
            sock = umqtt_tls(raw, ssl, ssl_params, hostname);
        }
        mp_obj_t no = mp_const_false;
        umqtt_call_method(raw, MP_QSTR_setblocking, 1, &no);
        nlr_pop();
        mp_obj_t pair[2] = {raw, sock};
        return mp_obj_new_tuple(2, pair);
    } else {
        umqtt_call_method(raw, MP_QSTR_close, 0, NULL);  // whatever went wrong, then re-raise
        nlr_jump(nlr.ret_val);
    }
}
#if defined(UMQTT_MPLIB)
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_open_conn_obj, 5, 7, umqtt_open_conn);
#endif

#endif // MICROPY_PY_UMQTT
