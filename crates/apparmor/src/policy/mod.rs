//! AppArmor policy files as data: a [`PolicyFile`] holds the preamble
//! (`abi`, includes, variables, comments) and profiles, each a list of
//! rules and nested profiles. [`PolicyFile::parse`] reads the text and
//! [`PolicyFile::render`] writes it back; `parse(render(p)) == p`, and
//! rendering a parsed file changes nothing but layout.

mod model;
mod parse;
mod render;

pub use model::{Access, IncludePath, Item, KNOWN_FLAGS, PolicyFile, Profile, Rule, RuleKind};
