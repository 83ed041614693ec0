//! The parser: characters to statements to items. A statement ends at a
//! `,` (a rule or `abi`), at a `{` that opens a block (a profile or hat),
//! or at the end of its line (includes and variable assignments). Commas,
//! braces and spaces inside globs (`/{a,b}`), parentheses and quotes belong
//! to the word they are in.

use super::model::{Access, IncludePath, Item, KNOWN_FLAGS, PolicyFile, Profile, Rule, RuleKind};
use crate::error::{Error, Result};

/// How deeply profiles may nest; real policy nests two or three levels.
const MAX_DEPTH: usize = 32;

/// Words that start a rule; seeing one at the start of a line inside an
/// unfinished rule means the previous rule lost its comma.
const RULE_STARTS: &[&str] = &[
    "audit",
    "deny",
    "allow",
    "owner",
    "capability",
    "network",
    "file",
    "link",
    "mount",
    "remount",
    "umount",
    "pivot_root",
    "ptrace",
    "signal",
    "unix",
    "dbus",
    "change_profile",
    "set",
    "profile",
];

fn error(line: usize, column: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        line,
        column,
        message: message.into(),
    }
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
}

impl Scanner {
    fn new(text: &str) -> Scanner {
        Scanner {
            chars: text.chars().collect(),
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn starts_with(&self, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// The rest of the line, without its newline (which is consumed).
    fn rest_of_line(&mut self) -> String {
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
            text.push(c);
        }
        text
    }

    /// The first word of the next line, without consuming anything.
    fn next_line_word(&self) -> String {
        let mut i = self.pos;
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let mut word = String::new();
        while let Some(&c) = self.chars.get(i) {
            if c.is_whitespace() || c == ',' {
                break;
            }
            word.push(c);
            i += 1;
        }
        word
    }
}

/// A word of a statement, with where it starts.
struct Word {
    text: String,
    line: usize,
    column: usize,
}

enum End {
    Comma,
    Block,
}

struct Statement {
    words: Vec<Word>,
    end: End,
    line: usize,
    column: usize,
    comments: Vec<String>,
}

/// Parses a whole policy file.
pub fn parse_policy(text: &str) -> Result<PolicyFile> {
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return Err(error(line, column, "a NUL byte: policy is text"));
    }
    let mut scanner = Scanner::new(text);
    let items = parse_items(&mut scanner, 0, None)?;
    Ok(PolicyFile { items })
}

/// Parses a single rule, with or without its final comma.
pub fn parse_rule(text: &str) -> Result<Rule> {
    let trimmed = text.trim();
    let with_comma = if trimmed.ends_with(',') {
        trimmed.to_string()
    } else {
        format!("{trimmed},")
    };
    let policy = parse_policy(&with_comma)?;
    match policy.items.as_slice() {
        [Item::Rule(rule)] => Ok(rule.clone()),
        _ => Err(error(1, 1, format!("expected one rule, found {trimmed:?}"))),
    }
}

/// What opened the block being parsed: its name and position.
struct Opened {
    name: String,
    line: usize,
    column: usize,
}

fn parse_items(s: &mut Scanner, depth: usize, opened: Option<Opened>) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    loop {
        s.skip_whitespace();
        match s.peek() {
            None => {
                return match opened {
                    Some(open) => Err(error(
                        s.line,
                        s.column,
                        format!(
                            "expected '}}' to close profile {:?} opened at line {}, column {}",
                            open.name, open.line, open.column
                        ),
                    )),
                    None => Ok(items),
                };
            }
            Some('}') => {
                if opened.is_some() {
                    s.bump();
                    return Ok(items);
                }
                return Err(error(
                    s.line,
                    s.column,
                    "unexpected '}': no profile is open",
                ));
            }
            Some('#') => {
                let (line, column) = (s.line, s.column);
                if s.starts_with("#include")
                    && s.peek_at(8)
                        .is_some_and(|c| c.is_whitespace() || c == '<' || c == '"')
                {
                    for _ in 0.."#include".len() {
                        s.bump();
                    }
                    let rest = s.rest_of_line();
                    items.push(parse_include(&rest, true, line, column)?);
                } else {
                    s.bump();
                    items.push(Item::Comment {
                        text: s.rest_of_line(),
                    });
                }
            }
            Some(_) => {
                let word = s.next_line_word();
                if word == "include" {
                    let (line, column) = (s.line, s.column);
                    for _ in 0.."include".len() {
                        s.bump();
                    }
                    let rest = s.rest_of_line();
                    items.push(parse_include(&rest, false, line, column)?);
                    continue;
                }
                if word.starts_with("@{") && is_assignment(s) {
                    let (line, column) = (s.line, s.column);
                    let text = s.rest_of_line();
                    items.push(parse_variable(&text, line, column)?);
                    continue;
                }
                let statement = read_statement(s)?;
                items.extend(
                    statement
                        .comments
                        .iter()
                        .map(|text| Item::Comment { text: text.clone() }),
                );
                match statement.end {
                    End::Comma => items.push(classify_rule(statement, depth)?),
                    End::Block => {
                        if depth + 1 > MAX_DEPTH {
                            return Err(error(
                                statement.line,
                                statement.column,
                                format!("profiles nest deeper than {MAX_DEPTH} levels"),
                            ));
                        }
                        let mut profile = profile_header(&statement)?;
                        let open = Opened {
                            name: profile.name.clone(),
                            line: statement.line,
                            column: statement.column,
                        };
                        profile.body = parse_items(s, depth + 1, Some(open))?;
                        items.push(Item::Profile(profile));
                    }
                }
            }
        }
    }
}

/// Whether the statement under the cursor is `@{NAME} = ...` or `+=`.
fn is_assignment(s: &Scanner) -> bool {
    let mut i = s.pos;
    while s.chars.get(i).is_some_and(|&c| c != '}' && c != '\n') {
        i += 1;
    }
    i += 1;
    while s.chars.get(i).is_some_and(|&c| c == ' ' || c == '\t') {
        i += 1;
    }
    match s.chars.get(i) {
        Some('=') => true,
        Some('+') => s.chars.get(i + 1) == Some(&'='),
        _ => false,
    }
}

fn read_statement(s: &mut Scanner) -> Result<Statement> {
    let (line, column) = (s.line, s.column);
    let mut words: Vec<Word> = Vec::new();
    let mut comments = Vec::new();
    let mut current = String::new();
    let mut current_at = (line, column);
    let mut nesting: Vec<(char, usize, usize)> = Vec::new();
    let mut in_quote: Option<(usize, usize)> = None;
    let finish = |current: &mut String, words: &mut Vec<Word>, at: (usize, usize)| {
        if !current.is_empty() {
            words.push(Word {
                text: std::mem::take(current),
                line: at.0,
                column: at.1,
            });
        }
    };
    loop {
        let Some(c) = s.peek() else {
            if let Some((ql, qc)) = in_quote {
                return Err(error(ql, qc, "a quote that is never closed"));
            }
            if let Some((open, ol, oc)) = nesting.last() {
                return Err(error(*ol, *oc, format!("a '{open}' that is never closed")));
            }
            return Err(error(
                s.line,
                s.column,
                format!(
                    "expected ',' at the end of the rule that starts at line {line}, column {column}"
                ),
            ));
        };
        if let Some(_quote) = in_quote {
            s.bump();
            current.push(c);
            if c == '\\' {
                if let Some(next) = s.bump() {
                    current.push(next);
                }
            } else if c == '"' {
                in_quote = None;
            }
            continue;
        }
        if current.is_empty() {
            current_at = (s.line, s.column);
        }
        match c {
            '"' => {
                in_quote = Some((s.line, s.column));
                s.bump();
                current.push(c);
            }
            '(' | '[' => {
                nesting.push((c, s.line, s.column));
                s.bump();
                current.push(c);
            }
            '{' if nesting.is_empty() && current.is_empty() => {
                s.bump();
                if words.is_empty() {
                    return Err(error(
                        s.line,
                        s.column - 1,
                        "a '{' with no profile name before it",
                    ));
                }
                return Ok(Statement {
                    words,
                    end: End::Block,
                    line,
                    column,
                    comments,
                });
            }
            '{' => {
                nesting.push((c, s.line, s.column));
                s.bump();
                current.push(c);
            }
            ')' | ']' | '}' => {
                let expected = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match nesting.last() {
                    Some((open, _, _)) if *open == expected => {
                        nesting.pop();
                        s.bump();
                        current.push(c);
                    }
                    None if c == '}' => {
                        return Err(error(
                            s.line,
                            s.column,
                            format!(
                                "expected ',' at the end of the rule that starts at line {line}, column {column}, before '}}'"
                            ),
                        ));
                    }
                    _ => {
                        return Err(error(
                            s.line,
                            s.column,
                            format!("a '{c}' that closes nothing"),
                        ));
                    }
                }
            }
            ',' if nesting.is_empty() => {
                s.bump();
                finish(&mut current, &mut words, current_at);
                return Ok(Statement {
                    words,
                    end: End::Comma,
                    line,
                    column,
                    comments,
                });
            }
            '#' if nesting.is_empty() && current.is_empty() => {
                s.bump();
                comments.push(s.rest_of_line());
                check_continuation(s, &words, line, column)?;
            }
            c if c.is_whitespace() => {
                if nesting.is_empty() {
                    finish(&mut current, &mut words, current_at);
                    let (end_line, end_column) = (s.line, s.column);
                    s.bump();
                    if c == '\n' && !words.is_empty() {
                        check_continuation(s, &words, end_line, end_column)?;
                    }
                } else {
                    // A glob or a character class never spans lines; a
                    // newline in one means it was never closed.
                    if c == '\n' {
                        if let Some((open, ol, oc)) = nesting.iter().find(|(o, _, _)| *o != '(') {
                            return Err(error(
                                *ol,
                                *oc,
                                format!("a '{open}' that is never closed"),
                            ));
                        }
                    }
                    s.bump();
                    // Layout inside a list is not kept: one space stands for any.
                    if !current.ends_with(' ') {
                        current.push(' ');
                    }
                }
            }
            _ => {
                s.bump();
                current.push(c);
            }
        }
    }
}

