//! `lampboard`: the desktop app with no arguments, headless subcommands otherwise.

use clap::Parser;
use lampboard::cli::{self, Cli, Sub};

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAMPBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    let cli = Cli::parse();
    let code = match &cli.command {
        Some(Sub::Register(args)) => cli::register(args),
        Some(Sub::Watch(args)) => cli::watch::run(args),
        Some(Sub::Call(args)) => cli::call::call(args),
        Some(Sub::Answer(args)) => cli::call::answer(args),
        Some(Sub::Presence { action }) => cli::presence::run(action),
        Some(Sub::Rules { action }) => cli::rules::run(action),
        Some(Sub::Account { action }) => cli::account::run(action),
        Some(Sub::History(args)) => cli::history::run(args),
        Some(Sub::Devices(args)) => cli::devices::devices(args),
        // No subcommand: the console on the default account, or the demo office.
        None => lampboard::launch::desktop(cli.demo),
    };
    std::process::exit(code);
}
