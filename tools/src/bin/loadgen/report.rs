//! Report mode (`--report FILE`): turns the JSON lines of earlier runs into the
//! Markdown tables of `benches/results.md`, with the goal checks for our relay.
//!
//! Every ratio compares rows of the same run (`"run"` in the JSON line), so the
//! reference and the bare forwarder are always measured on the same machine state
//! as our relay.

use serde_json::Value;

use crate::args::Args;

pub fn report(args: &Args, path: &str) -> Result<String, String> {
    use std::fmt::Write;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let rows: Vec<Value> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let run = |v: &Value| v.get("run").and_then(Value::as_u64).unwrap_or(1);
    let is_idle = |v: &Value| v.get("idle").is_some();
    let find = |target: &str, scenario: &str, r: u64| {
        rows.iter().find(|x| {
            s(x, "target") == target
                && s(x, "scenario") == scenario
                && run(x) == r
                && x.get("error").is_none()
        })
    };
    let num = |x: Option<f64>, prec: usize| match x {
        Some(v) => format!("{v:.prec$}"),
        None => "-".into(),
    };
    let mib = |x: Option<f64>| num(x.map(|k| k / 1024.0), 1);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "-".into(),
    };
    let cpu = |r: &Value| f(r, "relay_cpu_s_per_1e6");
    let mut out = String::new();
    let _ = writeln!(out, "### Traffic (apps → monitors)\n");
    let _ = writeln!(
        out,
        "CPU = relay CPU seconds (user + system, /proc/PID/stat) per 10⁶ deliveries inside the measured window; \
         the ratios compare rows of the same run.\n"
    );
    let _ = writeln!(
        out,
        "| target | scenario | run | deliveries/s | CPU s / 10⁶ | p50 µs | p99 µs | p999 µs | relay peak RSS MiB | deliveries vs reference | deliveries vs bare | CPU vs bare | lost / errors |"
    );
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows.iter().filter(|r| !is_idle(r)) {
        let (t, sc, n) = (s(r, "target"), s(r, "scenario"), run(r));
        if let Some(e) = r.get("error") {
            let _ = writeln!(
                out,
                "| {t} | {sc} | {n} | - | - | - | - | - | - | - | - | - | ERROR: {} |",
                e.as_str().unwrap_or("?").replace('|', "/")
            );
            continue;
        }
        let closed = f(r, "rate").unwrap_or(0.0) == 0.0;
        let dps = f(r, "deliveries_per_s");
        let bare = find(&args.report_bare, &sc, n);
        let (vr, vb) = if closed {
            (
                ratio(
                    dps,
                    find(&args.report_ref, &sc, n).and_then(|x| f(x, "deliveries_per_s")),
                ),
                ratio(dps, bare.and_then(|x| f(x, "deliveries_per_s"))),
            )
        } else {
            ("(fixed rate)".into(), "(fixed rate)".into())
        };
        let vc = ratio(cpu(r), bare.and_then(cpu));
        let errs = r
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| a.len())
            .unwrap_or(0);
        let notes = format!(
            "{}{}",
            num(f(r, "lost"), 0),
            if errs > 0 {
                format!(
                    " / {}",
                    r["errors"][0].as_str().unwrap_or("").replace('|', "/")
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "| {t} | {sc} | {n} | {} | {} | {} | {} | {} | {} | {vr} | {vb} | {vc} | {notes} |",
            num(dps, 0),
            num(cpu(r), 2),
            num(f(r, "p50_us"), 0),
            num(f(r, "p99_us"), 0),
            num(f(r, "p999_us"), 0),
            mib(f(r, "relay_peak_rss_kb")),
        );
    }
    let _ = writeln!(out, "\n### Idle connections\n");
    let _ = writeln!(
        out,
        "| target | scenario | run | connections | open after hold | failed | connect s | RSS before MiB | RSS after MiB | RSS per connection KiB | peak RSS MiB | errors |"
    );
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows.iter().filter(|r| is_idle(r)) {
        let errs: Vec<String> = r
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(|x| x.replace('|', "/")))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s(r, "target"),
            s(r, "scenario"),
            run(r),
            num(f(r, "idle"), 0),
            num(f(r, "still_open"), 0),
            num(f(r, "failed"), 0),
            num(f(r, "connect_s"), 1),
            mib(f(r, "relay_rss_before_kb")),
            mib(f(r, "relay_rss_after_kb")),
            num(f(r, "rss_per_conn_bytes").map(|b| b / 1024.0), 2),
            mib(f(r, "relay_peak_rss_kb")),
            errs.join("; "),
        );
    }
    // Goal checks for our relay (issue 14), per run.
    let ours = &args.report_ours;
    let mut goals = Vec::new();
    let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
    for r in rows
        .iter()
        .filter(|r| s(r, "target") == *ours && !is_idle(r) && r.get("error").is_none())
    {
        let (sc, n) = (s(r, "scenario"), run(r));
        let dps = f(r, "deliveries_per_s");
        if f(r, "rate").unwrap_or(0.0) > 0.0 {
            if let Some(p99) = f(r, "p99_us") {
                goals.push(format!(
                    "| {sc} (run {n}): p99 < 1 ms | {p99:.0} µs | {} |",
                    pass(p99 < 1000.0)
                ));
            }
            continue;
        }
        let bare = find(&args.report_bare, &sc, n);
        if sc.contains("5MiB") {
            // The large-state latency scenario: p50 within 10 % of the bare forwarder's.
            if let (Some(a), Some(b)) = (f(r, "p50_us"), bare.and_then(|x| f(x, "p50_us"))) {
                goals.push(format!(
                    "| {sc} (run {n}): p50 ≤ 1.1× bare forwarder | {:.2}× ({a:.0} / {b:.0} µs) | {} |",
                    a / b.max(1e-9),
                    pass(a <= 1.1 * b)
                ));
            }
            continue;
        }
        if let (Some(a), Some(b)) = (cpu(r), bare.and_then(cpu)) {
            goals.push(format!(
                "| {sc} (run {n}): CPU per delivery ≤ 1.15× bare forwarder | {:.2}× | {} |",
                a / b.max(1e-9),
                pass(a <= 1.15 * b)
            ));
        }
        if let (Some(a), Some(b)) = (dps, bare.and_then(|x| f(x, "deliveries_per_s"))) {
            goals.push(format!(
                "| {sc} (run {n}): deliveries/s ≥ 90 % of bare forwarder | {:.0} % | {} |",
                100.0 * a / b.max(1e-9),
                pass(a >= 0.9 * b)
            ));
        }
        if let (Some(a), Some(b)) = (
            dps,
            find(&args.report_ref, &sc, n).and_then(|x| f(x, "deliveries_per_s")),
        ) {
            goals.push(format!(
                "| {sc} (run {n}): ≥ 10× reference deliveries/s | {:.2}× | {} |",
                a / b.max(1e-9),
                pass(b > 0.0 && a >= 10.0 * b)
            ));
        }
    }
    for r in rows
        .iter()
        .filter(|r| s(r, "target") == *ours && is_idle(r))
    {
        let (sc, n) = (s(r, "scenario"), run(r));
        let conns = f(r, "idle").unwrap_or(0.0);
        let open = f(r, "still_open").unwrap_or(0.0);
        match f(r, "rss_per_conn_bytes") {
            Some(b) => goals.push(format!(
                "| {sc} (run {n}): ≤ 4 KiB RSS per idle connection, all held | {:.2} KiB, {open:.0}/{conns:.0} open | {} |",
                b / 1024.0,
                pass(b <= 4096.0 && open >= conns)
            )),
            None => goals.push(format!(
                "| {sc} (run {n}): ≤ 4 KiB RSS per idle connection | no data | FAIL |"
            )),
        }
    }
    let _ = writeln!(out, "\n### Goals for `{ours}`\n");
    if goals.is_empty() {
        let _ = writeln!(out, "No successful `{ours}` rows in this run.");
    } else {
        let _ = writeln!(out, "| goal | measured | result |\n|---|---:|---|");
        for g in goals {
            let _ = writeln!(out, "{g}");
        }
    }
    Ok(out)
}
