//! `.dockerignore`: which files of a build context `docker build` leaves out.
//!
//! The rules are those of the Docker CLI and BuildKit, which both read the
//! file with moby's `ignorefile.ReadAll` and match with moby's
//! `patternmatcher` (`MatchesOrParentMatches`):
//!
//! - The file is read line by line (a UTF-8 byte order mark on the first line
//!   is dropped, `\r\n` endings are accepted). A line that *starts* with `#`
//!   is a comment; `  # x` is the pattern `# x`. Surrounding whitespace is
//!   trimmed and empty lines are skipped.
//! - A leading `!` makes the pattern an exception (it re-includes what it
//!   matches). Each pattern is cleaned like Go's `filepath.Clean` (`./a` is
//!   `a`, `a/../b` is `b`, `a//b/` is `a/b`) and a leading `/` is dropped,
//!   since patterns are relative to the context root. A pattern that cleans
//!   to `..`, `../x` or `.` is kept and simply matches nothing, as in Docker.
//! - Syntax is Go's `filepath.Match`: `*` is any run of characters except
//!   `/`, `?` one character except `/`, `[a-z]` / `[^a-z]` a character class
//!   (`^` negates; `!` does not), `\` escapes the next character. On top of
//!   that, `**` matches any number of directories, including none
//!   (`**/x`, `a/**/b`, `dir/**`).
//! - A path is excluded when it, or any of its parent directories, matches a
//!   pattern; the last matching pattern decides, so an exception after an
//!   exclusion re-includes (`*.md` then `!README.md`), and an exclusion after
//!   an exception wins again.
//! - The context root itself is never excluded.
//!
//! Deliberate differences from moby, all in corners that its regular
//! expression translation gets wrong or that cannot be expressed here:
//!
//! - Inside a character class, `*` and `?` are ordinary members (as Go's
//!   `filepath.Match` says); moby rewrites them into regular-expression text
//!   inside the class, which matches something else entirely. `[[:alpha:]]`
//!   is likewise read as `filepath.Match` reads it, not as a POSIX class.
//! - An escaped letter, digit or non-ASCII character (`\d`, `\t`, `\é`) is
//!   that character; moby hands it to Go's regexp, where `\d` means a digit
//!   and most others fail to compile.
//! - A reversed range such as `[z-a]` is refused when the file is parsed;
//!   moby accepts the file and fails the build when the first path is
//!   matched. Either way the build cannot proceed.
//! - The file must be UTF-8 and at most [`MAX_FILE_BYTES`]; Docker reads any
//!   bytes of any size. Lines longer than 65535 bytes are refused, as Go's
//!   `bufio.Scanner` refuses them in Docker ("token too long").
//!
//! The quirks that Docker users can observe are kept: `**foo` (with no `/`
//! after the `**` and no other wildcard) matches every path that *ends* in
//! `foo`, such as `barfoo`; `a**b` matches `ab` and `a/x/b` but not `axb`;
//! `/!x` is the exception `!x`; a `^` outside a class in a pattern that has
//! wildcards anchors at the start of the path, so `a^b*` matches nothing.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, non_utf8_line};

/// The name of the ignore file at the root of a build context.
pub const FILE_NAME: &str = ".dockerignore";

/// The largest `.dockerignore` that [`DockerIgnore::read`] accepts (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Go's `bufio.MaxScanTokenSize`: Docker fails on a line (with its line
/// feed) that does not fit in this many bytes.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// What a bad pattern is called in error messages.
const WHAT: &str = ".dockerignore pattern";

/// The compiled patterns of one `.dockerignore` file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

/// One compiled line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The cleaned pattern, without its `!`.
    text: String,
    /// Whether the line started with `!` (re-includes what it matches).
    exception: bool,
    /// Length of the leading part of `text` that holds no wildcard, escape
    /// or anchor; used to decide whether an exception can reach into a
    /// directory.
    literal_len: usize,
    matcher: Matcher,
}

/// How a pattern is matched. moby picks one of four strategies from the
/// pattern text, and two of them (`Prefix`, `Suffix`) are not quite what the
/// regular expression would say, so the choice is kept exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    /// No wildcard: the path equals the text.
    Exact,
    /// Literal text then a final `**`: the path starts with the text before
    /// the `**`.
    Prefix,
    /// A leading `**` then literal text: the path ends with the text after
    /// the `**`, or equals it without its leading `/`.
    Suffix,
    /// Anything else: a small automaton.
    Glob(Glob),
}

/// A pattern with wildcards, as a sequence of tokens run as an NFA.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Glob {
    tokens: Vec<Token>,
    /// The literal characters the pattern starts with: a path that does not
    /// start with them cannot match, nor can any of its parents.
    lead: String,
    /// The longest run of literal characters that every match contains: a
    /// path without it cannot match, nor can any of its parents.
    needle: String,
}

