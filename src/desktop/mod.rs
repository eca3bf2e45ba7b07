//! Desktop integration: click-to-call links ([`url`]) and one instance per session
//! ([`single`]), the hook that turns both into console commands ([`external`]), the log
//! files ([`logs`]), the window icon ([`icon`]), notifications for incoming and missed calls
//! ([`notify`]) and the tray icon ([`tray`]), both put around the console by [`link`], start at
//! login ([`autostart`]).

pub mod autostart;
pub mod external;
pub mod icon;
pub mod link;
pub mod logs;
pub mod notify;
pub mod single;
pub mod single_tcp;
pub mod tray;
pub mod url;
