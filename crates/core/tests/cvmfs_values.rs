//! `PARROT_CVMFS_REPO` values and proxy chains: the examples of the issue,
//! parrot's built-in list, escapes, wildcards, malformed values with their
//! precise errors, hostile input, and round trips.

use pcvmfs_core::cvmfs_repo::{
    CvmfsRepo, CvmfsRepoList, DEFAULT_REPOSITORIES, DefaultRepositories, RepoEntry, RepoOption,
    WildcardText,
};
use pcvmfs_core::proxy_chain::{HttpProxy, Proxy, ProxyChain};
use proptest::prelude::*;

const ISSUE_EXAMPLE: &str = "<default-repositories> alice-ocdb.cern.ch:url=http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch,pubkey=/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub";

/// `default_cvmfs_repo` of cctools dd90167 `parrot/src/pfs_service_cvmfs.cc`
/// with its macros and line splices resolved by hand.
const PARROT_DEFAULT_TEXT: &str = "*:try_local_filesystem  *.cern.ch:pubkey=<BUILTIN-cern.ch.pub>:<BUILTIN-cern-it1.ch.pub>:<BUILTIN-cern-it4.ch.pub>:<BUILTIN-cern-it5.ch.pub>,url=http://cvmfs-stratum-one.cern.ch/cvmfs/*.cern.ch;http://cernvmfs.gridpp.rl.ac.uk/cvmfs/*.cern.ch;http://cvmfs.racf.bnl.gov/cvmfs/*.cern.ch  *.opensciencegrid.org:pubkey=<BUILTIN-opensciencegrid.org.pub>,url=http://oasis-replica.opensciencegrid.org:8000/cvmfs/*;http://cvmfs.fnal.gov:8000/cvmfs/*;http://cvmfs.racf.bnl.gov:8000/cvmfs/*";

