//! `sema-pkg`: see `cli` for the commands.

fn main() {
    sema_pkg::cli::main();
}
