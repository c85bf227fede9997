# umqtt.robust2 API (fizista micropython-umqtt.robust2 2.2.0) over umqtt-rs:
# a subclass of umqtt.simple2.MQTTClient that never raises connection errors
# (OSError, MQTTException): they are recorded in `conn_issue` as
# (exception, place), and what could not be sent is queued in Python-visible
# containers for send_queue() once the application has reconnected:
#
#   subs            [(topic, qos)]                 subscriptions to restore
#   msg_to_send     [(topic, msg, retain, qos)]    publishes to (re)send
#   sub_to_send     [(topic, qos)]                 subscribes to (re)send
#   msg_to_confirm  {(topic, msg, retain, qos): [pid, ...]}  QoS1 awaiting PUBACK
#   sub_to_confirm  {(topic, qos): [pid, ...]}     awaiting SUBACK
#
# The protocol is the native client's (through simple2); only this queue
# policy is Python. Differences from 2.2.0:
# - more than CONFIRM_QUEUE_MAX pids for one identical message or
#   subscription drops the oldest pid of that entry (2.2.0 called
#   dict.pop(0), a KeyError);
# - send_queue() drops what it did send before reporting a failure (2.2.0
#   kept it queued, so it was sent twice);
# - an exception raised by the status callback set with
#   set_callback_status() propagates (2.2.0 swallowed AttributeError, even
#   from inside the callback);
# - bad arguments still raise (AssertionError for qos 2 or a missing
#   callback, ValueError for an invalid topic), as in simple2;
# - when all 32 slots for packet ids awaiting an ack are taken, publish()
#   and subscribe() handle incoming packets until one frees (as 2.2.0, which
#   had no limit, never refused); if none frees within socket_timeout
#   (EINFLIGHT) the call is queued without a conn_issue: send_queue() sends
#   it once check_msg() has handled acks.


from . import simple2

MQTTException = simple2.MQTTException
_Client = simple2.MQTTClient  # the class this one extends (as in simple and simple2)

_EINFLIGHT = const(53)  # umqtt.errno.EINFLIGHT (const: folded by the compiler, no import needed)

# The client's helpers are functions of the module, not methods: a method
# more would grow the class's dict (heap at import). The connection errors
# are caught as (OSError, MQTTException) where they happen: a tuple made
# only when one is raised, none kept from import.


def _failed(self, e, step):
    # Records connection error e of step (conn_issue's place: 2 publish,
    # 3 subscribe, 5 send_queue). EINFLIGHT (every packet id awaits an
    # ack) is none: the publish or subscribe is queued, and send_queue()
    # sends it once check_msg() has handled acks; reconnecting would not
    # help.
    if not (isinstance(e, MQTTException) and e.args and e.args[0] == _EINFLIGHT):
        self.conn_issue = (e, step)


def _status(self, waiting, queue, pid, stat):
    # cbstat's work for one table (the status handler's name in simple and
    # umqtt.MQTTClient). The ack of pid arrived (stat 1, or 2: the broker
    # acked a pid given up on), or it timed out (0): then its entry goes
    # back on the send queue, a message at the front. waiting: msg_to_confirm or
    # sub_to_confirm ({entry: [pid, ...]}). Whether pid was in it.
    for key, pids in waiting.items():
        if pid in pids:
            pids.remove(pid)
            if stat or not pids:  # acked: the entry is done, whatever other pids it has
                waiting.pop(key)
            if not stat and key not in queue:
                queue.insert(0 if queue is self.msg_to_send else len(queue), key)
            return True
    return False


def _dequeue(queue, topic, retained):
    # Drops the queue's entries for topic (retained: only retained
    # messages), in place and allocating nothing.
    i = len(queue)
    while i:
        i -= 1
        m = queue[i]
        if m[0] == topic and (not retained or m[2]):
            del queue[i]


def _drain(self, queue, waiting, f):
    # f(self, *entry) for each of queue's entries (f: simple2's publish
    # or subscribe) until one fails; what went out leaves the queue, and
    # its pid, if it has one (not QoS 0), awaits the ack in waiting
    # (msg_to_confirm or sub_to_confirm).
    sent = []
    ok = True
    for data in queue:
        try:
            pid = f(self, *data)
        except (OSError, MQTTException) as e:
            _failed(self, e, 5)
            ok = False
            break
        if pid is not None:
            waiting.setdefault(data, []).append(pid)
        sent.append(data)
    i = len(queue)
    while i:  # in place, allocating nothing (acks handled meanwhile may have queued more)
        i -= 1
        if queue[i] in sent:
            del queue[i]
    return ok


