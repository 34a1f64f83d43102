//! Writes generated migrations into a folder, to time `cargo xtask lint` by hand:
//! `cargo run --release -p authdb-bench --example generate -- DIR N` writes N migrations (their
//! down files and lock); `... -- DIR --bytes 50000000` writes one migration of about 50 MB;
//! `... -- DIR --history 320` a history shaped like a real one (functions in dollar quotes, a
//! no-transaction index every hundredth file); `... -- DIR --statements 400000` one data
//! migration of that many INSERTs.
//! `cargo xtask bench` calls the same functions.

use std::path::PathBuf;

use authdb_bench::generate::{write_generated, write_history, write_large, write_statements};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!(
            "usage: generate DIR N | generate DIR --bytes BYTES | generate DIR --history N | \
             generate DIR --statements N"
        );
        std::process::exit(2);
    };
    let (dir, rest) = match args.as_slice() {
        [dir, rest @ ..] => (PathBuf::from(dir), rest),
        _ => usage(),
    };
    std::fs::create_dir_all(&dir)?;
    match rest {
        [count] => {
            let count: usize = count.parse().unwrap_or_else(|_| usage());
            write_generated(&dir, count)?;
            println!("wrote {count} migrations to {}", dir.display());
        }
        [flag, count] if flag == "--history" => {
            let count: usize = count.parse().unwrap_or_else(|_| usage());
            write_history(&dir, count)?;
            println!("wrote a history of {count} migrations to {}", dir.display());
        }
        [flag, count] if flag == "--statements" => {
            let count: usize = count.parse().unwrap_or_else(|_| usage());
            let bytes = write_statements(&dir, count)?;
            println!(
                "wrote {count} statements ({bytes} bytes) to {}",
                dir.display()
            );
        }
        [flag, bytes] if flag == "--bytes" => {
            let bytes: usize = bytes.parse().unwrap_or_else(|_| usage());
            write_large(&dir, bytes)?;
            println!(
                "wrote a migration of about {bytes} bytes to {}",
                dir.display()
            );
        }
        _ => usage(),
    }
    Ok(())
}
