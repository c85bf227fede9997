#!/usr/bin/env python3
"""Hostile-broker suite for umqtt-rs: every scenario of broker.py against
every façade: the blocking ones (simple2, simple, robust, robust2,
umqtt.MQTTClient) in check_msg and wait_msg modes, the asyncio one (mqtt_as)
once, in mode "async".

    python3 tests/hostile/run.py --micropython build/unix/micropython [-j N]
        [-k PATTERN] [--facade NAME] [--mode check|wait|async] [--out docs/hostile.md]

For each (scenario, façade, mode) it starts a HostileBroker on a free
loopback port and runs `micropython tests/hostile/client.py ...` (for
mqtt_as: `tests/hostile/client_as.py`) with a hard timeout. The verdict is
PASS when the client's reactions equal one of the scenario's expected
sequences, every broker-side check holds, no single client call (for
mqtt_as: no single await, the wait for the end message included) took
longer than the scenario's limit, and the process exited normally. A
crash (signal, non-zero exit), a hang (hard timeout) or anything else is
FAIL. A façade whose module does not import on the firmware is SKIP, with
the import error as the reason. MQTT 5 scenarios (v5=True, groups "v5 ...")
run only for the façades that speak MQTT 5, umqtt (version=5) and mqtt_as
(mqttv5=True), with the expectations the scenario gives for each; for the
others they are not applicable: not run, and counted neither as passed,
failed nor skipped (the table's legend and the "hostile:" line give their
number).

Writes the Markdown table to --out (default docs/hostile.md); exits non-zero
if any verdict is FAIL or nothing ran. The last line is
`N passed, N failed, N skipped`.
"""

import argparse
import concurrent.futures
import fnmatch
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import broker  # noqa: E402

CLIENT = os.path.join(HERE, "client.py")
HARD_MARGIN = 8.0  # s beyond the scenario's own bound before the run is killed


# Façades: name -> (module, expectation hook). The hook maps a scenario's
# expected alternatives (written for simple2) to the façade's documented
# ones, or returns None to keep them. A façade runs when its module imports
# on the firmware; otherwise it is reported as skipped, with the reason.
def same(scenario):
    return None


M = "MQTTException"
# micropython-lib conventions (_umqtt API_MPLIB, python/umqtt/simple.py):
# connection errors are OSError (EOF -1, timeout ETIMEDOUT), a refused
# CONNACK is MQTTException(rc), an invalid or missing one MQTTException(-1),
# a refused SUBACK MQTTException(0x80); callbacks get (topic, msg) and
# check_msg()/wait_msg() return a PUBLISH's first byte; no status callback.
MPLIB_CONNECT = {"%s(29)" % M: "%s(-1)" % M, "%s(1)" % M: "%s(-1)" % M, "%s(30)" % M: "OSError(110)"}
MPLIB_CONNECT.update({"%s(%d)" % (M, 20 + rc): "%s(%d)" % (M, rc) for rc in range(1, 6)})
MPLIB_CONNECT.update({"%s(20,%d)" % (M, rc): "%s(%d)" % (M, rc) for rc in (6, 128, 255)})
MPLIB = {"%s(1)" % M: "OSError(-1)", "%s(30)" % M: "OSError(110)", "%s(44)" % M: "%s(128)" % M}


BLOCKING_OPS = {"sub0": "ret(0x90)", "sub1": "ret(0x90)", "unsub": "ret(0xb0)", "pub1": "ret(0x40)"}


def mplib_tokens(alt, scenario, robust):
    out = []
    # umqtt.simple's subscribe()/unsubscribe()/publish(qos=1) return once
    # their ack has come: check_msg() no longer reports it.
    blocking = [o for o in scenario.ops.split(",") if o in BLOCKING_OPS]
    swallow = [BLOCKING_OPS[o] for o in blocking]
    alt = list(alt)
    for i, t in enumerate(alt):
        # ... and an error in its ack comes out of that call.
        if blocking and t[:1].isupper() and ":" not in t:
            alt[i] = "op-%s:%s" % (blocking[-1], t)
            break
        if t.startswith("msg(") and alt[i + 1:i + 2] == ["after:None"]:
            alt[i + 1] = "after:ret(0x3*)"  # the message came in the after-call
    for t in alt:
        if t.startswith("stat("):
            continue
        if t in swallow:
            swallow.remove(t)
            continue
        if t.startswith("connect:"):
            out.append("connect:" + MPLIB_CONNECT.get(t[8:], t[8:]))
            continue
        if t.startswith("msg("):
            out.append(t.rsplit(",", 2)[0] + ",r0,d0)")
            if not alt[alt.index(t) + 1:alt.index(t) + 2] == ["after:ret(0x3*)"]:
                out.append("ret(0x3*)")
            continue
        prefix, _, body = t.rpartition(":") if (t.startswith("after:") or t.startswith("op-")) else ("", "", t)
        body = MPLIB.get(body, body)
        # robust.publish() is wrapped too, subscribe()/unsubscribe() are not.
        if robust and body.startswith("OSError") and (prefix in ("", "after") or prefix.startswith("op-pub")):
            # umqtt.robust reconnects: the second connection's end message.
            out += ["end", "after:ret(0x30)"] if prefix == "after" else ["end"]
            break
        out.append(prefix + (":" if prefix else "") + body)
    return out


