// Askama reads templates at compile time but does not tell cargo, so a
// template-only edit would otherwise ship a stale page.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=migrations");
}