/// One step of a [`Glob`]. State `i` of the automaton sits before token `i`;
/// state `tokens.len()` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// This character.
    Lit(char),
    /// `?`: one character other than `/`.
    One,
    /// `[...]`.
    Class(Class),
    /// `*`: any run of characters other than `/`.
    Star,
    /// The `.*` of `**`: any run of characters other than a line feed (Go's
    /// `.` does not match `\n`).
    Run,
    /// The start of the optional group `(.*/)?` of a `**` followed by more
    /// pattern: may jump to the given token, past the group.
    Skip(usize),
    /// A `^` outside a class in a regular-expression pattern: passes only at
    /// the start of the path.
    Anchor,
}

/// A character class: ranges of characters, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` file.
    ///
    /// Fails on a pattern that Docker refuses (`!` alone, an unterminated or
    /// empty character class, a trailing `\`, a reversed range) or on a line
    /// longer than Docker reads; the error's reason names the line number.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            if raw.len() >= MAX_LINE_BYTES {
                return Err(Error::parse(
                    WHAT,
                    raw,
                    format!("line {number} is longer than {} bytes", MAX_LINE_BYTES - 1),
                ));
            }
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(pattern) =
                read_line(line).map_err(|reason| bad_line(line, number, &reason))?
            {
                patterns.push(pattern);
            }
        }
        Ok(DockerIgnore { patterns })
    }

    /// Reads `<context_dir>/.dockerignore`. A missing file gives an empty
    /// matcher (nothing excluded), as in Docker; a file larger than
    /// [`MAX_FILE_BYTES`], or one that is not UTF-8, is refused.
    pub fn read(context_dir: &Path) -> Result<Self, Error> {
        let path = context_dir.join(FILE_NAME);
        let read_error = |source| Error::Read {
            what: ".dockerignore file",
            path: path.clone(),
            source,
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(read_error(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(read_error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the file is larger than {MAX_FILE_BYTES} bytes (1 MiB)"),
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let number = non_utf8_line(&e);
            let start = bytes[..valid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = bytes[valid..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| valid + i);
            Error::parse(
                WHAT,
                &String::from_utf8_lossy(&bytes[start..end]),
                format!("line {number} is not valid UTF-8"),
            )
        })?;
        Self::parse(&text)
    }

    /// The number of patterns (comments and blank lines are not counted).
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether there are no patterns, so nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern is an exception (`!...`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether Docker leaves `relative_path` out of the build context.
    ///
    /// `relative_path` is relative to the context root, `/`-separated, clean
    /// (no `.`/`..` components, no doubled `/`) and without a leading `./`
    /// or `/`; a trailing `/` is ignored. The root (`""` or `.`) is never
    /// excluded. A path is excluded when it or one of its parent directories
    /// matches, and the last matching pattern decides.
    pub fn excludes(&self, relative_path: &str) -> bool {
        let path = relative_path.strip_suffix('/').unwrap_or(relative_path);
        if path.is_empty() || path == "." {
            return false;
        }
        // Last match wins, which is what moby's forward loop computes.
        self.patterns
            .iter()
            .rev()
            .find(|p| p.matches(path))
            .is_some_and(|p| !p.exception)
    }

    /// Whether a walk of the context must enter directory `dir` (same form
    /// as for [`excludes`](Self::excludes)).
    ///
    /// It is false only when `dir` is excluded and no exception could match
    /// anything below it: a literal exception must name `dir` or a path
    /// under it (moby's own rule), and an exception with wildcards is
    /// assumed to reach below `dir` whenever its literal start is compatible
    /// with `dir` (so `!**/keep` keeps every directory open). Walking into a
    /// directory this allows and applying [`excludes`](Self::excludes) to
    /// each entry gives exactly BuildKit's context; the classic builder
    /// never enters an excluded directory for a wildcard exception, so for
    /// it `!**/keep` re-includes nothing inside excluded directories.
    pub fn may_include_below(&self, dir: &str) -> bool {
        let dir = dir.strip_suffix('/').unwrap_or(dir);
        if !self.excludes(dir) {
            return true;
        }
        self.patterns
            .iter()
            .any(|p| p.exception && p.could_match_below(dir))
    }

    /// Whether `relative_path` is left out of the context that the Docker CLI
    /// sends for a build whose Dockerfile is `dockerfile` (relative to the
    /// context root, `/`-separated; pass `""` when the Dockerfile comes from
    /// standard input and so is not part of the context).
    ///
    /// This is [`excludes`](Self::excludes) with the CLI's
    /// `TrimBuildFilesFromExcludes` rule: the Dockerfile and `.dockerignore`
    /// are always sent, even when a pattern excludes them, because the daemon
    /// needs them; the daemon then hides them from `COPY`/`ADD` if they were
    /// excluded. The CLI decides this with moby's older `Matches`, which
    /// misses some exclusions through `**` parents; here the two files are
    /// always kept, and `dockerfile` is compared literally (after dropping a
    /// leading `./`), not as a pattern.
    pub fn excludes_for_build(&self, relative_path: &str, dockerfile: &str) -> bool {
        let path = relative_path.strip_suffix('/').unwrap_or(relative_path);
        if is_build_file(path, dockerfile) {
            return false;
        }
        self.excludes(path)
    }

    /// [`may_include_below`](Self::may_include_below) for the walk that
    /// [`excludes_for_build`](Self::excludes_for_build) filters: the
    /// directories that hold the Dockerfile are always entered.
    pub fn may_include_below_for_build(&self, dir: &str, dockerfile: &str) -> bool {
        let dir = dir.strip_suffix('/').unwrap_or(dir);
        let dockerfile = trim_dot_slash(dockerfile);
        (!dockerfile.is_empty() && is_same_or_below(dockerfile, dir)) || self.may_include_below(dir)
    }
}

/// Whether `path` is `.dockerignore` or the Dockerfile (or below them).
fn is_build_file(path: &str, dockerfile: &str) -> bool {
    let dockerfile = trim_dot_slash(dockerfile);
    is_same_or_below(path, FILE_NAME)
        || (!dockerfile.is_empty() && is_same_or_below(path, dockerfile))
}

fn trim_dot_slash(mut path: &str) -> &str {
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path
}

/// Whether `path` is `base` or lies below it.
fn is_same_or_below(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn bad_line(line: &str, number: usize, reason: &str) -> Error {
    Error::parse(WHAT, line.trim(), format!("line {number}: {reason}"))
}

/// One line, as `ignorefile.ReadAll` and then `patternmatcher.New` treat it:
/// `None` for a comment or blank line.
fn read_line(line: &str) -> Result<Option<Pattern>, String> {
    // ReadAll: comments are recognised before trimming.
    if line.starts_with('#') {
        return Ok(None);
    }
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (invert, rest) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let mut text = String::new();
    if invert {
        text.push('!');
    }
    if !rest.is_empty() {
        let cleaned = go_clean(rest);
        match cleaned.strip_prefix('/') {
            Some(relative) if !relative.is_empty() => text.push_str(relative),
            _ => text.push_str(&cleaned),
        }
    }
    // patternmatcher.New: trimmed and cleaned once more, then `!` is read.
    let text = go_clean(text.trim());
    let (exception, text) = match text.strip_prefix('!') {
        Some("") => return Err("`!` must be followed by a pattern".into()),
        Some(rest) => (true, rest.to_string()),
        None => (false, text),
    };
    compile(text, exception).map(Some)
}

/// Go's `filepath.Clean` for `/`-separated paths.
fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Characters that make moby leave its exact, prefix and suffix strategies.
fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '[', ']', '\\'])
}

fn compile(text: String, exception: bool) -> Result<Pattern, String> {
    let literal_len = text
        .find(['*', '?', '[', ']', '\\', '^'])
        .unwrap_or(text.len());
    let matcher = if text.starts_with("**") && !has_wildcard(&text[2..]) {
        Matcher::Suffix
    } else if !has_wildcard(&text) {
        Matcher::Exact
    } else if text.ends_with("**") && !has_wildcard(&text[..text.len() - 2]) {
        Matcher::Prefix
    } else {
        Matcher::Glob(compile_glob(&text)?)
    };
    Ok(Pattern {
        text,
        exception,
        literal_len,
        matcher,
    })
}

/// Tokenises a pattern the way moby's scanner does (`**`, `*`, `?`, `\`,
/// `^`) with classes read as `filepath.Match` reads them, checking the
/// syntax that `filepath.Match` checks on the way.
fn compile_glob(text: &str) -> Result<Glob, String> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '*' => {
                if let Some(after) = rest.strip_prefix('*') {
                    rest = after.strip_prefix('/').unwrap_or(after);
                    if rest.is_empty() {
                        tokens.push(Token::Run);
                    } else {
                        let past = tokens.len() + 3;
                        tokens.extend([Token::Skip(past), Token::Run, Token::Lit('/')]);
                    }
                } else {
                    tokens.push(Token::Star);
                }
            }
            '?' => tokens.push(Token::One),
            '\\' => {
                let escaped = rest
                    .chars()
                    .next()
                    .ok_or("a pattern cannot end with a lone `\\`")?;
                rest = &rest[escaped.len_utf8()..];
                tokens.push(Token::Lit(escaped));
            }
            '[' => {
                let (class, after) = parse_class(rest)?;
                rest = after;
                tokens.push(Token::Class(class));
            }
            '^' => tokens.push(Token::Anchor),
            c => tokens.push(Token::Lit(c)),
        }
    }
    let lead = tokens
        .iter()
        .map_while(|t| match t {
            Token::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    let needle = longest_required_run(&tokens);
    Ok(Glob {
        tokens,
        lead,
        needle,
    })
}

/// The longest run of consecutive literal tokens outside the optional
/// groups of `**`.
fn longest_required_run(tokens: &[Token]) -> String {
    let mut longest = String::new();
    let mut run = String::new();
    let mut skip_until = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Lit(c) if i >= skip_until => {
                run.push(*c);
                continue;
            }
            Token::Skip(past) => skip_until = *past,
            _ => {}
        }
        if run.len() > longest.len() {
            longest = std::mem::take(&mut run);
        }
        run.clear();
    }
    if run.len() > longest.len() {
        longest = run;
    }
    longest
}

