//! Terminal colours: plain ANSI SGR codes, on only when asked for or when the output is a
//! terminal and `NO_COLOR` is not set.

use std::borrow::Cow;

/// When to colour (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether to colour an output that is (or is not) a terminal.
    pub fn resolve(self, terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// SGR parameters of the styles used.
pub mod sgr {
    pub const BOLD: &str = "1";
    pub const DIM: &str = "2";
    pub const RED: &str = "31";
    pub const GREEN: &str = "32";
    pub const YELLOW: &str = "33";
    pub const BLUE: &str = "34";
    pub const MAGENTA: &str = "35";
    pub const CYAN: &str = "36";
    pub const BOLD_RED: &str = "1;31";
    pub const BOLD_CYAN: &str = "1;36";
    /// The user name's bytes in a dump: black on cyan.
    pub const USER_MARK: &str = "30;46";
    /// The secret's bytes in a dump: white on red.
    pub const SECRET_MARK: &str = "1;97;41";
}

/// Paints text, or leaves it as is when colour is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub on: bool,
}

impl Style {
    pub fn new(on: bool) -> Style {
        Style { on }
    }

    pub fn paint<'a>(&self, text: &'a str, code: &str) -> Cow<'a, str> {
        if self.on && !text.is_empty() && !code.is_empty() {
            Cow::Owned(format!("\x1b[{code}m{text}\x1b[0m"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// Text with its SGR sequences removed (for width computations and tests).
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_and_strip() {
        let on = Style::new(true);
        let p = on.paint("abc", sgr::RED);
        assert_eq!(p, "\x1b[31mabc\x1b[0m");
        assert_eq!(strip(&p), "abc");
        assert_eq!(Style::new(false).paint("abc", sgr::RED), "abc");
    }

    #[test]
    fn never_and_always() {
        assert!(ColorWhen::Always.resolve(false));
        assert!(!ColorWhen::Never.resolve(true));
        assert!(!ColorWhen::Auto.resolve(false));
    }
}