/// A rule continued on the next line is fine, but a next line that starts
/// a rule of its own means the comma was forgotten.
fn check_continuation(s: &Scanner, words: &[Word], line: usize, column: usize) -> Result<()> {
    let next = s.next_line_word();
    if words.is_empty() || next.is_empty() {
        return Ok(());
    }
    let starts_rule =
        RULE_STARTS.contains(&next.as_str()) || next.starts_with('}') || next.starts_with('#');
    let first = &words[0];
    if starts_rule && next != "->" {
        return Err(error(
            line,
            column,
            format!(
                "expected ',' at the end of the rule that starts at line {}, column {} (the next line starts another rule)",
                first.line, first.column
            ),
        ));
    }
    Ok(())
}

fn unquote(text: &str) -> String {
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return text.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_path(text: &str, line: usize, column: usize) -> Result<IncludePath> {
    if let Some(inner) = text.strip_prefix('<') {
        return match inner.strip_suffix('>') {
            Some(path) if !path.is_empty() => Ok(IncludePath::Magic(path.to_string())),
            _ => Err(error(line, column, format!("expected <path> in {text:?}"))),
        };
    }
    if text.starts_with('"') {
        if text.len() < 2 || !text.ends_with('"') {
            return Err(error(
                line,
                column,
                format!("a quote that is never closed in {text:?}"),
            ));
        }
        return Ok(IncludePath::Quoted(unquote(text)));
    }
    if text.is_empty() {
        return Err(error(line, column, "expected a file to include"));
    }
    Ok(IncludePath::Bare(text.to_string()))
}

fn parse_include(rest: &str, hash_form: bool, line: usize, column: usize) -> Result<Item> {
    let rest = strip_comment(rest).trim();
    let (if_exists, path) = match rest.strip_prefix("if exists") {
        Some(path) if path.starts_with(char::is_whitespace) => (true, path.trim()),
        _ => (false, rest),
    };
    if path.contains(char::is_whitespace) && !path.starts_with('"') {
        return Err(error(
            line,
            column,
            format!("expected one file to include, found {path:?}"),
        ));
    }
    Ok(Item::Include {
        path: parse_path(path, line, column)?,
        if_exists,
        hash_form,
    })
}

/// Drops a `# comment` that follows a directive on its line.
fn strip_comment(text: &str) -> &str {
    let mut in_quote = false;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '#' if !in_quote && previous.is_whitespace() => return &text[..i],
            _ => {}
        }
        previous = c;
    }
    text
}

fn parse_variable(text: &str, line: usize, column: usize) -> Result<Item> {
    let text = strip_comment(text).trim();
    let close = text
        .find('}')
        .ok_or_else(|| error(line, column, "a variable name needs its '}'"))?;
    let name = &text[2..close];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(error(
            line,
            column,
            format!("invalid variable name {name:?}"),
        ));
    }
    let rest = text[close + 1..].trim_start();
    let (append, values) = if let Some(v) = rest.strip_prefix("+=") {
        (true, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (false, v)
    } else {
        return Err(error(
            line,
            column,
            "expected '=' or '+=' after the variable name",
        ));
    };
    let values: Vec<String> = values.split_whitespace().map(str::to_string).collect();
    if values.is_empty() {
        return Err(error(
            line,
            column,
            format!("variable @{{{name}}} has no value"),
        ));
    }
    Ok(Item::Variable {
        name: name.to_string(),
        append,
        values,
    })
}

/// Permission letters of file rules.
fn is_permissions(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| "rwaxmlkiPpUuCcD".contains(c))
}

fn is_path_like(word: &str) -> bool {
    word.starts_with('/')
        || word.starts_with("@{")
        || word.starts_with("\"/")
        || word.starts_with("\"@{")
}