class MQTTClient(_Client):
    # The parent's methods are called as _Client.name(self, ...), not
    # through super(): the same lookup (MicroPython's super() searches the
    # bases of the class it is written in), and no method is a closure over
    # __class__.
    DEBUG = False
    KEEP_QOS0 = True
    NO_QUEUE_DUPS = True
    MSG_QUEUE_MAX = 5
    CONFIRM_QUEUE_MAX = 10
    RESUBSCRIBE = True
    _cb = None  # the status callback set_callback_status() sets (umqtt.MQTTClient's name)

    def __init__(self, *args, **kw):
        _Client.__init__(self, *args, **kw)
        self.subs = []
        self.msg_to_send = []
        self.sub_to_send = []
        self.msg_to_confirm = {}
        self.sub_to_confirm = {}
        self.conn_issue = None

    def _connect(self, clean_session, *args):
        # The engine's keep-alive, with 2.2.0's rule: a connection issue once
        # nothing came from the broker for more than keepalive whole seconds.
        r = _Client._connect(self, clean_session, *args)
        ka = self.keepalive
        self._keepalive_set(0, (ka + 1) * 1000 if ka > 0 else 0)
        return r

    def is_keepalive(self):
        if self._keepalive_due() == -1:
            self.conn_issue = (MQTTException(7), 9)
            return False
        return True

    def set_callback_status(self, f):
        self._cb = f

    # Called by the native client for every ack and timeout (simple2 keeps a
    # cbstat defined by a subclass).
    def cbstat(self, pid, stat):
        f = self._cb
        if f is not None:
            f(pid, stat)
        if not _status(self, self.msg_to_confirm, self.msg_to_send, pid, stat):
            _status(self, self.sub_to_confirm, self.sub_to_send, pid, stat)

    def connect(self, clean_session=True):
        if clean_session:
            self.msg_to_send.clear()
            self.msg_to_confirm.clear()
        try:
            r = _Client.connect(self, clean_session)
        except (OSError, MQTTException) as e:
            self.conn_issue = (e, 1)
            return None
        self.conn_issue = None
        return r

    def log(self):
        if self.DEBUG:
            issue = self.conn_issue
            e, place = issue if isinstance(issue, tuple) else (issue, 0)
            print("MQTT (%s): %r" % (("?", "connect", "publish", "subscribe", "reconnect", "sendqueue",
                                      "disconnect", "ping", "wait_msg", "keepalive", "check_msg")[place], e))

    def reconnect(self):
        r = self.connect(False)
        if self.conn_issue:
            _Client.disconnect(self)
        return r

    def resubscribe(self):
        for topic, qos in self.subs:
            self.subscribe(topic, qos, False)

    def things_to_do(self):
        return (len(self.msg_to_send) + len(self.sub_to_send)
                + sum(map(len, self.msg_to_confirm.values()))
                + sum(map(len, self.sub_to_confirm.values())))

    def add_msg_to_send(self, data):
        # Queue limit: queued plus unconfirmed messages stay below
        # MSG_QUEUE_MAX; make room by forgetting the unconfirmed message with
        # the lowest pid, else the oldest queued one. Meant to be overridden.
        queue = self.msg_to_send
        confirm = self.msg_to_confirm
        n = len(queue) + sum(map(len, confirm.values()))
        while n >= self.MSG_QUEUE_MAX and n > 0:
            oldest = None  # the pid list that starts with the lowest unconfirmed pid
            for key, pids in confirm.items():
                if pids and (oldest is None or pids[0] < oldest[0]):
                    oldest, oldest_key = pids, key
            if oldest:
                del oldest[0]
                if not oldest:
                    confirm.pop(oldest_key)
            elif queue:
                queue.pop(0)
            n -= 1
        queue.append(data)

    def _attempt(self, f, step):
        # f(self), simple2's method: a connection error becomes conn_issue
        # (error, step) and the result None (step: the place log() names).
        try:
            return f(self)
        except (OSError, MQTTException) as e:
            self.conn_issue = (e, step)

    def disconnect(self):
        return self._attempt(_Client.disconnect, 6)

    def ping(self):
        if not self.is_keepalive():
            return None
        return self._attempt(_Client.ping, 7)

    # publish() is the hot path: a QoS 0 publish that goes out builds no
    # tuple. A newer retained message replaces a queued one for the topic.
    def publish(self, topic, msg, retain=False, qos=0):
        if retain:
            _dequeue(self.msg_to_send, topic, True)
        try:
            pid = _Client.publish(self, topic, msg, retain, qos, False)
        except (OSError, MQTTException) as e:
            _failed(self, e, 2)
            data = (topic, msg, retain, qos)
            # (qos is 0 or 1: the native publish refused any other)
            if (qos or self.KEEP_QOS0) and not (self.NO_QUEUE_DUPS and data in self.msg_to_send):
                self.add_msg_to_send(data)
            return None
        if qos:  # pid awaits its PUBACK; at most CONFIRM_QUEUE_MAX pids per message
            pids = self.msg_to_confirm.setdefault((topic, msg, retain, qos), [])
            pids.append(pid)
            if len(pids) > self.CONFIRM_QUEUE_MAX:
                pids.pop(0)
        return pid

    def subscribe(self, topic, qos=0, resubscribe=True):
        data = (topic, qos)
        if self.RESUBSCRIBE and resubscribe and topic not in dict(self.subs):
            self.subs.append(data)
        _dequeue(self.sub_to_send, topic, False)
        try:
            pid = _Client.subscribe(self, topic, qos)
        except (OSError, MQTTException) as e:
            _failed(self, e, 3)
            if not (self.NO_QUEUE_DUPS and data in self.sub_to_send):
                self.sub_to_send.append(data)
            return None
        pids = self.sub_to_confirm.setdefault(data, [])  # awaiting the SUBACK, as in publish()
        pids.append(pid)
        if len(pids) > self.CONFIRM_QUEUE_MAX:
            pids.pop(0)
        return pid

    def send_queue(self):
        # Sends what is queued, messages first, with new pids and DUP=0; True
        # once all is out.
        return (_drain(self, self.msg_to_send, self.msg_to_confirm, _Client.publish)
                and _drain(self, self.sub_to_send, self.sub_to_confirm, _Client.subscribe))

    def is_conn_issue(self):
        self.is_keepalive()
        if self.conn_issue:
            self.log()
        return bool(self.conn_issue)

    def wait_msg(self):
        self.is_keepalive()
        return self._attempt(_Client.wait_msg, 8)

    def check_msg(self):
        self.is_keepalive()
        return self._attempt(_Client.check_msg, 10)
