# umqtt-rs: TLS for the umqtt façades' ssl=True (the old ssl.wrap_socket()
# keywords as a tls.SSLContext). Private module.
#
# The connection itself is opened by the native open_conn, which imports
# this module only to call tls_wrap (mqtt_as calls it itself). Frozen with
# `tls` in UMQTT_FACADES (and with mqtt_as): without it ssl=True raises the
# ImportError that names this module. Only the TLS module, a port's
# Python-level API, is used, and only when connecting: a firmware without
# it imports every façade, and connect() raises ImportError naming it.


def _read(data):
    # A str names a file (UIFlow passes "/flash/certificate/..."), unless it
    # is PEM text (which has line breaks); bytes are the certificate or key
    # itself (DER or PEM).
    if isinstance(data, str) and "\n" not in data:
        with open(data, "rb") as f:
            return f.read()
    return data


def tls_wrap(sock, key=None, cert=None, server_side=False, server_hostname=None,
             cert_reqs=None, cadata=None, do_handshake=True, cafile=None):
    # ssl=True: ssl_params are the keywords of the old ssl.wrap_socket()
    # (gone since MicroPython 1.23), plus UIFlow's cafile. Builds the
    # equivalent tls.SSLContext. key/cert/cafile may be file paths.
    import tls

    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER if server_side else tls.PROTOCOL_TLS_CLIENT)
    if key or cert:
        ctx.load_cert_chain(_read(cert), _read(key))
    ca = cadata or cafile
    if ca:
        ctx.load_verify_locations(_read(ca))  # positional only on 1.26
    # ssl.wrap_socket() did not verify unless asked to.
    ctx.verify_mode = tls.CERT_NONE if cert_reqs is None else cert_reqs
    return ctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)