# Where a façade differs in more than its rules (the micropython-lib ones
# above, mqtt_as's below). Keys: (façade, scenario) -> expectation text
# (alternatives ' | ').
OVERRIDES = {}


def mplib(facade):
    def hook(scenario):
        text = OVERRIDES.get((facade, scenario.name))
        if text is not None:
            return [a.split() for a in text.split(" | ")]
        out = []
        for a in scenario.expect:
            t = mplib_tokens(a, scenario, facade == "robust")
            out.append(t)
            if t[-2:] == ["end", "after:ret(0x30)"]:
                # umqtt.robust's after-call reconnected, then waited 1 ms
                # for the end message: on a loaded machine it may not have
                # come yet (the broker's second CONNECT shows the reconnect).
                out.append(t[:-2] + ["after:None"])
        return out
    return hook


# umqtt.MQTTClient (python/umqtt/_client.py), run with reconn=False and
# thread=False: a subclass of umqtt.robust over umqtt.simple, so the
# micropython-lib conventions above hold (its check_msg()/wait_msg() and
# subscribe()/unsubscribe() raise the same OSError/MQTTException; with
# reconn=False and no error callback, _failed() re-raises), except that
# publish() never raises an OSError or MQTTException: it returns False
# (client.py records `op-pub1:False`), and True once sent/acknowledged.
def umqtt_tokens(alt, scenario):
    out = []
    for t in mplib_tokens(alt, scenario, False):
        if t.startswith("op-pub"):
            op, _, body = t.partition(":")
            if body.startswith("OSError") or body.startswith(M):
                t = op + ":False"
        out.append(t)
    return out


def umqtt_hook(scenario):
    if scenario.v5:  # MQTT 5 scenarios are written for umqtt
        return scenario.expect
    text = OVERRIDES.get(("umqtt", scenario.name))
    if text is not None:
        return [a.split() for a in text.split(" | ")]
    return [umqtt_tokens(a, scenario) for a in scenario.expect]


# mqtt_as (python/mqtt_as.py), run by client_as.py under asyncio (mode
# "async", one run per scenario) with the callback interface, response_time =
# the scenario's socket_timeout and keepalive 0. Its documented reactions:
# - the first `await connect()` raises OSError on any failure (refused or
#   invalid CONNACK, EOF, RST, timeout): every `connect:` alternative becomes
#   `connect:OSError(*)`;
# - once connected, no error reaches the caller: any connection or protocol
#   error (simple2's MQTTException/OSError from check_msg()/wait_msg(), or
#   from an op) makes it close the connection, run wifi_coro(False) (`down`)
#   and reconnect in the background; the broker's second connection sends a
#   plain CONNACK and the end message (`end`), and nothing of the first
#   connection's script after the error arrives (`after:` is dropped);
# - subscribe()/unsubscribe()/publish(qos=1) return once acknowledged; an
#   op whose ack had not come before the error (a refused SUBACK included:
#   OSError inside subscribe(), hence a reconnect) is sent again on the new
#   connection, which never acknowledges it: `op-X:pending` before `end`;
# - no status callback, no check_msg() return values, session present not
#   exposed: `stat(...)`, `ret(...)`, `spN` are dropped; subs_cb gets
#   (topic, msg, retained): `msg(T,P,rR)`;
# - acks for unknown pids are ignored by the engine, as for simple2 (upstream
#   mqtt_as reconnects on them; this port does not document that);
# - incoming QoS 2 is handled by the engine (header of python/mqtt_as.py), so
#   those scenarios keep their message, PUBREC and PUBCOMP.
# Bound: the scenario's limit applies to every await of client_as.py,
# including the wait for the end message after the ops, so an outage must be
# detected (response_time for a stalled partial packet, at once for an error)
# and the reconnection done within 2 × socket_timeout + 1.5 s.
# Broker-side checks all apply as they are: the positive ones name packets
# of the first connection's script (a reconnect only adds packets), and the
# negative ones (!PUBACK, !PUBREC, !PUBCOMP, !PUBREL) hold on the second
# connection too, which sends the client no QoS > 0 message.
def as_tokens(alt, scenario):
    blocking = [o for o in scenario.ops.split(",") if o in BLOCKING_OPS]
    acked = []
    out = []
    for t in alt:
        if t.startswith("connect:"):
            return ["connect:OSError(*)"]
        if t == "end":
            out.append(t)
        elif t.startswith("msg("):
            out.append(t.rsplit(",", 1)[0] + ")")  # no dup flag
        elif t.startswith("ret(") or t.startswith("stat(") or t.startswith("sp"):
            acked += [o for o in blocking if BLOCKING_OPS[o] == t and o not in acked][:1]
        elif t[:1].isupper() or t.startswith("op-"):
            out.append("down")
            pending = [o for o in blocking if o not in acked]
            if pending:
                out.append("op-%s:pending" % pending[0])
            return out + ["end"]
        else:
            raise ValueError("%s: no mqtt_as rule for %r" % (scenario.name, t))
    return out


