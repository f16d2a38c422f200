//! hdab's words in Swedish and English. Swedish is the language of the Swedish public
//! sector (språklagen 2009:600) and every reader's default; English is there on request.
//!
//! One Fluent catalogue per language (`locales/sv.ftl`, `locales/en.ftl`), compiled into
//! the binary; [`Lang::negotiate`] picks a reader's language (an explicit choice, then the
//! browser's `Accept-Language`, then Swedish) and [`Lang::text`] gives a message in it.
//! The tests fail on any message missing in either language or not formatting in one.

mod lang;
mod messages;

pub use lang::Lang;
pub use messages::Arg;