fn parse(text: &str) -> CvmfsRepoList {
    CvmfsRepoList::parse(text).unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

/// Parses, renders, parses again and checks both values agree.
fn round_trip(text: &str) -> CvmfsRepoList {
    let list = parse(text);
    let rendered = list.render();
    let again = CvmfsRepoList::parse(&rendered)
        .unwrap_or_else(|err| panic!("{text:?} rendered as {rendered:?}: {err}"));
    assert_eq!(again, list, "{text:?} rendered as {rendered:?}");
    assert_eq!(again.render(), rendered, "rendering is not stable");
    list
}

fn error_of(text: &str) -> String {
    match CvmfsRepoList::parse(text) {
        Ok(list) => panic!("{text:?} parsed as {list:?}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn the_issue_example_parses_and_resolves() {
    let list = round_trip(ISSUE_EXAMPLE);
    assert_eq!(list.render(), ISSUE_EXAMPLE);
    assert!(list.has_defaults());
    assert_eq!(list.entries().len(), 2);
    let RepoEntry::Repo(ocdb) = &list.entries()[1] else {
        panic!("second entry is not a repository");
    };
    assert_eq!(ocdb.pattern(), "alice-ocdb.cern.ch");
    assert_eq!(
        ocdb.url().unwrap(),
        [WildcardText::literal(
            "http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch"
        )]
    );
    assert_eq!(
        ocdb.pubkey().unwrap(),
        [WildcardText::literal(
            "/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub"
        )]
    );

    let resolved = list.lookup("alice-ocdb.cern.ch").unwrap();
    assert_eq!(resolved.entry_index, 1);
    assert_eq!(resolved.default_index, None);
    assert_eq!(resolved.matched, None);
    assert_eq!(
        resolved.url(),
        ["http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch"]
    );

    // Any other CERN repository falls to the built-in `*.cern.ch`.
    let alice = list.lookup("alice.cern.ch").unwrap();
    assert_eq!(alice.entry_index, 0);
    assert_eq!(alice.default_index, Some(1));
    assert_eq!(alice.pattern, "*.cern.ch");
    assert_eq!(alice.matched.as_deref(), Some("alice"));
    assert_eq!(
        alice.url(),
        [
            "http://cvmfs-stratum-one.cern.ch/cvmfs/alice.cern.ch",
            "http://cernvmfs.gridpp.rl.ac.uk/cvmfs/alice.cern.ch",
            "http://cvmfs.racf.bnl.gov/cvmfs/alice.cern.ch",
        ]
    );
    assert_eq!(alice.pubkey().len(), 4);
    assert!(alice.serves_over_http());
    assert!(!alice.try_local_filesystem());
}

#[test]
fn the_built_in_list_is_parrots_text() {
    let parsed = round_trip(PARROT_DEFAULT_TEXT);
    let modelled: CvmfsRepoList = DEFAULT_REPOSITORIES
        .iter()
        .map(|default| RepoEntry::Repo(default.to_repo()))
        .collect();
    assert_eq!(parsed, modelled);
    assert_eq!(
        DefaultRepositories::default().repositories(),
        DEFAULT_REPOSITORIES
            .iter()
            .map(|d| d.to_repo())
            .collect::<Vec<_>>()
    );
}

#[test]
fn defaults_cover_cern_osg_and_everything_else_locally() {
    let list = CvmfsRepoList::parrot_default();
    assert_eq!(list.render(), "<default-repositories>");
    assert_eq!(round_trip("<default-repositories>"), list);
    assert_eq!(round_trip("<default-repositories>:"), list);

    let oasis = list.lookup("oasis.opensciencegrid.org").unwrap();
    assert_eq!(oasis.default_index, Some(2));
    // Parrot's OSG URLs substitute the short name only (`/cvmfs/*`).
    assert_eq!(
        oasis.url()[0],
        "http://oasis-replica.opensciencegrid.org:8000/cvmfs/oasis"
    );
    assert_eq!(oasis.pubkey(), ["<BUILTIN-opensciencegrid.org.pub>"]);

    let other = list.lookup("sft.example.org").unwrap();
    assert_eq!(other.default_index, Some(0));
    assert_eq!(other.pattern, "*");
    assert_eq!(other.matched.as_deref(), Some("sft.example.org"));
    assert!(other.try_local_filesystem());
    assert!(!other.serves_over_http());

    // `*.cern.ch` needs at least one character before the suffix.
    assert_eq!(list.lookup(".cern.ch").unwrap().pattern, "*");
    assert!(list.lookup("").is_none());
    assert!(CvmfsRepoList::new().lookup("alice.cern.ch").is_none());
    assert!(!parse("alice.cern.ch:url=http://s/x").has_defaults());
}

#[test]
fn options_of_default_repositories_reach_every_built_in_entry() {
    let list = round_trip(
        r"<default-repositories>:proxies=http://squid.example.org:3128;DIRECT,mountpoint=/cvmfs/\*",
    );
    let RepoEntry::Defaults(defaults) = &list.entries()[0] else {
        panic!("not the defaults");
    };
    assert_eq!(defaults.options().len(), 2);
    for name in ["atlas.cern.ch", "cms.opensciencegrid.org", "x.example.org"] {
        let resolved = list.lookup(name).unwrap();
        let chain = resolved.proxies().unwrap();
        assert_eq!(chain.render(), "http://squid.example.org:3128;DIRECT");
        assert!(chain.has_direct());
        let matched = resolved.matched.clone().unwrap();
        assert_eq!(
            resolved.option("mountpoint").unwrap().value.as_deref(),
            Some(format!("/cvmfs/{matched}").as_str())
        );
    }
    // The built-in entry's own options come first, the appended ones after.
    let names: Vec<_> = list
        .lookup("x.example.org")
        .unwrap()
        .options
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["try_local_filesystem", "proxies", "mountpoint"]);
}

#[test]
fn default_options_are_escaped_twice() {
    // A space and a comma in a default option's value.
    let option = RepoOption::Mountpoint(WildcardText::literal("/a b,c"));
    let list: CvmfsRepoList = [RepoEntry::Defaults(
        DefaultRepositories::new(vec![option]).unwrap(),
    )]
    .into_iter()
    .collect();
    let rendered = list.render();
    assert_eq!(rendered, r"<default-repositories>:mountpoint=/a\\\ b\\\\,c");
    assert_eq!(parse(&rendered), list);
    assert_eq!(
        list.lookup("atlas.cern.ch")
            .unwrap()
            .option("mountpoint")
            .unwrap()
            .value
            .as_deref(),
        Some("/a b,c")
    );
}

#[test]
fn escapes_take_the_next_character_literally() {
    let list = round_trip(r"alice\.cern.ch:mountpoint=/a\ b\*c\\,d\\\\e,url=http://s/x");
    let resolved = list.lookup("alice.cern.ch").unwrap();
    assert_eq!(
        resolved.option("mountpoint").unwrap().value.as_deref(),
        Some(r"/a b*c,d\e")
    );
    // White space of every C kind separates entries.
    let spaced = round_trip("\t a.cern.ch\n\x0bb.cern.ch\x0c\rc.cern.ch  ");
    assert_eq!(spaced.entries().len(), 3);
    assert_eq!(spaced.render(), "a.cern.ch b.cern.ch c.cern.ch");
    // An escaped space or colon in a subpath.
    let sub = round_trip(r"x.cern.ch/a\ b\:c:url=http://s/x");
    let RepoEntry::Repo(repo) = &sub.entries()[0] else {
        panic!()
    };
    assert_eq!(repo.subpath(), Some("/a b:c"));
    assert!(parse("").entries().is_empty());
    assert!(parse(" \n\t ").entries().is_empty());
}

#[test]
fn wildcards_expand_and_later_entries_win() {
    let text = "*.cern.ch:url=http://s1/cvmfs/*.cern.ch,pubkey=/keys/*.pub atlas.cern.ch:url=http://atlas-s1/cvmfs/atlas.cern.ch";
    let list = round_trip(text);
    assert_eq!(list.render(), text);
    let cms = list.lookup("cms.cern.ch").unwrap();
    assert_eq!(cms.url(), ["http://s1/cvmfs/cms.cern.ch"]);
    assert_eq!(cms.pubkey(), ["/keys/cms.pub"]);
    assert_eq!(
        list.lookup("atlas.cern.ch").unwrap().url(),
        ["http://atlas-s1/cvmfs/atlas.cern.ch"]
    );
    assert_eq!(
        list.lookup("x.y.cern.ch").unwrap().matched.as_deref(),
        Some("x.y")
    );
    assert!(list.lookup("cern.ch").is_none());

    // Reversed, the wildcard comes last and wins over the exact name.
    let reversed = parse("atlas.cern.ch:url=http://atlas-s1/x *.cern.ch:url=http://s1/cvmfs/*");
    assert_eq!(
        reversed.lookup("atlas.cern.ch").unwrap().url(),
        ["http://s1/cvmfs/atlas"]
    );
    // A later entry for the same name replaces an earlier one.
    let twice = parse("a.cern.ch:url=http://one/x a.cern.ch:url=http://two/x");
    assert_eq!(twice.lookup("a.cern.ch").unwrap().entry_index, 1);
    // Several matches in one value, and a literal star beside them.
    let many = round_trip(r"*.org:mountpoint=/*/\*/*");
    assert_eq!(
        many.lookup("a.b.org")
            .unwrap()
            .option("mountpoint")
            .unwrap()
            .value
            .as_deref(),
        Some("/a.b/*/a.b")
    );
}

#[test]
fn subpaths_follow_parrots_prefix_rules() {
    let list = round_trip("atlas.cern.ch/repo/sw:url=http://s/atlas");
    assert!(list.lookup("atlas.cern.ch").is_none());
    assert!(list.lookup_path("atlas.cern.ch", "/repo").is_none());
    let inside = list.lookup_path("atlas.cern.ch", "/repo//sw/x").unwrap();
    assert_eq!(inside.subpath.as_deref(), Some("/repo/sw"));
    assert!(list.lookup_path("atlas.cern.ch", "/other").is_none());
    // An earlier entry without a subpath serves the other paths.
    let layered = parse("atlas.cern.ch:url=http://s/root atlas.cern.ch/repo/sw:url=http://s/sw");
    assert_eq!(
        layered
            .lookup_path("atlas.cern.ch", "/other")
            .unwrap()
            .url(),
        ["http://s/root"]
    );
    assert_eq!(
        layered
            .lookup_path("atlas.cern.ch", "/repo/sw/bin")
            .unwrap()
            .url(),
        ["http://s/sw"]
    );
}

#[test]
fn options_are_typed() {
    let text = "x.cern.ch:url=http://a/x;http://b:8000/x,pubkey=/k/1.pub:/k/2.pub,proxies=http://p1:3128|http://p2:3128;DIRECT,fallback_proxies=http://f:3128,cachedir=/tmp/c,timeout=5,timeout_direct=10,max_ttl=15,allow_unsigned,whitelist=/w,quota_limit=1000,quota_threshold=500,deep_mount=/sw,mountpoint=/cvmfs/x.cern.ch,blacklist=/b,try_local_filesystem,custom=1,flag";
    let list = round_trip(text);
    assert_eq!(list.render(), text);
    let RepoEntry::Repo(repo) = &list.entries()[0] else {
        panic!()
    };
    let options = repo.options();
    assert_eq!(options.len(), 18);
    assert_eq!(
        options[1],
        RepoOption::Pubkey(vec![
            WildcardText::literal("/k/1.pub"),
            WildcardText::literal("/k/2.pub"),
        ])
    );
    assert_eq!(options[2].name(), "proxies");
    assert_eq!(repo.proxies().unwrap().groups().len(), 2);
    assert_eq!(options[5], RepoOption::Timeout(5));
    assert_eq!(options[8], RepoOption::AllowUnsigned);
    assert_eq!(options[15], RepoOption::TryLocalFilesystem);
    assert_eq!(
        options[16],
        RepoOption::Other {
            name: "custom".into(),
            value: Some(WildcardText::literal("1"))
        }
    );
    assert_eq!(
        options[17],
        RepoOption::Other {
            name: "flag".into(),
            value: None
        }
    );
    let warnings = list.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("unknown option `custom`")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("unknown option `flag`")));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`cachedir` is only understood by libcvmfs 1"))
    );
    // Empty items are skipped as libcvmfs skips them; `flag=` keeps its `=`.
    let sparse = round_trip("x.cern.ch:,url=http://a/x,,allow_unsigned=,other=,");
    let RepoEntry::Repo(repo) = &sparse.entries()[0] else {
        panic!()
    };
    assert_eq!(repo.options().len(), 3);
    assert_eq!(repo.options()[1], RepoOption::AllowUnsigned);
    assert_eq!(
        sparse.render(),
        "x.cern.ch:url=http://a/x,allow_unsigned,other="
    );
}

