//! Runs one native self-test for Kubeask in a child process (a CPU backend
//! module, or a model file) so that a crash in llama.cpp ends this helper,
//! not the program that asked. Programs whose `main` serves self-tests
//! themselves (the `kubeask` CLI, the desktop app) do not need it; test
//! binaries and other library users find it beside them.

fn main() {
    kubeask_llm::engine::serve_child_if_requested();
    eprintln!(
        "{}: this helper is started by Kubeask with {} set; it is not meant to be run by hand",
        kubeask_llm::engine::selftest::PROBE_NAME,
        kubeask_llm::engine::selftest::CHILD_ENV
    );
    std::process::exit(2);
}
