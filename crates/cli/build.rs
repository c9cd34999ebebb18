//! The binary finds llama.cpp's shared libraries next to itself (bundles
//! and `target/<profile>/`, staged by scripts/stage-llama-libs.sh); cargo
//! run/test set the library path themselves.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/kubeask");
    }
}
