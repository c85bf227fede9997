"""Draw docs/bench.png from the figures bench/run.py measured (run by run.py in build/venv-bench,
where matplotlib is installed from PyPI).

    python bench/chart.py DATA.json OUT.png
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"native": "#1f77b4", "frozen": "#d62728", "pure": "#ff7f0e", "floor": "#7f7f7f", "C": "#2ca02c"}
LABELS = {"native": "umqtt-rs (native)", "frozen": "pure simple2 2.2.0, frozen",
          "pure": "pure simple2 2.2.0, from the filesystem",
          "floor": "floor (prebuilt packets)", "C": "mosquitto_pub / _sub (C)"}


def med(data, c, k):
    v = data.get(c, {}).get(k)
    return statistics.median(v) if v else None


def bars(ax, data, groups, clients, title, ylabel, log=False, fmt="{:,.0f}"):
    width = 0.8 / len(clients)
    for i, c in enumerate(clients):
        xs, ys = [], []
        for g, (_, key) in enumerate(groups):
            y = med(data, c, key)
            if y is not None:
                xs.append(g + (i - (len(clients) - 1) / 2) * width)
                ys.append(y)
        if not ys:
            continue
        b = ax.bar(xs, [max(y, 0.5) if log else y for y in ys], width, label=LABELS.get(c, c),
                   color=COLORS.get(c))
        ax.bar_label(b, labels=[fmt.format(y) for y in ys], fontsize=6, rotation=90, padding=2)
    ax.set_xticks(range(len(groups)), [g for g, _ in groups], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.margins(y=0.25)
    ax.tick_params(axis="y", labelsize=7)


def main():
    d = json.load(open(sys.argv[1]))
    data, info = d["data"], d["info"]
    fig, axs = plt.subplots(2, 2, figsize=(13, 9))
    bars(axs[0][0], data, [("QoS0 16 B", "qos0_16_msgps"), ("QoS0 1 KiB", "qos0_1k_msgps"),
                           ("QoS1 stop-and-wait", "qos1_msgps"), ("QoS1 window 32", "qos1w_msgps"),
                           ("receive 16 B", "recv_msgps")],
         ["native", "frozen", "pure", "floor", "C"], "Throughput (median of trials; higher is better)", "msg/s (log)",
         log=True)
    bars(axs[0][1], data, [("per QoS0 publish", "cg_instr_per_msg"), ("per received msg", "cg_instr_per_recv")],
         ["native", "frozen", "pure", "floor"], "CPU instructions, callgrind (lower is better)", "instructions (log)",
         log=True)
    axs[0][1].axhline(2000, color="red", lw=0.8, ls="--")
    axs[0][1].text(-0.45, 2100, "target ≤ 2,000 / publish", color="red", fontsize=7)
    bars(axs[1][0], data, [("per QoS0\npublish", "heap_qos0_per_msg"), ("per QoS1\npublish", "heap_qos1_per_msg"),
                           ("per received\nmsg", "heap_recv_per_msg"), ("import", "heap_import_alloc"),
                           ("create +\nconnect", "heap_connect_alloc")],
         ["native", "frozen", "pure", "floor"], "Heap bytes allocated (lower is better)", "bytes")
    fac = d["facades"]
    groups = [("import", "heap_import_alloc"), ("create +\nconnect", "heap_connect_alloc"),
              ("per QoS0\npublish", "heap_qos0_per_msg"), ("per received\nmsg", "heap_recv_per_msg")]
    ax = axs[1][1]
    width = 0.8 / len(fac)
    palette = ["#1f77b4", "#ff7f0e", "#17becf", "#d62728", "#9467bd"]
    for i, (c, label) in enumerate(fac):
        xs, ys = [], []
        for g, (_, key) in enumerate(groups):
            y = med(data, c, key)
            if y is not None:
                xs.append(g + (i - (len(fac) - 1) / 2) * width)
                ys.append(y)
        if ys:
            b = ax.bar(xs, ys, width, label=label.replace("`", ""), color=palette[i % len(palette)],
                       hatch="" if c.startswith("n-") else "//")
            ax.bar_label(b, labels=["{:,.0f}".format(y) for y in ys], fontsize=6, rotation=90, padding=2)
    ax.set_xticks(range(len(groups)), [g for g, _ in groups], fontsize=8)
    ax.set_title("Other façades vs their pure-Python originals: heap bytes", fontsize=10)
    ax.set_ylabel("bytes", fontsize=8)
    ax.margins(y=0.25)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7)
    axs[0][0].legend(fontsize=7)
    fig.suptitle("umqtt-rs benchmark — %s\n%s\nMicroPython %s; %s; pure-Python from PyPI"
                 % (info["date"], info["machine"], info["micropython_short"], info["mosquitto"]),
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(sys.argv[2], dpi=110)


main()
