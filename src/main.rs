//! `lampboard`: the desktop app with no arguments, headless subcommands otherwise; a
//! click-to-call link (`tel:`, `sip:`, `sips:`, `callto:`) as the first argument dials it in
//! the running instance (or opens one that dials it).

use clap::Parser;
use lampboard::api::Command;
use lampboard::cli::{self, Cli, Sub};
use lampboard::desktop::single::{self, Message};
use lampboard::desktop::{logs, url};

fn main() {
    // Before clap, which would take a link for an unknown subcommand.
    if let Some(link) = std::env::args().nth(1).filter(|a| url::call_scheme(a).is_some()) {
        init_logging(true);
        std::process::exit(click_to_call(&link));
    }
    let cli = Cli::parse();
    init_logging(cli.command.is_none());
    let code = match &cli.command {
        Some(Sub::Register(args)) => cli::register(args),
        Some(Sub::Watch(args)) => cli::watch::run(args),
        Some(Sub::Call(args)) => cli::call::call(args),
        Some(Sub::Answer(args)) => cli::call::answer(args),
        Some(Sub::Pickup(args)) => cli::pickup::run(args),
        Some(Sub::Presence { action }) => cli::presence::run(action),
        Some(Sub::Rules { action }) => cli::rules::run(action),
        Some(Sub::Account { action }) => cli::account::run(action),
        Some(Sub::History(args)) => cli::history::run(args),
        Some(Sub::Devices(args)) => cli::devices::devices(args),
        Some(Sub::Autostart(args)) => cli::autostart::run(args),
        // No subcommand: the console on the default account, or the demo office.
        // A second launch brings the running one to the front instead.
        None => match single::claim(&Message::Focus) {
            Some(instance) => lampboard::launch::desktop_with(cli.demo, instance, None),
            None => {
                eprintln!("lampboard: already running; brought it to the front");
                0
            }
        },
    };
    std::process::exit(code);
}

/// Logs to stderr (`LAMPBOARD_LOG` filters, default `warn`), and for the desktop app also to a
/// daily file in the platform log dir (see `lampboard::desktop::logs`).
fn init_logging(desktop: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAMPBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let stderr = tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(std::io::stderr);
    let mut problem = None;
    let file = desktop
        .then(logs::log_dir)
        .flatten()
        .and_then(|dir| logs::appender(&dir).map_err(|e| problem = Some(e)).ok())
        .map(|w| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(w));
    tracing_subscriber::registry().with(filter).with(stderr).with(file).init();
    if let Some(p) = problem {
        tracing::warn!("no log file: {p}");
    }
}

/// `lampboard tel:+4930123`: hands the link to the running instance, or opens the console and
/// dials it there. Exit code 2 for a link that cannot be dialled.
fn click_to_call(link: &str) -> i32 {
    let target = match url::dial_target(link) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("lampboard: cannot dial {link:?}: {e}");
            return 2;
        }
    };
    match single::claim(&Message::Dial(target.clone())) {
        Some(instance) => lampboard::launch::desktop_with(false, instance, Some(Command::Dial { target })),
        None => {
            eprintln!("lampboard: {target} handed to the running Lampboard");
            0
        }
    }
}