PING_CLOSED = "down op-ping:False end"
OVERRIDES.update({
    # The broker ends the connection on the PINGREQ of broker_up(), which
    # then sees the outage and returns False; the publish goes out on the
    # second connection (simple2 only notices later, in a read or the write).
    ("mqtt_as", "fin_during_publish"): PING_CLOSED,
    ("mqtt_as", "rst_during_publish"): PING_CLOSED,
})


def as_hook(scenario):
    if scenario.v5:  # MQTT 5 scenarios give mqtt_as's reactions themselves
        return scenario.expect_as
    text = OVERRIDES.get(("mqtt_as", scenario.name))
    if text is not None:
        return [a.split() for a in text.split(" | ")]
    out = []
    for a in scenario.expect:
        t = as_tokens(a, scenario)
        if t not in out:  # e.g. RST_RECV's two alternatives become one
            out.append(t)
    return out


CLIENT_AS = os.path.join(HERE, "client_as.py")
BLOCKING_MODES = ("check", "wait")
# name, module, expectation hook, client script, modes
FACADES = [
    ("simple2", "umqtt.simple2", same, CLIENT, BLOCKING_MODES),
    ("simple", "umqtt.simple", mplib("simple"), CLIENT, BLOCKING_MODES),
    ("robust", "umqtt.robust", mplib("robust"), CLIENT, BLOCKING_MODES),
    ("robust2", "umqtt.robust2", same, CLIENT, BLOCKING_MODES),
    ("umqtt", "umqtt._client", umqtt_hook, CLIENT, BLOCKING_MODES),
    ("mqtt_as", "mqtt_as", as_hook, CLIENT_AS, ("async",)),
]
MODES = ("check", "wait", "async")


def mp_env(args, cwd):
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([".frozen"] + [os.path.abspath(p) for p in args.mpypath])
    env.pop("MICROPYINSPECT", None)
    return env