#[test]
fn warnings_name_the_entry() {
    let list = parse(
        "a.cern.ch b.cern.ch:url=http://s/x,timeout=1,timeout=2 <default-repositories>:bogus=1",
    );
    let warnings = list.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].starts_with("entry 1 (a.cern.ch): no `url` option"));
    assert!(
        warnings[1].starts_with("entry 2 (b.cern.ch): option `timeout` is given more than once")
    );
    assert!(warnings[2].starts_with("entry 3 (<default-repositories>): unknown option `bogus`"));
    assert!(parse(ISSUE_EXAMPLE).warnings().is_empty());
}

#[test]
fn malformed_values_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("\0", "contains a NUL byte"),
        (":url=http://s/x", "entry 1: the repository name is empty"),
        (
            "/sub:url=http://s/x",
            "entry 1: the repository name is empty",
        ),
        (
            "a.cern.ch b*c.cern.ch",
            "entry 2: the name `b*c.cern.ch` holds '*': a `*` is a wildcard only at the start of a name",
        ),
        (r"\*.cern.ch", "entry 1: the name `*.cern.ch` holds '*'"),
        (r"a\,b.cern.ch", "entry 1: the name `a,b.cern.ch` holds ','"),
        ("..", "entry 1: `..` is not a repository name"),
        (
            "try_local_filesystem.org",
            "entry 1: the name holds `try_local_filesystem`",
        ),
        (
            "alice.cern.ch:url=http://s/*",
            "entry 1: the options hold an unescaped `*`, which parrot drops because `alice.cern.ch` has no leading `*`",
        ),
        (
            "alice.cern.ch:url=http://s/x\\",
            "entry 1: ends with a lone `\\`",
        ),
        ("alice.cern.ch\\", "entry 1: ends with a lone `\\`"),
        (
            "a.cern.ch:url=http://s/x b.cern.ch:timeout=abc",
            "entry 2: option `timeout`: expected a whole number of seconds, found `abc`",
        ),
        (
            "a.cern.ch:timeout",
            "entry 1: option `timeout`: expected `=seconds`, found no value",
        ),
        ("a.cern.ch:timeout=-1", "found `-1`"),
        (
            "a.cern.ch:max_ttl=+1",
            "expected a whole number of minutes, found `+1`",
        ),
        (
            "a.cern.ch:quota_limit=99999999999",
            "option `quota_limit`: `99999999999` is larger than 4294967295",
        ),
        (
            "a.cern.ch:allow_unsigned=yes",
            "option `allow_unsigned`: takes no value, found `=yes`",
        ),
        (
            "a.cern.ch:try_local_filesystem=1",
            "option `try_local_filesystem`: takes no value",
        ),
        (
            "a.cern.ch:url",
            "option `url`: expected `=` and a value, found none",
        ),
        ("a.cern.ch:url=", "option `url`: item 1 is empty"),
        (
            "a.cern.ch:url=http://a/x;;http://b/x",
            "option `url`: item 2 is empty",
        ),
        ("a.cern.ch:url=http://a/x;", "option `url`: item 2 is empty"),
        (
            "a.cern.ch:url=cvmfs-stratum-one.cern.ch/cvmfs/a",
            "option `url`: item 1: `cvmfs-stratum-one.cern.ch/cvmfs/a` is not a stratum URL",
        ),
        (
            "*.cern.ch:url=*",
            "option `url`: item 1: `*` is not a stratum URL",
        ),
        (
            "a.cern.ch:pubkey=/a.pub::/b.pub",
            "option `pubkey`: item 2 is empty",
        ),
        (
            "a.cern.ch:mountpoint=",
            "option `mountpoint`: expected a path, found nothing",
        ),
        (
            "a.cern.ch:url=http://try_local_filesystem/x",
            "option `url`: the value holds `try_local_filesystem`",
        ),
        (
            "a.cern.ch:proxies=squid:3128",
            "option `proxies`: group 1, proxy 1 (\"squid:3128\"): has no scheme",
        ),
        (
            "a.cern.ch:proxies=http://squid",
            "option `proxies`: group 1, proxy 1 (\"http://squid\"): has no port",
        ),
        (
            "a.cern.ch:proxies=http://a:3128;;DIRECT",
            "option `proxies`: group 2 is empty",
        ),
        (
            "a.cern.ch:proxies=direct",
            "spelled in the wrong case; CVMFS only knows `DIRECT`",
        ),
        (
            "*.cern.ch:proxies=http://*:3128",
            "option `proxies`: a proxy chain cannot use the wildcard match `*`",
        ),
        ("a.cern.ch:=x", "entry 1: option 1: `=x` has no option name"),
        (
            "a.cern.ch:url=http://s/x,=",
            "entry 1: option 2: `=` has no option name",
        ),
        (
            "*.cern.ch:na*me=1",
            "entry 1: option 1: the name `na*me` uses the wildcard match `*`",
        ),
        (
            "*<default-repositories>",
            "entry 1: `*<default-repositories>`: the placeholder takes no `*`",
        ),
        (
            "<default-repositories>/x",
            "entry 1: <default-repositories> takes no subpath",
        ),
        (
            "<default-repositories>:mountpoint=/cvmfs/*",
            "an unescaped `*` in the options of <default-repositories> is dropped by parrot",
        ),
        (
            r"<default-repositories>:mountpoint=/a\ b",
            "hold ' ' once parrot has unescaped them, which would split the built-in entries",
        ),
        (
            r"<default-repositories>:mountpoint=/a\\",
            "end with a lone `\\` once parrot has unescaped them",
        ),
        (
            r"<default-repositories>:timeout=x",
            "entry 1: option `timeout`: expected a whole number of seconds, found `x`",
        ),
    ];
    for (text, expected) in cases {
        let message = error_of(text);
        assert!(
            message.contains(expected),
            "{text:?}\n  gave: {message}\n  want: {expected}"
        );
    }
}

