# umqtt-rs: opening the broker connection for every umqtt façade
# (simple2, simple, robust, robust2, umqtt.MQTTClient). Private module.
#
# The native _umqtt.Client does the MQTT protocol on a socket it is given;
# only the socket and TLS modules, which are ports' Python-level APIs, are
# used from here, and only when connecting: a firmware without `socket`
# (the QEMU boards) imports every façade, and connect() raises ImportError
# naming the missing module.


def _data(v):
    # A str names a file (UIFlow passes "/flash/certificate/..."), unless it
    # is PEM text; bytes are the certificate or key itself (DER or PEM).
    if isinstance(v, str) and not v.startswith("-----"):
        with open(v, "rb") as f:
            return f.read()
    return v


def tls_wrap(sock, key=None, cert=None, server_side=False, server_hostname=None,
             cert_reqs=None, cadata=None, do_handshake=True, cafile=None):
    # ssl=True: ssl_params are the keywords of the old ssl.wrap_socket()
    # (gone since MicroPython 1.23), plus UIFlow's cafile. Builds the
    # equivalent tls.SSLContext. key/cert/cafile may be file paths.
    import tls

    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER if server_side else tls.PROTOCOL_TLS_CLIENT)
    if key or cert:
        ctx.load_cert_chain(_data(cert), _data(key))
    ca = cadata or cafile
    if ca:
        ctx.load_verify_locations(_data(ca))  # positional only on 1.26
    # ssl.wrap_socket() did not verify unless asked to.
    ctx.verify_mode = tls.CERT_NONE if cert_reqs is None else cert_reqs
    return ctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)


def open_conn(server, port, ssl, ssl_params, timeout, hostname=None, socket=None):
    """Connects to the broker; returns (raw socket, stream to speak MQTT on).

    The TCP connect and the TLS handshake run blocking, bounded by `timeout`
    (s; None: no limit), so a refused or unreachable broker raises OSError
    here. The raw socket is then made non-blocking: the native client waits
    on it with its own timeouts. `ssl`: false, True (ssl_params are
    wrap_socket() keywords), or an SSLContext-like object whose
    wrap_socket(sock, server_hostname=hostname) is called. `socket`: the
    module to use (umqtt.simple passes its own global, which tests replace);
    None: the port's own.
    """
    if socket is None:
        import socket
    ai = socket.getaddrinfo(server, port)[0]
    raw = socket.socket(ai[0], ai[1], ai[2])
    try:
        raw.settimeout(timeout)
        raw.connect(ai[-1])
        try:
            # MQTT packets are small and latency-bound: do not let Nagle
            # hold a PUBLISH back. Not every port has the constants.
            raw.setsockopt(getattr(socket, "IPPROTO_TCP", 6), getattr(socket, "TCP_NODELAY", 1), 1)
        except (OSError, AttributeError):
            pass
        sock = raw
        if ssl:
            if hasattr(ssl, "wrap_socket"):
                sock = ssl.wrap_socket(raw, server_hostname=hostname)
            else:
                sock = tls_wrap(raw, **(ssl_params or {}))
        raw.setblocking(False)
        return raw, sock
    except BaseException:  # close the socket whatever went wrong, then re-raise
        raw.close()
        raise


def close(sock):
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass
