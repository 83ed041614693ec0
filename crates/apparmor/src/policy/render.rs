//! The renderer: items back to text, two spaces of indentation a level.

use super::model::{Access, IncludePath, Item, PolicyFile, Profile, Rule};

/// Whether a name must be quoted to stay one word.
fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text.chars().any(|c| {
            c.is_whitespace()
                || matches!(c, '"' | '{' | '}' | ',' | '#' | '(' | ')' | '=')
                || c.is_control()
        })
}

fn quoted(text: &str) -> String {
    if needs_quotes(text) {
        let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    } else {
        text.to_string()
    }
}

fn path_text(path: &IncludePath) -> String {
    match path {
        IncludePath::Magic(p) => format!("<{p}>"),
        IncludePath::Quoted(p) => format!("\"{}\"", p.replace('\\', "\\\\").replace('"', "\\\"")),
        IncludePath::Bare(p) => p.clone(),
    }
}

/// A rule as one line, without indentation.
pub fn rule_text(rule: &Rule) -> String {
    let mut words: Vec<&str> = Vec::new();
    if rule.audit {
        words.push("audit");
    }
    match rule.access {
        Access::Default => {}
        Access::Allow => words.push("allow"),
        Access::Deny => words.push("deny"),
    }
    if rule.owner {
        words.push("owner");
    }
    if let Some(keyword) = rule.kind.keyword() {
        words.push(keyword);
    }
    words.extend(rule.args.iter().map(String::as_str));
    format!("{},", words.join(" "))
}

fn header(profile: &Profile) -> String {
    let mut words = Vec::new();
    if profile.hat && !profile.keyword {
        words.push(format!("^{}", quoted(&profile.name)));
    } else {
        if profile.keyword {
            words.push("profile".to_string());
        } else if profile.hat {
            words.push("hat".to_string());
        }
        words.push(quoted(&profile.name));
    }
    if let Some(attachment) = &profile.attachment {
        words.push(quoted(attachment));
    }
    words.extend(profile.conditions.iter().cloned());
    if !profile.flags.is_empty() {
        words.push(format!("flags=({})", profile.flags.join(",")));
    }
    words.push("{".to_string());
    words.join(" ")
}

fn items_text(items: &[Item], depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Comment { text } => out.push_str(&format!("{indent}#{text}\n")),
            Item::Abi { path } => out.push_str(&format!("{indent}abi {},\n", path_text(path))),
            Item::Include {
                path,
                if_exists,
                hash_form,
            } => {
                let keyword = if *hash_form { "#include" } else { "include" };
                let condition = if *if_exists { " if exists" } else { "" };
                out.push_str(&format!(
                    "{indent}{keyword}{condition} {}\n",
                    path_text(path)
                ));
            }
            Item::Variable {
                name,
                append,
                values,
            } => {
                let op = if *append { "+=" } else { "=" };
                out.push_str(&format!("{indent}@{{{name}}}{op}{}\n", values.join(" ")));
            }
            Item::Rule(rule) => out.push_str(&format!("{indent}{}\n", rule_text(rule))),
            Item::Profile(profile) => {
                if i > 0 && !out.ends_with("\n\n") && !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("{indent}{}\n", header(profile)));
                items_text(&profile.body, depth + 1, out);
                out.push_str(&format!("{indent}}}\n"));
            }
        }
    }
}

/// A whole policy as text.
pub fn policy_text(policy: &PolicyFile) -> String {
    let mut out = String::new();
    items_text(&policy.items, 0, &mut out);
    out
}
