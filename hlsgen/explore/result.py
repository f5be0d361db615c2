"""What a sweep returns: one row per point (its axes, accuracy, estimate, status), as a
table, a Pareto front and a picture."""
from __future__ import annotations

from dataclasses import dataclass, field

from .point import ACCURACY, ESTIMATE

#: metrics where more is better (every other one: less is better)
HIGHER_IS_BETTER = ("argmax_agreement", "metric")


def _need(module: str, extra: str = "explore"):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"this needs the {module!r} package: pip install 'hlsgen[{extra}]'") from None


@dataclass
class ExploreResult:
    #: one record per point, in the order of the space (see ``hlsgen.explore.point.evaluate``)
    records: list
    axes: list
    computed: int = 0  # points evaluated by this run
    reused: int = 0  # points read back from results_dir
    notes: list = field(default_factory=list)

    @property
    def points(self) -> list:
        """One flat row per point: the axes, then status, accuracy and estimate."""
        rows = []
        for r in self.records:
            row = {a: r["point"].get(a) for a in self.axes}
            row.update(label=r.get("label"), status=r.get("status"), error=r.get("error"))
            for k in ACCURACY + ("metric",) + ESTIMATE + ("fits", "seconds", "worker"):
                if k in r:
                    row[k] = r[k]
            row.update({k: v for k, v in r.items() if k.startswith("synth_")})
            rows.append(row)
        return rows

    @property
    def ok(self) -> list:
        return [p for p in self.points if p["status"] == "ok"]

    @property
    def failed(self) -> list:
        return [p for p in self.points if p["status"] != "ok"]

    def to_dataframe(self):
        pd = _need("pandas")
        return pd.DataFrame(self.points)

    def to_csv(self, path) -> str:
        self.to_dataframe().to_csv(path, index=False)
        return str(path)

    def to_parquet(self, path) -> str:
        _need("pyarrow")
        df = self.to_dataframe()
        for c in df.columns:  # mixed-type axes (e.g. ReuseFactor 4 and 'auto') as text
            if df[c].dtype == object:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        df.to_parquet(path, index=False)
        return str(path)

    def pareto(self, x: str = "dsp", y: str = "argmax_agreement") -> list:
        """The points no other point beats on both ``x`` and ``y`` (less is better, except
        for accuracy-like metrics), sorted by ``x``."""
        rows = [p for p in self.ok if p.get(x) is not None and p.get(y) is not None]
        sx = -1 if x in HIGHER_IS_BETTER else 1
        sy = -1 if y in HIGHER_IS_BETTER else 1
        front = []
        for p in rows:
            px, py = sx * p[x], sy * p[y]
            dominated = any((sx * q[x] <= px and sy * q[y] <= py) and (sx * q[x] < px or sy * q[y] < py)
                            for q in rows)
            if not dominated:
                front.append(p)
        return sorted(front, key=lambda p: (sx * p[x], sy * p[y]))

    def plot(self, path, y: str = "argmax_agreement", xs=("dsp", "lut", "latency_max")) -> str:
        """Accuracy against resources and latency, one panel each, the Pareto front joined
        and labelled; written to ``path`` (PNG, SVG or PDF by its suffix)."""
        _need("matplotlib")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = self.ok
        if not rows:
            raise ValueError("no point of the sweep succeeded: nothing to plot (see .failed)")
        with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (searchable)
            return self._plot(plt, rows, path, y, xs)

    def _plot(self, plt, rows, path, y, xs):
        fig, axs = plt.subplots(1, len(xs), figsize=(5.2 * len(xs), 4.4), squeeze=False)
        for ax, x in zip(axs[0], xs):
            pts = [p for p in rows if p.get(x) is not None and p.get(y) is not None]
            fits = [p for p in pts if p.get("fits") is not False]
            over = [p for p in pts if p.get("fits") is False]
            ax.scatter([p[x] for p in fits], [p[y] for p in fits], s=28, color="#4477aa", label="fits the part")
            if over:
                ax.scatter([p[x] for p in over], [p[y] for p in over], s=28, marker="x", color="#cc6677",
                           label="does not fit")
            front = self.pareto(x, y)
            ax.plot([p[x] for p in front], [p[y] for p in front], "-o", color="#228833", ms=7, mfc="none",
                    label="Pareto front")
            for p in front:
                ax.annotate(p["label"], (p[x], p[y]), fontsize=7, xytext=(4, -10), textcoords="offset points")
            ax.set_xlabel({"dsp": "DSP slices", "lut": "LUTs", "ff": "FFs", "bram_18k": "BRAM_18K",
                           "latency_max": "latency (cycles)", "ii": "interval (cycles)"}.get(x, x))
            if x != "bram_18k" and max((p[x] for p in pts), default=0) > 20 * max(min((p[x] for p in pts), default=1), 1):
                ax.set_xscale("log")
            ax.set_ylabel(y.replace("_", " "))
            ax.grid(alpha=0.3)
        axs[0][0].legend(fontsize=8, loc="lower right")
        fig.suptitle(f"hlsgen sweep: {len(rows)} points ({len(self.failed)} failed); estimates before synthesis",
                     fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=130)
        plt.close(fig)
        return str(path)

    def __str__(self):
        cols = list(self.axes) + ["status", "argmax_agreement", "max_abs_diff", "dsp", "lut", "latency_max", "ii"]
        rows = [[_fmt(p.get(c)) for c in cols] for p in self.points]
        widths = [max(len(c), *(len(r[k]) for r in rows)) if rows else len(c) for k, c in enumerate(cols)]
        lines = [f"hlsgen explore: {len(self.records)} points, {len(self.failed)} failed "
                 f"({self.computed} computed, {self.reused} from results_dir)"]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