def facade_available(args, module, cwd):
    r = subprocess.run([args.micropython, "-c", "import %s" % module], cwd=cwd,
                       env=mp_env(args, cwd), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    if r.returncode == 0:
        return None
    lines = [l for l in r.stdout.decode("utf-8", "replace").splitlines() if l.strip()]
    return lines[-1] if lines else "exit %d" % r.returncode


def matches(expected, got):
    # '*' is the only wildcard: '[' (in MQTT 5 property lists) is literal.
    return len(expected) == len(got) and all(
        fnmatch.fnmatchcase(g, e.replace("[", "[[]")) for e, g in zip(expected, got))


def run_one(args, scenario, facade, hook, client, mode, cwd):
    b = broker.HostileBroker(scenario).start()
    cmd = shlex.split(args.wrapper) + [args.micropython, client, facade, mode, str(b.port), str(scenario.st),
                                       scenario.ops or "-"] + scenario.client_args()
    hard = scenario.limit * 3 + HARD_MARGIN + (30 if args.wrapper else 0)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=mp_env(args, cwd), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    hung = False
    try:
        out, _ = p.communicate(timeout=hard)
    except subprocess.TimeoutExpired:
        hung = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            p.kill()
        out, _ = p.communicate()
    dt = time.monotonic() - t0
    b.close()
    text = out.decode("utf-8", "replace")
    got = [l[3:].strip() for l in text.splitlines() if l.startswith("EV ")]
    done = [l for l in text.splitlines() if l.startswith("DONE ")]
    longest = int(done[0].split()[1]) / 1000.0 if done else None
    rx = b.received()
    expected = hook(scenario) or scenario.expect
    problems = []
    if hung:
        problems.append("HANG: killed after %.0f s" % hard)
    elif p.returncode < 0:
        problems.append("CRASH: signal %d" % -p.returncode)
    elif p.returncode != 0 or not done:
        problems.append("exit %d" % p.returncode)
    if not any(matches(e, got) for e in expected):
        problems.append("unexpected reaction")
    if longest is not None and longest > scenario.limit:
        problems.append("a call took %.1f s (limit %.1f s)" % (longest, scenario.limit))
    for check in scenario.rx:
        count, star, prefix = check.partition("*")
        if star and count.isdigit():  # N*PREFIX: exactly N such packets
            n = sum(1 for x in rx if x.startswith(prefix))
            if n != int(count):
                problems.append("client sent %d × %s (expected %s)" % (n, prefix, count))
        elif check.startswith("!"):
            bad = [x for x in rx if x.startswith(check[1:])]
            if bad:
                problems.append("client sent %s" % bad[0])
        elif not any(x.startswith(check) for x in rx):
            problems.append("client did not send %s" % check)
    if any(t.startswith("BAD") for t in got):
        problems.append("callback with invalid data")
    return {
        "scenario": scenario, "facade": facade, "expected": expected, "mode": mode, "got": got,
        "verdict": "FAIL" if problems else "PASS", "why": "; ".join(problems),
        "rx": rx, "output": text, "dt": dt, "longest": longest, "broker_log": b.log,
    }


def md_escape(s):
    return s.replace("|", "\\|")


def write_table(path, results, skipped, scenarios, argv_note, nna=0):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    npass = sum(1 for r in results if r["verdict"] == "PASS")
    nfail = len(results) - npass
    lines = [
        "# Hostile broker results",
        "",
        "Generated by `python3 tests/hostile/run.py%s` (do not edit by hand)." % argv_note,
        "The broker and its scenarios: `tests/hostile/broker.py`; the clients: "
        "`tests/hostile/client.py` (modes check and wait: `check_msg()` polled or "
        "`wait_msg()`) and, for mqtt_as, `tests/hostile/client_as.py` (mode async, one run). "
        "Tokens: `msg(topic,payload,rR,dD)` message callback, "
        "`stat(pid,s)` status callback, `ret(0xNN)` return value, an exception by its "
        "type and args, `after:` what one more `check_msg()` did, `end` the broker's "
        "end-of-script message arrived, `connect:`/`op-X:` the call that raised.",
        "mqtt_as tokens: `msg(topic,payload,rR)` subs_cb, `down` wifi_coro(False) "
        "(the connection went down and mqtt_as reconnects; the broker gives a second "
        "connection a plain CONNACK and the end message), `op-X:pending` the operation "
        "was still retrying when the end message arrived, `op-ping:False` broker_up() "
        "returned False; the mapping from the simple2 expectations is in `run.py` (`as_tokens`).",
        "Every client call (for mqtt_as every await, the wait for the end message included) "
        "must also return within the scenario's limit "
        "(2 × socket_timeout + 1.5 s unless noted), the process must exit normally, "
        "and the broker-side checks (packets the client must or must not send) must hold.",
        "MQTT 5 (groups `v5 ...`): these scenarios speak MQTT 5 and run only for the façades that "
        "do, umqtt (`umqtt.MQTTClient(version=5)`) and mqtt_as (`mqttv5=True`); the broker plays "
        "them only after a CONNECT of protocol level 5 (rx check `CONNECT(v5)`). For simple2, "
        "simple, robust and robust2 (MQTT 3.1.1 only) they are not applicable: not run and not "
        "counted below%s. Their expectations are written per façade (`expect` for umqtt, "
        "`expect_as` for mqtt_as in `broker.py`), from `docs/mqtt5.md` and `docs/errors.md`. "
        "Tokens: `msg(topic,payload,{props})` (umqtt) and `msg(topic,payload,rR,{props})` "
        "(mqtt_as) with the properties the callback got as `{id:value}`, `connack({props})` "
        "`connect()` succeeded with those CONNACK properties, `dr(reason,{props})` "
        "`client.disconnect_reason`, `op-X:False` `publish()` returned False; exceptions show "
        "all their arguments (a space in a string is written `_`). An rx check `N*P` requires "
        "exactly N packets P from the client." % (" (%d runs)" % nna if nna else ""),
        "",
        "%d scenarios (%d MQTT 5); %d runs: %d PASS, %d FAIL." % (
            len(scenarios), sum(1 for s in scenarios if s.v5), len(results), npass, nfail),
        "",
    ]
    for name, why in skipped:
        lines.append("- façade `%s`: SKIP (%s)" % (name, why))
    if skipped:
        lines.append("")
    lines += ["| group | scenario | mode | façade | expected | got | verdict |",
              "|---|---|---|---|---|---|---|"]
    order = {s.name: i for i, s in enumerate(scenarios)}
    fac_order = {f[0]: i for i, f in enumerate(FACADES)}
    for r in sorted(results, key=lambda r: (order[r["scenario"].name], fac_order[r["facade"]], r["mode"])):
        s = r["scenario"]
        expected = " \\| ".join("`%s`" % " ".join(a) for a in r["expected"])
        got = "`%s`" % " ".join(r["got"]) if r["got"] else "(nothing)"
        verdict = r["verdict"] if not r["why"] else "%s: %s" % (r["verdict"], r["why"])
        name = s.name + (" — " + s.note if s.note else "")
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            s.group, md_escape(name), r["mode"], r["facade"], expected, md_escape(got), md_escape(verdict)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True)
    ap.add_argument("--mpypath", action="append", default=[],
                    help="dir appended to MICROPYPATH after .frozen (e.g. a pure-Python reference)")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="only scenarios whose name contains PATTERN or matches the glob")
    ap.add_argument("--facade", action="append", default=[], help="only these façades")
    ap.add_argument("--mode", action="append", default=[], choices=MODES)
    ap.add_argument("-j", "--jobs", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--wrapper", default="",
                    help="command put before micropython, e.g. 'valgrind -q --error-exitcode=99' "
                         "(a valgrind error then fails the run through the exit code)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "hostile.md"),
                    help="Markdown result table ('' for none)")
    args = ap.parse_args()
    args.micropython = os.path.abspath(args.micropython)

    scenarios = broker.SCENARIOS
    if args.patterns:
        scenarios = [s for s in scenarios if any(
            p in s.name or fnmatch.fnmatch(s.name, p) for p in args.patterns)]
    modes = args.mode or list(MODES)
    cwd = tempfile.mkdtemp(prefix="umqtt-hostile-")

    skipped, facades = [], []
    nskip = 0
    nna = 0  # (scenario, façade, mode) not applicable: MQTT 5 scenarios on an MQTT 3 façade
    for name, module, hook, client, fmodes in FACADES:
        fmodes = [m for m in fmodes if m in modes]
        if (args.facade and name not in args.facade) or not fmodes:
            continue
        napplies = sum(1 for s in scenarios if s.applies(name))
        nna += (len(scenarios) - napplies) * len(fmodes)
        why = facade_available(args, module, cwd)
        if why:
            skipped.append((name, "`import %s` fails on this firmware: %s" % (module, why)))
            nskip += napplies * len(fmodes)
            print("SKIP façade %s: %s" % (name, why))
        else:
            facades.append((name, hook, client, fmodes))

    jobs = [(s, f, h, c, m) for s in scenarios for f, h, c, fm in facades for m in fm if s.applies(f)]
    results = []
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(run_one, args, s, f, h, c, m, cwd) for s, f, h, c, m in jobs]
        for fut in concurrent.futures.as_completed(futs):
            r = fut.result()
            results.append(r)
            line = "%-4s %s [%s/%s] (%.1fs)" % (r["verdict"], r["scenario"].name, r["facade"], r["mode"], r["dt"])
            if r["why"]:
                line += ": " + r["why"]
            print(line, flush=True)
            if r["verdict"] == "FAIL" or args.verbose:
                print("    expected: %s" % " | ".join(" ".join(a) for a in r["expected"]))
                print("    got:      %s" % " ".join(r["got"]))
                print("    broker rx: %s %s" % (" ".join(r["rx"]), "; ".join(r["broker_log"])))
                for l in r["output"].rstrip().splitlines():
                    if not l.startswith("EV "):
                        print("    | " + l)
    if args.out:
        note = "" if not (args.patterns or args.facade or args.mode) else " (partial run)"
        write_table(args.out, results, skipped, scenarios,
                    " --micropython build/unix/micropython" + note, nna)
    npass = sum(1 for r in results if r["verdict"] == "PASS")
    nfail = len(results) - npass
    print("hostile: %d scenarios (%d MQTT 5), %d façade(s) run, %d runs not applicable (MQTT 5 "
          "scenarios on MQTT 3 façades, not counted), %.0f s" % (
              len(scenarios), sum(1 for s in scenarios if s.v5), len(facades), nna, time.monotonic() - t0))
    print("%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if nfail or not results else 0


if __name__ == "__main__":
    sys.exit(main())
