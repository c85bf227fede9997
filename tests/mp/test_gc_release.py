# offline
# Clients nobody references are freed by gc.collect(). Guards against a
# bug fixed in umqtt_client_init: the engine's state block (GC memory,
# scanned conservatively) was built on the stack and copied with the stack's
# leftovers in its unused bytes -- stale pointers that could keep every
# earlier client alive (MemoryError after ~100 MQTTClient() on a 2 MB heap).
# Whether stale pointers land there depends on the build's stack layout, so
# this test catches the symptom when it occurs, not the cause on every build.
import gc
from mqttutil import check
from umqtt.simple2 import MQTTClient

N = 30


def make():
    return MQTTClient("gc", "127.0.0.1", max_packet_size=4096)


gc.collect()
before = gc.mem_free()
c = make()
gc.collect()
one = before - gc.mem_free()
for _ in range(N):
    c = make()  # the previous client becomes garbage
gc.collect()
held = before - gc.mem_free()
print("one client %d B, after %d more %d B held" % (one, N, held))
check(held < 3 * one, "earlier clients not freed: %d B held, one client is %d B" % (held, one))
c = None
print("OK")