#[test]
fn errors_show_the_offending_entry() {
    let err =
        CvmfsRepoList::parse("a.cern.ch:url=http://s/x b.cern.ch:timeout=x c.cern.ch").unwrap_err();
    match err {
        pcvmfs_core::Error::Parse { input, .. } => assert_eq!(input, "b.cern.ch:timeout=x"),
        other => panic!("{other}"),
    }
}

#[test]
fn hostile_values_render_back_exactly() {
    let nasty = "/a b\n\t'\"$(rm -rf ~)`id`;|&<>,=\\*é\u{7f}";
    let option = RepoOption::Mountpoint(WildcardText::literal(nasty));
    let repo = CvmfsRepo::new("$(reboot).cern.ch")
        .unwrap()
        .with_subpath("/ \\:`x`")
        .unwrap()
        .with_option(option)
        .unwrap()
        .with_option(RepoOption::Other {
            name: "we ird,=\\".into(),
            value: Some(WildcardText::literal(nasty)),
        })
        .unwrap();
    let mut list = CvmfsRepoList::new();
    list.push_repo(repo.clone());
    let rendered = list.render();
    assert!(!rendered.contains('\n') || rendered.contains("\\\n"));
    let again = parse(&rendered);
    assert_eq!(again, list);
    assert_eq!(repo.render().parse::<CvmfsRepo>().unwrap(), repo);
    let resolved = again.lookup_path("$(reboot).cern.ch", "/ \\:`x`").unwrap();
    assert_eq!(
        resolved.option("mountpoint").unwrap().value.as_deref(),
        Some(nasty)
    );

    // A NUL can never be carried: refused wherever it comes in.
    assert!(CvmfsRepo::new("a\0.cern.ch").is_err());
    assert!(
        CvmfsRepo::new("a.cern.ch")
            .unwrap()
            .with_option(RepoOption::Mountpoint(WildcardText::literal("/a\0")))
            .is_err()
    );
    assert!(WildcardText::template("a\0").is_err());
    assert!(ProxyChain::parse("http://a:3128\0").is_err());
}