/// Reads a character class after its `[` as Go's `filepath.Match` does;
/// returns the class and what follows its `]`.
fn parse_class(mut rest: &str) -> Result<(Class, &str), String> {
    let mut negated = false;
    if let Some(after) = rest.strip_prefix('^') {
        negated = true;
        rest = after;
    }
    let mut ranges = Vec::new();
    loop {
        if !ranges.is_empty() {
            if let Some(after) = rest.strip_prefix(']') {
                return Ok((Class { negated, ranges }, after));
            }
        }
        let (lo, after) = class_char(rest, ranges.is_empty())?;
        rest = after;
        let mut hi = lo;
        if let Some(after) = rest.strip_prefix('-') {
            (hi, rest) = class_char(after, false)?;
        }
        if lo > hi {
            return Err(format!(
                "the character range {lo}-{hi} in a class is reversed"
            ));
        }
        ranges.push((lo, hi));
    }
}

/// One character of a class (Go's `getEsc`), which must be followed by more
/// pattern.
fn class_char(text: &str, first: bool) -> Result<(char, &str), String> {
    const UNTERMINATED: &str = "a character class `[` is not closed by `]`";
    let mut chars = text.chars();
    let c = match chars.next() {
        None => return Err(UNTERMINATED.into()),
        Some(']') if first => return Err("a character class `[]` is empty".into()),
        Some(']') => return Err("a range in a character class has no upper end".into()),
        Some('-') => {
            return Err(
                "a `-` in a character class must be escaped or sit between two characters".into(),
            );
        }
        Some('\\') => chars.next().ok_or(UNTERMINATED)?,
        Some(c) => c,
    };
    let rest = chars.as_str();
    if rest.is_empty() {
        return Err(UNTERMINATED.into());
    }
    Ok((c, rest))
}

