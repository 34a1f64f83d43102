//! Writes N generated migrations (and their lock) into a folder, to time `cargo xtask lint` on a
//! large history by hand: `cargo run --release -p authdb-lint --example generate -- DIR N`.
//! `cargo xtask bench` calls the same `write_generated`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: generate DIR N");
        std::process::exit(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("N must be a number, not {count:?}");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    authdb_lint::write_generated(&dir, count)?;
    println!("wrote {count} migrations to {}", dir.display());
    Ok(())
}