#[test]
fn built_values_are_checked_like_parsed_ones() {
    let repo = CvmfsRepo::new("a.cern.ch").unwrap();
    let bad_url = repo.clone().with_url(&["http://a/x;http://b/x"]);
    assert!(bad_url.unwrap_err().to_string().contains("holds `;`"));
    let bad_key = repo.clone().with_pubkey(&["/a:b"]);
    assert!(bad_key.unwrap_err().to_string().contains("holds `:`"));
    let no_match_here = repo.clone().with_url(&["http://a/*"]);
    assert!(
        no_match_here
            .unwrap_err()
            .to_string()
            .contains("uses the wildcard match `*`, but `a.cern.ch` has no leading `*`")
    );
    let typed_as_other = repo.clone().with_option(RepoOption::Other {
        name: "url".into(),
        value: None,
    });
    assert!(
        typed_as_other
            .unwrap_err()
            .to_string()
            .contains("is a typed option")
    );
    assert!(CvmfsRepo::new("<default-repositories>").is_err());
    assert!(
        CvmfsRepo::new("a.cern.ch")
            .unwrap()
            .with_subpath("x")
            .is_err()
    );
    assert_eq!(
        RepoOption::from_name_value("url", Some("http://s/cvmfs/*")).unwrap(),
        RepoOption::Url(vec![WildcardText::template("http://s/cvmfs/*").unwrap()])
    );
    assert!(
        RepoOption::from_name_value("timeout", Some("soon"))
            .unwrap_err()
            .to_string()
            .contains("option `timeout`: expected a whole number of seconds")
    );
    let built = CvmfsRepo::new("*.example.org")
        .unwrap()
        .with_url(&["http://s1/cvmfs/*", r"http://s2/cvmfs/\*"])
        .unwrap()
        .with_pubkey(&["/k/*.pub"])
        .unwrap();
    assert_eq!(
        built.render(),
        r"*.example.org:url=http://s1/cvmfs/*;http://s2/cvmfs/\*,pubkey=/k/*.pub"
    );
    assert_eq!(built.matches("x.example.org"), Some("x"));
    assert_eq!(built.matches(".example.org"), None);
    assert!("a.cern.ch b.cern.ch".parse::<CvmfsRepo>().is_err());
    assert!("<default-repositories>".parse::<CvmfsRepo>().is_err());
}

