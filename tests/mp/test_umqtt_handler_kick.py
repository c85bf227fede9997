# `from umqtt import MQTTClient`: the per-topic handlers run from a drain
# that _kick schedules with micropython.schedule, once, while it is not
# already scheduled. The scheduled drain may run before schedule() returns
# (a thread switch, or a pending check on the scheduling thread) and end,
# clearing the flag; the flag must not then be set again, or no drain is
# ever scheduled after it and every later handler call waits forever (a
# flake of test_umqtt_handlers under load). Here the module's schedule
# runs the drain at once, which is that order, every time.
# needs: client
# offline
import umqtt._client as impl
from umqtt import MQTTClient
from mqttutil import eq

ran = []


def handler(data):
    ran.append(data[1])


def post_runs_at_once(f, arg):
    f(arg)


def post_queue_full(f, arg):
    raise RuntimeError("schedule queue full")


real_schedule = impl.schedule
try:
    c = MQTTClient("kick", "127.0.0.1", thread=False)
    impl.schedule = post_runs_at_once
    for i in range(3):
        c._task_queue.append((handler, (b"t", i)))
        c._kick()
        eq(ran, list(range(i + 1)), "handler call %d ran" % i)
    # A full scheduler queue: nothing runs, the next _kick posts again.
    impl.schedule = post_queue_full
    c._task_queue.append((handler, (b"t", 3)))
    c._kick()
    eq(ran, [0, 1, 2], "queue full: the call waits")
    impl.schedule = post_runs_at_once
    c._kick()
    eq(ran, [0, 1, 2, 3], "the next _kick runs it")
finally:
    impl.schedule = real_schedule
print("OK")
