//! The self-test helper finds llama.cpp's shared libraries next to itself
//! (`target/<profile>/`, staged by scripts/stage-llama-libs.sh, or a
//! bundle's library folder).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/kubeask");
    }
}
