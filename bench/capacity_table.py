"""The register capacity (bench.capacity) as rows of `make bench`'s table."""

from __future__ import annotations

from bench.report import Row, ratio

FIGURE = "register capacity, open loop (GET + POST, 30 pupils)"
TARGET = "≥ 30 registers/s per web core at p95 ≤ 300 ms"
STEP_TARGET = "p95 ≤ 300 ms, 0 errors, all present"
CPU_TARGET = "≤ 3 × floor"


def rows(result: dict) -> list[Row]:
    steps = result.get("steps") or []
    if not steps:
        return [Row(FIGURE, "gunicorn + PostgreSQL", "TODO: no step ran", data=result)]
    best = result.get("best")
    first = steps[0]
    workers = first["workers_per_master"]
    rates = f"{_rate(steps[0]['rate'])}…{_rate(steps[-1]['rate'])}/s × {first['duration_s']:.0f} s"
    reference = best or first  # CPU figures: the best passing step (or the first, if none passed)
    web_ms = reference["cpu_ms_per_register"]["web"]
    ceiling = 1000 / web_ms if web_ms else 0.0
    out = [
        Row(
            FIGURE,
            f"1 web core (gunicorn -w {workers}), steps {rates}",
            (
                f"{_rate(best['rate'])} registers/s (p50 {best['p50_ms']:.0f} ms, p95 {best['p95_ms']:.0f} ms)"
                if best
                else f"none passed (lowest step {_rate(first['rate'])}/s: p95 {first['p95_ms']:.0f} ms)"
            )
            + f"; CPU-bound ceiling {ceiling:.1f}/s",
            target=TARGET,
            met=bool(best) and best["rate"] >= result["target_per_core"],
            data={k: v for k, v in result.items() if k not in ("topology_steps",)},
        )
    ]
    out += [_step_row(step) for step in steps]
    floor = result["floor"]
    out.append(
        Row(
            "  CPU per register: web (gunicorn master + workers)",
            f"at {_rate(reference['rate'])}/s",
            f"{web_ms:.1f} ms",
            f"{floor['wall_ms_median']:.1f} ms (SQL by hand, wall)",
            ratio(web_ms, floor["wall_ms_median"]),
            CPU_TARGET,
            web_ms <= 3 * floor["wall_ms_median"],
            data={"floor": floor, "cpu_ms_per_register": reference["cpu_ms_per_register"]},
        )
    )
    budget = 1000 / result["target_per_core"]
    out.append(
        Row(
            "  CPU per register: web, against the target's budget",
            f"at {_rate(reference['rate'])}/s",
            f"{web_ms:.1f} ms; others used {reference['others_cores']} cores meanwhile",
            target=f"≤ {budget:.0f} ms (one core ÷ {_rate(result['target_per_core'])}/s)",
            met=web_ms <= budget,
        )
    )
    pg_ms = reference["cpu_ms_per_register"]["postgres"]
    out.append(
        Row(
            "  CPU per register: PostgreSQL (its backends)",
            f"at {_rate(reference['rate'])}/s",
            f"{pg_ms:.1f} ms",
            f"{floor['postgres_cpu_ms']:.1f} ms (SQL by hand, PostgreSQL CPU)",
            ratio(pg_ms, floor["postgres_cpu_ms"]),
            CPU_TARGET,
            pg_ms <= 3 * floor["postgres_cpu_ms"],
        )
    )
    out.append(
        Row(
            "  CPU per register: the load generator (kept off the web core)",
            f"at {_rate(reference['rate'])}/s",
            f"{reference['cpu_ms_per_register']['generator']:.1f} ms on core {result['generator_and_postgres_cpu']}",
        )
    )
    out += topology_rows(result)
    return out


def topology_rows(result: dict) -> list[Row]:
    figure = "  same through nginx → 2 gunicorn → PgBouncer; Redis; 2 Celery"
    if result.get("topology_error"):
        return [Row(figure, "no Docker", f"TODO: failed ({result['topology_error']})"[:160])]
    steps = result.get("topology_steps")
    if not steps:
        return []
    best, single = result.get("topology_best"), result.get("best")
    top = result.get("topology", {})
    reference = best or steps[0]
    cpu = reference["cpu_ms_per_register"]
    where = ", ".join(f"{k} {v:.1f}" for k, v in cpu.items() if k not in ("generator",))
    all_present = all(s["complete"] for s in steps)
    rows = [
        Row(
            figure,
            f"1 web core (2 masters × {top.get('workers_per_master', '?')} workers), "
            f"{top.get('celery_workers_answered', 0)} Celery workers answered",
            (
                f"{_rate(best['rate'])} registers/s (p50 {best['p50_ms']:.0f} ms, p95 {best['p95_ms']:.0f} ms)"
                if best
                else "none passed"
            )
            + f"; CPU ms/register: {where}",
            f"{_rate(single['rate'])}/s single process" if single else "–",
            ratio(best["rate"], single["rate"]) if best and single else "–",
            "every mark present; beside the single figure",
            all_present and bool(best),
            data={"topology": top, "steps": steps},
        )
    ]
    rows += [_step_row(step, indent="    ") for step in steps]
    return rows


def _step_row(step: dict, indent: str = "  ") -> Row:
    return Row(
        f"{indent}at {_rate(step['rate'])} registers/s",
        f"{step['registers']} registers",
        f"p50 {step['p50_ms']:.0f} ms, p95 {step['p95_ms']:.0f} ms; {step['errors']} errors; "
        f"{step['marks']:,}/{step['expected_marks']:,} marks, {step['history']:,} history, "
        f"{step['taken']}/{step['registers']} taken; others used {step['others_cores']} cores",
        target=STEP_TARGET,
        met=step["passed"],
    )


def _rate(rate: float) -> str:
    return f"{rate:g}"