fn classify_rule(statement: Statement, depth: usize) -> Result<Item> {
    let mut words = statement.words.into_iter().peekable();
    let mut rule = Rule::new(RuleKind::Capability, Vec::<String>::new());
    let mut qualified = false;
    while let Some(word) = words.peek() {
        match word.text.as_str() {
            "audit" if !rule.audit => rule.audit = true,
            "deny" if rule.access == super::model::Access::Default => rule.access = Access::Deny,
            "allow" if rule.access == super::model::Access::Default => rule.access = Access::Allow,
            "owner" if !rule.owner => rule.owner = true,
            _ => break,
        }
        qualified = true;
        words.next();
    }
    let Some(first) = words.next() else {
        return Err(error(
            statement.line,
            statement.column,
            "a rule needs a keyword or a path after its qualifiers",
        ));
    };
    let rest: Vec<String> = words.map(|w| w.text).collect();
    if first.text == "abi" && !qualified && depth == 0 {
        let [path] = rest.as_slice() else {
            return Err(error(first.line, first.column, "expected abi <path>,"));
        };
        return Ok(Item::Abi {
            path: parse_path(path, first.line, first.column)?,
        });
    }
    let (kind, args) = if first.text == "set" && rest.first().map(String::as_str) == Some("rlimit")
    {
        (RuleKind::Rlimit, rest[1..].to_vec())
    } else if let Some(kind) = RuleKind::from_keyword(&first.text) {
        (kind, rest)
    } else if is_path_like(&first.text)
        || (is_permissions(&first.text) && rest.first().is_some_and(|w| is_path_like(w)))
    {
        let mut args = vec![first.text];
        args.extend(rest);
        (RuleKind::File { keyword: false }, args)
    } else if first
        .text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_')
    {
        (RuleKind::Other(first.text), rest)
    } else {
        return Err(error(
            first.line,
            first.column,
            format!(
                "{:?} starts no rule: expected a keyword (capability, network, file, mount, ptrace, signal, ...) or a path",
                first.text
            ),
        ));
    };
    rule.kind = kind;
    rule.args = args;
    Ok(Item::Rule(rule))
}

fn profile_header(statement: &Statement) -> Result<Profile> {
    let words = &statement.words;
    let at = |w: &Word| (w.line, w.column);
    let mut profile = Profile {
        keyword: false,
        hat: false,
        name: String::new(),
        attachment: None,
        flags: Vec::new(),
        conditions: Vec::new(),
        body: Vec::new(),
    };
    let mut rest = words.iter();
    let first = rest.next().expect("a block header has a word");
    match first.text.as_str() {
        "profile" | "hat" => {
            profile.keyword = first.text == "profile";
            profile.hat = first.text == "hat";
            let name = rest.next().ok_or_else(|| {
                error(
                    first.line,
                    first.column,
                    format!("{} needs a name", first.text),
                )
            })?;
            profile.name = unquote(&name.text);
        }
        "if" | "else" => {
            return Err(error(
                first.line,
                first.column,
                "conditional blocks are not supported",
            ));
        }
        text if text.starts_with('^') => {
            profile.hat = true;
            profile.name = unquote(&text[1..]);
        }
        text => profile.name = unquote(text),
    }
    if profile.name.is_empty() {
        return Err(error(first.line, first.column, "a profile needs a name"));
    }
    let rest: Vec<&Word> = rest.collect();
    let mut i = 0;
    while i < rest.len() {
        let word = rest[i];
        if let Some(value) = word
            .text
            .strip_prefix("flags=")
            .or((word.text == "flags").then_some(""))
        {
            let mut value = value.to_string();
            if value.is_empty() || value == "=" {
                // `flags = (...)` written with spaces.
                let mut j = i + 1;
                if rest.get(j).is_some_and(|w| w.text == "=") {
                    j += 1;
                }
                value = rest.get(j).map(|w| w.text.clone()).unwrap_or_default();
                i = j;
            }
            profile.flags = parse_flags(&value, at(word))?;
        } else if word.text.contains('=') || profile.attachment.is_some() {
            profile.conditions.push(word.text.clone());
        } else {
            profile.attachment = Some(unquote(&word.text));
        }
        i += 1;
    }
    Ok(profile)
}

fn parse_flags(value: &str, (line, column): (usize, usize)) -> Result<Vec<String>> {
    let inner = match value.strip_prefix('(') {
        Some(v) => v
            .strip_suffix(')')
            .ok_or_else(|| error(line, column, "flags=( needs its ')'"))?,
        None => value,
    };
    let flags: Vec<String> = inner
        .split([',', ' '])
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    if flags.is_empty() {
        return Err(error(line, column, "flags=() names no flag"));
    }
    for flag in &flags {
        let name = flag.split('=').next().unwrap_or(flag);
        if !KNOWN_FLAGS.contains(&name) {
            return Err(error(
                line,
                column,
                format!(
                    "unknown profile flag {flag:?} (known: {})",
                    KNOWN_FLAGS.join(", ")
                ),
            ));
        }
    }
    Ok(flags)
}