#[test]
fn huge_values_parse_or_fail_quickly_with_short_messages() {
    let ten_mb = 10 * 1024 * 1024;
    let name = format!("{}.cern.ch", "a".repeat(ten_mb));
    let list = parse(&name);
    assert_eq!(list.render(), name);

    let stars = format!("a{}", "*".repeat(ten_mb));
    let message = error_of(&stars);
    assert!(message.len() < 400, "{}", message.len());

    for huge in [
        format!("{}\\,x", "a".repeat(ten_mb)),
        format!("a.cern.ch:{}try_local_filesystem=1", "n".repeat(ten_mb)),
        format!("a.cern.ch:timeout={}", "9".repeat(ten_mb)),
        format!("a.cern.ch:proxies=http://[{}]:1", ":".repeat(ten_mb)),
    ] {
        let message = error_of(&huge);
        assert!(
            message.len() < 600,
            "{}: {}",
            message.len(),
            &message[..600]
        );
    }
    let built = CvmfsRepo::new(&"a".repeat(ten_mb))
        .unwrap()
        .with_url(&["http://s/*"])
        .unwrap_err()
        .to_string();
    assert!(built.len() < 600, "{}", built.len());

    let urls = format!(
        "*.cern.ch:url={}",
        vec!["http://s/cvmfs/*"; ten_mb / 16].join(";")
    );
    let list = round_trip(&urls);
    assert_eq!(list.lookup("x.cern.ch").unwrap().url().len(), ten_mb / 16);

    let options = format!(
        "a.cern.ch:url=http://s/x{}",
        ",timeout=1".repeat(ten_mb / 10)
    );
    assert_eq!(parse(&options).warnings().len(), 1);

    let chain = vec!["http://squid:3128"; ten_mb / 18].join("|");
    let chain = ProxyChain::parse(&chain).unwrap();
    assert_eq!(chain.hosts(), vec![("squid".to_string(), 3128)]);
    let message = ProxyChain::parse(&"|".repeat(ten_mb))
        .unwrap_err()
        .to_string();
    assert!(message.len() < 400, "{}", message.len());
}

#[test]
fn serde_uses_the_text_for_lists_and_structure_for_entries() {
    let list = parse(ISSUE_EXAMPLE);
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(json, serde_json::to_string(ISSUE_EXAMPLE).unwrap());
    let back: CvmfsRepoList = serde_json::from_str(&json).unwrap();
    assert_eq!(back, list);
    assert!(serde_json::from_str::<CvmfsRepoList>("\"a.cern.ch:timeout=x\"").is_err());

    let entry = serde_json::to_value(&list.entries()[1]).unwrap();
    assert_eq!(entry["kind"], "repo");
    assert_eq!(entry["name"], "alice-ocdb.cern.ch");
    assert_eq!(entry["options"][0]["option"], "url");
    assert_eq!(
        entry["options"][0]["value"][0],
        "http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch"
    );
    let resolved = serde_json::to_value(list.lookup("alice.cern.ch").unwrap()).unwrap();
    assert_eq!(resolved["matched"], "alice");

    let chain = ProxyChain::parse("http://a:3128|http://b:3128;DIRECT").unwrap();
    let json = serde_json::to_string(&chain).unwrap();
    assert_eq!(json, "\"http://a:3128|http://b:3128;DIRECT\"");
    assert_eq!(serde_json::from_str::<ProxyChain>(&json).unwrap(), chain);
    assert!(serde_json::from_str::<ProxyChain>("\"squid:3128\"").is_err());
}

// ---------------------------------------------------------------------------
// Proxy chains

#[test]
fn proxy_chains_parse_groups_hosts_and_direct() {
    let text =
        "http://squid1.example.org:3128|http://10.0.0.2:3128;http://[2001:db8::1]:8080;auto;DIRECT";
    let chain = ProxyChain::parse(text).unwrap();
    assert_eq!(chain.render(), text);
    assert_eq!(chain.to_string(), text);
    assert_eq!(text.parse::<ProxyChain>().unwrap(), chain);
    assert_eq!(chain.groups().len(), 4);
    assert_eq!(chain.groups()[0].len(), 2);
    assert_eq!(chain.groups()[2], [Proxy::Auto]);
    assert_eq!(
        chain.hosts(),
        vec![
            ("squid1.example.org".to_string(), 3128),
            ("10.0.0.2".to_string(), 3128),
            ("2001:db8::1".to_string(), 8080),
        ]
    );
    assert!(chain.has_direct());
    assert!(chain.has_auto());
    assert!(!chain.is_direct_only());
    assert!(ProxyChain::parse("DIRECT").unwrap().is_direct_only());
    assert_eq!(ProxyChain::direct().render(), "DIRECT");
    assert!(!ProxyChain::parse("http://a:3128").unwrap().has_direct());

    let built = ProxyChain::new(vec![
        vec![Proxy::Http(HttpProxy::new("::1", 3128).unwrap())],
        vec![Proxy::Direct],
    ])
    .unwrap();
    assert_eq!(built.render(), "http://[::1]:3128;DIRECT");
    assert!(ProxyChain::new(vec![]).is_err());
    assert!(ProxyChain::new(vec![vec![]]).is_err());
    assert!(HttpProxy::new("bad host", 3128).is_err());
    assert!(HttpProxy::new("squid", 0).is_err());
}