impl Pattern {
    /// Whether the pattern matches `path` or one of its parent directories.
    fn matches(&self, path: &str) -> bool {
        let text = self.text.as_str();
        match &self.matcher {
            Matcher::Exact => is_same_or_below(path, text),
            // Every parent is a prefix of the path, so checking the path is
            // enough.
            Matcher::Prefix => path.starts_with(&text[..text.len() - 2]),
            Matcher::Suffix => {
                let suffix = &text[2..];
                candidates(path).any(|p| {
                    p.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| p == s)
                })
            }
            Matcher::Glob(glob) => glob.matches_or_parent(path),
        }
    }

    /// Whether this pattern could match some path strictly below `dir`.
    fn could_match_below(&self, dir: &str) -> bool {
        let literal = &self.text[..self.literal_len];
        if self.matcher == Matcher::Exact {
            // moby: the pattern followed by `/` starts with `dir/`.
            is_same_or_below(literal, dir)
        } else if literal.len() <= dir.len() {
            dir.starts_with(literal)
        } else {
            literal.starts_with(dir) && literal.as_bytes()[dir.len()] == b'/'
        }
    }
}

/// The path's parent directories, outermost first, then the path itself.
fn candidates(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .filter(|&(i, _)| i > 0)
        .map(move |(i, _)| &path[..i])
        .chain(std::iter::once(path))
}

/// Words of a state set kept on the stack; patterns with more tokens use
/// the heap.
const INLINE_WORDS: usize = 8;

impl Glob {
    /// Runs the automaton once over `path`; a parent directory matches when
    /// the accepting state is reached just before one of the path's `/`.
    fn matches_or_parent(&self, path: &str) -> bool {
        if !path.starts_with(self.lead.as_str())
            || memchr::memmem::find(path.as_bytes(), self.needle.as_bytes()).is_none()
        {
            return false;
        }
        let accept = self.tokens.len();
        let words = (accept + 1).div_ceil(64);
        let mut inline = [0u64; INLINE_WORDS];
        let mut heap = Vec::new();
        let buffer: &mut [u64] = if 2 * words <= INLINE_WORDS {
            &mut inline[..2 * words]
        } else {
            heap.resize(2 * words, 0);
            &mut heap
        };
        let (mut current, mut next) = buffer.split_at_mut(words);
        insert(current, 0);
        self.close(current, true);
        for (position, c) in path.char_indices() {
            if c == '/' && position > 0 && contains(current, accept) {
                return true;
            }
            next.fill(0);
            let mut alive = false;
            for (w, &word) in current.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let i = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let Some(token) = self.tokens.get(i) else {
                        continue;
                    };
                    let target = match token {
                        Token::Lit(l) => (*l == c).then_some(i + 1),
                        Token::One => (c != '/').then_some(i + 1),
                        Token::Class(class) => class.contains(c).then_some(i + 1),
                        Token::Star => (c != '/').then_some(i),
                        Token::Run => (c != '\n').then_some(i),
                        Token::Skip(_) | Token::Anchor => None,
                    };
                    if let Some(target) = target {
                        insert(next, target);
                        alive = true;
                    }
                }
            }
            if !alive {
                return false;
            }
            self.close(next, false);
            std::mem::swap(&mut current, &mut next);
        }
        contains(current, accept)
    }

    /// Adds the states reachable without reading a character. Every such
    /// move goes forward, so one ascending pass suffices.
    fn close(&self, set: &mut [u64], at_start: bool) {
        for (i, token) in self.tokens.iter().enumerate() {
            if !contains(set, i) {
                continue;
            }
            match token {
                Token::Star | Token::Run => insert(set, i + 1),
                Token::Skip(past) => {
                    insert(set, i + 1);
                    insert(set, *past);
                }
                Token::Anchor if at_start => insert(set, i + 1),
                _ => {}
            }
        }
    }
}

