use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    relaydesk::main(relaydesk::cli::Cli::parse())
}