#[test]
fn malformed_proxy_chains_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("", "is empty; write DIRECT for no proxy"),
        (
            "squid:3128",
            "group 1, proxy 1 (\"squid:3128\"): has no scheme; expected http://host:port",
        ),
        ("http://squid", "has no port; expected http://host:port"),
        ("http://squid:", "has an empty port"),
        ("http://squid:0", "has port 0"),
        ("http://squid:65536", "has port 65536, above 65535"),
        (
            "http://squid:31x8",
            "has port `31x8`, which is not a number",
        ),
        ("http://squid:+3128", "which is not a number"),
        ("http://:3128", "has no host"),
        ("http://[::1", "without its closing `]`"),
        (
            "http://[::1]",
            "has no port; expected http://[address]:port",
        ),
        ("http://[::1]x:3128", "has text after the IPv6 address"),
        (
            "http://[nope]:3128",
            "`[nope]`, which is not an IPv6 address",
        ),
        ("http://::1:3128", "IPv6 address without brackets"),
        (
            "https://squid:3128",
            "has scheme `https`; CVMFS proxies are plain http://host:port",
        ),
        ("HTTP://squid:3128", "write the scheme in lower case"),
        ("http://squid:3128/", "ends with `/`"),
        ("http://squid:3128/path", "has a path"),
        ("http://user@squid:3128", "has user information"),
        (
            "http://sq_uid..x:3128",
            "is not a valid host name (label ``)",
        ),
        ("http://-x:3128", "label `-x`"),
        ("http://a:3128;", "group 2 is empty"),
        (";DIRECT", "group 1 is empty"),
        (
            "http://a:3128||http://b:3128",
            "group 1, proxy 2 (\"\"): is empty",
        ),
        ("direct", "wrong case; CVMFS only knows `DIRECT`"),
        ("AUTO", "only knows `auto`"),
        ("http://a:3128 ;DIRECT", "contains ' '"),
        ("http://a:3128\n", "contains '\\n'"),
        ("$(reboot)", "has no scheme"),
        ("http://`id`:3128", "not a valid host name"),
    ];
    for (text, expected) in cases {
        let message = ProxyChain::parse(text).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{text:?}\n  gave: {message}\n  want: {expected}"
        );
    }
}

// ---------------------------------------------------------------------------
// Properties

/// Characters that stress every layer of escaping.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => prop::sample::select(vec![
            ' ', '\t', '\n', '\r', '\x0b', '\x0c', ',', '=', '\\', '*', ';', ':', '/', '"', '\'',
            '$', '(', ')', '`', '|', '&', '<', '>', 'é', '\u{7f}', '\u{1F600}',
        ]),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// Option text with matches, or not, at random places.
fn wildcard_text(
    allow_match: bool,
    forbidden: &'static [char],
) -> impl Strategy<Value = WildcardText> {
    prop::collection::vec((tricky_text(6), any::<bool>()), 1..4).prop_map(move |parts| {
        let mut template = String::new();
        for (text, with_match) in parts {
            for c in text.chars().filter(|c| !forbidden.contains(c)) {
                if c == '*' || c == '\\' {
                    template.push('\\');
                }
                template.push(c);
            }
            if with_match && allow_match {
                template.push('*');
            }
        }
        WildcardText::template(&template).expect("escaped above")
    })
}

fn proxy() -> impl Strategy<Value = Proxy> {
    prop_oneof![
        1 => Just(Proxy::Direct),
        1 => Just(Proxy::Auto),
        4 => ("[a-z]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}", 1u16..)
            .prop_map(|(host, port)| Proxy::Http(HttpProxy::new(&host, port).unwrap())),
        1 => (any::<[u16; 8]>(), 1u16..).prop_map(|(segments, port)| {
            let address = std::net::Ipv6Addr::from(segments).to_string();
            Proxy::Http(HttpProxy::new(&address, port).unwrap())
        }),
    ]
}

fn proxy_chain() -> impl Strategy<Value = ProxyChain> {
    prop::collection::vec(prop::collection::vec(proxy(), 1..4), 1..4)
        .prop_map(|groups| ProxyChain::new(groups).unwrap())
}