fn insert(set: &mut [u64], state: usize) {
    set[state / 64] |= 1 << (state % 64);
}

fn contains(set: &[u64], state: usize) -> bool {
    set[state / 64] & (1 << (state % 64)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// Checks each `(path, excluded)` against the file `text`.
    fn check(text: &str, cases: &[(&str, bool)]) {
        let matcher = ignore(text);
        for &(path, expected) in cases {
            assert_eq!(
                matcher.excludes(path),
                expected,
                ".dockerignore {text:?}, path {path:?}"
            );
        }
    }

    #[test]
    fn docker_documentation_examples() {
        // docs.docker.com "dockerignore file", first example.
        let example = "# comment\n*/temp*\n*/*/temp*\ntemp?\n";
        check(
            example,
            &[
                ("somedir/temporary.txt", true),
                ("somedir/temp", true),
                ("somedir/temp/inner.txt", true),
                ("somedir/subdir/temporary.txt", true),
                ("a/b/c/temp", false),
                ("temp", false),
                ("temporary.txt", false),
                ("tempa", true),
                ("tempb/file", true),
                ("tempab", false),
                ("somedir/file.txt", false),
                ("# comment", false),
            ],
        );
        check(
            "**/*.go",
            &[
                ("main.go", true),
                ("a/b/c.go", true),
                ("a/.go", true),
                ("a/b/c.gox", false),
                ("go", false),
            ],
        );
        check(
            "*.md\n!README.md",
            &[
                ("a.md", true),
                ("README.md", false),
                ("docs/a.md", false),
                ("docs/README.md", false),
            ],
        );
        check(
            "*.md\n!README*.md\nREADME-secret.md",
            &[
                ("README-secret.md", true),
                ("README-public.md", false),
                ("README.md", false),
                ("other.md", true),
            ],
        );
        // The same lines in another order: the last match wins.
        check(
            "*.md\nREADME-secret.md\n!README*.md",
            &[
                ("README-secret.md", false),
                ("README.md", false),
                ("other.md", true),
            ],
        );
    }

    #[test]
    fn directories_exclude_their_contents() {
        check(
            "build",
            &[
                ("build", true),
                ("build/a/b.o", true),
                ("builder", false),
                ("src/build", false),
            ],
        );
        check(
            "*",
            &[("a", true), ("a/b/c", true), ("", false), (".", false)],
        );
        check(
            "a/*/c",
            &[
                ("a/b/c", true),
                ("a/b/c/d", true),
                ("a/b", false),
                ("a/b/x/c", false),
            ],
        );
        check(
            "src/",
            &[
                ("src", true),
                ("src/x", true),
                ("srcx", false),
                ("src/", true),
            ],
        );
    }

    #[test]
    fn exceptions_inside_an_excluded_directory() {
        let text = "vendor\n!vendor/keep\nvendor/keep/secret";
        check(
            text,
            &[
                ("vendor", true),
                ("vendor/other", true),
                ("vendor/keep", false),
                ("vendor/keep/file", false),
                ("vendor/keep/secret", true),
                ("vendor/keep/secret/a", true),
            ],
        );
        let matcher = ignore(text);
        assert!(matcher.may_include_below("vendor"));
        assert!(matcher.may_include_below("vendor/keep"));
        assert!(!matcher.may_include_below("vendor/other"));
        assert!(!matcher.may_include_below("vendor/keep/secret"));
        assert!(matcher.may_include_below(""));
        assert!(matcher.may_include_below("src"));
        assert!(matcher.has_exceptions());

        let plain = ignore("docs\nnode_modules/");
        assert!(!plain.may_include_below("docs"));
        assert!(!plain.may_include_below("node_modules"));
        assert!(!plain.may_include_below("docs/sub"));
        assert!(plain.may_include_below("src"));
        assert!(!plain.has_exceptions());

        // A wildcard exception keeps compatible directories open.
        let wild = ignore("*\n!**/keep\n");
        assert!(wild.may_include_below("anything"));
        assert!(!wild.excludes("a/b/keep"));
        assert!(wild.excludes("a/b/other"));
        let scoped = ignore("*\n!src/*/keep\n");
        assert!(scoped.may_include_below("src"));
        assert!(scoped.may_include_below("src/lib"));
        assert!(!scoped.may_include_below("docs"));
        assert!(!scoped.may_include_below("srcx"));
        let prefix = ignore("*\n!app*\n");
        assert!(prefix.may_include_below("apple"));
        assert!(!prefix.may_include_below("ap"));
        // A literal exception only reaches the directories on its way.
        let literal = ignore("*\n!a/b/c\n");
        assert!(literal.may_include_below("a"));
        assert!(literal.may_include_below("a/b"));
        assert!(!literal.may_include_below("a/x"));
        assert!(!literal.may_include_below("ab"));
    }

    #[test]
    fn patterns_are_cleaned_and_relative_to_the_root() {
        check("/foo", &[("foo", true), ("foo/x", true), ("a/foo", false)]);
        check("./foo", &[("foo", true)]);
        check("foo/../bar", &[("bar", true), ("foo", false)]);
        check("/../foo", &[("foo", true)]);
        check("//a//b/", &[("a/b", true), ("a", false)]);
        check("a/./b/.", &[("a/b/c", true)]);
        // Cleaning keeps `..` and `.`: they can never match a context path.
        check(
            "../foo\n..\n.\n/",
            &[("foo", false), ("a", false), (".", false)],
        );
        // `/!x` becomes `!x` after the `/` is dropped: an exception.
        check("*\n/!keep", &[("keep", false), ("other", true)]);
        // A trailing space left by cleaning is trimmed by the matcher.
        check("foo/ /", &[("foo", true), ("foo/ ", true)]);
    }

    #[test]
    fn comments_and_whitespace() {
        let text =
            "\u{feff}bom\n#comment\n  #not-a-comment\n\t spaced \t\n\n   \n! spaced\r\nwin\r\n";
        check(
            text,
            &[
                ("bom", true),
                ("#comment", false),
                ("#not-a-comment", true),
                ("spaced", false),
                ("win", true),
                ("win\r", false),
            ],
        );
        assert_eq!(ignore(text).len(), 5);
        // Only the first line loses a byte order mark.
        check("a\n\u{feff}b", &[("b", false), ("\u{feff}b", true)]);
        assert!(ignore("# only\n\n").is_empty());
        assert!(ignore("").is_empty());
    }

    #[test]
    fn bad_patterns_name_their_line() {
        for (text, line) in [
            ("ok\n[", 2),
            ("a[", 1),
            ("x\ny\na[b", 3),
            ("[]", 1),
            ("[^]", 1),
            ("[^", 1),
            ("[a-]", 1),
            ("[-a]", 1),
            ("[z-a]", 1),
            ("foo\\", 1),
            ("ok\n!", 2),
            ("! ", 1),
            ("!/", 1),
            ("!\\", 1),
            ("*.go\n**/[", 2),
        ] {
            let error = DockerIgnore::parse(text).expect_err(text).to_string();
            assert!(
                error.contains(&format!("line {line}:")),
                "{text:?} -> {error}"
            );
            assert!(error.contains(".dockerignore pattern"), "{error}");
        }
        let long = "a".repeat(MAX_LINE_BYTES);
        let error = DockerIgnore::parse(&format!("x\n{long}")).unwrap_err();
        assert!(error.to_string().contains("line 2 is longer"), "{error}");
        assert!(DockerIgnore::parse(&"a".repeat(MAX_LINE_BYTES - 1)).is_ok());
    }

    #[test]
    fn wildcards_and_escapes() {
        check("temp?", &[("temp/", false), ("tempx", true)]);
        check("a?b", &[("axb", true), ("a/b", false), ("ab", false)]);
        check("a*b", &[("ab", true), ("axxb", true), ("ax/b", false)]);
        check("\\*", &[("*", true), ("a", false)]);
        check("a\\?b", &[("a?b", true), ("axb", false)]);
        check("\\[x\\]", &[("[x]", true), ("x", false)]);
        check("\\#foo", &[("#foo", true)]);
        check("a\\\\b*", &[("a\\b", true), ("a\\bc", true)]);
        check("[a-c]x", &[("bx", true), ("dx", false), ("/x", false)]);
        check("[^a]x", &[("bx", true), ("ax", false)]);
        check("[!a]x", &[("!x", true), ("ax", true), ("bx", false)]);
        check("a[/]b", &[("a/b", true)]);
        check("[\\]]", &[("]", true)]);
        check("[*?]", &[("*", true), ("?", true), ("a", false)]);
        check("é?", &[("éa", true), ("éé", true), ("e", false)]);
        check("a.b*", &[("a.bc", true), ("axbc", false)]);
        check("a+(b)|{c}$", &[("a+(b)|{c}$", true)]);
        check("x]", &[("x]", true)]);
    }

    #[test]
    fn double_star() {
        check("**", &[("a", true), ("a/b/c", true)]);
        check(
            "dir/**",
            &[("dir/x", true), ("dir/x/y", true), ("dir", false)],
        );
        check("foo**", &[("foobar", true), ("foo", true), ("fo", false)]);
        check(
            "**/foo",
            &[
                ("foo", true),
                ("a/foo", true),
                ("a/b/foo/c", true),
                ("afoo", false),
            ],
        );
        check(
            "a/**/b",
            &[
                ("a/b", true),
                ("a/x/b", true),
                ("a/x/y/b", true),
                ("a/xb", false),
                ("ab", false),
            ],
        );
        check(
            "**/dir2/*",
            &[("dir/dir2/file", true), ("dir/dir2/g/file", true)],
        );
        check("**/*", &[("a", true), ("a/b", true)]);
        // moby quirks, kept on purpose.
        check("**foo", &[("xfoo", true), ("a/xfoo", true), ("foo", true)]);
        check("**.log", &[("a.log", true), ("x/y.log", true)]);
        check("a**b", &[("ab", true), ("ax/b", true), ("axb", false)]);
        check("a^b", &[("a^b", true)]);
        check("a^b*", &[("a^b", false), ("a^bc", false)]);
        check("*^b", &[("b", true), ("xb", false)]);
        check("**/.foo", &[(".foo", true), ("bar.foo", false)]);
    }

    /// The cases of moby's `patternmatcher_test.go` (`TestMatches` through
    /// `MatchesOrParentMatches`, and the `filepath.Match` cases of
    /// `TestMatch`), less the ones on the absolute path `/`.
    #[test]
    fn moby_patternmatcher_cases() {
        let single: &[(&str, &str, bool)] = &[
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("**", "dir/file", true),
            ("**/", "dir/file", true),
            ("**", "dir/file/", true),
            ("**/**", "dir/file", true),
            ("**/**", "dir/file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/file/", true),
            ("dir/**", "dir/dir2/file", true),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", true),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", true),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            ("a\\\\", "a\\", true),
            ("a\\*b", "a*b", true),
            // filepath.Match's own cases.
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", true),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "ab", false),
            ("a?b", "a\u{263a}b", true),
            ("a[^a]b", "a\u{263a}b", true),
            ("a???b", "a\u{263a}b", false),
            ("a[^a][^a][^a]b", "a\u{263a}b", false),
            ("[a-\u{3b6}]*", "\u{3b1}", true),
            ("*[a-\u{3b6}]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
        ];
        for &(pattern, path, expected) in single {
            check(pattern, &[(path, expected)]);
        }
        check("**\n!util/docker/web", &[("util/docker/web/foo", false)]);
        check(
            "**\n!util/docker/web\nutil/docker/web/foo",
            &[("util/docker/web/foo", true)],
        );
        check(
            "**\n!dist/*.whl",
            &[("dist/proxy.py-2.4.0rc3-any.whl", false)],
        );
        check("!fileutils.go\n*.go", &[("fileutils.go", true)]);
        check("docs/*\n!docs/README.md", &[("docs/README.md", false)]);
        for bad in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[",
        ] {
            assert!(DockerIgnore::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn build_files_are_always_sent() {
        let matcher = ignore("Dockerfile\n.dockerignore\n*\n");
        assert!(matcher.excludes("Dockerfile"));
        assert!(!matcher.excludes_for_build("Dockerfile", "Dockerfile"));
        assert!(!matcher.excludes_for_build(".dockerignore", "Dockerfile"));
        assert!(!matcher.excludes_for_build(".dockerignore", ""));
        assert!(matcher.excludes_for_build("Dockerfile", ""));
        assert!(matcher.excludes_for_build("other", "Dockerfile"));

        let nested = ignore("build\n");
        assert!(!nested.excludes_for_build("build/Dockerfile", "./build/Dockerfile"));
        assert!(nested.excludes_for_build("build/other", "build/Dockerfile"));
        assert!(nested.excludes_for_build("build", "build/Dockerfile"));
        assert!(!nested.may_include_below("build"));
        assert!(nested.may_include_below_for_build("build", "build/Dockerfile"));
        assert!(!nested.may_include_below_for_build("build", "Dockerfile"));
        assert!(!nested.may_include_below_for_build("build/x", "build/Dockerfile"));
    }

    #[test]
    fn reads_the_file_of_a_context() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DockerIgnore::read(dir.path()).unwrap().is_empty());
        std::fs::write(dir.path().join(FILE_NAME), "*.o\n!keep.o\n").unwrap();
        let matcher = DockerIgnore::read(dir.path()).unwrap();
        assert!(matcher.excludes("a.o"));
        assert!(!matcher.excludes("keep.o"));

        std::fs::write(dir.path().join(FILE_NAME), b"ok\nbad\xff\n").unwrap();
        let error = DockerIgnore::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("line 2 is not valid UTF-8"), "{error}");

        let huge = vec![b'a'; MAX_FILE_BYTES as usize + 1];
        std::fs::write(dir.path().join(FILE_NAME), huge).unwrap();
        let error = DockerIgnore::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("larger than"), "{error}");

        let missing = dir.path().join("missing");
        assert!(DockerIgnore::read(&missing).unwrap().is_empty());
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
        assert!(DockerIgnore::read(dir.path()).is_err());
    }

    #[test]
    fn a_huge_file_is_handled() {
        let mut text = String::new();
        for i in 0..100_000 {
            match i % 4 {
                0 => text.push_str(&format!("dir{i}/file{i}.txt\n")),
                1 => text.push_str(&format!("**/gen{i}/*.o\n")),
                2 => text.push_str(&format!("!dir{}/file{}.txt\n", i - 2, i - 2)),
                _ => text.push_str(&format!("# comment {i}\n")),
            }
        }
        text.push_str("logs\n");
        let matcher = ignore(&text);
        assert_eq!(matcher.len(), 75_001);
        assert!(!matcher.excludes("dir0/file0.txt"));
        assert!(!matcher.excludes("dir4/file4.txt/x"));
        assert!(!matcher.excludes("dir4/file4.txt"));
        assert!(matcher.excludes("a/b/gen99997/x.o"));
        assert!(!matcher.excludes("a/b/gen99997/x.c"));
        assert!(matcher.excludes("logs/today"));
        assert!(!matcher.excludes("src/main.rs"));
        assert!(matcher.may_include_below("src"));
        assert!(!matcher.may_include_below("logs"));
        for i in 0..100 {
            assert!(!matcher.excludes(&format!("src/module{i}/file.rs")));
        }
    }

    #[test]
    fn long_patterns_use_the_heap() {
        let pattern = "a?".repeat(400);
        let path = "ab".repeat(400);
        let matcher = ignore(&pattern);
        assert!(matcher.excludes(&path));
        assert!(matcher.excludes(&format!("{path}/below")));
        assert!(!matcher.excludes(&path[1..]));
    }

    #[test]
    fn go_clean_matches_go() {
        for (input, expected) in [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("a/b/", "a/b"),
            ("a//b", "a/b"),
            ("./a", "a"),
            ("a/..", "."),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("/../a", "/a"),
            ("a/b/../../..", ".."),
            ("!a/../b", "b"),
        ] {
            assert_eq!(go_clean(input), expected, "{input:?}");
        }
    }

    /// A direct backtracking reading of the token semantics, to check the
    /// automaton against.
    fn reference(tokens: &[Token], i: usize, s: &[char], at: usize) -> bool {
        let Some(token) = tokens.get(i) else {
            return at == s.len();
        };
        let next = |ok: bool| ok && reference(tokens, i + 1, s, at + 1);
        match token {
            Token::Lit(c) => next(s.get(at) == Some(c)),
            Token::One => next(s.get(at).is_some_and(|&c| c != '/')),
            Token::Class(class) => next(s.get(at).is_some_and(|&c| class.contains(c))),
            Token::Star | Token::Run => {
                let stop = if *token == Token::Star { '/' } else { '\n' };
                let mut k = at;
                loop {
                    if reference(tokens, i + 1, s, k) {
                        return true;
                    }
                    if k == s.len() || s[k] == stop {
                        return false;
                    }
                    k += 1;
                }
            }
            Token::Skip(past) => reference(tokens, i + 1, s, at) || reference(tokens, *past, s, at),
            Token::Anchor => at == 0 && reference(tokens, i + 1, s, at),
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}", path in "\\PC{0,60}") {
            if let Ok(matcher) = DockerIgnore::parse(&text) {
                let _ = matcher.excludes(&path);
                let _ = matcher.may_include_below(&path);
                let _ = matcher.excludes_for_build(&path, "Dockerfile");
            }
        }

        #[test]
        fn pattern_soup_never_panics(
            text in "[ab/*?\\[\\]\\\\!^.#\\- \n\r]{0,40}",
            path in "[ab/.*?\\[\\]\\\\!^\n]{0,20}",
        ) {
            if let Ok(matcher) = DockerIgnore::parse(&text) {
                let _ = matcher.excludes(&path);
                let _ = matcher.may_include_below(&path);
                let _ = matcher.may_include_below_for_build(&path, &path);
            }
        }

        #[test]
        fn automaton_agrees_with_backtracking(
            pattern in "[ab/*?^]{1,12}|[ab/*]{0,4}\\[\\^?a(-b)?\\][ab/*?]{0,4}",
            path in "[ab/]{0,10}",
        ) {
            if let Ok(Matcher::Glob(glob)) = compile(pattern.clone(), false).map(|p| p.matcher) {
                let chars: Vec<char> = path.chars().collect();
                let expected = (0..=chars.len())
                    .filter(|&end| end == chars.len() || (end > 0 && chars[end] == '/'))
                    .any(|end| reference(&glob.tokens, 0, &chars[..end], 0));
                prop_assert_eq!(glob.matches_or_parent(&path), expected, "{} {}", pattern, path);
            }
        }

        #[test]
        fn an_excluded_directory_is_pruned_only_when_nothing_below_is_kept(
            text in "([ab*!/]{1,6}\n){1,5}",
            dir in "[ab]{1,2}(/[ab]{1,2})?",
            below in "[ab]{1,2}(/[ab]{1,2})?",
        ) {
            if let Ok(matcher) = DockerIgnore::parse(&text) {
                if !matcher.may_include_below(&dir) {
                    let child = format!("{dir}/{below}");
                    prop_assert!(matcher.excludes(&child), "{:?} {} {}", text, dir, child);
                }
            }
        }
    }
}
