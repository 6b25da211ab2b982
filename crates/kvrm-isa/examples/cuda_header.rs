//! Print the generated CUDA header (state layout and decode table) to stdout:
//! `cargo run -p kvrm-isa --example cuda_header > kvrm_isa.cuh`.

fn main() {
    print!("{}", kvrm_isa::cuda_header::cuda_header());
}