fn repo_option(allow_match: bool) -> impl Strategy<Value = RepoOption> {
    let url = prop::collection::vec(
        ("[a-z]{1,5}", wildcard_text(allow_match, &[';'])).prop_map(|(scheme, rest)| {
            let mut url = WildcardText::template(&format!("{scheme}://")).unwrap();
            url = WildcardText::template(&format!("{url}{rest}")).unwrap();
            url
        }),
        1..3,
    )
    .prop_map(RepoOption::Url);
    let pubkey = prop::collection::vec(
        wildcard_text(allow_match, &[':']).prop_filter("empty", |t| !t.is_empty()),
        1..3,
    )
    .prop_map(RepoOption::Pubkey);
    let path = move || wildcard_text(allow_match, &[]).prop_filter("empty", |t| !t.is_empty());
    let other = (
        "[a-z][a-z_ ,=\\\\]{0,6}".prop_filter("known", |n| {
            RepoOption::from_name_value(n, None).is_ok_and(|o| !o.is_known())
        }),
        prop::option::of(wildcard_text(allow_match, &[])),
    )
        .prop_map(|(name, value)| RepoOption::Other { name, value });
    prop_oneof![
        url,
        pubkey,
        proxy_chain().prop_map(RepoOption::Proxies),
        proxy_chain().prop_map(RepoOption::FallbackProxies),
        any::<u32>().prop_map(RepoOption::Timeout),
        any::<u32>().prop_map(RepoOption::QuotaLimit),
        Just(RepoOption::AllowUnsigned),
        Just(RepoOption::TryLocalFilesystem),
        path().prop_map(RepoOption::Mountpoint),
        path().prop_map(RepoOption::Cachedir),
        other,
    ]
}

fn repo() -> impl Strategy<Value = CvmfsRepo> {
    (
        any::<bool>(),
        "[a-z0-9$()\"'`<>-]{1,8}(\\.[a-z0-9]{1,6}){0,2}",
        prop::option::of(tricky_text(8)),
    )
        .prop_flat_map(|(wildcard, name, subpath)| {
            prop::collection::vec(repo_option(wildcard), 0..4).prop_map(move |options| {
                let pattern = if wildcard {
                    format!("*{name}")
                } else {
                    name.clone()
                };
                let mut repo = CvmfsRepo::new(&pattern).unwrap();
                if let Some(subpath) = &subpath {
                    repo = repo.with_subpath(&format!("/{subpath}")).unwrap();
                }
                for option in options {
                    repo = repo.with_option(option).unwrap();
                }
                repo
            })
        })
}

fn repo_list() -> impl Strategy<Value = CvmfsRepoList> {
    let entry = prop_oneof![
        4 => repo().prop_map(RepoEntry::Repo),
        1 => prop::collection::vec(repo_option(true), 0..3)
            .prop_map(|options| RepoEntry::Defaults(DefaultRepositories::new(options).unwrap())),
    ];
    prop::collection::vec(entry, 0..5).prop_map(|entries| entries.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(list) = CvmfsRepoList::parse(&text) {
            let rendered = list.render();
            prop_assert_eq!(CvmfsRepoList::parse(&rendered).unwrap(), list.clone());
            let _ = list.warnings();
            let _ = list.lookup("alice.cern.ch");
        }
        if let Ok(chain) = ProxyChain::parse(&text) {
            prop_assert_eq!(ProxyChain::parse(&chain.render()).unwrap(), chain);
        }
    }

    #[test]
    fn grammar_shaped_text_never_panics(
        text in prop::collection::vec(
            prop_oneof![
                Just("<default-repositories>".to_string()),
                Just("url=http://s/*".to_string()),
                Just("proxies=http://a:1;DIRECT".to_string()),
                tricky_text(4),
            ],
            0..8,
        ).prop_map(|parts| parts.concat())
    ) {
        if let Ok(list) = CvmfsRepoList::parse(&text) {
            prop_assert_eq!(CvmfsRepoList::parse(&list.render()).unwrap(), list.clone());
            for name in ["a.cern.ch", "x", "oasis.opensciencegrid.org"] {
                let _ = list.lookup_path(name, "/x");
            }
        }
    }

    #[test]
    fn generated_lists_round_trip(list in repo_list()) {
        let rendered = list.render();
        let again = CvmfsRepoList::parse(&rendered);
        prop_assert!(again.is_ok(), "{:?}: {:?}", rendered, again);
        prop_assert_eq!(again.unwrap(), list);
    }

    #[test]
    fn generated_chains_round_trip(chain in proxy_chain()) {
        prop_assert_eq!(ProxyChain::parse(&chain.render()).unwrap(), chain);
    }

    #[test]
    fn wildcard_lookup_expands_every_match(prefix in "[a-z]{1,6}(\\.[a-z]{1,4}){0,2}") {
        let list = CvmfsRepoList::parse("*.example.org:url=http://s/cvmfs/*.example.org,mountpoint=/*/\\*").unwrap();
        let name = format!("{prefix}.example.org");
        let resolved = list.lookup(&name).unwrap();
        prop_assert_eq!(resolved.url(), vec![format!("http://s/cvmfs/{name}")]);
        let mountpoint = format!("/{prefix}/*");
        prop_assert_eq!(resolved.option("mountpoint").unwrap().value.as_deref(), Some(mountpoint.as_str()));
    }
}
