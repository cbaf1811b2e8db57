//! Embeds `assets/` (release builds; debug builds serve them from disk) and rebuilds when the
//! Fluent files change, since `static_loader!` reads them at compile time.

fn main() {
    memory_serve::load_directory("./assets");
    println!("cargo::rerun-if-changed=locales");
}
