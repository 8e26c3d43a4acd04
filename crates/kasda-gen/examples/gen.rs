//! `cargo run -p kasda-gen --example gen -- <profile> <from> <days> <seed> <leak-rate> <volume%> <out>`
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let profile = kasda_gen::Profile::parse(&arg(1, "kota-kecil"))?;
    let from: chrono::NaiveDate = arg(2, "2026-01-01").parse()?;
    let days: u32 = arg(3, "14").parse()?;
    let seed: u64 = arg(4, "1").parse()?;
    let mut o = kasda_gen::GenOptions::new(profile, from, days, seed);
    o.leak_rate_ppm = kasda_gen::parse_leak_rate(&arg(5, "0.001"))?;
    o.volume_percent = arg(6, "100").parse()?;
    let out = arg(7, "/tmp/kasda-gen-out");
    let t = std::time::Instant::now();
    let r = kasda_gen::generate(&o, Path::new(&out))?;
    let secs = t.elapsed().as_secs_f64();
    let receipts = r.counts.get("receipts").copied().unwrap_or(0);
    eprintln!(
        "{} receipts in {secs:.2}s = {:.0}/s",
        receipts,
        receipts as f64 / secs
    );
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"counts": r.counts, "irregularities": r.irregularities, "noise": r.noise})
        )?
    );
    Ok(())
}
